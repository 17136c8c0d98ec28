import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {imageBaseName, imageTag, isLoopback, type ComposeModel, type ComposeService} from '../../src/sources/compose.js';
import {SourceError} from '../../src/sources/errors.js';
import {contextFor, tempDir, writeFiles} from '../support/helpers.js';

/** Writes files into a fresh directory and builds the Compose model through a real Context. */
async function model(files: Record<string, string>, packFiles: Record<string, unknown> = {}): Promise<ComposeModel> {
  const dir = tempDir();
  writeFiles(dir, files);
  const m = await contextFor(dir, packFiles).compose();
  assert.ok(m, 'expected a Compose model');
  return m;
}

async function service(files: Record<string, string>, name: string, packFiles: Record<string, unknown> = {}): Promise<ComposeService> {
  const s = (await model(files, packFiles)).services.get(name);
  assert.ok(s, `no service ${name}`);
  return s;
}

/** Asserts that building the model fails with a SourceError at file:line. */
async function rejectsAt(files: Record<string, string>, file: string, line: number, message?: RegExp): Promise<SourceError> {
  const dir = tempDir();
  writeFiles(dir, files);
  let caught: unknown;
  try {
    await contextFor(dir).compose();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SourceError, `expected a SourceError, got ${String(caught)}`);
  assert.equal(caught.file, file);
  assert.equal(caught.line, line);
  if (message) assert.match(caught.message, message);
  return caught;
}

describe('compose: environment', () => {
  test('environment as a map, with exact lines', async () => {
    const svc = await service(
      {
        'compose.yaml': [
          'services:', //                        1
          '  api:', //                           2
          '    image: example/api:1.2', //       3
          '    environment:', //                 4
          '      LOG_LEVEL: info', //            5
          '      WORKERS: 4', //                 6
          '      DEBUG: false', //               7
          '      EMPTY: ""', //                  8
          '      DB_PASSWORD: ${DB_PASSWORD}', // 9
          '',
        ].join('\n'),
        '.env': 'DB_PASSWORD=s3cr3t-from-dotenv\n',
      },
      'api',
    );
    const env = svc.environment;
    assert.deepEqual([...env.keys()], ['LOG_LEVEL', 'WORKERS', 'DEBUG', 'EMPTY', 'DB_PASSWORD']);
    assert.deepEqual(
      [...env.values()].map((v) => [v.key, v.value, v.line, v.literal]),
      [
        ['LOG_LEVEL', 'info', 5, true],
        ['WORKERS', '4', 6, true],
        ['DEBUG', 'false', 7, true],
        ['EMPTY', '', 8, true],
        ['DB_PASSWORD', 's3cr3t-from-dotenv', 9, false],
      ],
    );
    const pw = env.get('DB_PASSWORD');
    assert.equal(pw?.raw, '${DB_PASSWORD}');
    assert.equal(pw?.file, 'compose.yaml');
    assert.equal(pw?.interpolation?.soleRef, 'DB_PASSWORD');
    assert.equal(pw?.envFile, undefined);
  });

  test('a map key with no value passes the value through from .env', async () => {
    const svc = await service({'compose.yaml': 'services:\n  api:\n    environment:\n      TOKEN:\n      UNSET_ONE:\n', '.env': 'TOKEN=abc\n'}, 'api');
    const token = svc.environment.get('TOKEN');
    assert.equal(token?.raw, undefined);
    assert.equal(token?.value, 'abc');
    assert.equal(token?.literal, false);
    assert.equal(token?.line, 4);
    const unset = svc.environment.get('UNSET_ONE');
    assert.ok(unset);
    assert.equal(unset.value, undefined);
    assert.equal(unset.line, 5);
  });

  test('environment as a list: KEY=v, bare KEY from .env, KEY= and a value with =', async () => {
    const svc = await service(
      {
        'compose.yaml': [
          'services:',
          '  worker:',
          '    environment:',
          '      - MODE=production', //   4
          '      - SECRET_KEY', //        5
          '      - BLANK=', //            6
          '      - URL=redis://r:6379/0?a=b', // 7
          '      - NOT_IN_DOTENV', //     8
          '',
        ].join('\n'),
        '.env': 'SECRET_KEY=from-the-dotenv\nOTHER=x\n',
      },
      'worker',
    );
    const env = svc.environment;
    assert.deepEqual(
      [...env.values()].map((v) => [v.key, v.raw, v.value, v.line]),
      [
        ['MODE', 'production', 'production', 4],
        ['SECRET_KEY', undefined, 'from-the-dotenv', 5],
        ['BLANK', '', '', 6],
        ['URL', 'redis://r:6379/0?a=b', 'redis://r:6379/0?a=b', 7],
        ['NOT_IN_DOTENV', undefined, undefined, 8],
      ],
    );
    assert.equal(env.get('MODE')?.literal, true);
    assert.equal(env.get('SECRET_KEY')?.literal, false);
    assert.equal(env.has('OTHER'), false);
  });

  test('${VAR:-default} interpolates from the .env next to the compose file', async () => {
    const m = await model(
      {
        'deploy/compose.yaml': [
          'services:',
          '  api:',
          '    image: example/api:${API_TAG:-latest}',
          '    environment:',
          '      FROM_DOTENV: ${SET_IN_DEPLOY:-fallback}',
          '      DEFAULTED: ${ONLY_AT_ROOT:-fallback}',
          '      EMPTY_DEFAULT: ${EMPTY_IN_DEPLOY:-fallback}',
          '      EMPTY_NO_COLON: ${EMPTY_IN_DEPLOY-fallback}',
          '      DOLLARS: pa$$word',
          '',
        ].join('\n'),
        'deploy/.env': 'API_TAG=2.4.1\nSET_IN_DEPLOY=deploy-value\nEMPTY_IN_DEPLOY=\n',
        '.env': 'ONLY_AT_ROOT=root-value\nAPI_TAG=wrong\n',
      },
      {compose: ['deploy/compose.yaml']},
    );
    assert.equal(m.dotenv?.file, 'deploy/.env');
    const api = m.services.get('api');
    assert.ok(api);
    assert.equal(api.image?.value, 'example/api:2.4.1');
    assert.equal(api.environment.get('FROM_DOTENV')?.value, 'deploy-value');
    assert.equal(api.environment.get('FROM_DOTENV')?.interpolation?.usedDefault, false);
    assert.equal(api.environment.get('DEFAULTED')?.value, 'fallback');
    assert.equal(api.environment.get('DEFAULTED')?.interpolation?.usedDefault, true);
    assert.equal(api.environment.get('EMPTY_DEFAULT')?.value, 'fallback');
    assert.equal(api.environment.get('EMPTY_NO_COLON')?.value, '');
    assert.equal(api.environment.get('DOLLARS')?.value, 'pa$word');
    assert.equal(api.environment.get('DOLLARS')?.literal, true);
  });

  test('without a .env, references are missing and values empty', async () => {
    const m = await model({'compose.yaml': 'services:\n  api:\n    environment:\n      A: ${NOPE}\n'});
    assert.equal(m.dotenv, undefined);
    const a = m.services.get('api')?.environment.get('A');
    assert.equal(a?.value, '');
    assert.deepEqual(a?.interpolation?.missing, ['NOPE']);
  });

  test('the .env is parsed with lines and duplicates', async () => {
    const m = await model({'compose.yaml': 'services: {}\n', '.env': 'A=1\nB=2\nA=3\n'});
    assert.equal(m.dotenv?.entries.get('A')?.value, '3');
    assert.deepEqual(m.dotenv?.duplicates.get('A'), [1, 3]);
  });
});

describe('compose: ports', () => {
  test('short syntax forms, each with its line', async () => {
    const svc = await service(
      {
        'compose.yaml': [
          'services:',
          '  db:',
          '    image: postgres:16',
          '    ports:',
          '      - "5432"', //                 5
          '      - "5433:5432"', //            6
          '      - "127.0.0.1:5434:5432"', //  7
          '      - "[::1]:5435:5432"', //      8
          '      - "8000-8010:8000-8010"', //  9
          '      - "53:53/udp"', //            10
          '      - "127.0.0.1::6000"', //      11
          '      - 0.0.0.0:7000:7000/tcp', //  12
          '',
        ].join('\n'),
      },
      'db',
    );
    assert.deepEqual(
      svc.ports.map((p) => ({raw: p.raw, hostIp: p.hostIp, published: p.published, target: p.target, protocol: p.protocol, line: p.line, file: p.file})),
      [
        {raw: '5432', hostIp: undefined, published: undefined, target: '5432', protocol: 'tcp', line: 5, file: 'compose.yaml'},
        {raw: '5433:5432', hostIp: undefined, published: '5433', target: '5432', protocol: 'tcp', line: 6, file: 'compose.yaml'},
        {raw: '127.0.0.1:5434:5432', hostIp: '127.0.0.1', published: '5434', target: '5432', protocol: 'tcp', line: 7, file: 'compose.yaml'},
        {raw: '[::1]:5435:5432', hostIp: '::1', published: '5435', target: '5432', protocol: 'tcp', line: 8, file: 'compose.yaml'},
        {raw: '8000-8010:8000-8010', hostIp: undefined, published: '8000-8010', target: '8000-8010', protocol: 'tcp', line: 9, file: 'compose.yaml'},
        {raw: '53:53/udp', hostIp: undefined, published: '53', target: '53', protocol: 'udp', line: 10, file: 'compose.yaml'},
        {raw: '127.0.0.1::6000', hostIp: '127.0.0.1', published: undefined, target: '6000', protocol: 'tcp', line: 11, file: 'compose.yaml'},
        {raw: '0.0.0.0:7000:7000/tcp', hostIp: '0.0.0.0', published: '7000', target: '7000', protocol: 'tcp', line: 12, file: 'compose.yaml'},
      ],
    );
  });

  test('numeric ports and an unquoted HOST:CONTAINER', async () => {
    const svc = await service({'compose.yaml': 'services:\n  web:\n    ports:\n      - 80\n      - 8080:80\n'}, 'web');
    assert.deepEqual(
      svc.ports.map((p) => [p.raw, p.published, p.target, p.line]),
      [
        ['80', undefined, '80', 4],
        ['8080:80', '8080', '80', 5],
      ],
    );
  });

  test('long syntax: host_ip, published, target, protocol', async () => {
    const svc = await service(
      {
        'compose.yaml': [
          'services:',
          '  web:',
          '    ports:',
          '      - target: 80', //           4
          '        published: 8080',
          '        host_ip: 127.0.0.1',
          '      - target: 443', //          7
          '        published: "8443"',
          '      - target: 9000', //         9
          '      - target: 53', //           10
          '        published: 5353',
          '        protocol: udp',
          '',
        ].join('\n'),
      },
      'web',
    );
    assert.deepEqual(
      svc.ports.map((p) => ({raw: p.raw, hostIp: p.hostIp, published: p.published, target: p.target, protocol: p.protocol, line: p.line})),
      [
        {raw: '127.0.0.1:8080:80', hostIp: '127.0.0.1', published: '8080', target: '80', protocol: 'tcp', line: 4},
        {raw: '8443:443', hostIp: undefined, published: '8443', target: '443', protocol: 'tcp', line: 7},
        {raw: '9000', hostIp: undefined, published: undefined, target: '9000', protocol: 'tcp', line: 9},
        {raw: '5353:53/udp', hostIp: undefined, published: '5353', target: '53', protocol: 'udp', line: 10},
      ],
    );
  });

  test('ports interpolate from .env', async () => {
    const svc = await service(
      {'compose.yaml': 'services:\n  web:\n    ports:\n      - "${BIND:-0.0.0.0}:${WEB_PORT}:80"\n', '.env': 'BIND=127.0.0.1\nWEB_PORT=8081\n'},
      'web',
    );
    assert.equal(svc.ports.length, 1);
    assert.equal(svc.ports[0]?.hostIp, '127.0.0.1');
    assert.equal(svc.ports[0]?.published, '8081');
    assert.equal(svc.ports[0]?.raw, '127.0.0.1:8081:80');
  });
});

describe('compose: override files', () => {
  const base = [
    'services:',
    '  api:',
    '    image: example/api:1.0', //  3
    '    ports:',
    '      - "8080:80"', //            5
    '    environment:',
    '      LOG_LEVEL: info', //        7
    '      KEEP: base',
    '  db:',
    '    image: postgres:16',
    '    ports:',
    '      - "5432:5432"', //          12
    '',
  ].join('\n');

  test('the override adds ports and environment and replaces the image', async () => {
    const m = await model({
      'docker-compose.yml': base,
      'docker-compose.override.yml': [
        'services:',
        '  api:',
        '    image: example/api:2.0-debug', // 3
        '    ports:',
        '      - "8080:80"', //                 5 (same port: not duplicated)
        '      - "9229:9229"', //               6
        '    environment:',
        '      LOG_LEVEL: debug', //            8
        '      EXTRA: "1"', //                  9
        '',
      ].join('\n'),
    });
    assert.deepEqual(m.files, ['docker-compose.yml', 'docker-compose.override.yml']);
    const api = m.services.get('api');
    assert.ok(api);
    assert.equal(api.file, 'docker-compose.yml');
    assert.deepEqual(api.image, {value: 'example/api:2.0-debug', file: 'docker-compose.override.yml', line: 3});
    assert.deepEqual(
      api.ports.map((p) => [p.raw, p.file, p.line]),
      [
        ['8080:80', 'docker-compose.yml', 5],
        ['9229:9229', 'docker-compose.override.yml', 6],
      ],
    );
    assert.deepEqual(
      [...api.environment.values()].map((v) => [v.key, v.value, v.file, v.line]),
      [
        ['LOG_LEVEL', 'debug', 'docker-compose.override.yml', 8],
        ['KEEP', 'base', 'docker-compose.yml', 8],
        ['EXTRA', '1', 'docker-compose.override.yml', 9],
      ],
    );
    // A service the override does not mention is unchanged.
    assert.deepEqual(
      m.services.get('db')?.ports.map((p) => [p.raw, p.file, p.line]),
      [['5432:5432', 'docker-compose.yml', 12]],
    );
  });

  test('!reset on ports in the override drops the base ports', async () => {
    const m = await model({
      'docker-compose.yml': base,
      'docker-compose.override.yml': 'services:\n  db:\n    ports: !reset []\n  api:\n    ports: !reset\n      - "127.0.0.1:8080:80"\n',
    });
    assert.deepEqual(m.services.get('db')?.ports, []);
    assert.deepEqual(
      m.services.get('api')?.ports.map((p) => [p.raw, p.file, p.line]),
      [['127.0.0.1:8080:80', 'docker-compose.override.yml', 6]],
    );
  });

  test('compose.override.yaml is found by the default names', async () => {
    const m = await model({'compose.yaml': 'services:\n  a:\n    image: x:1\n', 'compose.override.yaml': 'services:\n  a:\n    image: x:2\n'});
    assert.deepEqual(m.files, ['compose.yaml', 'compose.override.yaml']);
    assert.equal(m.services.get('a')?.image?.value, 'x:2');
  });

  test('the same port in short and long syntax merges as one; another protocol does not', async () => {
    const m = await model({
      'compose.yaml': 'services:\n  dns:\n    ports:\n      - "53:53"\n      - "8080:80"\n',
      'compose.override.yaml': [
        'services:',
        '  dns:',
        '    ports:',
        '      - target: 80',
        '        published: 8080',
        '      - target: 53',
        '        published: 53',
        '        protocol: udp',
        '',
      ].join('\n'),
    });
    assert.deepEqual(
      m.services.get('dns')?.ports.map((p) => [p.published, p.target, p.protocol, p.file]),
      [
        ['53', '53', 'tcp', 'compose.yaml'],
        ['8080', '80', 'tcp', 'compose.yaml'],
        ['53', '53', 'udp', 'compose.override.yaml'],
      ],
    );
  });

  test('a service only in the override is added', async () => {
    const m = await model({'compose.yaml': 'services:\n  a:\n    image: x\n', 'compose.override.yaml': 'services:\n  b:\n    image: y\n'});
    assert.deepEqual([...m.services.keys()], ['a', 'b']);
    assert.equal(m.services.get('b')?.file, 'compose.override.yaml');
  });
});

describe('compose: env_file', () => {
  test('env_file is relative to the compose file and environment: wins', async () => {
    const m = await model(
      {
        'deploy/compose.yaml': [
          'services:',
          '  api:',
          '    env_file: ../config/api.env',
          '    environment:',
          '      SHARED: from-environment', // 5
          '',
        ].join('\n'),
        'config/api.env': 'ONLY_IN_FILE=file-value\nSHARED=from-env-file\n',
      },
      {compose: ['deploy/compose.yaml']},
    );
    const api = m.services.get('api');
    assert.ok(api);
    assert.deepEqual(api.envFiles, ['config/api.env']);
    assert.deepEqual(api.environment.get('ONLY_IN_FILE'), {
      key: 'ONLY_IN_FILE',
      raw: 'file-value',
      value: 'file-value',
      file: 'config/api.env',
      line: 1,
      literal: true,
      envFile: 'config/api.env',
    });
    const shared = api.environment.get('SHARED');
    assert.equal(shared?.value, 'from-environment');
    assert.equal(shared?.file, 'deploy/compose.yaml');
    assert.equal(shared?.line, 5);
    assert.equal(shared?.envFile, undefined);
  });

  test('environment: from the base wins over an env_file added by the override', async () => {
    const m = await model({
      'compose.yaml': 'services:\n  api:\n    environment:\n      A: base\n',
      'compose.override.yaml': 'services:\n  api:\n    env_file: extra.env\n',
      'extra.env': 'A=from-file\nB=from-file\n',
    });
    const api = m.services.get('api');
    assert.equal(api?.environment.get('A')?.value, 'base');
    assert.equal(api?.environment.get('B')?.value, 'from-file');
    assert.equal(api?.environment.get('B')?.envFile, 'extra.env');
  });

  test('a list of env_files, the later file winning, and an optional missing one', async () => {
    const m = await model({
      'compose.yaml': [
        'services:',
        '  api:',
        '    env_file:',
        '      - a.env',
        '      - path: b.env',
        '      - path: missing.env',
        '        required: false',
        '',
      ].join('\n'),
      'a.env': 'X=from-a\nY=only-a\n',
      'b.env': '# b\nX=from-b\n',
    });
    const api = m.services.get('api');
    assert.deepEqual(api?.envFiles, ['a.env', 'b.env']);
    assert.equal(api?.environment.get('X')?.value, 'from-b');
    assert.equal(api?.environment.get('X')?.line, 2);
    assert.equal(api?.environment.get('X')?.file, 'b.env');
    assert.equal(api?.environment.get('Y')?.value, 'only-a');
  });

  test('a required env_file that does not exist is a SourceError at its line', async () => {
    await rejectsAt(
      {'compose.yaml': 'services:\n  api:\n    image: x\n    env_file:\n      - present.env\n      - absent.env\n', 'present.env': 'A=1\n'},
      'compose.yaml',
      6,
      /absent\.env/,
    );
  });

  test('a malformed env_file is a SourceError naming that file and line', async () => {
    await rejectsAt({'compose.yaml': 'services:\n  api:\n    env_file: api.env\n', 'api.env': 'A=1\nB: 2\n'}, 'api.env', 2);
  });

  test('a malformed project .env does not take the Compose model down: it interpolates what parses, and the .env is a problem once', async () => {
    const dir = tempDir();
    writeFiles(dir, {'compose.yaml': 'services:\n  api:\n    image: "x:${TAG}"\n', '.env': 'TAG=1.2\nnot a key value line\n'});
    const ctx = contextFor(dir);
    const m = await ctx.compose();
    assert.equal(m?.services.get('api')?.image?.value, 'x:1.2');
    await assert.rejects(ctx.envFile('.env'), /expected KEY=value/);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      ctx.problems().map((p) => [p.file, p.line]),
      [['.env', 2]],
    );
  });
});

describe('compose: resources, volumes, profiles and flags', () => {
  test('deploy.resources.limits with lines', async () => {
    const svc = await service(
      {
        'compose.yaml': [
          'services:',
          '  api:',
          '    deploy:',
          '      resources:',
          '        limits:',
          '          memory: 512M',
          '          cpus: "0.5"',
          '',
        ].join('\n'),
      },
      'api',
    );
    assert.deepEqual(svc.memLimit, {value: '512M', file: 'compose.yaml', line: 6});
    assert.deepEqual(svc.cpus, {value: '0.5', file: 'compose.yaml', line: 7});
  });

  test('mem_limit and cpus', async () => {
    const svc = await service({'compose.yaml': 'services:\n  api:\n    mem_limit: 1g\n    cpus: 1.5\n'}, 'api');
    assert.deepEqual(svc.memLimit, {value: '1g', file: 'compose.yaml', line: 3});
    assert.deepEqual(svc.cpus, {value: '1.5', file: 'compose.yaml', line: 4});
  });

  test('no limits leaves them undefined', async () => {
    const svc = await service({'compose.yaml': 'services:\n  api:\n    image: x\n'}, 'api');
    assert.equal(svc.memLimit, undefined);
    assert.equal(svc.cpus, undefined);
  });

  test('docker.sock mounted in short and long syntax', async () => {
    const svc = await service(
      {
        'compose.yaml': [
          'services:',
          '  agent:',
          '    volumes:',
          '      - /var/run/docker.sock:/var/run/docker.sock:ro', // 4
          '      - data:/data', //                                   5
          '      - type: bind', //                                   6
          '        source: /var/run/docker.sock',
          '        target: /docker.sock',
          '      - /anonymous', //                                   9
          '',
        ].join('\n'),
      },
      'agent',
    );
    assert.deepEqual(
      svc.volumes.map((v) => [v.source, v.target, v.line]),
      [
        ['/var/run/docker.sock', '/var/run/docker.sock', 4],
        ['data', '/data', 5],
        ['/var/run/docker.sock', '/docker.sock', 6],
        [undefined, '/anonymous', 9],
      ],
    );
  });

  test('an override volume with the same target replaces the base one', async () => {
    const m = await model({
      'compose.yaml': 'services:\n  a:\n    volumes:\n      - ./data:/data\n      - logs:/logs\n',
      'compose.override.yaml': 'services:\n  a:\n    volumes:\n      - /var/run/docker.sock:/data\n',
    });
    assert.deepEqual(
      m.services.get('a')?.volumes.map((v) => [v.source, v.target, v.file]),
      [
        ['logs', '/logs', 'compose.yaml'],
        ['/var/run/docker.sock', '/data', 'compose.override.yaml'],
      ],
    );
  });

  test('profiles', async () => {
    const m = await model({'compose.yaml': 'services:\n  main:\n    image: x\n  debug:\n    image: y\n    profiles: [debug, tools]\n'});
    assert.deepEqual(m.services.get('main')?.profiles, []);
    assert.deepEqual(m.services.get('debug')?.profiles, ['debug', 'tools']);
  });

  test('build, privileged and network_mode', async () => {
    const m = await model({
      'compose.yaml': 'services:\n  a:\n    build: .\n    privileged: true\n    network_mode: host\n  b:\n    image: x\n    privileged: false\n',
    });
    const a = m.services.get('a');
    assert.equal(a?.build, true);
    assert.deepEqual(a?.privileged, {value: true, file: 'compose.yaml', line: 4});
    assert.deepEqual(a?.networkMode, {value: 'host', file: 'compose.yaml', line: 5});
    const b = m.services.get('b');
    assert.equal(b?.build, false);
    assert.equal(b?.privileged?.value, false);
    assert.equal(b?.networkMode, undefined);
  });

  test('a service with an empty body', async () => {
    const svc = await service({'compose.yaml': 'services:\n  empty:\n'}, 'empty');
    assert.equal(svc.image, undefined);
    assert.deepEqual(svc.ports, []);
    assert.equal(svc.environment.size, 0);
  });
});

describe('compose: finding the files', () => {
  test('no compose file gives undefined', async () => {
    const dir = tempDir();
    writeFiles(dir, {'.env': 'A=1\n'});
    assert.equal(await contextFor(dir).compose(), undefined);
  });

  test('an empty compose file or one without services has no services', async () => {
    assert.equal((await model({'compose.yaml': ''})).services.size, 0);
    assert.equal((await model({'compose.yaml': 'name: x\nvolumes:\n  data: {}\n'})).services.size, 0);
  });

  test('the first existing candidate is the base', async () => {
    const m = await model({'docker-compose.yml': 'services:\n  old:\n    image: x\n', 'compose.yaml': 'services:\n  new:\n    image: y\n'});
    assert.deepEqual(m.files, ['compose.yaml']);
    assert.deepEqual([...m.services.keys()], ['new']);
  });
});

describe('compose: malformed files', () => {
  test('invalid YAML is a SourceError with line and column', async () => {
    const err = await rejectsAt({'compose.yaml': 'services:\n  web:\n    image: nginx\n     ports: []\n'}, 'compose.yaml', 3, /invalid YAML/);
    assert.equal(err.col, 12);
    const dup = await rejectsAt({'compose.yaml': 'services:\n  web:\n    image: a\n    image: b\n'}, 'compose.yaml', 4, /unique/);
    assert.equal(dup.col, 5);
  });

  test('invalid YAML in the override names the override', async () => {
    await rejectsAt({'compose.yaml': 'services:\n  a:\n    image: x\n', 'compose.override.yaml': 'services:\n  a:\n\timage: y\n'}, 'compose.override.yaml', 3);
  });

  test('services that is not a mapping', async () => {
    await rejectsAt({'compose.yaml': 'version: "3"\nservices: [web, db]\n'}, 'compose.yaml', 2, /services: must be a mapping/);
  });

  test('a top-level list is not a Compose file', async () => {
    await rejectsAt({'compose.yaml': '- services\n'}, 'compose.yaml', 1, /mapping/);
  });

  test('a service that is not a mapping', async () => {
    const err = await rejectsAt({'compose.yaml': 'services:\n  ok:\n    image: x\n  web: nginx\n'}, 'compose.yaml', 4, /service web must be a mapping/);
    assert.equal(err.key, 'web');
  });

  test('a bad port string names the file and line', async () => {
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    ports:\n      - "80:80"\n      - "1.2.3.4:80:80:80"\n'}, 'compose.yaml', 5, /cannot read port/);
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    ports:\n      - "80:http"\n'}, 'compose.yaml', 4, /not a number/);
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    ports:\n      - "::1:80:80"\n'}, 'compose.yaml', 4, /brackets/);
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    ports:\n      - published: 80\n'}, 'compose.yaml', 4, /target/);
  });

  test('ports that are not a list', async () => {
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    image: x\n    ports: "80:80"\n'}, 'compose.yaml', 4, /must be a list/);
  });

  test('bad interpolation in an image, an environment value and a list entry', async () => {
    const img = await rejectsAt({'compose.yaml': 'services:\n  web:\n    image: "nginx:${TAG"\n'}, 'compose.yaml', 3, /interpolation/);
    assert.equal(img.key, 'image');
    const env = await rejectsAt(
      {'compose.yaml': 'services:\n  web:\n    environment:\n      A: ok\n      B: "${X:-oops"\n'},
      'compose.yaml',
      5,
      /interpolation/,
    );
    assert.equal(env.key, 'B');
    const list = await rejectsAt({'compose.yaml': 'services:\n  web:\n    environment:\n      - A=ok\n      - C=${}\n'}, 'compose.yaml', 5, /interpolation/);
    assert.equal(list.key, 'C');
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    ports:\n      - "${P:-80:80"\n'}, 'compose.yaml', 4, /interpolation/);
  });

  test('malformed environment entries', async () => {
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    environment:\n      - A=1\n      - =nokey\n'}, 'compose.yaml', 5, /no name/);
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    environment:\n      - {A: 1}\n'}, 'compose.yaml', 4, /KEY=value/);
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    environment:\n      A:\n        nested: x\n'}, 'compose.yaml', 5, /must be a string/);
    await rejectsAt({'compose.yaml': 'services:\n  web:\n    environment: "A=1"\n'}, 'compose.yaml', 3, /mapping or a list/);
  });

  test('the error says where in file:line:col form', async () => {
    const err = await rejectsAt({'compose.yaml': 'services:\n  web:\n    ports:\n      - "x"\n'}, 'compose.yaml', 4);
    assert.equal(err.where, 'compose.yaml:4:1');
  });
});

describe('compose: helpers', () => {
  test('isLoopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST', '0:0:0:0:0:0:0:1']) assert.equal(isLoopback(h), true, h);
    for (const h of [undefined, '', '0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.0.0', '192.168.1.127', 'localhost.example.com'])
      assert.equal(isLoopback(h), false, String(h));
  });

  test('imageBaseName', () => {
    assert.equal(imageBaseName('ghcr.io/x/the0/api:latest'), 'api');
    assert.equal(imageBaseName('postgres'), 'postgres');
    assert.equal(imageBaseName('postgres:16-alpine'), 'postgres');
    assert.equal(imageBaseName('localhost:5000/team/app:1.0'), 'app');
    assert.equal(imageBaseName('redis@sha256:0123abcd'), 'redis');
    assert.equal(imageBaseName('registry.example.com:443/a/b@sha256:ffff'), 'b');
  });

  test('imageTag', () => {
    assert.equal(imageTag('postgres:16'), '16');
    assert.equal(imageTag('postgres'), 'latest');
    assert.equal(imageTag('ghcr.io/org/app:v1.2.3'), 'v1.2.3');
    assert.equal(imageTag('localhost:5000/app'), 'latest');
    assert.equal(imageTag('localhost:5000/app:2'), '2');
    assert.equal(imageTag('app@sha256:0123abcd'), undefined);
    assert.equal(imageTag('app:1.0@sha256:0123abcd'), undefined);
  });
});

test('an interpolation error never quotes the value it is in (it may be a secret)', async () => {
  const {tempDir, writeFiles, contextFor} = await import('../support/helpers.js');
  const {SourceError} = await import('../../src/sources/errors.js');
  for (const bad of ['Zq8${!hunter2xyz}Kp', 'Zq8${A?x}${A:=hunter2xyz}Kp', 'hunter2xyz${']) {
    const dir = tempDir();
    writeFiles(dir, {'compose.yaml': `services:\n  api:\n    image: x:1\n    environment:\n      JWT_SECRET: '${bad}'\n`});
    await assert.rejects(contextFor(dir).compose(), (err: unknown) => {
      assert.ok(err instanceof SourceError);
      assert.equal(err.line, 5);
      assert.ok(!err.message.toLowerCase().includes('hunter2'), err.message);
      return true;
    });
  }
});

describe('opt-in overlays, pull_policy, command and group_add (the0 shapes)', () => {
  const BASE = [
    'services:', //                                        1
    '  api:', //                                           2
    '    image: ghcr.io/acme/api:latest', //               3
    '    pull_policy: always', //                          4
    '    environment:', //                                 5
    '      JWT_SECRET: base-literal-value', //             6
    '      LOG_LEVEL: info', //                            7
    '    command: node server.js --port 3000', //          8
    '    group_add: ["${DOCKER_GID:-0}", 998]', //         9
    '',
  ].join('\n');
  const OVERLAY = ['services:', '  api:', '    image: node:20-alpine', '    environment:', '      JWT_SECRET: ${JWT_SECRET}', ''].join('\n');
  const DEV = {composeOverrides: ['docker-compose.override.yml', 'docker-compose.dev.yml']};

  test('an opt-in overlay keeps what it replaced, since the project also runs without it', async () => {
    const m = await model({'docker-compose.yml': BASE, 'docker-compose.dev.yml': OVERLAY, '.env': 'JWT_SECRET=x\n'}, DEV);
    assert.deepEqual(m.overlays, ['docker-compose.dev.yml']);
    const api = m.services.get('api')!;
    assert.equal(api.image?.file, 'docker-compose.dev.yml');
    assert.deepEqual(
      api.shadowedImages.map((i) => [i.file, i.line, i.value]),
      [['docker-compose.yml', 3, 'ghcr.io/acme/api:latest']],
    );
    assert.deepEqual(
      api.shadowedEnv.map((v) => [v.file, v.line, v.key, v.literal]),
      [['docker-compose.yml', 6, 'JWT_SECRET', true]],
    );
    assert.equal(api.environment.get('JWT_SECRET')?.file, 'docker-compose.dev.yml');
  });

  test('compose.override.* is merged by Compose itself: what it replaces is gone', async () => {
    const m = await model({'docker-compose.yml': BASE, 'docker-compose.override.yml': OVERLAY}, DEV);
    assert.deepEqual(m.overlays, []);
    const api = m.services.get('api')!;
    assert.deepEqual(api.shadowedEnv, []);
    assert.deepEqual(api.shadowedImages, []);
  });

  test('pull_policy, command words and group_add entries with their fallbacks, located', async () => {
    const api = await service({'docker-compose.yml': BASE}, 'api');
    assert.deepEqual([api.pullPolicy?.value, api.pullPolicy?.line], ['always', 4]);
    assert.deepEqual(api.command?.value, ['node', 'server.js', '--port', '3000']);
    assert.equal(api.command?.line, 8);
    assert.deepEqual(
      api.groupAdd.map((g) => [g.value, g.usedDefault, g.refs, g.line]),
      [
        ['0', true, ['DOCKER_GID'], 9],
        ['998', false, [], 9],
      ],
    );
  });

  test('a group_add entry that is a list is refused at its line', async () => {
    await rejectsAt({'docker-compose.yml': 'services:\n  api:\n    image: a:1\n    group_add:\n      - [1, 2]\n'}, 'docker-compose.yml', 5, /single value/);
  });
});
