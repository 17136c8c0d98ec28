import {UsageError} from '../model/errors.js';
import {DIR, INPUT, PACK, defineCommand} from './define.js';

export const signoff = defineCommand({
  name: 'signoff',
  summary: 'Sign what was checked and answered: an in-toto statement in a DSSE envelope; a second person adds a signature.',
  usage: 'signoff [--dir DIR] [--pack ID|FILE] [--input KEY=VALUE ...] [--key FILE] [--as NAME] [--accept-risk]\n      [--out FILE] [--add-to ENVELOPE]',
  help: `Runs every check again, applies the answers recorded with the deployment, and signs the
result: an in-toto Statement v1 whose subjects are the canonical checklist (RFC 8785 JSON,
shipshape-checklist.json) and every deployment file the checks read (sha256 each), and whose
predicate (https://shipshape.dev/signoff/v1) records the tool and pack versions, the pack's
digest, the inputs, every item's status with its evidence digest, the answers, the waivers, the
signer and the time. It is wrapped in a DSSE envelope (payloadType application/vnd.in-toto+json)
signed with Ed25519, written to --out (atomically) or stdout.

Refuses while a critical item fails, could not be decided or waits for a person, unless
--accept-risk is given; the statement then lists each such item as an accepted risk.

Keys (--key FILE):
  a PEM PKCS#8 Ed25519 private key        signed here (openssl can check it)
  an OpenSSH private key, or a .pub key   signed by ssh-keygen -Y sign -n shipshape, which asks
  held by ssh-agent                       for a passphrase or uses the agent
  none                                    a key made on first use in the config directory
                                          (private, 0600); its public key is printed

--add-to ENVELOPE adds your signature to an existing envelope (operator, then reviewer): the
deployment (--dir) is checked again first, and nothing is signed if it drifted since. The
envelope is rewritten in place unless --out names another file.

Exit codes: 0 signed; 1 refused: a critical item is open, or (with --add-to) the deployment
drifted since the first signature; 2 usage, pack, input or key error.`,
  options: {
    ...DIR,
    ...PACK,
    ...INPUT,
    key: {type: 'string'},
    as: {type: 'string'},
    'accept-risk': {type: 'boolean'},
    out: {type: 'string'},
    'add-to': {type: 'string'},
  },
  async run(v, _pos, io) {
    const [
      {resolve},
      {readFileSync},
      keys,
      dsse,
      {parseStatement, blockingItems, drift, hasDrift, statementBytes},
      {runDeployment, statementOf, rerun, driftLines},
      atomic,
    ] = await Promise.all([
      import('node:path'),
      import('node:fs'),
      import('../attest/keys.js'),
      import('../attest/dsse.js'),
      import('../attest/statement.js'),
      import('../attest/run.js'),
      import('../write/atomicFile.js'),
    ]);
    const asUsage = <T>(f: () => T): T => {
      try {
        return f();
      } catch (err) {
        if (err instanceof keys.KeyError || err instanceof atomic.AtomicWriteError) throw new UsageError(err.message);
        throw err;
      }
    };
    const getSigner = () => asUsage(() => (v.key ? keys.signerFromFile(v.key) : keys.defaultSigner()));
    const sign = async (env: import('../attest/dsse.js').Envelope, payload: Buffer, signer: import('../attest/keys.js').SignerInfo) => {
      try {
        return await dsse.addSignature(env, payload, signer);
      } catch (err) {
        if (err instanceof keys.KeyError) throw new UsageError(err.message);
        throw err;
      }
    };
    const announce = (signer: import('../attest/keys.js').SignerInfo, who: string) => {
      if (!signer.created) return;
      io.err.write(
        `shipshape: made a signing key for you: ${signer.created} (private, 0600). Its public key, for verifiers:\n` +
          `${keys.spkiPem(signer.raw)}` +
          `allowed_signers line: ${JSON.stringify(who)} namespaces="${keys.SSH_NAMESPACE}" ${keys.sshPublicLine(signer.raw)}\n`,
      );
    };
    const write = (text: string, file: string | undefined) => {
      if (file === undefined) io.out.write(text);
      else asUsage(() => atomic.writeFileAtomicSync(resolve(file), text, 0o644));
    };

    if (v['add-to'] !== undefined) {
      if (v.input !== undefined) throw new UsageError('--input goes with a new sign-off; --add-to uses the inputs the envelope records');
      const file = v['add-to'];
      let bytes: Buffer;
      try {
        bytes = readFileSync(resolve(file));
      } catch (err) {
        throw new UsageError(`--add-to ${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      }
      const parsed = dsse.parseEnvelope(bytes);
      if (!parsed.ok) throw new UsageError(`--add-to ${file} ${parsed.why}`);
      const env = parsed.value;
      if (env.payloadType !== dsse.IN_TOTO_PAYLOAD_TYPE)
        throw new UsageError(`--add-to ${file}: the payload type is ${env.payloadType}, not ${dsse.IN_TOTO_PAYLOAD_TYPE}`);
      const st = parseStatement(env.payload);
      if (!st.ok) throw new UsageError(`--add-to ${file}: ${st.why}`);
      const signer = getSigner();
      if (env.signatures.some((s) => s.keyid === signer.keyid)) throw new UsageError(`--add-to ${file} already carries a signature by ${signer.keyid}`);
      const {run, now} = await rerun(st.value, v.dir ?? '.', v.pack);
      const d = drift(st.value, now);
      if (hasDrift(d)) {
        io.err.write(
          `shipshape: ${run.session.root} changed since ${st.value.predicate.signer.name} signed it off; not signing:\n${driftLines(d).join('\n')}\n`,
        );
        return 1;
      }
      const who = v.as?.trim() || (await (await import('../wizard/controller.js')).whoAmI(run.session.root));
      announce(signer, who);
      const next = await sign(env.envelope, env.payload, signer);
      write(dsse.envelopeText(next), v.out ?? file);
      io.err.write(
        `shipshape: ${who} (${signer.keyid}) signed the sign-off by ${st.value.predicate.signer.name}; ${next.signatures.length} signatures in ${v.out ?? file}\n`,
      );
      return 0;
    }

    const run = await runDeployment({dir: v.dir, pack: v.pack, inputs: v.input ?? []});
    const blocking = blockingItems(run.report);
    if (blocking.length > 0 && !v['accept-risk']) {
      io.err.write(`shipshape: not signing: ${blocking.length} critical item${blocking.length === 1 ? ' is' : 's are'} open:\n`);
      for (const i of blocking) io.err.write(`  ${i.status.toUpperCase()} ${i.id}: ${i.message}\n`);
      io.err.write('Fix or answer them (shipshape answer ITEM ...), or sign with --accept-risk to record each as an accepted risk.\n');
      return 1;
    }
    const signer = getSigner();
    const who = v.as?.trim() || (await (await import('../wizard/controller.js')).whoAmI(run.session.root));
    announce(signer, who);
    const statement = statementOf(run, {name: who, keyid: signer.keyid}, new Date().toISOString(), Boolean(v['accept-risk']));
    const payload = statementBytes(statement);
    const signed = await sign({payload: payload.toString('base64'), payloadType: dsse.IN_TOTO_PAYLOAD_TYPE, signatures: []}, payload, signer);
    write(dsse.envelopeText(signed), v.out);
    for (const r of statement.predicate.acceptedRisks)
      io.err.write(`shipshape: accepted risk: ${r.status.toUpperCase()} ${r.item} (${r.severity}): ${r.message}\n`);
    const s = statement.predicate.summary;
    io.err.write(
      `shipshape: ${who} (${signer.keyid}) signed off ${run.session.root} against pack ${run.session.pack.id} ${run.session.pack.version}: ` +
        `${s.pass} pass, ${s.fail} fail, ${s.warn} warn, ${s.error} error, ${s.manual} to confirm, ${s.skip} skipped; ${statement.subject.length - 1} files${v.out ? `; written to ${v.out}` : ''}\n`,
    );
    return 0;
  },
});
