import {constants, createCipheriv, createPublicKey, type KeyObject, publicEncrypt, randomBytes, X509Certificate} from 'node:crypto';

/**
 * Sealed Secrets' encryption, as the controller decrypts it (bitnami-labs/sealed-secrets,
 * pkg/crypto HybridEncrypt): a fresh 32-byte session key encrypted with RSA-OAEP (SHA-256,
 * the scope's label), then the value under AES-256-GCM with that key and a zero nonce (the key
 * is used once). The bytes are: the RSA ciphertext's length (2 bytes, big-endian), the RSA
 * ciphertext, the AES ciphertext with its 16-byte tag. Done here rather than by running
 * kubeseal: it needs only the controller's public certificate, works offline, and the value
 * never passes through another process's arguments or pipes.
 */

/** Who may unseal: strict (this name in this namespace, the default), namespace-wide, or cluster-wide. */
export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

/** The OAEP label the controller checks: `namespace/name` (strict), `namespace`, or empty (cluster-wide). */
export function sealingLabel(namespace: string, name: string, scope: SealingScope = 'strict'): Buffer {
  if (scope === 'cluster-wide') return Buffer.alloc(0);
  if (scope === 'namespace-wide') return Buffer.from(namespace, 'utf8');
  return Buffer.from(`${namespace}/${name}`, 'utf8');
}

export function hybridEncrypt(publicKey: KeyObject, plaintext: Buffer, label: Buffer): Buffer {
  const sessionKey = randomBytes(32);
  const rsa = publicEncrypt({key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label}, sessionKey);
  const cipher = createCipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(rsa.length);
  return Buffer.concat([length, rsa, body]);
}

/** What `kubeseal --fetch-cert` prints (an X.509 certificate), or a bare RSA public key in PEM. */
export function sealingKeyFrom(pem: string, file = 'the certificate'): KeyObject {
  let key: KeyObject;
  try {
    key = pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
  } catch (err) {
    throw new Error(`${file} is not a certificate or public key in PEM (${(err as Error).message}); save it with kubeseal --fetch-cert > FILE`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new Error(`${file} holds a ${key.asymmetricKeyType} key; the Sealed Secrets controller's key is RSA`);
  return key;
}

/** One value sealed for `namespace/name` and base64-encoded, as a SealedSecret's encryptedData holds it. */
export function sealValue(publicKey: KeyObject, value: string, namespace: string, name: string, scope: SealingScope = 'strict'): string {
  return hybridEncrypt(publicKey, Buffer.from(value, 'utf8'), sealingLabel(namespace, name, scope)).toString('base64');
}
