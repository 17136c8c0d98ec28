// Verifying an envelope: every signature over the exact PAE bytes, each signer against the keys
// the verifier trusts, and the statement's shape. The keyid of a signature is only a hint
// (DSSE): keys are never chosen or accepted by it, but a keyid that names a different key from
// the one that made the signature is refused, so that no byte of an envelope can change unnoticed.
import {verify as cryptoVerify} from 'node:crypto';
import {IN_TOTO_PAYLOAD_TYPE, pae, parseEnvelope, type ParsedEnvelope} from './dsse.js';
import {allowedFor, fingerprint, isSshSig, publicKeyObject, verifySshSig, type AllowedSigner, type PublicKey} from './keys.js';
import {parseStatement, type Statement} from './statement.js';

export interface Trust {
  /** Keys given one by one (--key). */
  keys: readonly PublicKey[];
  /** An allowed_signers file's entries (--allowed-signers). */
  allowed: readonly AllowedSigner[];
}

export interface SignatureCheck {
  /** 1-based, as people count. */
  index: number;
  ok: boolean;
  /** `ed25519`: a raw signature over the PAE; `sshsig`: an SSH signature (ssh-keygen -Y sign) over it. */
  kind: 'ed25519' | 'sshsig' | 'unknown';
  /** The fingerprint of the key that made it, when known. */
  keyid?: string;
  /** Who the trusted keys say it is: allowed_signers principals, a key file's comment or name. */
  signer?: string;
  why?: string;
}

export interface Verification {
  /** Why the file is not a usable envelope or statement (then it does not verify). */
  problem?: string;
  envelope?: ParsedEnvelope;
  statement?: Statement;
  signatures: SignatureCheck[];
  /** Every signature verified with a trusted key and the statement is well-formed. */
  ok: boolean;
}

interface Candidate {
  raw: Buffer;
  name: string;
}

function candidates(trust: Trust, when: Date): Candidate[] {
  const out: Candidate[] = trust.keys.map((k) => ({raw: k.raw, name: k.name ?? k.source}));
  for (const e of trust.allowed) if (e.raw && allowedFor([e], e.raw, when).length > 0) out.push({raw: e.raw, name: e.principals});
  return out;
}

/** The names the trusted keys give one key (several allowed_signers lines may list it). */
function namesOf(raw: Buffer, trust: Trust, when: Date): string[] {
  const names = trust.keys.filter((k) => k.raw.equals(raw)).map((k) => k.name ?? k.source);
  for (const e of allowedFor(trust.allowed, raw, when)) names.push(e.principals);
  return [...new Set(names)];
}

function checkOne(index: number, keyid: string | undefined, sig: Buffer, message: Buffer, trust: Trust, when: Date): SignatureCheck {
  const hint = (raw: Buffer): SignatureCheck | undefined =>
    keyid !== undefined && keyid !== '' && keyid !== fingerprint(raw)
      ? {
          index,
          ok: false,
          kind: isSshSig(sig) ? 'sshsig' : 'ed25519',
          keyid: fingerprint(raw),
          why: `its keyid (${keyid}) names another key than the one that made it`,
        }
      : undefined;
  if (isSshSig(sig)) {
    const v = verifySshSig(sig, message);
    if (!v.ok) return {index, ok: false, kind: 'sshsig', ...(v.raw ? {keyid: fingerprint(v.raw)} : {}), why: `the SSH signature ${v.why}`};
    const names = namesOf(v.raw, trust, when);
    if (names.length === 0)
      return {index, ok: false, kind: 'sshsig', keyid: fingerprint(v.raw), why: `it is made by ${fingerprint(v.raw)}, which is not among the keys given`};
    return hint(v.raw) ?? {index, ok: true, kind: 'sshsig', keyid: fingerprint(v.raw), signer: names.join(', ')};
  }
  if (sig.length === 64) {
    for (const c of candidates(trust, when)) {
      if (cryptoVerify(null, message, publicKeyObject(c.raw), sig)) {
        return hint(c.raw) ?? {index, ok: true, kind: 'ed25519', keyid: fingerprint(c.raw), signer: namesOf(c.raw, trust, when).join(', ')};
      }
    }
    const named = keyid ? ` (its keyid says ${keyid})` : '';
    return {
      index,
      ok: false,
      kind: 'ed25519',
      ...(keyid ? {keyid} : {}),
      why: `no key given verifies it${named}: it was altered, or made by a key that is not trusted`,
    };
  }
  return {index, ok: false, kind: 'unknown', ...(keyid ? {keyid} : {}), why: `it is neither an Ed25519 signature nor an SSH signature (${sig.length} bytes)`};
}

/** Verifies an envelope file's bytes against the trusted keys; `when` is the time allowed_signers validity is judged at. */
export function verifyEnvelope(bytes: Uint8Array, trust: Trust, when = new Date()): Verification {
  const parsed = parseEnvelope(bytes);
  if (!parsed.ok) return {problem: `the file ${parsed.why}`, signatures: [], ok: false};
  const env = parsed.value;
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE)
    return {problem: `the payload type is ${env.payloadType}, not ${IN_TOTO_PAYLOAD_TYPE}`, envelope: env, signatures: [], ok: false};
  const message = pae(env.payloadType, env.payload);
  const signatures = env.signatures.map((s, n) => checkOne(n + 1, s.keyid, s.sig, message, trust, when));
  const st = parseStatement(env.payload);
  if (!st.ok) return {problem: st.why, envelope: env, signatures, ok: false};
  return {envelope: env, statement: st.value, signatures, ok: signatures.every((s) => s.ok)};
}
