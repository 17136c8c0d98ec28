import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {isPlaceholder, redact} from '../engine/redact.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {collect, evidenceOf, SelectorShape, type Occurrence, type Selector} from '../deploy/settings.js';
import {
  decodeBase64 as decode64,
  decodeNkey,
  encodeNkeyPublic,
  NKEY_ROLES,
  nkeyRawPublic,
  parseRsaPrivate,
  parseRsaPublic,
  rawPublicKey,
  spkiFingerprint as fingerprint,
  type Base64Alphabet,
  type Nkey,
} from '../deploy/keys.js';

// format.*: values that must have a shape. Every copy collect() finds is judged on its own and
// reported at its file and line. Secrets (keys, seeds, webhook secrets) only ever appear as
// redact(); URLs, origins, durations, versions and public keys are shown as written.
//
// Only check definitions are exported: the registry takes every export of this module as one.

const Required = {
  /**
   * When no copy holds a value: fail (the service needs it) or skip. With `required: false` an
   * empty copy counts as not set; with `required: true` it fails.
   */
  required: z.boolean().default(false),
};

const SelectorParams = z.strictObject({...SelectorShape});

// ---------------------------------------------------------------------------------------------
// Shared machinery

type Judged<T> = {ok: true; value: T; detail: string} | {ok: false; why: string};

const ok = <T>(value: T, detail: string): Judged<T> => ({ok: true, value, detail});
const bad = <T>(why: string): Judged<T> => ({ok: false, why});

interface Judgement<T> {
  names: string;
  /** Copies that hold a value and were judged. */
  total: number;
  bad: Evidence[];
  good: Evidence[];
  parsed: {o: Occurrence; value: T}[];
  /** Empty copies that did not count (required: false). */
  ignored: Evidence[];
  notes: Evidence[];
  /** Set when there is nothing to judge: the result to return as is. */
  early?: CheckResult;
}

function namesOf(sel: Selector): string {
  return [...sel.keys, ...sel.urls, ...sel.helm].join(', ') || '(no keys given)';
}

/** Where a copy is, in words: `.env:3`, or `service api` when it has no line. */
function at(o: Occurrence): string {
  if (!o.file) return o.where;
  return `${o.file}${o.line === undefined ? '' : `:${o.line}`} (${o.key})`;
}

/** Collects every copy of the selected setting and judges each non-empty one. */
async function judgeCopies<T>(ctx: Context, sel: Selector, required: boolean, judge: (value: string, o: Occurrence) => Judged<T>): Promise<Judgement<T>> {
  const {occurrences, notes} = await collect(ctx, sel);
  const names = namesOf(sel);
  const j: Judgement<T> = {names, total: 0, bad: [], good: [], parsed: [], ignored: [], notes};
  for (const o of occurrences) {
    const v = o.value;
    if (v === undefined || v === '') {
      const what = v === undefined ? 'listed without a value' : 'empty';
      if (required) {
        j.total++;
        j.bad.push(evidenceOf(o, what));
      } else {
        j.ignored.push(evidenceOf(o, `${what} (counted as not set)`));
      }
      continue;
    }
    j.total++;
    const r = judge(v, o);
    if (r.ok) {
      j.good.push(evidenceOf(o, r.detail));
      j.parsed.push({o, value: r.value});
    } else {
      j.bad.push(evidenceOf(o, r.why));
    }
  }
  if (j.total === 0) {
    if (notes.length > 0) j.early = result('skip', `${names} comes from an existing Secret; its format cannot be checked from these files`, notes);
    else if (required) j.early = result('fail', `${names} is not set anywhere`, j.ignored);
    else j.early = result('skip', `${names} is not set in any file read`, j.ignored);
  }
  return j;
}

/** Pass when nothing is bad; otherwise fail, naming each bad copy. `what` is the rule, e.g. "base64 of 32 bytes". */
function conclude(j: Judgement<unknown>, what: string, extraBad: Evidence[] = [], extraGood: Evidence[] = []): CheckResult {
  const badAll = [...j.bad, ...extraBad];
  if (badAll.length > 0) {
    const head = j.bad.length > 0 ? `${j.bad.length} of ${j.total} ${j.total === 1 ? 'copy' : 'copies'} ${j.bad.length === 1 ? 'is' : 'are'} wrong` : '';
    const tail = extraBad.length > 0 ? `${extraBad.length} ${extraBad.length === 1 ? 'problem' : 'problems'} with the public key` : '';
    return result('fail', `${j.names}: ${[head, tail].filter(Boolean).join('; ')} (expected ${what})`, [...badAll, ...j.notes]);
  }
  const all = j.total === 1 ? 'the one copy is' : `every copy (${j.total}) is`;
  return result('pass', `${j.names}: ${all} ${what}`, [...j.good, ...extraGood, ...j.ignored, ...j.notes]);
}

/** A non-secret value for a message. */
function show(v: string): string {
  return JSON.stringify(v);
}

/**
 * A URL for a message, with any password masked. A value that does not parse is shown only
 * when it cannot be hiding credentials (no `@`).
 */
function showUrl(v: string, u?: URL): string {
  if (u) {
    if (u.password === '') return show(v);
    const masked = new URL(u.href);
    masked.password = '***';
    return show(masked.href);
  }
  return v.includes('@') ? `(${[...v].length} characters, not shown: it may hold credentials)` : show(v);
}

// ---------------------------------------------------------------------------------------------
// base64

/** The decoding rules live in deploy/keys; here the byte count becomes the detail evidence shows. */
function decodeBase64(v: string, alphabet: Base64Alphabet = 'any', paddingRequired = false): Judged<Buffer> {
  const d = decode64(v, alphabet, paddingRequired);
  return d.ok ? ok(d.value, `${d.value.length} bytes`) : bad(d.why);
}

export const base64 = defineCheck({
  id: 'format.base64',
  summary: 'Every copy is base64 (standard or url-safe alphabet, padding optional) that decodes to exactly the given number of bytes.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    bytes: z.number().int().min(1).max(4096).default(32),
    alphabet: z.enum(['any', 'standard', 'url']).default('any'),
    /** Show values in the evidence (only for values that are not secrets). */
    secret: z.boolean().default(true),
  }),
  async run(ctx, p) {
    const label = (v: string) => (p.secret ? redact(v) : show(v));
    const j = await judgeCopies(ctx, p, p.required, (v) => {
      const d = decodeBase64(v, p.alphabet);
      if (!d.ok) return bad(`${d.why} (${label(v)})`);
      if (d.value.length !== p.bytes) return bad(`decodes to ${d.value.length} bytes, not ${p.bytes} (${label(v)})`);
      return ok(d.value, `base64 of ${p.bytes} bytes (${label(v)})`);
    });
    return j.early ?? conclude(j, `base64 of exactly ${p.bytes} bytes`);
  },
});

// ---------------------------------------------------------------------------------------------
// Key pairs: shared comparison of derived public keys with the stored ones

/**
 * Judges every copy of the public key and compares each with the key derived from every good
 * private copy. Returns extra evidence for conclude(). The copies themselves are never shown:
 * a private key pasted where the public one belongs looks the same. Only keys derived from the
 * private keys (which are public by construction) are described.
 */
async function comparePublic<K>(
  ctx: Context,
  sel: Selector,
  privates: {o: Occurrence; value: K}[],
  parse: (v: string) => Judged<K>,
  same: (a: K, b: K) => boolean,
  /** The public key a private copy gives, in words (it is public, so it may be shown). */
  describe: (k: K) => string,
): Promise<{bad: Evidence[]; good: Evidence[]}> {
  const out = {bad: [] as Evidence[], good: [] as Evidence[]};
  if (privates.length === 0) return out;
  const {occurrences, notes} = await collect(ctx, sel);
  const set = occurrences.filter((o) => o.value !== undefined && o.value !== '');
  if (set.length === 0) {
    if (notes.length > 0) out.good.push(...notes.map((n) => ({...n, detail: `${n.detail}; the public key there cannot be compared`})));
    else out.bad.push({key: namesOf(sel), detail: `${namesOf(sel)} (the public key) is not set anywhere, so the private key cannot be checked against it`});
    return out;
  }
  for (const o of set) {
    const r = parse(o.value!);
    if (!r.ok) {
      out.bad.push(evidenceOf(o, `public key: ${r.why}`));
      continue;
    }
    const wrong = privates.filter((pr) => !same(pr.value, r.value));
    if (wrong.length === 0) {
      out.good.push(
        evidenceOf(o, `public key (${r.detail}) matches the private key${privates.length > 1 ? 's' : ''} at ${privates.map((pr) => at(pr.o)).join(', ')}`),
      );
    } else {
      const gives = wrong.map((pr) => `${at(pr.o)} gives ${describe(pr.value)}`).join('; ');
      out.bad.push(evidenceOf(o, `public key (${r.detail}) is not derived from the private key (${gives})`));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// X25519

function key32(v: string): Judged<Buffer> {
  const d = decodeBase64(v);
  if (!d.ok) return d;
  if (d.value.length !== 32) return bad(`decodes to ${d.value.length} bytes, not 32`);
  return d;
}

export const x25519Keypair = defineCheck({
  id: 'format.x25519-keypair',
  summary: 'Every copy of an X25519 private key is base64 of 32 bytes, and every copy of the public key is the one derived from it (NaCl box / sealed box).',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    /** Where the public key is (base64 of 32 bytes). */
    publicKey: SelectorParams,
  }),
  async run(ctx, p) {
    const j = await judgeCopies<Buffer>(ctx, p, p.required, (v) => {
      const d = key32(v);
      if (!d.ok) return bad(`${d.why} (${redact(v)})`);
      const pub = rawPublicKey(d.value, 'x25519');
      if (!pub) return bad(`is not a usable X25519 private key (${redact(v)})`);
      return ok(pub, `X25519 private key, 32 bytes (${redact(v)})`);
    });
    if (j.early) return j.early;
    const pair = await comparePublic(
      ctx,
      p.publicKey,
      j.parsed,
      key32,
      (a, b) => a.equals(b),
      (k) => k.toString('base64'),
    );
    return conclude(j, 'an X25519 private key (base64 of 32 bytes) with its public key', pair.bad, pair.good);
  },
});

// ---------------------------------------------------------------------------------------------
// RSA (PEM)

function rsaPrivate(v: string, minBits: number): Judged<Buffer> {
  const r = parseRsaPrivate(v, minBits);
  return r.ok ? ok(r.value.spki, `RSA ${r.value.bits}-bit private key`) : bad(r.why);
}

function rsaPublic(v: string, minBits: number): Judged<Buffer> {
  const r = parseRsaPublic(v, minBits);
  return r.ok ? ok(r.value.spki, `RSA ${r.value.bits}-bit public key`) : bad(r.why);
}

export const rsaKey = defineCheck({
  id: 'format.rsa-key',
  summary: 'Every copy of a PEM RSA private key parses, has at least minBits, and (optionally) matches a public-key PEM given by another setting or a file.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    minBits: z.number().int().min(512).max(16384).default(2048),
    /** Where the matching public key PEM is set (e.g. JWT_PUBLIC_KEY). */
    publicKey: SelectorParams.optional(),
    /** A public key PEM file, relative to the deployment root. */
    publicFile: z.string().min(1).optional(),
  }),
  async run(ctx, p) {
    const j = await judgeCopies<Buffer>(ctx, p, p.required, (v) => {
      const r = rsaPrivate(v, p.minBits);
      return r.ok ? ok(r.value, `${r.detail} (${redact(v)})`) : bad(`${r.why} (${redact(v)})`);
    });
    if (j.early) return j.early;
    const extraBad: Evidence[] = [];
    const extraGood: Evidence[] = [];
    const parsePub = (v: string) => rsaPublic(v, p.minBits);
    if (p.publicKey) {
      const pair = await comparePublic(ctx, p.publicKey, j.parsed, parsePub, (a, b) => a.equals(b), fingerprint);
      extraBad.push(...pair.bad);
      extraGood.push(...pair.good);
    }
    if (p.publicFile && j.parsed.length > 0) {
      const file = ctx.rel(p.publicFile);
      if (!ctx.isFile(file)) {
        extraBad.push({file, detail: `the public key file ${file} does not exist`});
      } else {
        const r = parsePub(await ctx.readText(file));
        if (!r.ok) extraBad.push({file, detail: `public key file: ${r.why}`});
        else {
          const wrong = j.parsed.filter((pr) => !pr.value.equals(r.value));
          const head = `${r.detail} ${fingerprint(r.value)}`;
          if (wrong.length === 0) extraGood.push({file, detail: `${head} matches the private key`});
          else
            extraBad.push({
              file,
              detail: `${head} is not the public half of the private key (${wrong.map((w) => `${at(w.o)} gives ${fingerprint(w.value)}`).join('; ')})`,
            });
        }
      }
    }
    return conclude(j, `an RSA private key of at least ${p.minBits} bits`, extraBad, extraGood);
  },
});

// ---------------------------------------------------------------------------------------------
// NATS NKEYs (github.com/nats-io/nkeys strkey.go, crc16.go)

/** A value that could be a (mistyped) public key may be shown; anything else is redacted. */
function showNkey(v: string): string {
  return /^[OAUNCX][A-Z2-7]{55}$/.test(v) ? show(v) : redact(v);
}

export const nkey = defineCheck({
  id: 'format.nkey',
  summary: 'Every copy is a NATS NKEY seed or public key of the given role, with a valid CRC16 checksum; a seed can be matched to its public key.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    kind: z.enum(['seed', 'public']),
    /** operator (O), account (A), user (U), server (N), cluster (C), curve (X); any when absent. */
    role: z.enum(['operator', 'account', 'user', 'server', 'cluster', 'curve']).optional(),
    /** kind: seed only: where the public key of this seed is set; each copy must be the one derived. */
    publicKey: SelectorParams.optional(),
  }),
  async run(ctx, p) {
    if (p.publicKey && p.kind !== 'seed') return result('error', 'format.nkey: publicKey applies only with kind: seed');
    const roleOk = (k: Nkey): string | undefined =>
      p.role && NKEY_ROLES[p.role] !== k.letter ? `is for the role ${k.role} (${k.letter}), not ${p.role} (${NKEY_ROLES[p.role]})` : undefined;
    const seedWord = p.role ? `${p.role} seed` : 'seed';
    const j = await judgeCopies<Nkey>(ctx, p, p.required, (v) => {
      const label = p.kind === 'seed' ? redact(v) : showNkey(v);
      const d = decodeNkey(v, p.kind);
      if (!d.ok) return bad(`${d.why} (${label})`);
      const wrongRole = roleOk(d.value);
      if (wrongRole) return bad(`${wrongRole} (${label})`);
      const role = d.value.role;
      if (p.kind === 'public') return ok(d.value, `${role} public key ${label}`);
      const pub = nkeyRawPublic(d.value);
      if (!pub) return bad(`does not give a usable key (${label})`);
      return ok({...d.value, raw: pub}, `${role} seed (${label})`);
    });
    if (j.early) return j.early;
    const what = p.kind === 'seed' ? `an NKEY ${seedWord}` : `an NKEY ${p.role ? `${p.role} ` : ''}public key`;
    if (!p.publicKey) return conclude(j, what);
    const parsePub = (v: string): Judged<Nkey> => {
      const d = decodeNkey(v, 'public');
      return d.ok ? ok(d.value, `${d.value.role} ${showNkey(v)}`) : bad(`${d.why} (${showNkey(v)})`);
    };
    const pair = await comparePublic(
      ctx,
      p.publicKey,
      j.parsed,
      parsePub,
      (a, b) => a.letter === b.letter && a.raw.equals(b.raw),
      (k) => encodeNkeyPublic(k.role, k.raw),
    );
    return conclude(j, what, pair.bad, pair.good);
  },
});

// ---------------------------------------------------------------------------------------------
// Clerk and Svix

export const clerkSecretKey = defineCheck({
  id: 'format.clerk-secret-key',
  summary: 'Every copy is a Clerk secret key (sk_live_…, or sk_test_… when live is false) and not a placeholder.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    /** Production: only sk_live_ keys pass. */
    live: z.boolean().default(true),
  }),
  async run(ctx, p) {
    const j = await judgeCopies(ctx, p, p.required, (v) => {
      const m = /^sk_(live|test)_(.*)$/s.exec(v);
      if (!m) return bad(`does not start with sk_live_ or sk_test_ (${redact(v)})`);
      const mode = m[1]!;
      const rest = m[2]!;
      if (p.live && mode === 'test') return bad(`is a development key (sk_test_…); production needs an sk_live_ key (${redact(v)})`);
      if (rest === '' || isPlaceholder(rest) || /^[x*.]+$/i.test(rest)) return bad(`is a placeholder after sk_${mode}_ (${redact(v)})`);
      if (!/^[A-Za-z0-9]+$/.test(rest)) return bad(`has characters other than letters and digits after sk_${mode}_ (${redact(v)})`);
      if (rest.length < 20) return bad(`is too short for a Clerk key: ${rest.length} characters after sk_${mode}_ (${redact(v)})`);
      return ok(mode, `sk_${mode}_ key (${redact(v)})`);
    });
    return j.early ?? conclude(j, p.live ? 'a Clerk live secret key (sk_live_)' : 'a Clerk secret key (sk_live_ or sk_test_)');
  },
});

export const webhookSecret = defineCheck({
  id: 'format.webhook-secret',
  summary: 'Every copy is a Svix/Clerk webhook signing secret: whsec_ followed by standard base64 of at least minBytes bytes.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    /** Svix generates 24 random bytes (32 base64 characters). */
    minBytes: z.number().int().min(1).max(1024).default(24),
  }),
  async run(ctx, p) {
    const j = await judgeCopies(ctx, p, p.required, (v) => {
      if (!v.startsWith('whsec_')) return bad(`does not start with whsec_ (${redact(v)})`);
      const rest = v.slice('whsec_'.length);
      if (rest === '') return bad('is only the whsec_ prefix, with no secret after it');
      const d = decodeBase64(rest, 'standard', true);
      if (!d.ok) return bad(`after whsec_: ${d.why} (${redact(v)})`);
      if (d.value.length < p.minBytes) return bad(`decodes to ${d.value.length} bytes after whsec_, fewer than ${p.minBytes} (${redact(v)})`);
      return ok(d.value.length, `whsec_ + ${d.value.length} bytes (${redact(v)})`);
    });
    return j.early ?? conclude(j, `a webhook secret (whsec_ + base64 of at least ${p.minBytes} bytes)`);
  },
});

// ---------------------------------------------------------------------------------------------
// URLs and origins

/** Why a host is local, or undefined when it is not. `hostname` as WHATWG URL gives it. */
function localHost(hostname: string): string | undefined {
  const h = hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return 'localhost';
  if (/^127\.\d+\.\d+\.\d+$/.test(h)) return 'a loopback address';
  if (h === '0.0.0.0') return 'the unspecified address 0.0.0.0';
  if (h === '::1') return 'the loopback address ::1';
  if (h === '::') return 'the unspecified address ::';
  if (/^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(h)) return 'an IPv4-mapped loopback address';
  if (h === '::ffff:0:0') return 'an IPv4-mapped unspecified address';
  return undefined;
}

/** Exact host, or `*.example.com` for any subdomain of example.com. */
function hostAllowed(hostname: string, hosts: readonly string[]): boolean {
  const h = hostname.toLowerCase();
  return hosts.some((pattern) => {
    const p = pattern.toLowerCase();
    return p.startsWith('*.') ? h.endsWith(p.slice(1)) && h.length > p.length - 1 : h === p;
  });
}

const UrlRules = {
  /** Do not reject localhost, 127.x, ::1 and 0.0.0.0. */
  allowLocal: z.boolean().default(false),
  /** Only these hosts (exact, or `*.example.com` for subdomains). */
  hosts: z.array(z.string().min(1)).optional(),
};

export const url = defineCheck({
  id: 'format.url',
  summary: 'Every copy is a URL (WHATWG) with an allowed scheme (https by default), not pointing at localhost/loopback, and optionally on allowed hosts.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    ...UrlRules,
    /** Allowed schemes, without `:` (e.g. `tls` for NATS, `https`). */
    schemes: z
      .array(z.string().regex(/^[a-z][a-z0-9+.-]*$/, 'a URL scheme such as https'))
      .min(1)
      .default(['https']),
  }),
  async run(ctx, p) {
    const j = await judgeCopies(ctx, p, p.required, (v) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        return bad(`${showUrl(v)} does not parse as a URL`);
      }
      const shown = showUrl(v, u);
      const scheme = u.protocol.replace(/:$/, '');
      if (!p.schemes.includes(scheme)) return bad(`${shown} uses ${scheme}://, not ${p.schemes.map((s) => `${s}://`).join(' or ')}`);
      if (u.hostname === '') return bad(`${shown} has no host`);
      const local = localHost(u.hostname);
      if (local && !p.allowLocal) return bad(`${shown} points at ${local}, which other machines cannot reach`);
      if (p.hosts && !hostAllowed(u.hostname, p.hosts)) return bad(`${shown} is on host ${u.hostname}, not one of ${p.hosts.join(', ')}`);
      return ok(u, shown);
    });
    return j.early ?? conclude(j, `a ${p.schemes.join('/')} URL${p.allowLocal ? '' : ' on a non-local host'}${p.hosts ? ` on ${p.hosts.join(', ')}` : ''}`);
  },
});

/** What is wrong with one comma-list entry as a browser origin, or undefined when nothing is. */
function originProblem(item: string, p: {allowLocal: boolean; hosts?: string[] | undefined}): string | undefined {
  if (item === '') return 'an empty entry (a stray comma)';
  if (item.includes('*')) return `${show(item)} is a wildcard; list each origin`;
  let u: URL;
  try {
    u = new URL(item);
  } catch {
    return `${showUrl(item)} does not parse as a URL`;
  }
  const shown = showUrl(item, u);
  if (u.protocol !== 'https:') return `${shown} is ${u.protocol.replace(/:$/, '')}://, not https://`;
  if (u.username !== '' || u.password !== '') return `${shown} holds credentials; an origin is https://host[:port] only`;
  if (u.pathname !== '/' || u.search !== '' || u.hash !== '') return `${shown} has a path, query or fragment; an origin is https://host[:port] only`;
  if (item.endsWith('/')) return `${shown} ends with /; browsers send the origin without it`;
  const local = localHost(u.hostname);
  if (local && !p.allowLocal) return `${shown} is ${local}`;
  if (p.hosts && !hostAllowed(u.hostname, p.hosts)) return `${shown} is on host ${u.hostname}, not one of ${p.hosts.join(', ')}`;
  if (item !== u.origin) return `${shown} is not written as browsers send it (${show(u.origin)}): lower-case host, no default port`;
  return undefined;
}

export const origins = defineCheck({
  id: 'format.origins',
  summary: 'Every copy is a comma-separated list of browser origins, each https://host[:port] with no path, no wildcard and no localhost.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    ...UrlRules,
  }),
  async run(ctx, p) {
    const j = await judgeCopies(ctx, p, p.required, (v) => {
      const items = v.split(',').map((s) => s.trim());
      const problems = items.map((i) => originProblem(i, p)).filter((x): x is string => x !== undefined);
      if (problems.length > 0) return bad(problems.join('; '));
      return ok(items, `${items.length} origin${items.length === 1 ? '' : 's'}: ${items.join(', ')}`);
    });
    return j.early ?? conclude(j, 'a comma-separated list of https origins');
  },
});

// ---------------------------------------------------------------------------------------------
// Go durations

const NS: Record<string, number> = {ns: 1, us: 1e3, '\u00b5s': 1e3, '\u03bcs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9};
// Go's largest Duration (2^63 - 1 ns), as the nearest double: durations are compared, not printed.
const MAX_NS = 2 ** 63;

/** Nanoseconds, as Go's time.ParseDuration reads the value, or why it would reject it. */
function parseGoDuration(value: string): {ns: number} | {why: string} {
  let s = value;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return {ns: 0};
  if (s === '') return {why: 'is not a duration'};
  let total = 0;
  while (s !== '') {
    const num = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const whole = num[1] ?? '';
    const frac = num[2];
    if (whole === '' && (frac === undefined || frac === '')) return {why: `has no number before "${s}"`};
    s = s.slice(num[0].length);
    const unit = /^[^0-9.]+/.exec(s)?.[0];
    if (unit === undefined) return {why: 'lacks a unit (ns, us, µs, ms, s, m or h) after its last number'};
    const per = NS[unit];
    if (per === undefined) return {why: `has the unknown unit "${unit}" (use ns, us, µs, ms, s, m or h)`};
    s = s.slice(unit.length);
    total += (Number(whole || '0') + Number(`0.${frac || '0'}`)) * per;
    if (total > MAX_NS) return {why: 'is longer than Go can hold (about 292 years)'};
  }
  return {ns: neg ? -total : total};
}

const GoDuration = z.string().refine((s) => 'ns' in parseGoDuration(s), 'a Go duration such as 300ms, 30s or 1h30m');

export const duration = defineCheck({
  id: 'format.duration',
  summary: 'Every copy is a Go duration (300ms, 1h30m, -1.5h; units ns us µs ms s m h), optionally between min and max.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    min: GoDuration.optional(),
    max: GoDuration.optional(),
  }),
  async run(ctx, p) {
    const bound = (s: string | undefined) => (s === undefined ? undefined : (parseGoDuration(s) as {ns: number}).ns);
    const min = bound(p.min);
    const max = bound(p.max);
    const j = await judgeCopies(ctx, p, p.required, (v) => {
      const d = parseGoDuration(v);
      if ('why' in d) return bad(`${show(v)} ${d.why}`);
      if (min !== undefined && d.ns < min) return bad(`${show(v)} is shorter than the minimum ${p.min}`);
      if (max !== undefined && d.ns > max) return bad(`${show(v)} is longer than the maximum ${p.max}`);
      return ok(d.ns, show(v));
    });
    const range = [p.min && `at least ${p.min}`, p.max && `at most ${p.max}`].filter(Boolean).join(' and ');
    return j.early ?? conclude(j, `a Go duration${range ? ` of ${range}` : ''}`);
  },
});

// ---------------------------------------------------------------------------------------------
// Semantic versions

const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Version {
  core: [bigint, bigint, bigint];
  pre: string[];
}

function parseSemver(v: string): Version | undefined {
  const m = SEMVER.exec(v);
  if (!m) return undefined;
  return {core: [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)], pre: m[4] ? m[4].split('.') : []};
}

/** Semver 2.0.0 precedence (build metadata ignored). */
function compareSemver(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) if (a.core[i] !== b.core[i]) return a.core[i]! < b.core[i]! ? -1 : 1;
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1; // a release ranks above its pre-releases
  if (b.pre.length === 0) return -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) return BigInt(x) < BigInt(y) ? -1 : 1;
    if (xn !== yn) return xn ? -1 : 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

function semverProblem(v: string): string {
  if (/^v\d/i.test(v)) return 'has a leading "v" (set allowV to accept it)';
  const core = v.split(/[-+]/, 1)[0]!;
  const parts = core.split('.');
  if (parts.length !== 3) return `has ${parts.length} dot-separated number${parts.length === 1 ? '' : 's'}; a semantic version is major.minor.patch`;
  if (parts.some((x) => /^0\d/.test(x))) return 'has a number with a leading zero';
  return 'is not a semantic version (major.minor.patch[-pre][+build])';
}

const Semver = z.string().refine((s) => parseSemver(s) !== undefined, 'a semantic version such as 1.2.3');

export const semver = defineCheck({
  id: 'format.semver',
  summary: 'Every copy is a semantic version (x.y.z, optional -pre and +build), optionally at least min.',
  params: z.strictObject({
    ...SelectorShape,
    ...Required,
    min: Semver.optional(),
    /** Accept a leading `v` (v1.2.3). */
    allowV: z.boolean().default(false),
  }),
  async run(ctx, p) {
    const min = p.min === undefined ? undefined : parseSemver(p.min)!;
    const j = await judgeCopies(ctx, p, p.required, (v) => {
      const bare = p.allowV && /^v\d/i.test(v) ? v.slice(1) : v;
      const ver = parseSemver(bare);
      if (!ver) return bad(`${show(v)} ${semverProblem(bare)}`);
      if (min && compareSemver(ver, min) < 0) return bad(`${show(v)} is older than the minimum ${p.min}`);
      return ok(ver, show(v));
    });
    return j.early ?? conclude(j, `a semantic version${p.min ? ` of at least ${p.min}` : ''}`);
  },
});
