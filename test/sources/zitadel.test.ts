// The ZITADEL settings model (src/sources/zitadel.ts): setting names, command words, precedence
// of defaults, --config files, --steps files, environment and flags, where each value was
// written, the masterkey's source, the Helm chart's values, and the small proxy parsers.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {Context} from '../../src/engine/context.js';
import {
  canonicalPath,
  domainProblem,
  envNameOf,
  flattenConfig,
  judgeEnvName,
  parseCaddyfile,
  parseCommand,
  parseDsn,
  parseNginx,
  parseTraefikFile,
  readZitadel,
  splitWords,
  type Runtime,
  type Token,
  type ZitadelModel,
} from '../../src/sources/zitadel.js';
import {CONFIG_PATHS, DEFAULTS, STEPS_PATHS, UPSTREAM} from '../../src/sources/zitadel-settings.js';
import {parseYaml} from '../../src/sources/yamlDoc.js';
import {lines, testPack, tempDir, writeFiles} from '../support/helpers.js';

const HELM = {helmValues: ['values.yaml']};

async function modelOf(files: Record<string, string>, packFiles: Record<string, unknown> = {}): Promise<ZitadelModel> {
  const dir = tempDir('shipshape-zitadel-src-');
  writeFiles(dir, files);
  return readZitadel(new Context(dir, testPack(packFiles), {}));
}

function runtime(m: ZitadelModel, name: string): Runtime {
  const r = m.runtimes.find((x) => x.name === name);
  assert.ok(r, `no runtime ${name}; have ${m.runtimes.map((x) => x.name).join(', ')}`);
  return r;
}

const tok = (value: string): Token => ({value, raw: value, refs: [], usedDefault: false});

describe('setting names', () => {
  test('the generated list comes from the upstream files and holds the settings the pack judges', () => {
    assert.equal(UPSTREAM.repository, 'zitadel/zitadel');
    assert.ok(CONFIG_PATHS.length > 500, `only ${CONFIG_PATHS.length} config paths`);
    assert.ok(STEPS_PATHS.includes('FirstInstance.Org.Human.Password'));
    for (const path of Object.keys(DEFAULTS)) assert.ok(CONFIG_PATHS.includes(path) || STEPS_PATHS.includes(path), path);
    assert.equal(DEFAULTS.ExternalDomain, 'localhost');
    assert.equal(DEFAULTS['FirstInstance.Org.Human.Password'], 'Password1!');
    assert.equal(DEFAULTS['Database.postgres.Admin.Password'], 'postgres');
  });

  test('variables are the path upper-cased with underscores', () => {
    assert.equal(envNameOf('Database.postgres.User.Password'), 'ZITADEL_DATABASE_POSTGRES_USER_PASSWORD');
    for (const [name, path] of [
      ['ZITADEL_EXTERNALDOMAIN', 'ExternalDomain'],
      ['ZITADEL_DATABASE_POSTGRES_USER_PASSWORD', 'Database.postgres.User.Password'],
      ['ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASSWORD', 'FirstInstance.Org.Human.Password'],
      ['zitadel_externalsecure', 'ExternalSecure'],
    ] as const) {
      assert.deepEqual(judgeEnvName(name), {known: true, path}, name);
    }
    assert.deepEqual(judgeEnvName('ZITADEL_MASTERKEY'), {known: true});
  });

  test('a misspelt variable is unknown, with the name it meant', () => {
    assert.deepEqual(judgeEnvName('ZITADEL_EXTERNAL_DOMAIN'), {known: false, documented: false, suggestion: 'ZITADEL_EXTERNALDOMAIN'});
    assert.deepEqual(judgeEnvName('ZITADEL_DATABASE_POSTGRES_USER_PASS'), {known: false, documented: false});
    // Named in a comment of defaults.yaml, but the key beside it is spelt otherwise.
    assert.equal(judgeEnvName('ZITADEL_INSTRUMENTATION_LOG_STDERR').known, false);
    assert.equal((judgeEnvName('ZITADEL_INSTRUMENTATION_LOG_STDERR') as {documented: boolean}).documented, true);
  });

  test('every ZITADEL_* variable the upstream compose examples set is known', () => {
    // From zitadel/zitadel deploy/compose/docker-compose*.yml and the docs' compose files.
    for (const name of [
      'ZITADEL_PORT',
      'ZITADEL_EXTERNALPORT',
      'ZITADEL_EXTERNALSECURE',
      'ZITADEL_TLS_ENABLED',
      'ZITADEL_DATABASE_POSTGRES_DSN',
      'ZITADEL_DATABASE_POSTGRES_HOST',
      'ZITADEL_FIRSTINSTANCE_ORG_HUMAN_PASSWORDCHANGEREQUIRED',
      'ZITADEL_FIRSTINSTANCE_LOGINCLIENTPATPATH',
      'ZITADEL_FIRSTINSTANCE_ORG_LOGINCLIENT_MACHINE_USERNAME',
      'ZITADEL_FIRSTINSTANCE_ORG_LOGINCLIENT_PAT_EXPIRATIONDATE',
      'ZITADEL_DEFAULTINSTANCE_FEATURES_LOGINV2_REQUIRED',
      'ZITADEL_DEFAULTINSTANCE_FEATURES_LOGINV2_BASEURI',
      'ZITADEL_OIDC_DEFAULTLOGINURLV2',
      'ZITADEL_SAML_DEFAULTLOGINURLV2',
      'ZITADEL_LOGSTORE_ACCESS_STDOUT_ENABLED',
      'ZITADEL_CACHES_CONNECTORS_REDIS_URL',
      'ZITADEL_INSTRUMENTATION_TRACE_EXPORTER_ENDPOINT',
    ]) {
      assert.equal(judgeEnvName(name).known, true, name);
    }
  });

  test('config keys are matched without regard to case, and dotted keys nest', () => {
    assert.equal(canonicalPath('database.POSTGRES.host'), 'Database.postgres.Host');
    const y = parseYaml(lines('TLS.Enabled: false', 'Database:', '  Postgres:', '    User.SSL.Mode: verify-full'), 'c.yaml');
    assert.deepEqual(flattenConfig(y.data, []), [
      {path: 'TLS.Enabled', value: 'false', yamlPath: ['TLS.Enabled']},
      {path: 'Database.postgres.User.SSL.Mode', value: 'verify-full', yamlPath: ['Database', 'Postgres', 'User.SSL.Mode']},
    ]);
  });
});

describe('commands', () => {
  test('words split as a shell does', () => {
    assert.deepEqual(splitWords(`start-from-init --masterkey "Master key" --tlsMode disabled`), [
      'start-from-init',
      '--masterkey',
      'Master key',
      '--tlsMode',
      'disabled',
    ]);
    assert.deepEqual(splitWords(`setup --steps '/a b.yaml' x\\ y ""`), ['setup', '--steps', '/a b.yaml', 'x y', '']);
  });

  test('the phase and flags, in every spelling ZITADEL takes', () => {
    const c = parseCommand(
      ['/app/zitadel', 'start', '--config=/a.yaml', '--config', '/b.yaml', '-m', '/key', '--tlsMode', 'external', '--init-projections'].map(tok),
    );
    assert.equal(c.phase, 'start');
    assert.deepEqual(
      c.flags.get('config')?.map((f) => f.value),
      ['/a.yaml', '/b.yaml'],
    );
    assert.deepEqual(
      c.flags.get('masterkeyFile')?.map((f) => f.value),
      ['/key'],
    );
    assert.equal(c.flags.get('tlsMode')?.[0]?.value, 'external');
    assert.equal(c.flags.get('init-projections')?.[0]?.value, 'true');
    assert.equal(parseCommand(['ready'].map(tok)).phase, 'other');
    assert.equal(parseCommand([].map(tok)).phase, undefined);
  });

  test('DSNs in URL and key=value form', () => {
    assert.deepEqual(parseDsn('postgresql://zitadel:s%40cret@db.internal:5433/zitadel?sslmode=verify-full'), {
      host: 'db.internal',
      port: '5433',
      user: 'zitadel',
      password: 's@cret',
      sslmode: 'verify-full',
      database: 'zitadel',
    });
    assert.deepEqual(parseDsn("host=pg port=5432 user=postgres password='a b' dbname=zitadel sslmode=disable"), {
      host: 'pg',
      port: '5432',
      user: 'postgres',
      password: 'a b',
      sslmode: 'disable',
      database: 'zitadel',
    });
  });
});

describe('the Compose model', () => {
  const compose = lines(
    'services:', //                                                              1
    '  zitadel:', //                                                             2
    '    image: ghcr.io/zitadel/zitadel:v4.13.0', //                            3
    '    command: >-', //                                                        4
    '      start --config /cfg/a.yaml --config /cfg/b.yaml', //                 5
    '      --masterkeyFromEnv --tlsMode external', //                            6
    '    environment:', //                                                       7
    '      ZITADEL_EXTERNALPORT: "443"', //                                      8
    '      ZITADEL_MASTERKEY: ${ZITADEL_MASTERKEY}', //                          9
    '      ZITADEL_EXTERNALSECURE: "false"', //                                  10
    '    volumes:', //                                                           11
    '      - ./config:/cfg:ro', //                                               12
    '    deploy:', //                                                            13
    '      replicas: 3', //                                                      14
    '  zitadel-setup:', //                                                       15
    '    image: ghcr.io/zitadel/zitadel:v4.13.0', //                            16
    '    command: [setup, --config, /cfg/a.yaml, --steps, /cfg/steps.yaml, --masterkey, "${ZITADEL_MASTERKEY}"]', // 17
    '    volumes:', //                                                           18
    '      - ./config:/cfg:ro', //                                               19
    '  login:', //                                                               20
    '    image: ghcr.io/zitadel/zitadel-login:v4.13.0', //                      21
    '  db:', //                                                                  22
    '    image: postgres:17', //                                                 23
  );
  const files = {
    'docker-compose.yml': compose,
    '.env': lines('# key', 'ZITADEL_MASTERKEY=AbCdEfGhIjKlMnOpQrStUvWxYz012345'),
    'config/a.yaml': lines(
      'ExternalDomain: one.example.org',
      'ExternalPort: 8443',
      'Database:',
      '  postgres:',
      '    Host: db',
      'FirstInstance:',
      '  Org:',
      '    Human:',
      '      Password: ignored-here',
    ),
    'config/b.yaml': lines('# later file wins', 'ExternalDomain: auth.kestrel-works.net'),
    'config/steps.yaml': lines('FirstInstance:', '  Org:', '    Human:', '      Password: From-the-steps-1'),
  };

  test('finds ZITADEL services by image, and nothing else', async () => {
    const m = await modelOf(files);
    assert.deepEqual(
      m.runtimes.map((r) => [r.name, r.phase]),
      [
        ['zitadel', 'start'],
        ['zitadel-setup', 'setup'],
      ],
    );
    assert.deepEqual(
      m.databases.map((d) => d.name),
      ['db'],
    );
    assert.ok(m.composeServices.has('login'));
  });

  test('config files through the mount, later files win, environment wins, --tlsMode wins over all; each with its place', async () => {
    const m = await modelOf(files);
    const z = runtime(m, 'zitadel');
    assert.deepEqual(
      z.configs.map((c) => c.rel),
      ['config/a.yaml', 'config/b.yaml'],
    );
    const domain = z.settings.get('ExternalDomain')!;
    assert.deepEqual([domain.value, domain.origin, domain.file, domain.line], ['auth.kestrel-works.net', 'config', 'config/b.yaml', 2]);
    const port = z.settings.get('ExternalPort')!;
    assert.deepEqual([port.value, port.origin, port.file, port.line, port.key], ['443', 'env', 'docker-compose.yml', 8, 'ZITADEL_EXTERNALPORT']);
    const secure = z.settings.get('ExternalSecure')!;
    assert.deepEqual([secure.value, secure.origin, secure.file, secure.line], ['true', 'flag', 'docker-compose.yml', 4]);
    assert.equal(z.settings.get('TLS.Enabled')?.value, 'false');
    const host = z.settings.get('Database.postgres.Host')!;
    assert.deepEqual([host.value, host.file, host.line], ['db', 'config/a.yaml', 5]);
    // A default is placed at the service definition.
    const user = z.settings.get('Database.postgres.User.Username')!;
    assert.deepEqual([user.value, user.origin, user.file, user.line], ['zitadel', 'default', 'docker-compose.yml', 2]);
    assert.equal(z.replicas?.value, 3);
    assert.equal(z.replicas?.line, 14);
  });

  test('FirstInstance comes from --steps files for setup only, never from --config', async () => {
    const m = await modelOf(files);
    const pw = runtime(m, 'zitadel-setup').settings.get('FirstInstance.Org.Human.Password')!;
    assert.deepEqual([pw.value, pw.origin, pw.file, pw.line], ['From-the-steps-1', 'steps', 'config/steps.yaml', 4]);
    assert.equal(runtime(m, 'zitadel').settings.get('FirstInstance.Org.Human.Password')?.origin, 'default');
  });

  test('the masterkey: drawn from the .env, by flag or environment, the same source for both phases', async () => {
    const m = await modelOf(files);
    const start = runtime(m, 'zitadel').masterkey;
    const setup = runtime(m, 'zitadel-setup').masterkey;
    assert.deepEqual([start.how, start.literal, start.file, start.line, start.source], ['env', false, '.env', 2, '.env ZITADEL_MASTERKEY']);
    assert.deepEqual([setup.how, setup.literal, setup.file, setup.line, setup.source], ['flag', false, '.env', 2, '.env ZITADEL_MASTERKEY']);
    assert.equal(start.value, setup.value);
  });

  test('a literal masterkey in the command, several flags at once, a key file through a Compose secret', async () => {
    const m = await modelOf({
      'compose.yaml': lines(
        'services:', //                                                     1
        '  a:', //                                                          2
        '    image: ghcr.io/zitadel/zitadel:latest', //                     3
        '    command: start --masterkey MasterkeyNeedsToHave32Characters', // 4
        '  b:', //                                                          5
        '    image: ghcr.io/zitadel/zitadel:latest', //                     6
        '    command: start --masterkeyFromEnv --masterkeyFile /k', //      7
        '  c:', //                                                          8
        '    image: ghcr.io/zitadel/zitadel:latest', //                     9
        '    command: [setup, --masterkeyFile, /run/secrets/mk]', //        10
        '    secrets: [mk]', //                                             11
        'secrets:', //                                                      12
        '  mk:', //                                                         13
        '    file: ./secrets/masterkey', //                                 14
      ),
      'secrets/masterkey': 'AbCdEfGhIjKlMnOpQrStUvWxYz012345\n',
    });
    const a = runtime(m, 'a').masterkey;
    assert.deepEqual([a.how, a.literal, a.file, a.line, a.value], ['flag', true, 'compose.yaml', 4, 'MasterkeyNeedsToHave32Characters']);
    const b = runtime(m, 'b').masterkey;
    assert.deepEqual(
      b.conflicting?.map((c) => c.flag),
      ['--masterkeyFile', '--masterkeyFromEnv'],
    );
    const c = runtime(m, 'c').masterkey;
    assert.deepEqual([c.how, c.keyFile, c.value?.length], ['file', 'secrets/masterkey', 33]);
  });

  test('a config file that is not mounted from the deployment is a problem, not a guess', async () => {
    const m = await modelOf({
      'compose.yaml': lines(
        'services:',
        '  z:',
        '    image: ghcr.io/zitadel/zitadel:v4.13.0',
        '    command: start --config /etc/zitadel/config.yaml --masterkeyFromEnv',
        '    volumes:',
        '      - zcfg:/etc/zitadel',
      ),
    });
    assert.match(m.problems[0]?.detail ?? '', /named volume zcfg/);
    assert.equal(m.problems[0]?.line, 4);
    // What the file may set is unknown: the checks then do not call a default a finding.
    assert.match(runtime(m, 'z').hidden[0] ?? '', /--config \/etc\/zitadel\/config.yaml/);
  });

  test('a DSN replaces host, user and SSL mode, with the DSN line as their place', async () => {
    const m = await modelOf({
      'compose.yaml': lines(
        'services:',
        '  z:',
        '    image: ghcr.io/zitadel/zitadel:v4.13.0',
        '    command: start --masterkeyFromEnv',
        '    environment:',
        '      ZITADEL_DATABASE_POSTGRES_HOST: ignored',
        '      ZITADEL_DATABASE_POSTGRES_DSN: postgresql://postgres:postgres@postgres:5432/zitadel?sslmode=disable',
      ),
    });
    const z = runtime(m, 'z');
    assert.equal(z.dsn, true);
    for (const [path, value] of [
      ['Database.postgres.Host', 'postgres'],
      ['Database.postgres.User.Username', 'postgres'],
      ['Database.postgres.User.Password', 'postgres'],
      ['Database.postgres.User.SSL.Mode', 'disable'],
    ]) {
      const s = z.settings.get(path!)!;
      assert.deepEqual([s.value, s.origin, s.line], [value, 'dsn', 7], path);
    }
  });
});

describe('the Helm model', () => {
  test('configmapConfig, then secretConfig, then env; the masterkey and replicas from the values', async () => {
    const m = await modelOf(
      {
        'values.yaml': lines(
          'replicaCount: 2', //                                        1
          'zitadel:', //                                               2
          '  masterkey: AbCdEfGhIjKlMnOpQrStUvWxYz012345', //          3
          '  configmapConfig:', //                                     4
          '    ExternalDomain: id.kestrel-works.net', //               5
          '    Database:', //                                          6
          '      Postgres:', //                                        7
          '        User:', //                                          8
          '          Password: from-configmap', //                     9
          '  secretConfig:', //                                        10
          '    Database:', //                                          11
          '      Postgres:', //                                        12
          '        User:', //                                          13
          '          Password: from-secretconfig', //                  14
          'env:', //                                                   15
          '  - name: ZITADEL_DATABASE_POSTGRES_ADMIN_PASSWORD', //     16
          '    valueFrom:', //                                         17
          '      secretKeyRef: {name: pg, key: password}', //          18
        ),
      },
      HELM,
    );
    assert.deepEqual(
      m.runtimes.map((r) => [r.name, r.phase]),
      [
        ['Deployment (start)', 'start'],
        ['setup Job', 'setup'],
        ['init Job', 'init'],
      ],
    );
    const d = runtime(m, 'Deployment (start)');
    assert.deepEqual([d.replicas?.value, d.replicas?.line], [2, 1]);
    const pw = d.settings.get('Database.postgres.User.Password')!;
    assert.deepEqual([pw.value, pw.file, pw.line, pw.key], ['from-secretconfig', 'values.yaml', 14, 'zitadel.secretConfig.Database.Postgres.User.Password']);
    const admin = d.settings.get('Database.postgres.Admin.Password')!;
    assert.deepEqual([admin.value, admin.hidden, admin.line], [undefined, 'Secret pg key password', 16]);
    assert.equal(d.settings.get('ExternalSecure')?.origin, 'chart');
    assert.deepEqual([d.masterkey.how, d.masterkey.literal, d.masterkey.line], ['values', true, 3]);
    // Every workload of the chart reads the one masterkey.
    assert.equal(runtime(m, 'setup Job').masterkey, d.masterkey);
  });

  test('autoscaling, an existing masterkey Secret, and the bundled PostgreSQL', async () => {
    const m = await modelOf(
      {
        'values.yaml': lines('zitadel:', '  masterkeySecretName: zitadel-masterkey', '  autoscaling:', '    enabled: true', 'postgresql:', '  enabled: true'),
      },
      HELM,
    );
    const d = runtime(m, 'Deployment (start)');
    assert.equal(d.replicas?.value, 3);
    assert.deepEqual([d.masterkey.how, d.masterkey.value], ['secret', undefined]);
    assert.equal(d.settings.get('Database.postgres.User.Password')?.value, 'zitadel');
    assert.equal(d.settings.get('Database.postgres.User.SSL.Mode')?.value, 'disable');
  });
});

describe('proxy configs', () => {
  test('Caddy: h2c, https and plain upstreams, sites and ports', () => {
    const p = parseCaddyfile(
      lines(
        '{', //                                            1
        '  email ops@kestrel-works.net', //                2
        '}', //                                            3
        'id.kestrel-works.net:8443 {', //                  4
        '  reverse_proxy /ui/v2/login/* login:3000', //    5
        '  reverse_proxy h2c://zitadel:8080', //           6
        '}', //                                            7
        'http://other.kestrel-works.net {', //             8
        '  reverse_proxy zitadel-b:8080 {', //             9
        '    transport http {', //                         10
        '      versions h2c 2', //                         11
        '    }', //                                        12
        '  }', //                                          13
        '}', //                                            14
      ),
      'Caddyfile',
    );
    assert.deepEqual(
      p.sites.map((s) => [s.text, s.tls, s.h2, s.ports, s.line]),
      [
        ['id.kestrel-works.net:8443', true, true, [8443], 4],
        ['http://other.kestrel-works.net', false, false, [80], 8],
      ],
    );
    assert.deepEqual(
      p.upstreams.map((u) => [u.host, u.port, u.scheme, u.line]),
      [
        ['login', '3000', 'http', 5],
        ['zitadel', '8080', 'h2c', 6],
        ['zitadel-b', '8080', 'h2c', 9],
      ],
    );
  });

  test('nginx: grpc_pass and proxy_pass, http2 on or in listen, upstream groups', () => {
    const p = parseNginx(
      lines(
        'upstream zitadels { server z1:8080; server z2:8080; }', // 1
        'server {', //                                              2
        '  listen 443 ssl;', //                                     3
        '  http2 on;', //                                           4
        '  location / { grpc_pass grpc://zitadels; }', //           5
        '}', //                                                     6
        'server {', //                                              7
        '  listen 8443 ssl; # no http2', //                         8
        '  location / { proxy_pass https://z1:8080; }', //          9
        '}', //                                                     10
      ),
      'zitadel.conf',
    );
    assert.deepEqual(
      p.sites.map((s) => [s.ports, s.tls, s.h2, s.line]),
      [
        [[443], true, true, 3],
        [[8443], true, false, 8],
      ],
    );
    assert.deepEqual(
      p.upstreams.map((u) => [u.host, u.scheme, u.line]),
      [
        ['z1', 'grpc', 5],
        ['z2', 'grpc', 5],
        ['z1', 'http', 9],
      ],
    );
  });

  test('Traefik: file provider services and TLS routers', () => {
    const y = parseYaml(
      lines(
        'entryPoints:', //                                 1
        '  websecure:', //                                 2
        '    address: ":443"', //                          3
        'http:', //                                        4
        '  routers:', //                                   5
        '    zitadel:', //                                 6
        '      service: zitadel', //                       7
        '      tls: {}', //                                8
        '  services:', //                                  9
        '    zitadel:', //                                 10
        '      loadBalancer:', //                          11
        '        servers:', //                             12
        '          - url: "h2c://zitadel:8080"', //        13
      ),
      'traefik.yaml',
    );
    const p = parseTraefikFile(y);
    assert.deepEqual(
      p.upstreams.map((u) => [u.host, u.scheme, u.line]),
      [['zitadel', 'h2c', 13]],
    );
    assert.deepEqual(
      p.sites.map((s) => [s.text, s.tls, s.ports]),
      [
        ['entryPoint websecure :443', false, [443]],
        ['router zitadel (tls)', true, []],
      ],
    );
  });

  test('Traefik labels on the ZITADEL service, found through the Compose model', async () => {
    const m = await modelOf({
      'compose.yaml': lines(
        'services:', //                                                                1
        '  traefik:', //                                                               2
        '    image: traefik:v3.6.8', //                                                3
        '    command: [--entrypoints.websecure.address=:443, --entrypoints.websecure.http.tls=true]', // 4
        '    ports: ["443:443"]', //                                                   5
        '  zitadel:', //                                                               6
        '    image: ghcr.io/zitadel/zitadel:v4.13.0', //                              7
        '    command: start --masterkeyFromEnv', //                                    8
        '    labels:', //                                                              9
        '      - traefik.enable=true', //                                              10
        '      - traefik.http.routers.z.entrypoints=websecure', //                     11
        '      - traefik.http.services.z.loadbalancer.server.scheme=h2c', //           12
      ),
    });
    const p = m.proxies[0]!;
    assert.equal(p.kind, 'traefik');
    assert.deepEqual(
      p.upstreams.map((u) => [u.host, u.scheme, u.line]),
      [['zitadel', 'h2c', 12]],
    );
    assert.deepEqual(
      p.sites.map((s) => [s.tls, s.line]),
      [[true, 11]],
    );
    assert.deepEqual(
      p.published.map((x) => x.port),
      [443],
    );
  });
});

describe('ExternalDomain', () => {
  test('public names pass; localhost, IPs, wildcard DNS and reserved names do not', () => {
    for (const good of ['id.kestrel-works.net', 'auth.example-corp.io', 'login.internal.acme.co.uk']) assert.equal(domainProblem(good), undefined, good);
    for (const bad of [
      '',
      'localhost',
      'zitadel.localhost',
      '10.0.9.5',
      '::1',
      '127.0.0.1.sslip.io',
      'pg-secure.127.0.0.1.sslip.io',
      'app.10.0.0.1.nip.io',
      'zitadel.local',
      'auth.example.com',
      'intranet',
      'bad_name.com',
    ]) {
      assert.ok(domainProblem(bad), `${bad} should be refused`);
    }
  });
});
