// The compose pack's own checks (src/checks/compose-hardening.ts) against real Compose and .env
// files in temp dirs: each rule's pass, its fail at the file and line, and the cases it leaves out.
// A finding about a whole service is placed where the model places the service: the first line
// of its body.
import assert from 'node:assert/strict';
import {chmodSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {secretFlags, urlPasswords} from '../../src/checks/compose-hardening.js';
import {dirWith, evidenceAt, lines, places, runCheck} from '../support/helpers.js';

describe('compose.public-ports', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                         1
      '  proxy:', //                          2
      '    image: caddy:2.8.4', //            3
      '    ports:', //                        4
      '      - "80:80"', //                   5
      '      - "443:443"', //                 6
      '      - "0.0.0.0:2019:2019"', //       7
      '      - "127.0.0.1:8080:8080"', //     8
      '      - "9000"', //                    9
      '  vpn:', //                            10
      '    image: wg-easy:14', //             11
      '    ports:', //                        12
      '      - "51820:51820/udp"', //         13
      '  dev:', //                            14
      '    image: adminer:4.8.1', //          15
      '    profiles: [dev]', //               16
      '    ports: ["8081:8080"]', //          17
      '  exporter:', //                       18
      '    image: prom/node-exporter:1.8', // 19
      '    network_mode: host', //            20
    ),
  });

  test('fails every port beyond loopback that is not public on purpose, profile services and the host network included', async () => {
    const r = await runCheck('compose.public-ports', d);
    assert.equal(r.status, 'fail');
    const bad = r.evidence.filter((e) => !/loopback|on purpose/.test(e.detail));
    assert.deepEqual(
      bad.map((e) => [e.file, e.line, e.key]),
      [
        ['compose.yaml', 7, 'proxy.ports'],
        ['compose.yaml', 9, 'proxy.ports'],
        ['compose.yaml', 13, 'vpn.ports'],
        ['compose.yaml', 17, 'dev.ports'],
        ['compose.yaml', 20, 'exporter.network_mode'],
      ],
    );
    assert.match(evidenceAt(r, 'compose.yaml', 7, 'proxy.ports').detail, /2019\/tcp on 0\.0\.0\.0/);
    assert.match(evidenceAt(r, 'compose.yaml', 9, 'proxy.ports').detail, /random host port/);
    assert.match(evidenceAt(r, 'compose.yaml', 17, 'dev.ports').detail, /--profile dev/);
    assert.match(r.message, /iptables/);
  });

  test('a port named public (with its protocol) passes, and 80/tcp does not open 80/udp', async () => {
    const r = await runCheck('compose.public-ports', d, {services: ['vpn', 'proxy'], public: [80, 443, 2019, 9000, '51820/udp']});
    // "9000" alone publishes a random host port: naming 9000 does not cover it.
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.filter((e) => !/loopback|on purpose/.test(e.detail)).map((e) => e.line),
      [9],
    );
    const udp = await runCheck('compose.public-ports', dirWith({'compose.yaml': lines('services:', '  q:', '    image: x:1', '    ports: ["443:443/udp"]')}));
    assert.equal(udp.status, 'fail');
  });

  test('passes when every port is on loopback or public on purpose', async () => {
    const r = await runCheck('compose.public-ports', d, {services: ['proxy'], except: [], public: [80, 443, 2019]});
    assert.equal(r.status, 'fail', 'the random host port still fails');
    const ok = await runCheck(
      'compose.public-ports',
      dirWith({'compose.yaml': lines('services:', '  a:', '    image: x:1', '    ports: ["80:80", "127.0.0.1:5000:5000", "[::1]:5001:5001"]')}),
    );
    assert.equal(ok.status, 'pass');
    assert.equal(ok.evidence.length, 3);
  });

  test('skips without a Compose file', async () => {
    assert.equal((await runCheck('compose.public-ports', dirWith({'README.md': 'x\n'}))).status, 'skip');
  });
});

describe('compose.restart-policy', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                                   1
      '  api:', //                                      2
      '    image: api:1.0.0', //                        3
      '    restart: unless-stopped', //                 4
      '    depends_on:', //                             5
      '      migrate: {condition: service_completed_successfully}', // 6
      '  migrate:', //                                  7
      '    image: api:1.0.0', //                        8
      '    restart: "no"', //                           9
      '  worker:', //                                   10
      '    image: api:1.0.0', //                        11
      '  cron:', //                                     12
      '    image: api:1.0.0', //                        13
      '    restart: on-failure', //                     14
      '  swarm:', //                                    15
      '    image: api:1.0.0', //                        16
      '    deploy:', //                                 17
      '      restart_policy: {condition: any}', //      18
      '  probe:', //                                    19
      '    image: api:1.0.0', //                        20
      '    restart: "no"', //                           21
    ),
  });

  test('fails a service without a policy at the service, and one with a weak policy at the line', async () => {
    const r = await runCheck('compose.restart-policy', d);
    assert.equal(r.status, 'fail');
    assert.match(evidenceAt(r, 'compose.yaml', 11, 'worker.restart').detail, /no restart policy/);
    assert.match(evidenceAt(r, 'compose.yaml', 14, 'cron.restart').detail, /on-failure/);
    assert.equal(r.evidence.length, 2);
  });

  test('one-shot services (waited for, or saying restart: "no") and deploy.restart_policy any pass', async () => {
    const r = await runCheck('compose.restart-policy', d, {except: ['worker', 'cron']});
    assert.equal(r.status, 'pass');
    assert.match(evidenceAt(r, 'compose.yaml', 8, 'migrate.restart').detail, /runs once/);
    assert.match(evidenceAt(r, 'compose.yaml', 18, 'swarm.deploy').detail, /condition any/);
    assert.match(evidenceAt(r, 'compose.yaml', 20, 'probe.restart').detail, /runs once \(says restart: "no"\)/);
  });

  test('an override file that sets the policy wins, at its own line', async () => {
    const o = dirWith({
      'compose.yaml': lines('services:', '  a:', '    image: x:1'),
      'compose.override.yaml': lines('services:', '  a:', '    restart: always'),
    });
    const r = await runCheck('compose.restart-policy', o);
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['compose.override.yaml', 3, 'a.restart']]);
  });
});

describe('compose.log-rotation', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'x-logging: &logging', //                          1
      '  driver: json-file', //                          2
      '  options:', //                                   3
      '    max-size: "10m"', //                          4
      '    max-file: "3"', //                            5
      'services:', //                                    6
      '  a:', //                                         7
      '    image: x:1', //                               8
      '    logging: *logging', //                        9
      '  b:', //                                         10
      '    image: x:1', //                               11
      '  c:', //                                         12
      '    image: x:1', //                               13
      '    logging:', //                                 14
      '      driver: json-file', //                      15
      '  d:', //                                         16
      '    image: x:1', //                               17
      '    logging: {options: {max-size: 5m}}', //       18
      '  e:', //                                         19
      '    image: x:1', //                               20
      '    logging: {driver: local}', //                 21
    ),
  });

  test('no logging, json-file without max-size, and max-size without max-file fail, each where it is', async () => {
    const r = await runCheck('compose.log-rotation', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      places(r)
        .filter(([, , k]) => ['b.logging', 'c.logging', 'd.logging'].includes(k!))
        .map(([, l, k]) => [l, k]),
      [
        [11, 'b.logging'],
        [15, 'c.logging'],
        [18, 'd.logging'],
      ],
    );
    assert.match(evidenceAt(r, 'compose.yaml', 18, 'd.logging').detail, /max-file/);
    assert.equal(r.evidence.length, 3);
  });

  test('an x-logging anchor and the local driver pass; max-file can be left optional', async () => {
    assert.equal((await runCheck('compose.log-rotation', d, {services: ['a', 'e']})).status, 'pass');
    assert.equal((await runCheck('compose.log-rotation', d, {services: ['d'], requireMaxFile: false})).status, 'pass');
  });
});

describe('compose.healthcheck', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                                          1
      '  db:', //                                              2
      '    image: postgres:16.4', //                           3
      '    healthcheck:', //                                   4
      '      test: ["CMD-SHELL", "pg_isready"]', //            5
      '  app:', //                                             6
      '    build: ./app', //                                   7
      '  bare:', //                                            8
      '    image: x:1', //                                     9
      '  off:', //                                             10
      '    image: x:1', //                                     11
      '    healthcheck:', //                                   12
      '      disable: true', //                                13
      '  init:', //                                            14
      '    image: x:1', //                                     15
      '  web:', //                                             16
      '    image: x:1', //                                     17
      '    healthcheck: {test: ["CMD", "true"]}', //           18
      '    depends_on: {init: {condition: service_completed_successfully}}', // 19
      '  other:', //                                           20
      '    build: {context: ./other, dockerfile: Dockerfile.prod}', // 21
    ),
    'app/Dockerfile': lines('FROM alpine:3.20', 'HEALTHCHECK --interval=5s CMD wget -qO- http://127.0.0.1/ || exit 1'),
    'other/Dockerfile.prod': lines('FROM alpine:3.20', 'HEALTHCHECK NONE'),
  });

  test('fails a service without one at the service, and a disabled one at its healthcheck', async () => {
    const r = await runCheck('compose.healthcheck', d);
    assert.equal(r.status, 'fail');
    const bad = r.evidence.filter((e) => /no healthcheck|turns its healthcheck off/.test(e.detail));
    assert.deepEqual(
      bad.map((e) => [e.line, e.key]),
      [
        [9, 'bare.healthcheck'],
        [13, 'off.healthcheck'],
        [21, 'other.healthcheck'],
      ],
    );
  });

  test("a Dockerfile's HEALTHCHECK counts, at its own line; a one-shot service is left out", async () => {
    const r = await runCheck('compose.healthcheck', d, {services: ['db', 'app', 'init', 'web']});
    assert.equal(r.status, 'pass');
    assert.match(evidenceAt(r, 'app/Dockerfile', 2, 'app.healthcheck').detail, /HEALTHCHECK in app\/Dockerfile/);
    assert.match(evidenceAt(r, 'compose.yaml', 15, 'init.healthcheck').detail, /runs once/);
  });
});

describe('compose.no-docker-socket', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                                                   1
      '  proxy:', //                                                    2
      '    image: traefik:v3.1', //                                     3
      '    volumes:', //                                                4
      '      - /var/run/docker.sock:/var/run/docker.sock:ro', //        5
      '  ci:', //                                                       6
      '    image: runner:2', //                                         7
      '    volumes:', //                                                8
      '      - type: bind', //                                          9
      '        source: /run/podman/podman.sock', //                     10
      '        target: /var/run/docker.sock', //                        11
      '  app:', //                                                      12
      '    image: app:1', //                                            13
      '    volumes: ["./data:/data"]', //                               14
    ),
  });

  test('fails each socket mount at its line, read-only included', async () => {
    const r = await runCheck('compose.no-docker-socket', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 5, 'proxy.volumes'],
      ['compose.yaml', 9, 'ci.volumes'],
    ]);
    assert.match(r.evidence[0]!.detail, /read-only still lets it call the API/);
  });

  test('a service left out by name passes, and the message says so', async () => {
    const r = await runCheck('compose.no-docker-socket', d, {except: ['proxy', 'ci']});
    assert.equal(r.status, 'pass');
    assert.match(r.message, /proxy, ci left out on purpose/);
  });
});

describe('compose.not-privileged', () => {
  test('fails privileged: true and pid: host at their lines; privileged: false passes', async () => {
    const d = dirWith({
      'compose.yaml': lines(
        'services:', //                1
        '  a:', //                     2
        '    image: x:1', //           3
        '    privileged: true', //     4
        '  b:', //                     5
        '    image: x:1', //           6
        '    pid: host', //            7
        '  c:', //                     8
        '    image: x:1', //           9
        '    privileged: false', //    10
      ),
    });
    const r = await runCheck('compose.not-privileged', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 4, 'a.privileged'],
      ['compose.yaml', 7, 'b.pid'],
    ]);
    assert.equal((await runCheck('compose.not-privileged', d, {services: ['c']})).status, 'pass');
  });
});

describe('compose.capabilities', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                    1
      '  a:', //                         2
      '    image: x:1', //               3
      '    cap_add:', //                 4
      '      - NET_BIND_SERVICE', //     5
      '      - CAP_SYS_ADMIN', //        6
      '  b:', //                         7
      '    image: x:1', //               8
      '    cap_add: [net_admin]', //     9
      '  c:', //                         10
      '    image: x:1', //               11
      '    cap_add: [ALL]', //           12
    ),
  });

  test("fails capabilities beyond Docker's default set, at each entry", async () => {
    const r = await runCheck('compose.capabilities', d);
    assert.equal(r.status, 'fail');
    const bad = r.evidence.filter((e) => !/default set|allowed here/.test(e.detail));
    assert.deepEqual(
      bad.map((e) => [e.line, e.key]),
      [
        [6, 'a.cap_add'],
        [9, 'b.cap_add'],
        [12, 'c.cap_add'],
      ],
    );
    assert.match(bad[0]!.detail, /adds SYS_ADMIN/);
    assert.match(bad[2]!.detail, /as good as privileged/);
  });

  test('a default capability and one the pack allows pass', async () => {
    const r = await runCheck('compose.capabilities', d, {services: ['a', 'b'], allow: ['SYS_ADMIN', 'NET_ADMIN']});
    assert.equal(r.status, 'pass');
    assert.match(evidenceAt(r, 'compose.yaml', 5, 'a.cap_add').detail, /already in Docker's default set/);
  });
});

describe('compose.no-new-privileges', () => {
  test('passes every spelling of it, fails its absence at the service and false at the line', async () => {
    const d = dirWith({
      'compose.yaml': lines(
        'services:', //                                         1
        '  a:', //                                              2
        '    image: x:1', //                                    3
        '    security_opt: ["no-new-privileges:true"]', //      4
        '  b:', //                                              5
        '    image: x:1', //                                    6
        '    security_opt: [no-new-privileges]', //             7
        '  c:', //                                              8
        '    image: x:1', //                                    9
        '    security_opt: ["no-new-privileges=true", "apparmor=docker-default"]', // 10
        '  d:', //                                              11
        '    image: x:1', //                                    12
        '  e:', //                                              13
        '    image: x:1', //                                    14
        '    security_opt:', //                                 15
        '      - no-new-privileges:false', //                   16
      ),
    });
    const r = await runCheck('compose.no-new-privileges', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 12, 'd.security_opt'],
      ['compose.yaml', 16, 'e.security_opt'],
    ]);
    const ok = await runCheck('compose.no-new-privileges', d, {except: ['d', 'e']});
    assert.equal(ok.status, 'pass');
    assert.equal(ok.evidence.length, 3);
  });
});

describe('lists across override files', () => {
  test('an override appends to security_opt and cap_add, and !reset starts them over', async () => {
    const d = dirWith({
      'compose.yaml': lines('services:', '  a:', '    image: x:1', '    security_opt: ["no-new-privileges:true"]', '    cap_add: [SYS_ADMIN]'),
      'compose.override.yaml': lines('services:', '  a:', '    security_opt: ["apparmor=docker-default"]', '    cap_add: !reset [NET_BIND_SERVICE]'),
    });
    const nnp = await runCheck('compose.no-new-privileges', d);
    assert.equal(nnp.status, 'pass');
    assert.deepEqual(places(nnp), [['compose.yaml', 4, 'a.security_opt']]);
    const caps = await runCheck('compose.capabilities', d);
    assert.equal(caps.status, 'pass');
    assert.deepEqual(places(caps), [['compose.override.yaml', 4, 'a.cap_add']]);
  });
});

describe('compose.non-root-user', () => {
  const compose = lines(
    'services:', //                          1
    '  a:', //                               2
    '    image: x:1', //                     3
    '    user: root', //                     4
    '  b:', //                               5
    '    image: x:1', //                     6
    '    user: "0:0"', //                    7
    '  c:', //                               8
    '    image: x:1', //                     9
    '    user: "${APP_UID:-0}"', //          10
    '  d:', //                               11
    '    image: x:1', //                     12
    '    user: "1000:1000"', //              13
    '  e:', //                               14
    '    image: x:1', //                     15
  );

  test('fails root, 0:0, and a variable that falls back to 0 while unset', async () => {
    const r = await runCheck('compose.non-root-user', dirWith({'compose.yaml': compose}));
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 4, 'a.user'],
      ['compose.yaml', 7, 'b.user'],
      ['compose.yaml', 10, 'c.user'],
    ]);
    assert.match(r.evidence[2]!.detail, /\$\{APP_UID:-0\} \(0\)/);
  });

  test('the fallback only warns while .env sets the variable; an unset user passes unless required', async () => {
    const d = dirWith({'compose.yaml': compose, '.env': 'APP_UID=1000\n'});
    const w = await runCheck('compose.non-root-user', d, {services: ['c', 'd', 'e']});
    assert.equal(w.status, 'warn');
    assert.deepEqual(places(w), [['compose.yaml', 10, 'c.user']]);
    assert.equal((await runCheck('compose.non-root-user', d, {services: ['d', 'e']})).status, 'pass');
    const required = await runCheck('compose.non-root-user', d, {services: ['d', 'e'], requireUser: true});
    assert.equal(required.status, 'fail');
    assert.deepEqual(places(required), [['compose.yaml', 15, 'e.user']]);
  });
});

describe('compose.pulled-images-pinned', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                                 1
      '  app:', //                                    2
      '    build: .', //                              3
      '    image: shop/app:latest', //                4
      '  runner:', //                                 5
      '    image: shop/runner', //                    6
      '    pull_policy: never', //                    7
      '  pushed:', //                                 8
      '    build: .', //                              9
      '    image: ghcr.io/shop/app:latest', //        10
      '  cache:', //                                  11
      '    image: valkey/valkey', //                  12
      '  db:', //                                     13
      '    image: postgres:16.4-alpine', //           14
    ),
  });

  test('fails pulled images on latest or no tag; an image built here with a registry name is pulled too', async () => {
    const r = await runCheck('compose.pulled-images-pinned', d);
    assert.equal(r.status, 'fail');
    const floating = r.evidence.filter((e) => /latest/.test(e.detail) && !/built|never pulled|pull_policy/.test(e.detail));
    assert.deepEqual(
      floating.map((e) => [e.line, e.key]),
      [
        [10, 'pushed.image'],
        [12, 'cache.image'],
      ],
    );
  });

  test('build: with a local name, and pull_policy never, are left out with a word why', async () => {
    const r = await runCheck('compose.pulled-images-pinned', d, {services: ['app', 'runner', 'db']});
    assert.equal(r.status, 'pass');
    assert.match(evidenceAt(r, 'compose.yaml', 4, 'app.image').detail, /built here/);
    assert.match(evidenceAt(r, 'compose.yaml', 6, 'runner.image').detail, /pull_policy never/);
  });
});

describe('compose.literal-credentials', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                                                                  1
      '  api:', //                                                                     2
      '    image: api:1', //                                                           3
      '    environment:', //                                                           4
      '      JWT_SECRET: s3cr3t-in-the-file', //                                       5
      '      DB_PASSWORD: ${DB_PASSWORD}', //                                          6
      '      MONGO_URI: mongodb+srv://app:CHANGEME@cluster0.mongo.example.net/db', //  7
      '      CACHE_URL: redis://:${REDIS_PASSWORD}@cache:6379/0', //                   8
      '      LOG_LEVEL: info', //                                                      9
      '      API_TOKEN: ""', //                                                        10
      '  worker:', //                                                                  11
      '    image: api:1', //                                                           12
      '    environment:', //                                                           13
      '      - AMQP_DSN=amqp://bunny:hop-hop-9@mq:5672/', //                           14
      '    command: ["worker", "--db", "postgres://ro:readonly-pw@db/app"]', //        15
      '    healthcheck:', //                                                           16
      '      test: ["CMD", "check", "postgres://ro:${RO_PASSWORD}@db/app"]', //        17
      '    env_file: worker.env', //                                                   18
      '  cache:', //                                                                   19
      '    image: redis:7.4', //                                                       20
      '    command: redis-server --requirepass "plain-pass-1" --appendonly yes', //    21
      '    environment:', //                                                           22
      '      REDIS_PASSWORD_FILE: /run/secrets/redis', //                              23
      '  idp:', //                                                                     24
      '    image: idp:4', //                                                           25
      '    command: [start, --masterkey, "${MASTERKEY}", --token-file, /run/t, --masterkeyFromEnv]', // 26
    ),
    'worker.env': 'WORKER_SECRET=kept-in-an-env-file\n',
  });

  test('fails secret-named literals and connection strings with a written password, in any key or field', async () => {
    const r = await runCheck('compose.literal-credentials', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 5, 'api.JWT_SECRET'],
      ['compose.yaml', 7, 'api.MONGO_URI'],
      ['compose.yaml', 14, 'worker.AMQP_DSN'],
      ['compose.yaml', 15, 'worker.command.2'],
      ['compose.yaml', 21, 'cache.command'],
    ]);
    assert.match(r.evidence[4]!.detail, /passes --requirepass a literal value/);
    assert.match(r.evidence[1]!.detail, /mongodb\+srv:\/\/ connection string .*template placeholder/);
  });

  test('never prints a value', async () => {
    const r = await runCheck('compose.literal-credentials', d);
    const text = JSON.stringify(r);
    for (const secret of ['s3cr3t-in-the-file', 'CHANGEME', 'hop-hop-9', 'readonly-pw', 'kept-in-an-env-file', 'plain-pass-1'])
      assert.ok(!text.includes(secret), secret);
  });

  test('references pass', async () => {
    const r = await runCheck('compose.literal-credentials', d, {services: ['api'], except: []});
    assert.equal(r.status, 'fail');
    const ok = await runCheck(
      'compose.literal-credentials',
      dirWith({
        'compose.yaml': lines('services:', '  a:', '    image: x:1', '    environment:', '      A_PASSWORD: ${A_PASSWORD}', '      URL: http://example.org/'),
      }),
    );
    assert.equal(ok.status, 'pass');
    assert.match(ok.message, /the one credential comes from the environment/);
  });

  test('secretFlags reads --flag value and --flag=value, and leaves references, flags and paths alone', () => {
    assert.deepEqual(secretFlags(['server', '--auth-token', 's3cret', '--password=pw', '--token', '${TOKEN}', '--api-key', '--verbose']), [
      {name: '--auth-token', value: 's3cret'},
      {name: '--password', value: 'pw'},
    ]);
    assert.deepEqual(secretFlags('start --masterkey "MasterkeyOf32Characters" --tlsMode disabled'), [{name: '--masterkey', value: 'MasterkeyOf32Characters'}]);
    assert.deepEqual(secretFlags(['--secret-file', 'x', '--token', '/run/secrets/t', '--masterkeyFromEnv']), []);
  });

  test('urlPasswords reads userinfo without a regular expression over the value', () => {
    assert.deepEqual(urlPasswords('x mongodb+srv://u:p@h/db y postgres://a@h'), [{scheme: 'mongodb+srv', password: 'p'}]);
    assert.deepEqual(urlPasswords('redis://:pw@h:6379'), [{scheme: 'redis', password: 'pw'}]);
    assert.deepEqual(urlPasswords('https://example.org/a@b'), []);
    assert.deepEqual(urlPasswords(`${'a:'.repeat(50_000)}//`), []);
  });
});

describe('compose.env-duplicates', () => {
  test('fails each copy of a key defined twice, in .env and in env_file files', async () => {
    const d = dirWith({
      'compose.yaml': lines('services:', '  a:', '    image: x:1', '    env_file: a.env'),
      '.env': lines('A=1', 'B=2', 'A=3'),
      'a.env': lines('X=1', 'X=1'),
    });
    const r = await runCheck('compose.env-duplicates', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 1, 'A'],
      ['.env', 3, 'A'],
      ['a.env', 1, 'X'],
      ['a.env', 2, 'X'],
    ]);
    assert.match(r.message, /2 keys/);
  });

  test('passes a clean file and skips when there is none', async () => {
    assert.equal((await runCheck('compose.env-duplicates', dirWith({'.env': lines('A=1', 'B=2')}))).status, 'pass');
    assert.equal((await runCheck('compose.env-duplicates', dirWith({'compose.yaml': lines('services:', '  a:', '    image: x:1')}))).status, 'skip');
  });
});

describe('compose.env-placeholders', () => {
  test('fails placeholders, also inside a connection string, and warns on empty credentials', async () => {
    const d = dirWith({
      '.env': lines(
        'DOMAIN=your-domain.example', //                         1
        'API_KEY=<api key>', //                                  2
        'DATABASE_URL=postgres://app:changeme@db/app', //        3
        'SMTP_PASSWORD=', //                                     4
        'REAL_SECRET=Xq3u8Zt1pL0v9RmW2yB7nC4k', //               5
        'OPTIONAL_FEATURE=', //                                  6
      ),
    });
    const r = await runCheck('compose.env-placeholders', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['.env', 1, 'DOMAIN'],
      ['.env', 2, 'API_KEY'],
      ['.env', 3, 'DATABASE_URL'],
      ['.env', 4, 'SMTP_PASSWORD'],
    ]);
    assert.match(r.evidence[0]!.detail, /"your-domain\.example"/);
    assert.ok(!JSON.stringify(r).includes('api key'), 'a credential placeholder is redacted');
    assert.ok(!JSON.stringify(r).includes('changeme'));
    const empty = await runCheck('compose.env-placeholders', dirWith({'.env': lines('SMTP_PASSWORD=', 'A=b')}));
    assert.equal(empty.status, 'warn');
  });

  test('passes real values', async () => {
    const d = dirWith({'.env': lines('DOMAIN=invoices.example.org', 'TOKEN=Xq3u8Zt1pL0v9RmW2yB7nC4k')});
    chmodSync(join(d, '.env'), 0o600);
    assert.equal((await runCheck('compose.env-placeholders', d)).status, 'pass');
  });
});

describe('review fixes', () => {
  test('a healthcheck names its program, never its arguments', async () => {
    const d = dirWith({
      'compose.yaml': lines(
        'services:',
        '  cache:',
        '    image: redis:7.4',
        '    healthcheck: {test: ["CMD", "redis-cli", "-a", "hunter2hunter2", "ping"]}',
        '  db:',
        '    image: postgres:16.4',
        '    healthcheck:',
        '      test: ["CMD-SHELL", "PGPASSWORD=pg-pw-1 psql postgres://u:url-pw-2@db/app -c \'select 1\'"]',
        '  web:',
        '    image: x:1',
        '    healthcheck: {test: "wget --password w-pw-3 -qO- http://127.0.0.1/"}',
      ),
    });
    const r = await runCheck('compose.healthcheck', d);
    assert.equal(r.status, 'pass');
    const text = JSON.stringify(r);
    for (const secret of ['hunter2hunter2', 'pg-pw-1', 'url-pw-2', 'w-pw-3']) assert.ok(!text.includes(secret), secret);
    assert.match(evidenceAt(r, 'compose.yaml', 4, 'cache.healthcheck').detail, /redis-cli \(4 words\)/);
    assert.match(evidenceAt(r, 'compose.yaml', 8, 'db.healthcheck').detail, /psql/);
  });

  test('override files merge logging, healthcheck and deploy key by key', async () => {
    const d = dirWith({
      'compose.yaml': lines(
        'services:', //                                         1
        '  a:', //                                              2
        '    image: x:1', //                                    3
        '    logging:', //                                      4
        '      driver: json-file', //                           5
        '      options: {max-size: 10m, max-file: "3"}', //     6
        '    healthcheck:', //                                  7
        '      test: ["CMD", "true"]', //                       8
        '    deploy:', //                                       9
        '      restart_policy: {condition: any}', //            10
      ),
      'compose.override.yaml': lines(
        'services:', //                                         1
        '  a:', //                                              2
        '    logging:', //                                      3
        '      options: {max-size: 50m}', //                    4
        '    healthcheck:', //                                  5
        '      interval: 30s', //                               6
        '    deploy:', //                                       7
        '      resources: {limits: {memory: 256m}}', //         8
      ),
    });
    const logs = await runCheck('compose.log-rotation', d);
    assert.equal(logs.status, 'pass', JSON.stringify(logs));
    assert.match(logs.evidence[0]!.detail, /max-size 50m, max-file 3/);
    const health = await runCheck('compose.healthcheck', d);
    assert.equal(health.status, 'pass', JSON.stringify(health));
    assert.deepEqual(places(health), [['compose.yaml', 8, 'a.healthcheck']]);
    const restart = await runCheck('compose.restart-policy', d);
    assert.equal(restart.status, 'pass', JSON.stringify(restart));
    assert.deepEqual(places(restart), [['compose.yaml', 10, 'a.deploy']]);
  });

  test('an override that names another logging driver replaces the block, options and all', async () => {
    const d = dirWith({
      'compose.yaml': lines('services:', '  a:', '    image: x:1', '    logging: {driver: json-file, options: {max-size: 10m, max-file: "3"}}'),
      'compose.override.yaml': lines('services:', '  a:', '    logging: {driver: awsfirelens}'),
    });
    const r = await runCheck('compose.log-rotation', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.override.yaml', 3, 'a.logging']]);
    assert.match(r.evidence[0]!.detail, /awsfirelens without options\.max-size/);
  });

  test('urlPasswords decodes the password, so an encoded placeholder is one', async () => {
    assert.deepEqual(urlPasswords('postgres://u:%3Cpassword%3E@db/app'), [{scheme: 'postgres', password: '<password>'}]);
    assert.deepEqual(urlPasswords('x amqp://u:p%40ss@mq/ y'), [{scheme: 'amqp', password: 'p@ss'}]);
    const r = await runCheck(
      'compose.literal-credentials',
      dirWith({'compose.yaml': lines('services:', '  a:', '    image: x:1', '    environment:', '      DB_URL: postgres://u:%3Cpassword%3E@db/app')}),
    );
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /template placeholder/);
  });

  test('secretFlags wants a secret word at the end of the flag name, and a value that is not a number or a boolean', () => {
    assert.deepEqual(secretFlags('mongod --authenticationDatabase admin --auth_timeout 5 --session-ttl 3600'), []);
    assert.deepEqual(secretFlags(['--api-key', '42', '--use-token', 'true', '--secret=false']), []);
    assert.deepEqual(secretFlags('start --masterkey x --requirepass y'), [
      {name: '--masterkey', value: 'x'},
      {name: '--requirepass', value: 'y'},
    ]);
  });

  test('only the HEALTHCHECK of the stage Compose builds counts', async () => {
    const d = dirWith({
      'compose.yaml': lines(
        'services:',
        '  last:',
        '    build: ./last',
        '  target:',
        '    build: {context: ./target, target: runtime}',
        '  inherit:',
        '    build: ./inherit',
        '  none:',
        '    build: ./none',
      ),
      // The HEALTHCHECK is in the build stage only: the final image has none.
      'last/Dockerfile': lines('FROM node:20 AS build', 'HEALTHCHECK CMD true', 'FROM \\', '  alpine:3.20', 'RUN true'),
      // The target stage has one, at its own line; the last stage does not.
      'target/Dockerfile': lines('FROM alpine:3.20 AS runtime', 'RUN true \\', '  && true', 'HEALTHCHECK CMD true', 'FROM alpine:3.20 AS debug'),
      // A stage built FROM an earlier stage keeps its HEALTHCHECK.
      'inherit/Dockerfile': lines('FROM alpine:3.20 AS base', 'HEALTHCHECK CMD true', 'FROM base', 'RUN true'),
      // HEALTHCHECK NONE after one turns it off.
      'none/Dockerfile': lines('FROM alpine:3.20', 'HEALTHCHECK CMD true', 'HEALTHCHECK NONE'),
    });
    const r = await runCheck('compose.healthcheck', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      r.evidence.filter((e) => /no healthcheck/.test(e.detail)).map((e) => e.key),
      ['last.healthcheck', 'none.healthcheck'],
    );
    const ok = await runCheck('compose.healthcheck', d, {services: ['target', 'inherit']});
    assert.equal(ok.status, 'pass');
    evidenceAt(ok, 'target/Dockerfile', 4, 'target.healthcheck');
    evidenceAt(ok, 'inherit/Dockerfile', 2, 'inherit.healthcheck');
  });
});
