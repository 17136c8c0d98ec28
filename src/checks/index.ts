import {type CheckDef} from './define.js';
import * as compose from './compose.js';
import * as dns from './dns.js';
import * as env from './env.js';
import * as files from './files.js';
import * as formats from './formats.js';
import * as git from './git.js';
import * as helm from './helm.js';
import * as host from './host.js';
import * as http from './http.js';
import * as k8s from './k8s.js';
import * as net from './net.js';
import * as secrets from './secrets.js';
import * as tls from './tls.js';

/** Every check, by id. Adding a check: write it in its family's file; it is picked up here. */
export const FAMILIES = {env, secrets, compose, helm, k8s, git, net, dns, files, tls, http, formats, host} as const;

function build(): Map<string, CheckDef> {
  const map = new Map<string, CheckDef>();
  for (const family of Object.values(FAMILIES)) {
    for (const def of Object.values(family) as CheckDef[]) {
      if (map.has(def.id)) throw new Error(`two checks share the id ${def.id}`);
      map.set(def.id, def);
    }
  }
  return map;
}

export const CHECKS: ReadonlyMap<string, CheckDef> = build();
