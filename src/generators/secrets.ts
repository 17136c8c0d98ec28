import {secretGenerator} from './define.js';
import {lengthOf, PASSWORD_ALPHABET, random, randomString} from './random.js';

// The plain secret generators: a random value, written to every target of the item.

export const hex32 = secretGenerator('hex32', 'Hex of N random bytes (default 32): what `openssl rand -hex 32` prints.', (o) => ({
  value: random(lengthOf(o.length, 32, 16)).toString('hex'),
}));

export const base64url = secretGenerator('base64url', 'Base64url (no padding) of N random bytes (default 32).', (o) => ({
  value: random(lengthOf(o.length, 32, 16)).toString('base64url'),
}));

export const password = secretGenerator(
  'password',
  'A password of N characters (default 32) from an alphabet safe bare in .env files and Compose interpolation (no # = quotes \\ $ or spaces).',
  (o) => ({value: randomString(lengthOf(o.length, 32, 16), PASSWORD_ALPHABET)}),
);

export const jwtHs256 = secretGenerator(
  'jwt-hs256',
  'An HS256 signing secret: 64 random bytes as base64url (HMAC keys should be at least the hash size).',
  (o) => ({
    value: random(lengthOf(o.length, 64, 32)).toString('base64url'),
  }),
);

/** ZITADEL reads exactly 32 characters as its masterkey; letters and digits keep it safe everywhere. */
export const zitadelMasterkey = secretGenerator('zitadel-masterkey', 'A ZITADEL masterkey: exactly 32 random letters and digits.', () => ({
  value: randomString(32, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
  guardExisting: 'ZITADEL encrypts its data with the masterkey: a new one makes every encrypted value unreadable. Replace it only on a fresh installation.',
}));

/** A name that is not a shipped default (a root user, an access key id): a prefix and random letters and digits. */
export const identifier = secretGenerator(
  'identifier',
  'A name no installation shares: an optional prefix and 12 random lower-case letters and digits.',
  (o) => ({
    value: `${o.prefix ?? ''}${randomString(lengthOf(o.length, 12, 8, 64), 'abcdefghijklmnopqrstuvwxyz0123456789')}`,
  }),
);
