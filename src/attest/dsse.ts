// DSSE v1.0.2 (secure-systems-lab/dsse, protocol.md and envelope.md): what is signed is the
// Pre-Authentication Encoding of the payload type and the payload's exact bytes,
//   PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
// with SP one space (0x20) and LEN the byte length in ASCII decimal without leading zeros; the
// JSON envelope carries the payload in base64 and any number of signatures over the same PAE.
//
// Reading is strict, because an envelope is evidence: the file must be UTF-8 JSON holding
// exactly the envelope's fields, base64 must be canonical (standard or URL-safe, padded or
// not, as DSSE allows, but no stray bits that a lenient decoder would drop), and the bytes a
// caller gets back are the very bytes whose signatures were checked, never a re-encoding.

/** The payload type in-toto requires for a Statement (in-toto spec/v1/envelope.md). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** The Pre-Authentication Encoding of DSSE: the exact bytes every signature is made over. */
export function pae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `, 'ascii'), type, Buffer.from(` ${payload.length} `, 'ascii'), payload]);
}

export interface EnvelopeSignature {
  /** An unauthenticated hint: never trusted to choose or accept a key (DSSE). */
  keyid?: string;
  /** Base64 of the signature bytes. */
  sig: string;
}

/** The JSON envelope as written. */
export interface Envelope {
  payload: string;
  payloadType: string;
  signatures: EnvelopeSignature[];
}

/** An envelope as read: its fields plus the decoded bytes that were (or are to be) verified. */
export interface ParsedEnvelope {
  envelope: Envelope;
  payloadType: string;
  /** The payload's exact bytes, decoded from the envelope. */
  payload: Buffer;
  signatures: {keyid?: string; sig: Buffer}[];
}

export type Parsed<T> = {ok: true; value: T} | {ok: false; why: string};

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URLSAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/**
 * Strict base64 (RFC 4648 sections 4 and 5, padding optional): undefined unless re-encoding the
 * decoded bytes gives back the same text, so two different texts never decode to the same bytes.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  const url = !STANDARD.test(text);
  if (url && !URLSAFE.test(text)) return undefined;
  const padded = text.endsWith('=');
  if (padded && text.length % 4 !== 0) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(body, url ? 'base64url' : 'base64');
  let again = bytes.toString(url ? 'base64url' : 'base64').replace(/=+$/, '');
  if (padded) again = again.padEnd(Math.ceil(again.length / 4) * 4, '=');
  return again === text ? bytes : undefined;
}

const ENVELOPE_KEYS = new Set(['payload', 'payloadType', 'signatures']);
const SIGNATURE_KEYS = new Set(['keyid', 'sig']);

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads an envelope file's bytes; says what is wrong, in words, when it is not a well-formed DSSE envelope. */
export function parseEnvelope(bytes: Uint8Array): Parsed<ParsedEnvelope> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', {fatal: true}).decode(bytes);
  } catch {
    return {ok: false, why: 'is not UTF-8 text'};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return {ok: false, why: `is not JSON (${(err as Error).message})`};
  }
  if (!isObject(raw)) return {ok: false, why: 'is not a JSON object'};
  const stray = Object.keys(raw).filter((k) => !ENVELOPE_KEYS.has(k));
  if (stray.length > 0) return {ok: false, why: `has fields a DSSE envelope does not have: ${stray.join(', ')}`};
  const {payload, payloadType, signatures} = raw;
  if (typeof payloadType !== 'string' || payloadType === '') return {ok: false, why: 'has no payloadType'};
  if (typeof payload !== 'string') return {ok: false, why: 'has no payload'};
  const body = decodeBase64Strict(payload);
  if (!body) return {ok: false, why: 'has a payload that is not canonical base64'};
  if (!Array.isArray(signatures)) return {ok: false, why: 'has no signatures list'};
  if (signatures.length === 0) return {ok: false, why: 'carries no signature'};
  const sigs: ParsedEnvelope['signatures'] = [];
  const kept: EnvelopeSignature[] = [];
  for (const [n, s] of signatures.entries()) {
    if (!isObject(s)) return {ok: false, why: `signature ${n + 1} is not an object`};
    const extra = Object.keys(s).filter((k) => !SIGNATURE_KEYS.has(k));
    if (extra.length > 0) return {ok: false, why: `signature ${n + 1} has fields a DSSE signature does not have: ${extra.join(', ')}`};
    if (typeof s.sig !== 'string' || s.sig === '') return {ok: false, why: `signature ${n + 1} has no sig`};
    if (s.keyid !== undefined && typeof s.keyid !== 'string') return {ok: false, why: `signature ${n + 1} has a keyid that is not text`};
    const sig = decodeBase64Strict(s.sig);
    if (!sig || sig.length === 0) return {ok: false, why: `signature ${n + 1} is not canonical base64`};
    sigs.push({...(s.keyid !== undefined ? {keyid: s.keyid} : {}), sig});
    kept.push({...(s.keyid !== undefined ? {keyid: s.keyid} : {}), sig: s.sig});
  }
  return {ok: true, value: {envelope: {payload, payloadType, signatures: kept}, payloadType, payload: body, signatures: sigs}};
}

/** Something that signs PAE bytes: a key in a file, an SSH key through ssh-keygen, a generated key. */
export interface Signer {
  /** `SHA256:<base64>`, the OpenSSH fingerprint of the public key: the same for every form of one key. */
  keyid: string;
  sign(message: Buffer): Promise<Buffer>;
}

/** A new envelope around a payload, signed by each signer in turn (operator, then reviewer, ...). */
export async function signEnvelope(payloadType: string, payload: Buffer, signers: readonly Signer[]): Promise<Envelope> {
  let env: Envelope = {payload: payload.toString('base64'), payloadType, signatures: []};
  for (const s of signers) env = await addSignature(env, payload, s);
  return env;
}

/** The same envelope with one more signature over the same PAE bytes. */
export async function addSignature(env: Envelope, payload: Buffer, signer: Signer): Promise<Envelope> {
  const sig = await signer.sign(pae(env.payloadType, payload));
  return {...env, signatures: [...env.signatures, {keyid: signer.keyid, sig: sig.toString('base64')}]};
}

/** One line of compact JSON (and a newline): the form envelopes are written in, one per file or per JSON Lines row. */
export function envelopeText(env: Envelope): string {
  return `${JSON.stringify({payload: env.payload, payloadType: env.payloadType, signatures: env.signatures})}\n`;
}
