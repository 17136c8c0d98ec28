import {backups} from './backups.js';
import {composeHarden} from './compose-harden.js';
import {daemonLogs} from './daemon-json.js';
import {helmValuesHarden} from './helm-values.js';
import type {GeneratorDef} from './define.js';
import {firewall} from './firewall.js';
import {apiKeyBcrypt, ed25519Keypair, nkey, rsaJwtKeypair, x25519Keypair} from './keypairs.js';
import {reverseProxy} from './reverse-proxy.js';
import {base64url, hex32, identifier, jwtHs256, password, zitadelMasterkey} from './secrets.js';

/** Every generator. Adding one: a file with a GeneratorDef, and one line here. */
export const GENERATORS: ReadonlyMap<string, GeneratorDef> = new Map(
  [
    hex32,
    base64url,
    password,
    identifier,
    jwtHs256,
    zitadelMasterkey,
    rsaJwtKeypair,
    x25519Keypair,
    ed25519Keypair,
    nkey,
    apiKeyBcrypt,
    reverseProxy,
    backups,
    firewall,
    composeHarden,
    daemonLogs,
    helmValuesHarden,
  ].map((g) => [g.id, g]),
);
