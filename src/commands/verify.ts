import {UsageError} from '../model/errors.js';
import {DIR, PACK, defineCommand} from './define.js';

export const verify = defineCommand({
  name: 'verify',
  summary: 'Check a sign-off envelope: every signature, each signer against the keys you trust, and (--dir) drift since.',
  usage: 'verify FILE (--key PUB ... | --allowed-signers FILE) [--dir DIR] [--pack ID|FILE]',
  help: `Checks a sign-off written by shipshape signoff: every signature over the exact DSSE PAE
bytes, each signer against the keys you trust, and the statement's shape (an in-toto Statement
v1 whose checklist subject matches its items).

  --key PUB              a trusted public key: PEM SPKI, or an OpenSSH public key line; repeat it
  --allowed-signers FILE an OpenSSH allowed_signers file (as git uses for SSH commit signing);
                         a line with namespaces= must allow "shipshape"; valid-after and
                         valid-before are judged at the current time

With --dir, hashes the deployment's files again and re-runs the checks with the pack and inputs
the statement records (--pack overrides the pack), and reports drift since the sign-off, file by
file and item by item.

Exit codes: 0 every signature verifies with a trusted key (and no drift); 1 drift since the
sign-off; 2 usage error (no trusted key given, a file that cannot be read); 4 a signature does not
verify, a signer is not among the keys given, or the file is not a well-formed sign-off.`,
  options: {...DIR, ...PACK, key: {type: 'string', multiple: true}, 'allowed-signers': {type: 'string'}},
  positionals: {min: 1, max: 1},
  async run(v, [file], io) {
    if (!v.key?.length && v['allowed-signers'] === undefined) {
      throw new UsageError('say which keys you trust: --key PUB (repeatable) or --allowed-signers FILE');
    }
    const [{readFileSync}, {resolve}, keys, {verifyEnvelope}, {drift, hasDrift}, {rerun, driftLines}] = await Promise.all([
      import('node:fs'),
      import('node:path'),
      import('../attest/keys.js'),
      import('../attest/verify.js'),
      import('../attest/statement.js'),
      import('../attest/run.js'),
    ]);
    const read = (f: string, flag: string): Buffer => {
      try {
        return readFileSync(resolve(f));
      } catch (err) {
        throw new UsageError(`${flag}${f}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
    };
    let trust: import('../attest/verify.js').Trust;
    try {
      const given = (v.key ?? []).map((k) => keys.parsePublicKey(read(k, '--key ').toString('utf8'), k));
      const allowed =
        v['allowed-signers'] === undefined
          ? []
          : keys.parseAllowedSigners(read(v['allowed-signers'], '--allowed-signers ').toString('utf8'), v['allowed-signers']);
      trust = {keys: given, allowed};
    } catch (err) {
      if (err instanceof keys.KeyError) throw new UsageError(err.message);
      throw err;
    }
    const bytes = read(file!, '');
    const result = verifyEnvelope(bytes, trust);
    const out: string[] = [];
    for (const s of result.signatures) {
      const kind = s.kind === 'sshsig' ? 'SSH signature' : s.kind === 'ed25519' ? 'Ed25519 signature' : 'signature';
      out.push(
        s.ok
          ? `signature ${s.index}: good ${kind} by ${s.signer} (${s.keyid})`
          : `signature ${s.index}: BAD ${kind}${s.keyid ? ` (${s.keyid})` : ''}: ${s.why}`,
      );
    }
    if (result.problem) out.push(`${file}: ${result.problem}`);
    const st = result.statement;
    if (st) {
      const p = st.predicate;
      const sum = p.summary;
      out.push(
        `statement: ${p.pack.id} ${p.pack.version} (pack sha256 ${p.pack.digest.sha256.slice(0, 12)}…) on ${p.deployment.root}, signed off by ${p.signer.name} at ${p.signedAt}`,
        `  ${p.result}: ${sum.pass} pass, ${sum.fail} fail, ${sum.warn} warn, ${sum.error} error, ${sum.manual} to confirm, ${sum.skip} skipped; ${st.subject.length - 1} files`,
      );
      for (const r of p.acceptedRisks) out.push(`  accepted risk: ${r.status.toUpperCase()} ${r.item} (${r.severity}): ${r.message}`);
      for (const w of p.waivers)
        out.push(`  waiver: ${w.item} by ${w.by}${w.owner ? `, owner ${w.owner}` : ''}${w.expires ? `, until ${w.expires}` : ''}: ${w.reason}`);
    }
    if (!result.ok) {
      io.out.write(`${out.join('\n')}\n`);
      io.err.write(`shipshape: ${file} does NOT verify\n`);
      return 4;
    }
    const names = result.signatures.map((s) => s.signer).join('; ');
    out.push(`verified: ${result.signatures.length} signature${result.signatures.length === 1 ? '' : 's'} (${names})`);
    if (v.dir === undefined) {
      io.out.write(`${out.join('\n')}\n`);
      return 0;
    }
    const {run, now} = await rerun(st!, v.dir, v.pack);
    const d = drift(st!, now);
    if (hasDrift(d)) {
      out.push(`drift in ${run.session.root} since the sign-off:`, ...driftLines(d));
      io.out.write(`${out.join('\n')}\n`);
      return 1;
    }
    out.push(`no drift in ${run.session.root}: ${now.subject.length - 1} files and ${now.predicate.items.length} items as signed`);
    io.out.write(`${out.join('\n')}\n`);
    return 0;
  },
});
