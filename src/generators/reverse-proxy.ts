import {posix} from 'node:path';
import type {Context} from '../engine/context.js';
import {type ComposeModel, imageBaseName} from '../sources/compose.js';
import {defineGenerator, type GeneratorOptions} from './define.js';
import {ABS_PATH, DOMAIN, HOST_PORT, nothing, outputPaths, readTemplate, render, safeRel, wholeFiles} from './template.js';

// The reverse proxy in front of a deployment, from templates/proxy: a Caddyfile or an nginx
// server file. What differs by system is the hop to the app:
// - zitadel: HTTP/2 without TLS (h2c) or gRPC, with the client's Host header kept;
// - mcp (the Discord bot's MCP gateway): Server-Sent Events, unbuffered and with a long read
//   timeout, and the Authorization header passed on;
// - web: a plain proxy that passes the Authorization header on.

const SYSTEMS = ['zitadel', 'mcp', 'web'] as const;
type System = (typeof SYSTEMS)[number];

/** Which system a pack's deployment is, for the proxy. */
const SYSTEM_OF_PACK: Record<string, System> = {zitadel: 'zitadel', 'discord-mcp-bot': 'mcp'};

/** Where each system listens on the host when the pack says nothing else. */
const DEFAULT_UPSTREAM: Partial<Record<System, string>> = {
  // ZITADEL's own port; the checklist has it behind the proxy.
  zitadel: '127.0.0.1:8080',
  // The bot's Compose file binds the MCP gateway to 127.0.0.1:9100.
  mcp: '127.0.0.1:9100',
};

const PURPOSE: Record<System, string> = {
  zitadel: 'TLS for clients, HTTP/2 without TLS (h2c) to ZITADEL, the Host header kept',
  mcp: 'TLS for clients, Server-Sent Events streamed unbuffered with a long read timeout, the Authorization header passed on',
  web: 'TLS for clients, the Authorization header passed on',
};

/** Keys that name the public address, in the order they are believed. */
const DOMAIN_KEYS = ['ZITADEL_EXTERNALDOMAIN', 'DOMAIN', 'PUBLIC_DOMAIN', 'EXTERNAL_DOMAIN'];

/** Seconds a Server-Sent Events stream may stay quiet: an hour, where nginx's default is 60 s. */
const DEFAULT_TIMEOUT = 3600;

export const reverseProxy = defineGenerator({
  id: 'reverse-proxy',
  config: true,
  summary:
    'A Caddyfile or nginx server file from templates/proxy: TLS, HTTP to HTTPS, HSTS, the Authorization header passed on, Server-Sent Events unbuffered with a long read timeout, h2c / gRPC to ZITADEL with the Host header kept.',
  async generate({ctx, into, options, edits}) {
    const system = (options.system ?? SYSTEM_OF_PACK[ctx.pack.id] ?? 'web') as System;
    if (!SYSTEMS.includes(system)) throw new Error(`system ${options.system}: choose ${SYSTEMS.join(', ')}`);
    const model = await ctx.compose().catch(() => undefined);
    const inCompose = composeProxy(ctx, model);
    const variant = options.variant ?? inCompose?.variant ?? (ctx.isFile('Caddyfile') || ctx.isFile('proxy/Caddyfile') ? 'caddy' : undefined) ?? 'caddy';
    if (variant !== 'caddy' && variant !== 'nginx') throw new Error(`variant ${variant}: choose caddy or nginx`);
    // The proxy's own Compose service reads its config from a mounted file or directory: that is
    // where the file goes, and the app is reached by its service name on the Compose network.
    const mounted = inCompose?.variant === variant ? inCompose : undefined;

    const found = options.domain === undefined ? await domainOf(ctx) : {value: options.domain, where: 'the pack'};
    if (!found)
      return nothing(
        `no public name for the proxy: set DOMAIN=your.name in .env${system === 'zitadel' ? " (or ZITADEL's ExternalDomain)" : ''}, or domain: in the item's generate entry, and generate again`,
      );
    if (!DOMAIN.test(found.value)) {
      const why = `${found.value} (from ${found.where}) is not a DNS name a certificate can be issued for`;
      if (options.domain !== undefined) throw new Error(why);
      return nothing(`${why}: set DOMAIN in .env (or domain: in the item's generate entry) to the public name, and generate again`);
    }
    const domain = found.value.toLowerCase();

    const upstream = options.upstream ?? (mounted ? appService(model, system) : undefined) ?? DEFAULT_UPSTREAM[system];
    if (upstream === undefined) return nothing(`no upstream for the proxy: give upstream: HOST:PORT in the item's generate entry`);
    const port = HOST_PORT.exec(upstream);
    if (!port || Number(port[1]) < 1 || Number(port[1]) > 65535) throw new Error(`upstream ${upstream}: write HOST:PORT, e.g. 127.0.0.1:8080`);

    const tls = certificates(options, variant, domain);
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 7 * 86400) throw new Error(`timeout ${timeout}: seconds between 1 and a week`);

    const path = safeRel(
      options.file ??
        outputPaths(into)[0] ??
        (mounted ? await mountedTarget(ctx, mounted, domain) : undefined) ??
        (variant === 'caddy' ? 'proxy/Caddyfile' : `proxy/${domain}.conf`),
    );
    const text = render(
      readTemplate(variant === 'caddy' ? 'proxy/Caddyfile' : 'proxy/nginx.conf'),
      {
        domain,
        purpose: PURPOSE[system],
        upstream,
        certificate: tls.certificate,
        certificateKey: tls.certificateKey,
        timeout,
        zitadel: system === 'zitadel',
        mcp: system === 'mcp',
        web: system === 'web',
      },
      variant,
    );
    const notes = [
      ...tls.notes,
      ...(mounted
        ? [`${path} is what the ${mounted.service} service reads: restart it (docker compose restart ${mounted.service})`]
        : nextSteps(variant, path, system, domain)),
    ];
    if (mounted && options.certificate === undefined && variant === 'nginx')
      notes.push(`mount /etc/letsencrypt into the ${mounted.service} service (read-only), or give certificate and certificateKey`);
    if (mounted && !mounted.published.includes('80'))
      notes.push(
        `the ${mounted.service} service does not publish port 80: add "80:80" to its ports so plain HTTP gets the redirect${variant === 'caddy' ? ' (and Caddy its certificate)' : ''}`,
      );
    if (system === 'zitadel' && mounted) notes.push(...nextSteps(variant, path, system, domain).slice(1));
    if (found.where !== 'the pack') notes.unshift(`the public name ${domain} comes from ${found.where}`);
    return wholeFiles(ctx, edits, [{path, text, what: `${variant === 'caddy' ? 'Caddyfile' : 'nginx server file'} for ${domain}`}], notes);
  },
});

/** The certificate paths: both or neither; Caddy gets its own without them, nginx is given Let's Encrypt's usual place. */
function certificates(o: GeneratorOptions, variant: string, domain: string): {certificate?: string; certificateKey?: string; notes: string[]} {
  if ((o.certificate === undefined) !== (o.certificateKey === undefined)) throw new Error('give both certificate and certificateKey, or neither');
  for (const p of [o.certificate, o.certificateKey])
    if (p !== undefined && !ABS_PATH.test(p)) throw new Error(`${p}: an absolute path without spaces or quotes`);
  if (o.certificate !== undefined) return {certificate: o.certificate, certificateKey: o.certificateKey, notes: []};
  if (variant === 'caddy') return {notes: [`Caddy obtains the certificate for ${domain} itself: ports 80 and 443 must reach it from the internet`]};
  return {
    certificate: `/etc/letsencrypt/live/${domain}/fullchain.pem`,
    certificateKey: `/etc/letsencrypt/live/${domain}/privkey.pem`,
    notes: [
      `the certificate is expected where certbot puts it (certbot certonly --webroot or --nginx -d ${domain}); give certificate and certificateKey for other paths`,
    ],
  };
}

function nextSteps(variant: string, path: string, system: System, domain: string): string[] {
  const out =
    variant === 'caddy'
      ? [
          `install it: copy ${path} to /etc/caddy/Caddyfile (or import it from there), then caddy validate --config /etc/caddy/Caddyfile && systemctl reload caddy`,
        ]
      : [`install it: copy ${path} to /etc/nginx/conf.d/, then nginx -t && systemctl reload nginx`];
  if (system === 'zitadel')
    out.push(
      `ZITADEL behind it: ExternalDomain ${domain}, ExternalPort 443, ExternalSecure true, start with --tlsMode external, and run zitadel setup after changing any of them`,
    );
  if (system === 'mcp') out.push(`MCP clients on other machines use https://${domain}/ with their bearer token; keep the gateway itself bound to 127.0.0.1`);
  return out;
}

const PROXY_IMAGES: Record<string, 'caddy' | 'nginx'> = {caddy: 'caddy', nginx: 'nginx', 'nginx-unprivileged': 'nginx', openresty: 'nginx'};

interface ComposeProxy {
  variant: 'caddy' | 'nginx';
  service: string;
  /** The mounted config, relative to the deployment: a file, or a directory of them. */
  rel: string;
  isDir: boolean;
  /** Host ports the service publishes. */
  published: string[];
}

/** A Compose service running Caddy or nginx with its config mounted from the deployment, if any. */
function composeProxy(ctx: Context, model: ComposeModel | undefined): ComposeProxy | undefined {
  for (const svc of model?.services.values() ?? []) {
    const variant = svc.image ? PROXY_IMAGES[imageBaseName(svc.image.value)] : undefined;
    if (!variant) continue;
    for (const v of svc.volumes) {
      if (!v.source?.startsWith('.')) continue;
      const rel = posix.normalize(posix.join(posix.dirname(v.file), v.source)).replace(/\/+$/, '');
      if (rel === '..' || rel.startsWith('../') || rel.startsWith('/')) continue;
      const kind = ctx.lookup(rel).kind;
      if (kind === 'missing') continue;
      const isDir = kind !== 'file';
      const name = posix.basename(rel);
      if (!isDir && !(variant === 'caddy' ? name === 'Caddyfile' || name.endsWith('.Caddyfile') : name.endsWith('.conf'))) continue;
      return {variant, service: svc.name, rel, isDir, published: svc.ports.map((p) => p.published ?? '')};
    }
  }
  return undefined;
}

/** The file to write in the mounted config: the one file there is, or a new one beside the others. */
async function mountedTarget(ctx: Context, p: ComposeProxy, domain: string): Promise<string> {
  if (!p.isDir) return p.rel;
  if (p.variant === 'caddy') return `${p.rel}/Caddyfile`;
  const confs = (await ctx.glob([`${p.rel}/*.conf`])).filter((f) => posix.dirname(f) === p.rel);
  return confs.length === 1 ? confs[0]! : `${p.rel}/${domain}.conf`;
}

/** The app's service and port on the Compose network, for a proxy that runs there too. */
function appService(model: ComposeModel | undefined, system: System): string | undefined {
  const services = [...(model?.services.values() ?? [])];
  if (system === 'zitadel') {
    // The serving ZITADEL (not a one-shot init or setup service); it listens on 8080.
    const z = services.filter((s) => s.image && imageBaseName(s.image.value) === 'zitadel');
    const serving = z.find((s) => !/(^|-)(init|setup)$/.test(s.name)) ?? z[0];
    return serving ? `${serving.name}:8080` : undefined;
  }
  if (system === 'mcp') {
    const gw = services.find((s) => /gateway/.test(s.name));
    const port = gw?.environment.get('GATEWAY_PORT')?.value ?? '9100';
    return gw && /^\d{1,5}$/.test(port) ? `${gw.name}:${port}` : undefined;
  }
  return undefined;
}

/** The public name from the deployment's files: a Compose service's environment, then the .env. */
async function domainOf(ctx: Context): Promise<{value: string; where: string} | undefined> {
  const model = await ctx.compose().catch(() => undefined);
  const env = ctx.isFile('.env') ? await ctx.envFile('.env').catch(() => undefined) : undefined;
  for (const key of DOMAIN_KEYS) {
    for (const svc of model?.services.values() ?? []) {
      const v = svc.environment.get(key);
      if (v?.value) return {value: v.value.trim(), where: `${key} of ${svc.name} in ${v.file}`};
    }
    const v = env?.entries.get(key)?.value;
    if (v) return {value: v.trim(), where: `${key} in .env`};
  }
  return undefined;
}
