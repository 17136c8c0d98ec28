import {X509Certificate, createPrivateKey, createPublicKey} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {isAbsolute} from 'node:path';
import * as tls from 'node:tls';
import {z} from 'zod';
import type {Context} from '../engine/context.js';
import {result, type CheckResult, type Evidence} from '../model/types.js';
import {defineCheck} from './define.js';
import {codeOf, describeSocketError} from './socketError.js';
import {withDeadline} from '../deploy/deadline.js';
import {ipFamily} from '../deploy/ip.js';

// Every export of this module is registered as a check by src/checks/index.ts, so helpers stay private.

const DAY_MS = 86_400_000;

const Endpoint = {
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(443),
  /** The name sent as SNI and checked against the certificate (default: host). */
  servername: z.string().min(1).optional(),
  /** Bounds the whole check, every connection it makes included. */
  timeoutMs: z.number().int().min(50).max(120_000).default(5_000),
};

const Expiry = {
  minDays: z.number().int().min(0).default(14),
  /**
   * A certificate still valid today but inside minDays. Default `warn`: it serves fine now and an
   * ACME client may be about to renew it; a pack that knows renewal is manual can make it `fail`.
   */
  expiring: z.enum(['warn', 'fail']).default('warn'),
};

type EndpointParams = {host: string; port: number; servername?: string | undefined; timeoutMs: number};

/** `host:port`, with IPv6 literals bracketed as in a URL. */
function endpoint(p: {host: string; port: number}): string {
  return `${ipFamily(p.host) === 6 ? `[${p.host}]` : p.host}:${p.port}`;
}

/** The name the certificate must cover; SNI is only sent for DNS names (RFC 6066 forbids IP literals). */
function identity(p: EndpointParams): {name: string; sni: string | undefined} {
  const name = p.servername ?? p.host;
  return {name, sni: ipFamily(name) === 0 ? name : undefined};
}

type Handshake = {ok: true; socket: tls.TLSSocket} | {ok: false; code: string | undefined; why: string};

/**
 * One TLS handshake under a deadline and the caller's signal. Trust and name are never enforced
 * here (the caller judges them), so a bad certificate still yields the details worth reporting.
 * On success the caller owns the socket and must destroy it.
 */
function handshake(opts: tls.ConnectionOptions, deadline: number, signal: AbortSignal): Promise<Handshake> {
  const ms = Math.max(0, deadline - Date.now());
  return withDeadline<Handshake>(
    (stop) =>
      new Promise<Handshake>((resolve) => {
        let socket: tls.TLSSocket | undefined;
        let settled = false;
        const finish = (h: Handshake) => {
          if (settled) return;
          settled = true;
          stop.removeEventListener('abort', onStop);
          if (!h.ok) socket?.destroy();
          resolve(h);
        };
        // The deadline or the caller won: close the half-made connection; the outcome is theirs.
        const onStop = () => finish({ok: false, code: 'ABORTED', why: 'stopped'});
        stop.addEventListener('abort', onStop, {once: true});
        try {
          socket = tls.connect({...opts, rejectUnauthorized: false, checkServerIdentity: () => undefined});
        } catch (err) {
          return finish({ok: false, code: codeOf(err), why: describeSocketError(err)});
        }
        const s = socket;
        s.once('secureConnect', () => finish({ok: true, socket: s}));
        // Stays attached after success so a late reset cannot become an uncaught error.
        s.on('error', (err) => finish({ok: false, code: codeOf(err), why: describeSocketError(err)}));
      }),
    ms,
    () => ({ok: false, code: 'ETIMEDOUT', why: `no TLS handshake within the time limit (${ms} ms)`}),
    signal,
    () => ({ok: false, code: 'ABORTED', why: 'stopped before the handshake finished'}),
  );
}

const TRUST: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'the chain ends in a self-signed root that is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer is not in the trust store',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer is not in the trust store',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'no trusted issuer for the certificate (an unknown CA, or a missing intermediate)',
  CERT_HAS_EXPIRED: 'a certificate in the chain has expired',
  CERT_NOT_YET_VALID: 'a certificate in the chain is not valid yet',
};

/** A path from the pack: relative to the deployment root, or absolute. */
async function readPath(ctx: Context, path: string): Promise<{text: string; shown: string} | {error: string; shown: string}> {
  const abs = isAbsolute(path) ? path : ctx.abs(path);
  const rel = ctx.rel(abs);
  const shown = isAbsolute(path) && rel.startsWith('..') ? path : rel;
  try {
    const buf = await readFile(abs);
    if (buf.length > 1_000_000) return {error: 'larger than 1 MB, not a PEM file', shown};
    return {text: buf.toString('utf8'), shown};
  } catch (err) {
    return {error: codeOf(err) === 'ENOENT' ? 'does not exist' : `cannot read: ${describeSocketError(err)}`, shown};
  }
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ') || '(empty)';
}

interface CertFacts {
  evidence: Evidence[];
  fails: string[];
  warns: string[];
}

/** Subject, issuer, names and validity of a certificate, judged against minDays. */
function judgeCert(cert: X509Certificate, key: string | undefined, file: string | undefined, p: {minDays: number; expiring: 'warn' | 'fail'}): CertFacts {
  const at = {file, key};
  const evidence: Evidence[] = [
    {...at, detail: `subject ${oneLine(cert.subject)}; issuer ${oneLine(cert.issuer)}`},
    {...at, detail: `names ${cert.subjectAltName ?? `none (only the subject CN)`}`},
  ];
  const fails: string[] = [];
  const warns: string[] = [];
  const notAfter = Date.parse(cert.validTo);
  const notBefore = Date.parse(cert.validFrom);
  if (Number.isNaN(notAfter) || Number.isNaN(notBefore)) {
    fails.push(`unreadable validity dates (${cert.validFrom} to ${cert.validTo})`);
    return {evidence, fails, warns};
  }
  const now = Date.now();
  const daysLeft = Math.floor((notAfter - now) / DAY_MS);
  const until = new Date(notAfter).toISOString().slice(0, 10);
  if (notAfter <= now) {
    evidence.push({...at, detail: `notAfter ${until}: expired ${Math.ceil((now - notAfter) / DAY_MS)} days ago`});
    fails.push(`certificate expired on ${until}`);
  } else {
    evidence.push({...at, detail: `notAfter ${until}: ${daysLeft} days left (minimum ${p.minDays})`});
    if (daysLeft < p.minDays)
      (p.expiring === 'fail' ? fails : warns).push(`certificate expires in ${daysLeft} days (on ${until}), under the ${p.minDays}-day minimum`);
  }
  if (notBefore > now) fails.push(`certificate is not valid until ${new Date(notBefore).toISOString().slice(0, 10)}`);
  return {evidence, fails, warns};
}

/** Whether the certificate covers a name, by the same rules Node applies to a connection. */
function covers(cert: X509Certificate, name: string): string | undefined {
  return tls.checkServerIdentity(name, cert.toLegacyObject())?.message;
}

function verdict(where: string, facts: CertFacts, passMessage: string): CheckResult {
  if (facts.fails.length > 0) return result('fail', `${where}: ${[...facts.fails, ...facts.warns].join('; ')}`, facts.evidence);
  if (facts.warns.length > 0) return result('warn', `${where}: ${facts.warns.join('; ')}`, facts.evidence);
  return result('pass', passMessage, facts.evidence);
}

export const certificate = defineCheck({
  id: 'tls.certificate',
  summary:
    "host:port serves a certificate whose chain is trusted (Node's root store, or caFile instead), that covers the host name (SNI) and is valid for at least minDays.",
  params: z.strictObject({
    ...Endpoint,
    ...Expiry,
    /** PEM bundle of the CA(s) to trust instead of Node's root store, e.g. a private CA (relative to the root, or absolute). */
    caFile: z.string().min(1).optional(),
  }),
  timeoutMs: 30_000,
  async run(ctx, p, signal) {
    const deadline = Date.now() + p.timeoutMs;
    const where = endpoint(p);
    const evidence: Evidence[] = [];
    let ca: string | undefined;
    if (p.caFile !== undefined) {
      const f = await readPath(ctx, p.caFile);
      if ('error' in f) return result('error', `${where}: caFile ${f.shown} ${f.error}`, [{file: f.shown, detail: f.error}]);
      ca = f.text;
      evidence.push({file: f.shown, detail: 'CA bundle trusted instead of the root store'});
    }
    const {name, sni} = identity(p);
    const h = await handshake({host: p.host, port: p.port, servername: sni, ca, ALPNProtocols: ['h2', 'http/1.1']}, deadline, signal);
    if (!h.ok) return result('error', `${where}: TLS handshake failed: ${h.why}`, [{key: where, detail: h.why}]);
    const s = h.socket;
    try {
      const x509 = s.getPeerX509Certificate();
      if (!x509) return result('error', `${where}: the server presented no certificate`, [{key: where, detail: 'no certificate'}]);
      const facts = judgeCert(x509, where, undefined, p);
      facts.evidence.unshift(...evidence);
      facts.evidence.push({
        key: where,
        detail: `${s.getProtocol() ?? 'unknown protocol'}, ALPN ${s.alpnProtocol || 'none'}${sni ? `, SNI ${sni}` : ', no SNI (IP address)'}`,
      });

      const trustedBy = ca === undefined ? "Node's root store" : `caFile ${p.caFile}`;
      if (s.authorized) facts.evidence.push({key: where, detail: `chain trusted by ${trustedBy}`});
      else {
        const code = String(s.authorizationError ?? 'unknown');
        const why = TRUST[code] ?? code;
        facts.evidence.push({key: where, detail: `chain not trusted by ${trustedBy}: ${why} (${code})`});
        // An expired leaf is already reported by its dates; OpenSSL stops at that one error.
        if (!(code === 'CERT_HAS_EXPIRED' && facts.fails.some((f) => f.includes('expired')))) facts.fails.push(`not trusted by ${trustedBy}: ${why}`);
      }

      // Not s.getPeerCertificate(): on Node 20 it returns an empty object once getPeerX509Certificate() was called.
      const mismatch = covers(x509, name);
      if (mismatch) {
        facts.fails.push(`does not cover ${name}`);
        facts.evidence.push({key: where, detail: `name ${name} not covered: ${mismatch}`});
      } else facts.evidence.push({key: where, detail: `covers ${name}`});

      const days = Math.floor((Date.parse(x509.validTo) - Date.now()) / DAY_MS);
      return verdict(where, facts, `${where}: trusted certificate for ${name}, ${days} days left`);
    } finally {
      s.destroy();
    }
  },
});

/** Errors that mean this client could not even offer TLS 1.0/1.1: nothing was learned about the server. */
const CANNOT_OFFER = new Set(['ERR_SSL_NO_PROTOCOLS_AVAILABLE', 'ERR_SSL_NO_CIPHERS_AVAILABLE', 'ERR_SSL_NO_CIPHER_MATCH', 'ERR_INVALID_ARG_VALUE']);
/** The server answered with TLS 1.0/1.1 but this client refused to go on: the server accepted it. */
const SERVER_CHOSE_LEGACY = new Set(['ERR_SSL_LEGACY_SIGALG_DISALLOWED_OR_UNSUPPORTED']);
/** The server turned the legacy hello down. */
const REFUSED = new Set([
  'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  'ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ECONNRESET',
  'EPIPE',
]);

export const protocols = defineCheck({
  id: 'tls.protocols',
  summary: 'host:port refuses TLS 1.0 and 1.1: a second handshake that offers only those versions must fail.',
  params: z.strictObject({...Endpoint}),
  timeoutMs: 30_000,
  async run(_ctx, p, signal) {
    const deadline = Date.now() + p.timeoutMs;
    const where = endpoint(p);
    const {sni} = identity(p);
    // First a normal handshake: a legacy probe that fails against something that is not TLS at all proves nothing.
    const modern = await handshake({host: p.host, port: p.port, servername: sni}, deadline, signal);
    // A TLS-level refusal may come from a server that speaks only TLS 1.0/1.1: the probe below tells.
    if (!modern.ok && !modern.code?.startsWith('ERR_SSL_'))
      return result('error', `${where}: TLS handshake failed: ${modern.why}`, [{key: where, detail: modern.why}]);
    const negotiated = modern.ok ? (modern.socket.getProtocol() ?? 'unknown') : undefined;
    if (modern.ok) modern.socket.destroy();
    const evidence: Evidence[] = [
      {key: where, detail: modern.ok ? `a current client negotiates ${negotiated}` : `a current client (TLS 1.2+) failed: ${modern.why}`},
    ];

    // OpenSSL 3 refuses TLS < 1.2 at security level 1 (SHA-1 signatures), so the probe lowers it
    // to 0; otherwise a server that does accept TLS 1.1 would look as if it refused.
    const legacy = await handshake(
      {host: p.host, port: p.port, servername: sni, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0'},
      deadline,
      signal,
    );
    if (legacy.ok) {
      const version = legacy.socket.getProtocol() ?? 'TLS 1.0/1.1';
      legacy.socket.destroy();
      evidence.push({key: where, detail: `a client offering only TLS 1.0-1.1 completed a handshake with ${version}`});
      return result('fail', `${where} accepts ${version}${modern.ok ? '' : ', and no current version'}`, evidence);
    }
    const code = legacy.code ?? '';
    if (!modern.ok && !SERVER_CHOSE_LEGACY.has(code)) {
      evidence.push({key: where, detail: `the TLS 1.0-1.1 probe failed too: ${legacy.why}`});
      return result('error', `${where}: TLS handshake failed: ${modern.why}`, evidence);
    }
    if (SERVER_CHOSE_LEGACY.has(code)) {
      evidence.push({key: where, detail: `the server answered a TLS 1.0-1.1 hello with a legacy handshake; this client then stopped (${legacy.why})`});
      return result('fail', `${where} accepts TLS 1.0 or 1.1`, evidence);
    }
    if (CANNOT_OFFER.has(code)) {
      evidence.push({key: where, detail: `could not probe: this Node/OpenSSL (${process.versions.openssl}) cannot offer TLS 1.0-1.1: ${legacy.why}`});
      return result('error', `${where}: could not test TLS 1.0/1.1, this client cannot offer them`, evidence);
    }
    if (REFUSED.has(code)) {
      evidence.push({key: where, detail: `a client offering only TLS 1.0-1.1 was refused: ${legacy.why}`});
      return result('pass', `${where} refuses TLS 1.0 and 1.1 (negotiates ${negotiated})`, evidence);
    }
    evidence.push({key: where, detail: `the TLS 1.0-1.1 probe ended without telling: ${legacy.why}`});
    return result('error', `${where}: could not tell whether TLS 1.0/1.1 is accepted: ${legacy.why}`, evidence);
  },
});

export const alpn = defineCheck({
  id: 'tls.alpn',
  summary: 'host:port selects the ALPN protocol (default h2, HTTP/2) when a client offers it with http/1.1; the certificate is not judged here.',
  params: z.strictObject({
    ...Endpoint,
    /** ZITADEL's gRPC API needs HTTP/2 end to end, so its pack requires h2. */
    protocol: z.string().min(1).default('h2'),
  }),
  timeoutMs: 30_000,
  async run(_ctx, p, signal) {
    const where = endpoint(p);
    const offered = [...new Set([p.protocol, 'http/1.1'])];
    const h = await handshake({host: p.host, port: p.port, servername: identity(p).sni, ALPNProtocols: offered}, Date.now() + p.timeoutMs, signal);
    if (!h.ok) return result('error', `${where}: TLS handshake failed: ${h.why}`, [{key: where, detail: h.why}]);
    const chosen = h.socket.alpnProtocol;
    const version = h.socket.getProtocol() ?? 'unknown';
    h.socket.destroy();
    const evidence = [{key: where, detail: `offered ${offered.join(', ')}; server selected ${chosen || 'nothing (no ALPN)'} over ${version}`}];
    if (chosen === p.protocol) return result('pass', `${where} selects ${p.protocol}`, evidence);
    return result('fail', `${where} does not select ${p.protocol} (got ${chosen || 'no ALPN'})`, evidence);
  },
});

export const pemFile = defineCheck({
  id: 'tls.pem-file',
  summary: 'A PEM certificate file parses, is valid for at least minDays, covers the given hosts and matches its private key file.',
  params: z.strictObject({
    /** The certificate (first block is the leaf; a chain may follow), relative to the root or absolute. */
    file: z.string().min(1),
    /** The private key; only its public half is compared, nothing of it is printed. */
    keyFile: z.string().min(1).optional(),
    /** Names or IP addresses the certificate must cover. */
    hosts: z.array(z.string().min(1)).default([]),
    ...Expiry,
  }),
  async run(ctx, p) {
    const f = await readPath(ctx, p.file);
    if ('error' in f) return result('error', `${f.shown} ${f.error}`, [{file: f.shown, detail: f.error}]);
    const blocks = f.text.match(/-----BEGIN CERTIFICATE-----/g)?.length ?? 0;
    if (blocks === 0) return result('error', `${f.shown} holds no PEM certificate`, [{file: f.shown, detail: 'no BEGIN CERTIFICATE block'}]);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(f.text);
    } catch (err) {
      return result('error', `${f.shown}: the certificate does not parse: ${describeSocketError(err)}`, [{file: f.shown, detail: describeSocketError(err)}]);
    }
    const facts = judgeCert(cert, undefined, f.shown, p);
    if (blocks > 1) facts.evidence.push({file: f.shown, detail: `${blocks} certificates; the first is judged`});

    for (const host of p.hosts) {
      const why = covers(cert, host);
      if (why) facts.fails.push(`does not cover ${host}`);
      facts.evidence.push({file: f.shown, detail: why ? `name ${host} not covered: ${why}` : `covers ${host}`});
    }

    if (p.keyFile !== undefined) {
      const k = await readPath(ctx, p.keyFile);
      if ('error' in k) return result('error', `keyFile ${k.shown} ${k.error}`, [...facts.evidence, {file: k.shown, detail: k.error}]);
      let spki: Buffer;
      try {
        spki = createPublicKey(createPrivateKey(k.text)).export({type: 'spki', format: 'der'});
      } catch (err) {
        // OpenSSL's reason only: the message never quotes the key.
        // OpenSSL 3 reports a missing passphrase as `interrupted or cancelled`, so the PEM header decides.
        const encrypted = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(k.text) || codeOf(err) === 'ERR_MISSING_PASSPHRASE';
        const why = encrypted ? 'the key is encrypted; cannot compare without its passphrase' : `not a readable private key (${describeSocketError(err)})`;
        return result('error', `${k.shown}: ${why}`, [...facts.evidence, {file: k.shown, detail: why}]);
      }
      const match = spki.equals(cert.publicKey.export({type: 'spki', format: 'der'}));
      facts.evidence.push({
        file: k.shown,
        detail: match ? `private key matches the certificate's public key` : `private key belongs to a different public key`,
      });
      if (!match) facts.fails.push(`${k.shown} is not the key of this certificate`);
    }
    const days = Math.floor((Date.parse(cert.validTo) - Date.now()) / DAY_MS);
    return verdict(f.shown, facts, `${f.shown}: certificate valid for ${days} more days${p.keyFile ? ', key matches' : ''}`);
  },
});
