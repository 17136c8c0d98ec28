import type {KeyObject} from 'node:crypto';
import {Document, isMap, isScalar, parseAllDocuments} from 'yaml';
import {editYaml} from '../write/yamlEdit.js';
import {yamlErrorText} from '../sources/yamlDoc.js';
import {sealValue} from './sealed.js';

/** A key of a Secret: `NAMESPACE/NAME.KEY`, or `NAME.KEY` for the current namespace. */
export interface SecretRef {
  namespace?: string;
  name: string;
  key: string;
}

// A Secret's name is a DNS subdomain, a namespace a DNS label, a key letters, digits, `-`, `_`, `.`.
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const KEY = /^[-._a-zA-Z0-9]+$/;

/** Parses `NAMESPACE/NAME.KEY`; the key is everything after the name's first dot (`tls.crt` works). */
export function parseSecretRef(text: string): SecretRef | undefined {
  const m = /^(?:([^/]+)\/)?([^./]+)\.(.+)$/.exec(text);
  if (!m) return undefined;
  const [, namespace, name, key] = m;
  if ((namespace !== undefined && !NAMESPACE.test(namespace)) || !NAME.test(name!) || !KEY.test(key!)) return undefined;
  return {namespace, name: name!, key: key!};
}

export class ManifestError extends Error {
  override name = 'ManifestError';
}

interface Found {
  kind: string;
  name: string;
  namespace?: string;
}

/** The one object a manifest file holds, or undefined for an empty file; several are refused. */
function theObject(text: string, file: string): Found | undefined {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined;
  const real = docs.filter((d) => d.contents !== null);
  if (real.some((d) => d.errors.length > 0)) throw new ManifestError(`${file}:${yamlErrorText(real.find((d) => d.errors.length > 0)!.errors[0]!)}`);
  if (real.length === 0) return undefined;
  if (real.length > 1)
    throw new ManifestError(`${file} holds ${real.length} documents; Shipshape writes a Secret only to a file of its own (name another file)`);
  const js = real[0]!.toJS() as {kind?: unknown; metadata?: {name?: unknown; namespace?: unknown}} | null;
  return {
    kind: String(js?.kind ?? ''),
    name: String(js?.metadata?.name ?? ''),
    namespace: js?.metadata?.namespace === undefined ? undefined : String(js.metadata.namespace),
  };
}

function sameObject(found: Found, kind: string, ref: SecretRef, file: string): void {
  if (found.kind !== kind || found.name !== ref.name || (found.namespace ?? '') !== (ref.namespace ?? ''))
    throw new ManifestError(
      `${file} holds the ${found.kind || 'object'} ${found.namespace ? `${found.namespace}/` : ''}${found.name}, not the ${kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name}; name another file`,
    );
}

function metadata(ref: SecretRef): Record<string, string> {
  return ref.namespace ? {name: ref.name, namespace: ref.namespace} : {name: ref.name};
}

function print(header: string, body: Record<string, unknown>): string {
  const doc = new Document(body);
  doc.commentBefore = header;
  return doc.toString({lineWidth: 0});
}

/**
 * A Secret manifest with `key` set to `value`: a new file, or the Secret the file already holds
 * (other keys, comments and layout kept). The value goes under stringData, or base64 under data
 * when the Secret keeps its values there (a key in data would win over stringData otherwise).
 */
export function setSecretKey(text: string | undefined, ref: SecretRef, value: string, file: string): string {
  const found = text === undefined ? undefined : theObject(text, file);
  if (!found) {
    return print(
      ' A plaintext Secret written by Shipshape. Apply it (kubectl apply -f FILE), then delete this file or seal it;\n never commit it.'.replace('FILE', file),
      {apiVersion: 'v1', kind: 'Secret', metadata: metadata(ref), type: 'Opaque', stringData: {[ref.key]: value}},
    );
  }
  sameObject(found, 'Secret', ref, file);
  return editYaml(
    text!,
    (doc) => {
      const data = doc.get('data', true);
      const inData = isMap(data) && data.items.length > 0 && !isMap(doc.get('stringData', true));
      if (inData) doc.setIn(['data', ref.key], Buffer.from(value, 'utf8').toString('base64'));
      else {
        doc.setIn(['stringData', ref.key], value);
        if (isMap(data) && data.has(ref.key)) data.delete(ref.key);
      }
    },
    file,
  );
}

/**
 * A SealedSecret with `key` sealed in: a new file, or the SealedSecret the file holds (its other
 * keys stay as they are: each key is sealed on its own, so adding one needs no private key).
 */
export function setSealedKey(text: string | undefined, ref: SecretRef, value: string, publicKey: KeyObject, file: string): string {
  if (!ref.namespace)
    throw new ManifestError(`${file}: a SealedSecret is sealed for one namespace and name; write the target as NAMESPACE/${ref.name}.${ref.key}`);
  const sealed = sealValue(publicKey, value, ref.namespace, ref.name);
  const found = text === undefined ? undefined : theObject(text, file);
  if (!found) {
    return print(' Sealed by Shipshape for the Sealed Secrets controller whose certificate was given: safe to commit.', {
      apiVersion: 'bitnami.com/v1alpha1',
      kind: 'SealedSecret',
      metadata: metadata(ref),
      spec: {encryptedData: {[ref.key]: sealed}, template: {metadata: metadata(ref), type: 'Opaque'}},
    });
  }
  sameObject(found, 'SealedSecret', ref, file);
  return editYaml(text!, (doc) => doc.setIn(['spec', 'encryptedData', ref.key], sealed), file);
}

/** The value a Secret manifest holds for `key` (stringData, else data decoded); undefined when none. */
export function secretKeyValue(text: string, ref: SecretRef): string | undefined {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return undefined;
  for (const d of docs) {
    if (d.errors.length > 0) continue;
    const name = d.getIn(['metadata', 'name']);
    if (d.get('kind') !== 'Secret' || name !== ref.name) continue;
    const s = d.getIn(['stringData', ref.key], true);
    if (isScalar(s) && s.value !== null && s.value !== '') return String(s.value);
    const b = d.getIn(['data', ref.key], true);
    if (isScalar(b) && typeof b.value === 'string' && b.value !== '') return Buffer.from(b.value, 'base64').toString('utf8');
  }
  return undefined;
}

/** Whether a SealedSecret manifest already holds `key`. */
export function sealedHasKey(text: string, ref: SecretRef): boolean {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return false;
  return docs.some((d) => d.get('kind') === 'SealedSecret' && d.getIn(['metadata', 'name']) === ref.name && d.hasIn(['spec', 'encryptedData', ref.key]));
}
