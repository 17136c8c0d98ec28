// compose.* checks against real Compose files in temp dirs.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {CHECKS} from '../../src/checks/index.js';
import {dirWith, evidenceAt, lines, places, runCheck, writeFiles} from '../support/helpers.js';

// ---------------------------------------------------------------------------------------------

const PORTS = lines(
  'services:', //                                              1
  '  postgres:', //                                            2
  '    image: postgres:15-alpine', //                          3
  '    ports:', //                                             4
  '      - "0.0.0.0:5432:5432"', //                            5
  '  redis:', //                                               6
  '    image: redis:7.2', //                                   7
  '    ports:', //                                             8
  '      - "127.0.0.1:6379:6379"', //                          9
  '  minio:', //                                               10
  '    image: minio/minio:RELEASE.2024-01-01T00-00-00Z', //    11
  '    ports:', //                                             12
  '      - "127.0.0.1:9000:9000"', //                          13
  '      - "9001:9001"', //                                    14
  '  the0-api:', //                                            15
  '    image: ghcr.io/alexanderwanyoike/the0-api:1.2.3', //    16
  '    ports:', //                                             17
  '      - target: 3000', //                                   18
  '        published: "3000"', //                              19
  '        host_ip: 127.0.0.1', //                             20
  '      - target: 3001', //                                   21
  '        published: "3001"', //                              22
  '  v6:', //                                                  23
  '    image: nginx:1.25', //                                  24
  '    ports:', //                                             25
  '      - "[::1]:8080:80"', //                                26
  '      - target: 443', //                                    27
  '        published: 8443', //                                28
  '        host_ip: "::1"', //                                 29
  '  exporter:', //                                            30
  '    image: prom/node-exporter:v1.7.0', //                   31
  '    network_mode: host', //                                 32
  '  debug:', //                                               33
  '    image: adminer:4.8.1', //                               34
  '    profiles: [debug]', //                                  35
  '    ports:', //                                             36
  '      - "8081:8080"', //                                    37
);

describe('compose.ports-private', () => {
  const d = dirWith({'compose.yaml': PORTS});

  test('0.0.0.0 fails at the port line', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['postgres']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'postgres.ports']]);
    assert.match(r.evidence[0]!.detail, /on 0\.0\.0\.0/);
    assert.match(r.message, /ufw/);
  });

  test('127.0.0.1 passes', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['redis']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['compose.yaml', 9, 'redis.ports']]);
    assert.match(r.evidence[0]!.detail, /loopback only/);
  });

  test('no host ip means every interface', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['minio']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 14, 'minio.ports']]);
    assert.match(r.evidence[0]!.detail, /every interface/);
  });

  test('the ports filter looks only at the named container ports', async () => {
    const consolePort = await runCheck('compose.ports-private', d, {services: ['minio'], ports: [9001]});
    assert.equal(consolePort.status, 'fail');
    assert.deepEqual(places(consolePort), [['compose.yaml', 14, 'minio.ports']]);
    const api = await runCheck('compose.ports-private', d, {services: ['minio'], ports: ['9000']});
    assert.equal(api.status, 'pass');
    assert.deepEqual(places(api), [['compose.yaml', 13, 'minio.ports']]);
  });

  test('long syntax: host_ip 127.0.0.1 passes, none fails', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['the0-api']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 21, 'the0-api.ports']]);
    const ok = await runCheck('compose.ports-private', d, {services: ['the0-api'], ports: [3000]});
    assert.equal(ok.status, 'pass');
    assert.deepEqual(places(ok), [['compose.yaml', 18, 'the0-api.ports']]);
  });

  test('::1 in short (bracketed) and long syntax is loopback', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['v6']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['compose.yaml', 26, 'v6.ports'],
      ['compose.yaml', 27, 'v6.ports'],
    ]);
  });

  test('[::] (every IPv6 interface) fails', async () => {
    const r = await runCheck(
      'compose.ports-private',
      dirWith({'compose.yaml': lines('services:', '  web:', '    image: nginx:1.25', '    ports:', '      - "[::]:80:80"')}),
    );
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'web.ports']]);
  });

  test('network_mode: host fails at its line', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['exporter']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 32, 'exporter.network_mode']]);
    assert.match(r.evidence[0]!.detail, /host network/);
  });

  test('images selects by image name: postgres matches postgres:15-alpine', async () => {
    const r = await runCheck('compose.ports-private', d, {images: ['postgres']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'postgres.ports']]);
    const full = await runCheck('compose.ports-private', d, {images: ['docker.io/library/redis']});
    assert.equal(full.status, 'pass');
    assert.deepEqual(places(full), [['compose.yaml', 9, 'redis.ports']]);
    const minio = await runCheck('compose.ports-private', d, {images: ['minio'], ports: [9001]});
    assert.deepEqual(places(minio), [['compose.yaml', 14, 'minio.ports']]);
  });

  test('a profiled service gives warn, not fail', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['debug']});
    assert.equal(r.status, 'warn');
    assert.deepEqual(places(r), [['compose.yaml', 37, 'debug.ports']]);
    assert.match(r.evidence[0]!.detail, /only with --profile debug/);
  });

  test('a profiled service alongside a public unprofiled one: fail, listing both', async () => {
    const r = await runCheck('compose.ports-private', d, {services: ['debug', 'postgres']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r).sort(), [
      ['compose.yaml', 37, 'debug.ports'],
      ['compose.yaml', 5, 'postgres.ports'],
    ]);
  });

  test('all services: every open port is listed', async () => {
    const r = await runCheck('compose.ports-private', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(
      places(r)
        .map(([, line]) => line)
        .sort((a, b) => a! - b!),
      [5, 14, 21, 32, 37],
    );
  });

  test('selected services that are not defined pass; no ports pass', async () => {
    assert.equal((await runCheck('compose.ports-private', d, {services: ['nope']})).status, 'pass');
    const none = await runCheck('compose.ports-private', dirWith({'compose.yaml': lines('services:', '  a:', '    image: a:1', '    expose: ["80"]')}));
    assert.equal(none.status, 'pass');
    assert.match(none.message, /no published ports/);
  });

  test('an override file adds ports at its own file and line', async () => {
    const o = dirWith({
      'compose.yaml': lines('services:', '  postgres:', '    image: postgres:15-alpine', '    ports:', '      - "127.0.0.1:5432:5432"'),
      'compose.override.yaml': lines('# dev', 'services:', '  postgres:', '    ports:', '      - "5433:5432"'),
    });
    const r = await runCheck('compose.ports-private', o);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.override.yaml', 5, 'postgres.ports']]);
  });

  test('interpolated host ip from .env is honoured', async () => {
    const o = dirWith({
      '.env': 'BIND=127.0.0.1\n',
      'compose.yaml': lines('services:', '  db:', '    image: postgres:16', '    ports:', '      - "${BIND:-0.0.0.0}:5432:5432"'),
    });
    assert.equal((await runCheck('compose.ports-private', o)).status, 'pass');
    writeFiles(o, {'.env': 'OTHER=1\n'});
    const open = await runCheck('compose.ports-private', o);
    assert.equal(open.status, 'fail');
    assert.deepEqual(places(open), [['compose.yaml', 5, 'db.ports']]);
  });

  test('no compose file => skip', async () => {
    const r = await runCheck('compose.ports-private', dirWith({'.env': 'A=1\n'}));
    assert.equal(r.status, 'skip');
    assert.match(r.message, /no Compose file/);
  });

  test('docker-compose.yml is found too', async () => {
    const r = await runCheck('compose.ports-private', dirWith({'docker-compose.yml': lines('services:', '  a:', '    image: a:1', '    ports: ["80:80"]')}));
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['docker-compose.yml', 4, 'a.ports']]);
  });

  test('a bad param is an error', async () => {
    const r = await runCheck('compose.ports-private', d, {ports: ['http']});
    assert.equal(r.status, 'error');
    assert.match(r.message, /bad params/);
    assert.equal(CHECKS.get('compose.ports-private')!.params.safeParse({ports: ['http']}).success, false);
    assert.equal(CHECKS.get('compose.ports-private')!.params.safeParse({ports: [70000]}).success, false);
    assert.equal(CHECKS.get('compose.ports-private')!.params.safeParse({services: 'postgres'}).success, false);
  });
});

describe('malformed Compose YAML', () => {
  const d = dirWith({
    '.env': 'A=1\n',
    'compose.yaml': lines('services:', '  api:', '    image: api:1', '    ports:', '      - "80:80"', '     bad: [unclosed'),
  });

  test('is an error naming file and line, for every compose check', async () => {
    for (const [id, params] of [
      ['compose.ports-private', {}],
      ['compose.image-pinned', {}],
      ['compose.docker-socket', {}],
      ['compose.resource-limits', {}],
      ['compose.env', {keys: ['A']}],
      ['compose.no-literal', {keys: ['A']}],
    ] as const) {
      const r = await runCheck(id, d, params);
      assert.equal(r.status, 'error', id);
      assert.deepEqual(places(r), [['compose.yaml', 6, undefined]], id);
      assert.match(r.message, /^compose\.yaml:6:1: invalid YAML/, id);
    }
  });

  test('checks of other files still pass', async () => {
    assert.equal((await runCheck('env.present', d)).status, 'pass');
  });

  test('a duplicate key is an error at its line', async () => {
    const dup = dirWith({'compose.yaml': lines('services:', '  api:', '    image: api:1', '    image: api:2')});
    const r = await runCheck('compose.image-pinned', dup);
    assert.equal(r.status, 'error');
    assert.deepEqual(places(r), [['compose.yaml', 4, undefined]]);
  });

  test('a broken env_file: reference is an error at the env_file line', async () => {
    const miss = dirWith({'compose.yaml': lines('services:', '  api:', '    image: api:1', '    env_file:', '      - api.env')});
    const r = await runCheck('compose.image-pinned', miss);
    assert.equal(r.status, 'error');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'env_file']]);
  });
});

describe('compose.image-pinned', () => {
  const DIGEST = `sha256:${'a1b2c3d4'.repeat(8)}`;
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                                            1
      '  web:', //                                               2
      '    image: nginx:latest', //                              3
      '  cache:', //                                             4
      '    image: redis', //                                     5
      '  db:', //                                                6
      '    image: postgres:15-alpine', //                        7
      '  minio:', //                                             8
      `    image: minio/minio@${DIGEST}`, //                     9
      '  the0-api:', //                                          10
      '    build: ./api', //                                     11
      '  local:', //                                             12
      '    image: localhost:5000/the0/runtime', //               13
      '  pinned-local:', //                                      14
      '    image: localhost:5000/the0/runtime:2.0.1', //         15
    ),
  });

  test('latest, no tag, and a registry port without a tag all float', async () => {
    const r = await runCheck('compose.image-pinned', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 3, 'web.image'],
      ['compose.yaml', 5, 'cache.image'],
      ['compose.yaml', 13, 'local.image'],
    ]);
    assert.match(evidenceAt(r, 'compose.yaml', 3, 'web.image').detail, /the latest tag moves/);
    assert.match(evidenceAt(r, 'compose.yaml', 5, 'cache.image').detail, /no tag means latest/);
    // localhost:5000 is a registry port, not a tag.
    assert.match(evidenceAt(r, 'compose.yaml', 13, 'local.image').detail, /no tag means latest/);
  });

  test('a pinned tag and a digest pass; a build-only service is ignored', async () => {
    const r = await runCheck('compose.image-pinned', d, {services: ['db', 'minio', 'the0-api', 'pinned-local']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['compose.yaml', 7, 'db.image'],
      ['compose.yaml', 9, 'minio.image'],
      ['compose.yaml', 15, 'pinned-local.image'],
    ]);
    assert.match(r.evidence[0]!.detail, /tag 15-alpine/);
    assert.match(r.evidence[1]!.detail, /pinned by digest/);
    assert.match(r.message, /^3 images pinned/);
  });

  test('images selects by name', async () => {
    const r = await runCheck('compose.image-pinned', d, {images: ['nginx']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 3, 'web.image']]);
  });

  test('no compose file => skip', async () => {
    assert.equal((await runCheck('compose.image-pinned', dirWith({}))).status, 'skip');
  });

  test('a bad param is an error', async () => {
    assert.equal((await runCheck('compose.image-pinned', d, {images: 'nginx'})).status, 'error');
    assert.equal(CHECKS.get('compose.image-pinned')!.params.safeParse({tag: 'x'}).success, false);
  });
});

describe('compose.docker-socket', () => {
  test('a socket mount (short and long syntax) and privileged warn at their lines', async () => {
    const d = dirWith({
      'compose.yaml': lines(
        'services:', //                                                 1
        '  traefik:', //                                                2
        '    image: traefik:v3.0', //                                   3
        '    volumes:', //                                              4
        '      - ./traefik.yml:/etc/traefik/traefik.yml:ro', //         5
        '      - /var/run/docker.sock:/var/run/docker.sock:ro', //      6
        '  runner:', //                                                 7
        '    image: the0/runner:1.0.0', //                              8
        '    privileged: true', //                                      9
        '    volumes:', //                                              10
        '      - type: bind', //                                        11
        '        source: /run/docker.sock', //                          12
        '        target: /var/run/docker.sock', //                      13
        '  api:', //                                                    14
        '    image: api:1.0.0', //                                      15
        '    volumes: [data:/data]', //                                 16
      ),
    });
    const r = await runCheck('compose.docker-socket', d);
    assert.equal(r.status, 'warn');
    assert.deepEqual(places(r), [
      ['compose.yaml', 6, 'traefik.volumes'],
      ['compose.yaml', 11, 'runner.volumes'],
      ['compose.yaml', 9, 'runner.privileged'],
    ]);
    const only = await runCheck('compose.docker-socket', d, {services: ['api']});
    assert.equal(only.status, 'pass');
  });

  test('privileged: false and a look-alike path pass', async () => {
    const d = dirWith({
      'compose.yaml': lines(
        'services:',
        '  a:',
        '    image: a:1',
        '    privileged: false',
        '    volumes:',
        '      - ./docker.sock.bak:/x',
        '      - ./my-docker.sock:/y',
      ),
    });
    const r = await runCheck('compose.docker-socket', d);
    assert.equal(r.status, 'pass');
    assert.deepEqual(r.evidence, []);
  });

  test('no compose file => skip; bad param => error', async () => {
    assert.equal((await runCheck('compose.docker-socket', dirWith({}))).status, 'skip');
    assert.equal((await runCheck('compose.docker-socket', dirWith({}), {services: [1]})).status, 'error');
    assert.equal(CHECKS.get('compose.docker-socket')!.params.safeParse({services: [1]}).success, false);
  });
});

describe('compose.resource-limits', () => {
  const d = dirWith({
    'compose.yaml': lines(
      'services:', //                           1
      '  api:', //                              2
      '    image: api:1.0.0', //                3
      '    mem_limit: 512m', //                 4
      '    cpus: 0.5', //                       5
      '  worker:', //                           6
      '    image: worker:1.0.0', //             7
      '    deploy:', //                         8
      '      resources:', //                    9
      '        limits:', //                     10
      '          memory: 1g', //                11
      '          cpus: "1.0"', //               12
      '  db:', //                               13
      '    image: postgres:16', //              14
      '    mem_limit: 2g', //                   15
    ),
  });

  test('mem_limit/cpus and deploy.resources.limits pass at the memory line', async () => {
    const r = await runCheck('compose.resource-limits', d, {services: ['api', 'worker']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [
      ['compose.yaml', 4, 'api'],
      ['compose.yaml', 11, 'worker'],
    ]);
    assert.match(r.evidence[1]!.detail, /memory 1g, cpus 1\.0/);
  });

  test('a missing CPU limit fails, naming the service', async () => {
    const r = await runCheck('compose.resource-limits', d);
    assert.equal(r.status, 'fail');
    // The service's line is where its body starts (the first key under `db:`).
    assert.deepEqual(places(r), [['compose.yaml', 14, 'db']]);
    assert.match(r.evidence[0]!.detail, /no CPU limit/);
    assert.doesNotMatch(r.evidence[0]!.detail, /memory/);
  });

  test('images selects; no compose => skip; bad param => error', async () => {
    assert.equal((await runCheck('compose.resource-limits', d, {images: ['postgres']})).status, 'fail');
    assert.equal((await runCheck('compose.resource-limits', d, {images: ['api']})).status, 'pass');
    assert.equal((await runCheck('compose.resource-limits', dirWith({}))).status, 'skip');
    assert.equal((await runCheck('compose.resource-limits', d, {images: [1]})).status, 'error');
    assert.equal(CHECKS.get('compose.resource-limits')!.params.safeParse({images: [1]}).success, false);
  });
});

describe('compose.env', () => {
  const d = dirWith({
    '.env': 'NODE_ENV=production\n',
    'compose.yaml': lines(
      'services:', //                               1
      '  the0-api:', //                             2
      '    image: api:1.0.0', //                    3
      '    environment:', //                        4
      '      NODE_ENV: ${NODE_ENV}', //             5
      '  the0-frontend:', //                        6
      '    image: frontend:1.0.0', //               7
      '    environment:', //                        8
      '      - NODE_ENV=development', //            9
      '  the0-worker:', //                          10
      '    image: worker:1.0.0', //                 11
    ),
  });

  test('set and matching passes at the environment line', async () => {
    const r = await runCheck('compose.env', d, {services: ['the0-api'], keys: ['NODE_ENV'], pattern: '^production$', expect: 'production'});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['compose.yaml', 5, 'the0-api.NODE_ENV']]);
    assert.equal(r.evidence[0]!.detail, 'NODE_ENV = "production"');
  });

  test('a wrong value and a missing key fail at their lines', async () => {
    const r = await runCheck('compose.env', d, {keys: ['NODE_ENV'], pattern: '^production$', expect: 'production'});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 9, 'the0-frontend.NODE_ENV'],
      ['compose.yaml', 11, 'the0-worker.NODE_ENV'],
    ]);
    assert.match(r.evidence[0]!.detail, /NODE_ENV = "development" is not production/);
    assert.match(r.evidence[1]!.detail, /does not set NODE_ENV/);
  });

  test('unknown services skip; no compose skip; keys are required', async () => {
    assert.equal((await runCheck('compose.env', d, {services: ['nope'], keys: ['NODE_ENV']})).status, 'skip');
    assert.equal((await runCheck('compose.env', dirWith({}), {keys: ['NODE_ENV']})).status, 'skip');
    assert.equal((await runCheck('compose.env', d, {})).status, 'error');
    assert.equal((await runCheck('compose.env', d, {keys: []})).status, 'error');
    assert.equal(CHECKS.get('compose.env')!.params.safeParse({keys: []}).success, false);
  });
});

describe('compose.no-literal', () => {
  const SECRET = '768548fa939adba37a8764d0660ee7ecebb87965903557dba6c5fc778018d512';
  const d = dirWith({
    '.env': `JWT_SECRET=${SECRET}\n`,
    'api.env': `API_TOKEN=${SECRET}\n`,
    'compose.yaml': lines(
      'services:', //                               1
      '  the0-api:', //                             2
      '    image: api:1.0.0', //                    3
      '    env_file: api.env', //                   4
      '    environment:', //                        5
      '      JWT_SECRET: ${JWT_SECRET}', //         6
      '  the0-worker:', //                          7
      '    image: worker:1.0.0', //                 8
      '    environment:', //                        9
      `      JWT_SECRET: ${SECRET}`, //             10
      '      EMPTY_SECRET: ""', //                  11
    ),
  });

  test('a literal credential fails at its line without showing it', async () => {
    const r = await runCheck('compose.no-literal', d, {keys: ['JWT_SECRET']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 10, 'the0-worker.JWT_SECRET']]);
    assert.match(r.evidence[0]!.detail, /64 chars, hex/);
    assert.ok(!JSON.stringify(r).includes(SECRET));
    assert.ok(!JSON.stringify(r).includes(SECRET.slice(20, 36)));
  });

  test('level: warn turns it into a warning', async () => {
    const r = await runCheck('compose.no-literal', d, {keys: ['JWT_SECRET'], level: 'warn'});
    assert.equal(r.status, 'warn');
    assert.deepEqual(places(r), [['compose.yaml', 10, 'the0-worker.JWT_SECRET']]);
  });

  test('${VAR}, env_file: values and empty strings pass', async () => {
    const r = await runCheck('compose.no-literal', d, {services: ['the0-api'], keys: ['JWT_SECRET', 'API_TOKEN']});
    assert.equal(r.status, 'pass');
    assert.match(r.message, /^the setting comes from the environment/);
    assert.equal((await runCheck('compose.no-literal', d, {keys: ['EMPTY_SECRET']})).status, 'pass');
    const none = await runCheck('compose.no-literal', d, {keys: ['NOT_THERE']});
    assert.equal(none.status, 'pass');
    assert.match(none.message, /none of these keys/);
  });

  test('no compose => skip; bad level => error', async () => {
    assert.equal((await runCheck('compose.no-literal', dirWith({}), {keys: ['JWT_SECRET']})).status, 'skip');
    assert.equal((await runCheck('compose.no-literal', d, {keys: ['JWT_SECRET'], level: 'info'})).status, 'error');
    assert.equal(CHECKS.get('compose.no-literal')!.params.safeParse({keys: ['JWT_SECRET'], level: 'info'}).success, false);
  });
});

// ---------------------------------------------------------------------------------------------
// the0's compose shapes (issue 17): a NATS started without a login, group_add falling back to 0,
// runtime images built here, `${VAR:-}` pass-throughs.

const THE0_SHAPES = lines(
  'services:', //                                                        1
  '  nats:', //                                                          2
  '    image: nats:2.10-alpine', //                                      3
  '    command: ["-js", "-m", "8222"]', //                               4
  '  nats-token:', //                                                    5
  '    image: nats:2.10-alpine', //                                      6
  '    command: -js --auth=${NATS_TOKEN}', //                            7
  '  nats-conf:', //                                                     8
  '    image: nats:2.10-alpine', //                                      9
  '    command: ["-c", "/etc/nats/auth.conf"]', //                       10
  '  nats-bare:', //                                                     11
  '    image: nats:2.10-alpine', //                                      12
  '  runner:', //                                                        13
  '    build: {context: ./runtime}', //                                  14
  '    image: the0/runtime:latest', //                                   15
  '    pull_policy: never', //                                           16
  '    group_add:', //                                                   17
  '      - "${DOCKER_GID:-0}"', //                                       18
  '  pulled:', //                                                        19
  '    build: {context: ./runtime}', //                                  20
  '    image: the0/runtime:latest', //                                   21
  '    group_add: ["${WORKER_GID:-0}", "docker"]', //                    22
  '  api:', //                                                           23
  '    image: ghcr.io/alexanderwanyoike/the0/api:1.14.2', //             24
  '    environment:', //                                                 25
  '      THE0_ADMIN_PASSWORD: ${THE0_ADMIN_PASSWORD:-}', //              26
  '      THE0_ADMIN_EMAIL: root@trading-desk.dev', //                    27
);

describe('compose.command-flags', () => {
  const d = dirWith({'compose.yaml': THE0_SHAPES, '.env': 'NATS_TOKEN=8c1f0e7d2b9a4c6e\nWORKER_GID=0\n'});
  const params = {anyOf: ['--user', '--auth'], deferTo: ['-c', '--config'], expect: 'authentication'};

  test('a command without the flags fails at the command line; the image default fails at the service', async () => {
    const r = await runCheck('compose.command-flags', d, {...params, services: ['nats', 'nats-bare']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 4, 'nats.command'],
      ['compose.yaml', 12, 'nats-bare.command'],
    ]);
    assert.match(r.evidence[1]!.detail, /default command/);
  });

  test('--flag=value in a string command passes, and the value is not shown', async () => {
    const r = await runCheck('compose.command-flags', d, {...params, services: ['nats-token']});
    assert.equal(r.status, 'pass');
    assert.deepEqual(places(r), [['compose.yaml', 7, 'nats-token.command']]);
    assert.ok(!JSON.stringify(r).includes('8c1f0e7d2b9a4c6e'));
  });

  test('a config file flag warns, naming the file', async () => {
    const r = await runCheck('compose.command-flags', d, {...params, services: ['nats-conf']});
    assert.equal(r.status, 'warn');
    assert.match(r.evidence[0]!.detail, /\/etc\/nats\/auth\.conf/);
  });

  test('params: flags start with a dash', async () => {
    const r = await runCheck('compose.command-flags', d, {anyOf: ['user']});
    assert.equal(r.status, 'error');
  });
});

describe('compose.no-root-group', () => {
  test('${DOCKER_GID:-0} with DOCKER_GID unset falls back to root; a variable set to 0 is named', async () => {
    const d = dirWith({'compose.yaml': THE0_SHAPES, '.env': 'WORKER_GID=0\n'});
    const r = await runCheck('compose.no-root-group', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 18, 'runner.group_add'],
      ['compose.yaml', 22, 'pulled.group_add'],
    ]);
    assert.match(r.evidence[0]!.detail, /falls back to group 0 \(root\) because DOCKER_GID is not set in \.env/);
    assert.match(r.evidence[1]!.detail, /joins group 0 \(root\) \(WORKER_GID is 0\)/);
  });

  test('the socket group set in .env passes', async () => {
    const d = dirWith({'compose.yaml': THE0_SHAPES, '.env': 'DOCKER_GID=998\nWORKER_GID=997\n'});
    const r = await runCheck('compose.no-root-group', d);
    assert.equal(r.status, 'pass');
    assert.equal(r.evidence.length, 3);
  });
});

describe('compose.image-pinned and compose.env on the0 shapes', () => {
  const d = dirWith({'compose.yaml': THE0_SHAPES, '.env': 'THE0_ADMIN_PASSWORD=\n'});

  test('build: with pull_policy never is a local build, not a floating tag; build: alone still floats', async () => {
    const r = await runCheck('compose.image-pinned', d, {services: ['runner', 'pulled']});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['compose.yaml', 21, 'pulled.image']]);
    const ok = await runCheck('compose.image-pinned', d, {services: ['runner']});
    assert.equal(ok.status, 'pass');
    assert.match(ok.evidence[0]!.detail, /built here .*\(pull_policy never\)/);
  });

  test('reference: ${VAR:-} counts as passing the key, whatever .env holds; a literal is judged as before', async () => {
    const wired = await runCheck('compose.env', d, {services: ['api'], keys: ['THE0_ADMIN_PASSWORD'], reference: true});
    assert.equal(wired.status, 'pass');
    assert.deepEqual(places(wired), [['compose.yaml', 26, 'api.THE0_ADMIN_PASSWORD']]);
    assert.match(wired.evidence[0]!.detail, /passed from \$\{THE0_ADMIN_PASSWORD\}/);
    const value = await runCheck('compose.env', d, {services: ['api'], keys: ['THE0_ADMIN_PASSWORD']});
    assert.equal(value.status, 'fail', 'without reference the empty value still fails');
    const literal = await runCheck('compose.env', d, {services: ['api'], keys: ['THE0_ADMIN_EMAIL'], reference: true, pattern: '@example\\.com$'});
    assert.equal(literal.status, 'fail', 'a literal is still held to the pattern');
  });

  test('resource-limits: level warn, and a service under a profile is named as such', async () => {
    const p = dirWith({'compose.yaml': lines('services:', '  tool:', '    image: adminer:4.8.1', '    profiles: [dev]')});
    const r = await runCheck('compose.resource-limits', p, {level: 'warn'});
    assert.equal(r.status, 'warn');
    assert.match(r.evidence[0]!.detail, /only with --profile dev/);
  });
});
