// DSSE: the PAE against the specification's test vector, strict envelope reading, and signatures
// that verify only over the exact bytes, with the keys given.
import assert from 'node:assert/strict';
import {createPrivateKey, generateKeyPairSync} from 'node:crypto';
import {describe, test} from 'node:test';
import {IN_TOTO_PAYLOAD_TYPE, addSignature, decodeBase64Strict, envelopeText, pae, parseEnvelope, signEnvelope} from '../../src/attest/dsse.js';
import {fingerprint, keyObjectSigner, parsePublicKey, sshPublicLine} from '../../src/attest/keys.js';
import {verifyEnvelope} from '../../src/attest/verify.js';

describe('DSSE PAE', () => {
  test('matches the specification test vector (protocol.md)', () => {
    // secure-systems-lab/dsse protocol.md: PAE("http://example.com/HelloWorld", "hello world")
    const got = pae('http://example.com/HelloWorld', Buffer.from('hello world'));
    assert.equal(got.toString('latin1'), 'DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    assert.deepEqual(
      [...got.subarray(0, 10)],
      [0x44, 0x53, 0x53, 0x45, 0x76, 0x31, 0x20, 0x32, 0x39, 0x20], // "DSSEv1 29 "
    );
  });

  test('counts bytes, not characters, and takes any bytes as the body', () => {
    assert.equal(pae('t', Buffer.from('é', 'utf8')).toString('utf8'), 'DSSEv1 1 t 2 é');
    assert.equal(pae('', Buffer.alloc(0)).toString(), 'DSSEv1 0  0 ');
    const body = Buffer.from([0, 255, 32, 10]);
    assert.deepEqual(pae('x', body).subarray(-4), body);
  });
});

describe('strict base64', () => {
  test('accepts the standard and URL-safe alphabets, padded or not', () => {
    assert.deepEqual(decodeBase64Strict('+/+/'), Buffer.from([0xfb, 0xff, 0xbf]));
    assert.deepEqual(decodeBase64Strict('-_-_'), Buffer.from([0xfb, 0xff, 0xbf]));
    assert.deepEqual(decodeBase64Strict('aGk='), Buffer.from('hi'));
    assert.deepEqual(decodeBase64Strict('aGk'), Buffer.from('hi'));
    assert.deepEqual(decodeBase64Strict(''), Buffer.alloc(0));
  });

  test('refuses text a lenient decoder would read as the same bytes', () => {
    for (const bad of ['aGl=', 'aGk==', 'aG k=', 'a', 'aGk=aGk=', '+/-_', 'aGk*', 'aGk=\n']) assert.equal(decodeBase64Strict(bad), undefined, bad);
  });
});

function newKey() {
  const {privateKey} = generateKeyPairSync('ed25519');
  return keyObjectSigner(privateKey, 'test key');
}

const trustOf = (...signers: ReturnType<typeof newKey>[]) => ({
  keys: signers.map((s, n) => ({...parsePublicKey(sshPublicLine(s.raw, `signer${n + 1}`), `key ${n + 1}`)})),
  allowed: [],
});

describe('envelopes', () => {
  test('a signed envelope verifies with its key and with no other', async () => {
    const s = newKey();
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{"a":1}'), [s]);
    assert.equal(env.signatures[0]!.keyid, fingerprint(s.raw));
    const bytes = Buffer.from(envelopeText(env));
    const parsed = parseEnvelope(bytes);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.payload.toString(), '{"a":1}');
    // The statement is not a sign-off, so the file as a whole does not verify, but the signature does.
    const good = verifyEnvelope(bytes, trustOf(s));
    assert.equal(good.signatures[0]!.ok, true);
    assert.equal(good.signatures[0]!.signer, 'signer1');
    const other = verifyEnvelope(bytes, trustOf(newKey()));
    assert.equal(other.signatures[0]!.ok, false);
    assert.match(other.signatures[0]!.why!, /no key given verifies it/);
  });

  test('several signatures over the same PAE; each is checked on its own', async () => {
    const a = newKey();
    const b = newKey();
    const payload = Buffer.from('{"x":"y"}');
    const env = await addSignature(await signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, [a]), payload, b);
    assert.equal(env.signatures.length, 2);
    const v = verifyEnvelope(Buffer.from(envelopeText(env)), trustOf(a, b));
    assert.deepEqual(
      v.signatures.map((s) => [s.ok, s.signer]),
      [
        [true, 'signer1'],
        [true, 'signer2'],
      ],
    );
    const onlyA = verifyEnvelope(Buffer.from(envelopeText(env)), trustOf(a));
    assert.deepEqual(
      onlyA.signatures.map((s) => s.ok),
      [true, false],
    );
  });

  test('a keyid naming another key than the signer is refused (keyids are never trusted, but must not lie)', async () => {
    const a = newKey();
    const env = await signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{}'), [a]);
    env.signatures[0]!.keyid = fingerprint(newKey().raw);
    const v = verifyEnvelope(Buffer.from(envelopeText(env)), trustOf(a));
    assert.equal(v.signatures[0]!.ok, false);
    assert.match(v.signatures[0]!.why!, /keyid/);
  });

  test('reading is strict: unknown fields, missing signatures, non-canonical base64, bad UTF-8 are refused', () => {
    const ok = {payload: 'e30=', payloadType: IN_TOTO_PAYLOAD_TYPE, signatures: [{keyid: 'k', sig: 'AAAA'}]};
    assert.ok(parseEnvelope(Buffer.from(JSON.stringify(ok))).ok);
    const cases: [unknown, RegExp][] = [
      [{...ok, extra: 1}, /fields a DSSE envelope does not have: extra/],
      [{...ok, signatures: []}, /no signature/],
      [{...ok, signatures: [{sig: 'AAAA', keyie: 'k'}]}, /signature 1 has fields/],
      [{...ok, payload: 'e31='}, /payload that is not canonical base64/],
      [{...ok, payloadType: ''}, /no payloadType/],
      [[ok], /not a JSON object/],
    ];
    for (const [value, why] of cases) {
      const r = parseEnvelope(Buffer.from(JSON.stringify(value)));
      assert.equal(r.ok, false);
      assert.match((r as {why: string}).why, why);
    }
    const r = parseEnvelope(Buffer.concat([Buffer.from(JSON.stringify(ok)), Buffer.from([0xff])]));
    assert.equal(r.ok, false);
    assert.match((r as {why: string}).why, /not UTF-8/);
  });

  test('signatures are deterministic Ed25519 over the PAE (what openssl pkeyutl -rawin checks)', async () => {
    const {privateKey} = generateKeyPairSync('ed25519', {privateKeyEncoding: {type: 'pkcs8', format: 'pem'}, publicKeyEncoding: {type: 'spki', format: 'pem'}});
    const s = keyObjectSigner(createPrivateKey(privateKey), 'pem');
    const payload = Buffer.from('hello world');
    const e1 = await signEnvelope('http://example.com/HelloWorld', payload, [s]);
    const e2 = await signEnvelope('http://example.com/HelloWorld', payload, [s]);
    assert.equal(e1.signatures[0]!.sig, e2.signatures[0]!.sig);
    assert.equal(Buffer.from(e1.signatures[0]!.sig, 'base64').length, 64);
  });
});
