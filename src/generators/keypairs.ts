import {generateEd25519Pair, generateNkey, generateRsaPair, generateX25519Pair, NKEY_ROLES, type NkeyRole} from '../deploy/keys.js';
import {secretGenerator} from './define.js';
import {random} from './random.js';

// Key pairs: the private half is the value, the public half the derived `publicKey`.

export const rsaJwtKeypair = secretGenerator('rsa-jwt-keypair', 'An RSA key pair for JWT signing (PEM, PKCS#8 and SPKI), 2048 or 4096 bits.', async (o) => {
  const bits = o.bits ?? 2048;
  if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw new Error(`bits ${bits}: choose 2048, 3072 or 4096`);
  const pair = await generateRsaPair(bits);
  return {value: pair.privateKey, derived: {publicKey: pair.publicKey}};
});

export const x25519Keypair = secretGenerator('x25519-keypair', 'An X25519 key pair (NaCl sealed box): base64 of the 32 raw bytes of each half.', () => {
  const pair = generateX25519Pair();
  return {value: pair.privateKey, derived: {publicKey: pair.publicKey}};
});

export const ed25519Keypair = secretGenerator('ed25519-keypair', 'An Ed25519 signing key pair (PEM, PKCS#8 and SPKI).', () => {
  const pair = generateEd25519Pair();
  return {value: pair.privateKey, derived: {publicKey: pair.publicKey}};
});

export const nkey = secretGenerator('nkey', 'A NATS NKEY seed and its public key, of a role (default account).', (o) => {
  const role = (o.role ?? 'account') as NkeyRole;
  // Own keys only: `in` would also take `constructor` or `toString` for a role.
  if (!Object.hasOwn(NKEY_ROLES, role)) throw new Error(`role ${o.role}: choose one of ${Object.keys(NKEY_ROLES).join(', ')}`);
  const k = generateNkey(role);
  return {value: k.seed, derived: {publicKey: k.publicKey}};
});

/** An API key is shown once; only its bcrypt hash is written, so the deployment never holds the key. */
export const apiKeyBcrypt = secretGenerator('api-key-bcrypt', 'An API key shown once, with its bcrypt hash written where the targets say.', async () => {
  const {default: bcrypt} = await import('bcryptjs');
  const key = `sk_${random(32).toString('base64url')}`;
  const hash = await bcrypt.hash(key, 12);
  return {value: hash, derived: {hash}, alsoSecret: [key], showOnce: {label: 'API key (shown once, not stored)', value: key}};
});
