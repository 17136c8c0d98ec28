// discord.* checks against real instance folders and Compose files in temp dirs.
import assert from 'node:assert/strict';
import {symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {createHash} from 'node:crypto';
import {dirWith, evidenceAt, lines, places, runCheck, tempDir, writeFiles} from '../support/helpers.js';

/** The pack's file settings: the root .env and every bot's .env. */
const FILES = {env: ['.env', 'instances/*/.env']};
const TOKEN = '3f9c2b7e1d4a6058c9e2f1b7a3d5c8e0f6a1b4c7d2e9f3a5b8c1d6e0f2a4b7c9';

const run = (id: string, dir: string, params: Record<string, unknown> = {}) => runCheck(id, dir, params, FILES);

/** A bot's .env, one key a line in this order (so line numbers are known): overrides by key, `null` drops a key. */
function botEnv(name: string, over: Record<string, string | null> = {}): string {
  const base: Record<string, string | null> = {
    DISCORD_TOKEN: `token-${name}-0123456789abcdef`, // 1
    CLIENT_ID: '300000000000000001', // 2
    GUILD_ID: '400000000000000001', // 3
    DATABASE_URL: 'postgresql://bot:Zq8vR2nW5xK9pL3mT7yB1cF4@postgres:5432/bot', // 4
    DB_SCHEMA: name, // 5
    MCP_BIND_ADDR: '0.0.0.0', // 6
    MCP_AUTH_TOKEN: TOKEN, // 7
    ...over,
  };
  return lines(
    ...Object.entries(base)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}=${v}`),
  );
}

function config(prefix: string, extra = ''): string {
  return `bot_name = "x"\ncommand_prefix = "${prefix}"\n${extra}`;
}

/** A two-bot deployment: compose, root .env, two folders. */
function fleetFiles(o: {compose?: string; alphaEnv?: string; betaEnv?: string; alphaConfig?: string; betaConfig?: string} = {}): Record<string, string> {
  return {
    'docker-compose.yml':
      o.compose ??
      lines(
        'services:', // 1
        '  alpha:', // 2
        '    image: bot:1.0', // 3
        '    env_file: instances/alpha/.env', // 4
        '    volumes:', // 5
        '      - ./instances/alpha:/config:ro', // 6
        '  beta:', // 7
        '    image: bot:1.0', // 8
        '    env_file: instances/beta/.env', // 9
        '    volumes:', // 10
        '      - ./instances/beta:/config:ro', // 11
        '  mcp-gateway:', // 12
        '    image: gw:1.0', // 13
        '    ports:', // 14
        '      - "127.0.0.1:9100:9100"', // 15
        '    environment:', // 16
        '      INSTANCES: "alpha=http://alpha:9090,beta=http://beta:9090"', // 17
        '      MCP_AUTH_TOKEN: ${MCP_GATEWAY_AUTH_TOKEN}', // 18
        '    depends_on: [alpha, beta]', // 19
      ),
    '.env': lines('POSTGRES_PASSWORD=Zq8vR2nW5xK9pL3mT7yB1cF4', `MCP_GATEWAY_AUTH_TOKEN=${TOKEN}`),
    'instances/alpha/.env': o.alphaEnv ?? botEnv('alpha'),
    'instances/beta/.env': o.betaEnv ?? botEnv('beta'),
    'instances/alpha/config.toml': o.alphaConfig ?? config('!'),
    'instances/beta/config.toml': o.betaConfig ?? config('?'),
    'instances/alpha/personality.txt': 'You are Alpha.\n',
    'instances/beta/personality.txt': 'You are Beta.\n',
  };
}

describe('discord.instances', () => {
  test('one folder per bot passes', async () => {
    const r = await run('discord.instances', dirWith(fleetFiles()));
    assert.equal(r.status, 'pass', r.message);
  });

  test('two services mounting one folder fail at each mount line', async () => {
    const d = dirWith(fleetFiles({compose: fleetFiles()['docker-compose.yml']!.replace('./instances/beta:/config', './instances/alpha:/config')}));
    const r = await run('discord.instances', d);
    assert.equal(r.status, 'fail');
    evidenceAt(r, 'docker-compose.yml', 6, 'alpha');
    evidenceAt(r, 'docker-compose.yml', 11, 'beta');
    // beta also reads instances/beta/.env while mounting alpha's folder.
    const mixed = evidenceAt(r, 'docker-compose.yml', 9, 'beta.env_file');
    assert.match(mixed.detail, /reads instances\/beta\/\.env but mounts instances\/alpha/);
  });

  test('a config.toml linked to a sibling is the same file: fail naming the link', async () => {
    const files = fleetFiles();
    delete files['instances/beta/config.toml'];
    const d = dirWith(files);
    symlinkSync('../alpha/config.toml', join(d, 'instances/beta/config.toml'));
    const r = await run('discord.instances', d);
    assert.equal(r.status, 'fail');
    const e = evidenceAt(r, 'instances/beta/config.toml', 1, 'beta');
    assert.match(e.detail, /same file as instances\/alpha\/config\.toml/);
  });

  test('a missing config.toml fails at the mount line', async () => {
    const files = fleetFiles();
    delete files['instances/beta/config.toml'];
    const r = await run('discord.instances', dirWith(files));
    assert.equal(r.status, 'fail');
    assert.match(evidenceAt(r, 'docker-compose.yml', 11, 'beta').detail, /instances\/beta\/config\.toml does not exist/);
  });

  test('a bot service without a folder, and one env_file shared by two bots', async () => {
    const d = dirWith({
      ...fleetFiles(),
      'docker-compose.yml': lines(
        'services:', // 1
        '  alpha:', // 2
        '    image: bot:1.0', // 3
        '    env_file: [.env, instances/alpha/.env]', // 4
        '    volumes: ["./instances/alpha:/config"]', // 5
        '  beta:', // 6
        '    image: bot:1.0', // 7
        '    env_file:', // 8
        '      - .env', // 9
        '      - instances/beta/.env', // 10
        '    volumes: ["./instances/beta:/config"]', // 11
      ),
    });
    const r = await run('discord.instances', d);
    assert.equal(r.status, 'fail');
    evidenceAt(r, 'docker-compose.yml', 4, 'alpha.env_file');
    evidenceAt(r, 'docker-compose.yml', 9, 'beta.env_file');
  });

  test('a folder with a .env that no service runs warns', async () => {
    const d = dirWith({...fleetFiles(), 'instances/gamma/.env': botEnv('gamma')});
    const r = await run('discord.instances', d);
    assert.equal(r.status, 'warn');
    evidenceAt(r, 'instances/gamma/.env', undefined, 'gamma');
  });

  test('without a Compose file every instances/*/.env is a bot', async () => {
    const files = fleetFiles();
    delete files['docker-compose.yml'];
    delete files['instances/beta/config.toml'];
    const r = await run('discord.instances', dirWith(files));
    assert.equal(r.status, 'fail');
    assert.match(r.evidence.map((e) => e.detail).join('\n'), /instances\/beta\/config\.toml does not exist/);
  });

  test('no bot at all skips', async () => {
    const r = await run('discord.instances', dirWith({'docker-compose.yml': lines('services:', '  web:', '    image: nginx:1.25')}));
    assert.equal(r.status, 'skip');
  });
});

describe('discord.instance-env and discord.distinct', () => {
  test('a rejected value fails at its line; a name other than the folder warns', async () => {
    const d = dirWith(fleetFiles({alphaEnv: botEnv('alpha', {DB_SCHEMA: 'Example'}), betaEnv: botEnv('beta', {DB_SCHEMA: 'bravo'})}));
    const r = await run('discord.instance-env', d, {key: 'DB_SCHEMA', reject: ['example'], matchDir: 'warn'});
    assert.equal(r.status, 'fail');
    evidenceAt(r, 'instances/alpha/.env', 5, 'DB_SCHEMA');
    const soft = evidenceAt(r, 'instances/beta/.env', 5, 'DB_SCHEMA');
    assert.match(soft.detail, /differs from its folder name "beta"/);
    const onlyWarn = await run('discord.instance-env', dirWith(fleetFiles({betaEnv: botEnv('beta', {DB_SCHEMA: 'bravo'})})), {
      key: 'DB_SCHEMA',
      matchDir: 'warn',
    });
    assert.equal(onlyWarn.status, 'warn');
  });

  test("a missing required key fails naming the bot's .env; a pattern is applied", async () => {
    const d = dirWith(fleetFiles({alphaEnv: botEnv('alpha', {GUILD_ID: null}), betaEnv: botEnv('beta', {GUILD_ID: '12'})}));
    const r = await run('discord.instance-env', d, {key: 'GUILD_ID', pattern: '^[0-9]{17,20}$', expect: 'a guild id'});
    assert.equal(r.status, 'fail');
    evidenceAt(r, 'instances/alpha/.env', undefined, 'GUILD_ID');
    assert.match(evidenceAt(r, 'instances/beta/.env', 3, 'GUILD_ID').detail, /"12" is not a guild id/);
  });

  test('secrets are shown only as their shape', async () => {
    const d = dirWith(fleetFiles({alphaEnv: botEnv('alpha', {DISCORD_TOKEN: 'your-discord-bot-token'})}));
    const r = await run('discord.instance-env', d, {key: 'DISCORD_TOKEN', secret: true});
    assert.equal(r.status, 'fail');
    assert.ok(!JSON.stringify(r).includes('your-discord-bot-token'));
    assert.ok(!JSON.stringify(r).includes('token-beta-0123456789abcdef'));
  });

  test('distinct: a shared value fails at every copy; an unset value counts as its default', async () => {
    const shared = await run('discord.distinct', dirWith(fleetFiles({betaEnv: botEnv('beta', {DISCORD_TOKEN: 'token-alpha-0123456789abcdef'})})), {
      key: 'DISCORD_TOKEN',
      secret: true,
    });
    assert.equal(shared.status, 'fail');
    assert.deepEqual(places(shared), [
      ['instances/alpha/.env', 1, 'DISCORD_TOKEN'],
      ['instances/beta/.env', 1, 'DISCORD_TOKEN'],
    ]);
    assert.ok(!JSON.stringify(shared).includes('token-alpha-0123456789abcdef'));

    const unset = dirWith(fleetFiles({alphaEnv: botEnv('alpha', {DB_SCHEMA: null}), betaEnv: botEnv('beta', {DB_SCHEMA: 'public'})}));
    const r = await run('discord.distinct', unset, {key: 'DB_SCHEMA', unset: 'public'});
    assert.equal(r.status, 'fail');
    assert.match(evidenceAt(r, 'instances/alpha/.env', undefined, 'DB_SCHEMA').detail, /unset, so "public"/);
    assert.equal((await run('discord.distinct', unset, {key: 'DB_SCHEMA'})).status, 'pass', 'without a default, an unset value shares nothing');
  });
});

describe('discord.placeholders', () => {
  test('a your- value anywhere fails at its line, and a required key must be set', async () => {
    const d = dirWith({
      ...fleetFiles({betaEnv: botEnv('beta', {CLIENT_ID: null, DB_SCHEMA: 'YOUR-schema'})}),
      '.env': lines('POSTGRES_PASSWORD=your-password-here', `MCP_GATEWAY_AUTH_TOKEN=${TOKEN}`),
    });
    const r = await run('discord.placeholders', d, {required: ['CLIENT_ID']});
    assert.equal(r.status, 'fail');
    evidenceAt(r, '.env', 1, 'POSTGRES_PASSWORD');
    evidenceAt(r, 'instances/beta/.env', 4, 'DB_SCHEMA');
    evidenceAt(r, 'instances/beta/.env', undefined, 'CLIENT_ID');
    assert.equal(r.evidence.length, 3, "each place once, though a bot's env_file is read twice");
  });

  test('clean files pass', async () => {
    assert.equal((await run('discord.placeholders', dirWith(fleetFiles()), {required: ['CLIENT_ID']})).status, 'pass');
  });
});

describe('discord.mcp-auth and discord.gateway-token', () => {
  test('a non-loopback bind without a token fails at the bind line; loopback and an unset bind pass', async () => {
    const d = dirWith(fleetFiles({alphaEnv: botEnv('alpha', {MCP_AUTH_TOKEN: ''}), betaEnv: botEnv('beta', {MCP_BIND_ADDR: null, MCP_AUTH_TOKEN: null})}));
    const r = await run('discord.mcp-auth', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['instances/alpha/.env', 6, 'MCP_BIND_ADDR']]);
    const ok = await run('discord.mcp-auth', dirWith(fleetFiles({alphaEnv: botEnv('alpha', {MCP_BIND_ADDR: '127.0.0.1', MCP_AUTH_TOKEN: ''})})));
    assert.equal(ok.status, 'pass');
  });

  test('a placeholder token counts as none', async () => {
    const r = await run('discord.mcp-auth', dirWith(fleetFiles({betaEnv: botEnv('beta', {MCP_AUTH_TOKEN: 'changeme'})})));
    assert.equal(r.status, 'fail');
    evidenceAt(r, 'instances/beta/.env', 7, 'MCP_AUTH_TOKEN');
  });

  test('the gateway token is found in the root .env and compared with every bot', async () => {
    const other = TOKEN.split('').reverse().join('');
    const d = dirWith(fleetFiles({betaEnv: botEnv('beta', {MCP_AUTH_TOKEN: other})}));
    const r = await run('discord.gateway-token', d);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['instances/beta/.env', 7, 'MCP_AUTH_TOKEN']]);
    assert.ok(!JSON.stringify(r).includes(TOKEN) && !JSON.stringify(r).includes(other));
    assert.equal((await run('discord.gateway-token', dirWith(fleetFiles()))).status, 'pass');
  });

  test('strength: below minBits fails at the .env line of the variable the gateway reads', async () => {
    const files = fleetFiles({alphaEnv: botEnv('alpha', {MCP_AUTH_TOKEN: 'hunter22'}), betaEnv: botEnv('beta', {MCP_AUTH_TOKEN: 'hunter22'})});
    files['.env'] = lines('POSTGRES_PASSWORD=x', 'MCP_GATEWAY_AUTH_TOKEN=hunter22');
    const d = dirWith(files);
    assert.equal((await run('discord.gateway-token', d, {match: true})).status, 'pass', 'matching is a separate question');
    const r = await run('discord.gateway-token', d, {match: false, minBits: 256});
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['.env', 2, 'MCP_GATEWAY_AUTH_TOKEN']]);
  });

  test('an unset gateway token fails at the gateway; no gateway skips', async () => {
    const files = fleetFiles();
    files['.env'] = 'POSTGRES_PASSWORD=x\n';
    const r = await run('discord.gateway-token', dirWith(files));
    assert.equal(r.status, 'fail');
    assert.match(r.evidence[0]!.detail, /refuses to start/);
    const none = fleetFiles();
    none['docker-compose.yml'] = none['docker-compose.yml']!.split('  mcp-gateway:')[0]!;
    assert.equal((await run('discord.gateway-token', dirWith(none))).status, 'skip');
  });
});

describe('discord.gateway-backends', () => {
  const gw = (instances: string, dependsOn: string) =>
    lines(
      'services:', // 1
      '  alpha:', // 2
      '    image: bot:1.0', // 3
      '    env_file: instances/alpha/.env', // 4
      '    volumes: ["./instances/alpha:/config"]', // 5
      '  beta:', // 6
      '    image: bot:1.0', // 7
      '    env_file: instances/beta/.env', // 8
      '    volumes: ["./instances/beta:/config"]', // 9
      '  postgres:', // 10
      '    image: postgres:17', // 11
      '  mcp-gateway:', // 12
      '    image: gw:1.0', // 13
      '    environment:', // 14
      `      INSTANCES: "${instances}"`, // 15
      '    depends_on:', // 16
      dependsOn, // 17
    );

  test('INSTANCES: a missing bot, a service that is no bot, a bad entry and a wrong port each fail at the INSTANCES line', async () => {
    const d = dirWith(fleetFiles({compose: gw('alpha=http://alpha:9091,db=http://postgres:5432,broken', '      - alpha')}));
    const r = await run('discord.gateway-backends', d, {list: 'instances'});
    assert.equal(r.status, 'fail');
    const details = r.evidence.map((e) => `${e.file}:${e.line} ${e.detail}`);
    for (const want of [
      /"broken" is not name=/,
      /db points at service postgres, which is not a bot/,
      /alpha calls port 9091, but bot alpha listens on 9090/,
      /does not list bot beta/,
    ]) {
      assert.ok(
        details.some((x) => x.startsWith('docker-compose.yml:15 ') && want.test(x)),
        `${want} not in ${details.join('\n')}`,
      );
    }
  });

  test('depends_on as a list or a mapping', async () => {
    const list = await run('discord.gateway-backends', dirWith(fleetFiles({compose: gw('alpha=http://alpha:9090,beta=http://beta:9090', '      - alpha')})), {
      list: 'depends_on',
    });
    assert.equal(list.status, 'fail');
    assert.match(evidenceAt(list, 'docker-compose.yml', 17, 'mcp-gateway.depends_on').detail, /does not depend on bot beta/);
    const map = await run(
      'discord.gateway-backends',
      dirWith(
        fleetFiles({
          compose: gw('alpha=http://alpha:9090,beta=http://beta:9090', '      alpha: {condition: service_started}\n      beta: {condition: service_started}'),
        }),
      ),
      {list: 'depends_on'},
    );
    assert.equal(map.status, 'pass', map.message);
    assert.equal(
      (
        await run('discord.gateway-backends', dirWith(fleetFiles({compose: gw('alpha=http://alpha:9090,beta=http://beta:9090', '      - alpha')})), {
          list: 'instances',
        })
      ).status,
      'pass',
    );
  });
});

describe('discord.published', () => {
  test('a bot on the host network, and a gateway on every interface', async () => {
    const compose = lines(
      'services:', // 1
      '  alpha:', // 2
      '    image: bot:1.0', // 3
      '    network_mode: host', // 4
      '    volumes: ["./instances/alpha:/config"]', // 5
      '  mcp-gateway:', // 6
      '    image: gw:1.0', // 7
      '    ports: ["9100:9100"]', // 8
      '    environment: {INSTANCES: "alpha=http://alpha:9090"}', // 9
    );
    const d = dirWith({...fleetFiles(), 'docker-compose.yml': compose});
    const bots = await run('discord.published', d, {role: 'bots'});
    assert.equal(bots.status, 'fail');
    assert.deepEqual(places(bots), [['docker-compose.yml', 4, 'alpha.network_mode']]);
    const gateway = await run('discord.published', d, {role: 'gateway'});
    assert.equal(gateway.status, 'fail');
    assert.deepEqual(places(gateway), [['docker-compose.yml', 8, 'mcp-gateway.ports']]);
  });
});

describe('discord.postgres-password', () => {
  const pg = (ports: string) =>
    lines(
      'services:',
      '  postgres:',
      '    image: postgres:17',
      '    environment:',
      '      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}',
      ports,
      '  alpha:',
      '    image: bot:1.0',
      '    env_file: instances/alpha/.env',
      '    volumes: ["./instances/alpha:/config"]',
    );
  const weak = {
    '.env': 'POSTGRES_PASSWORD=discord_bot_pass\n',
    'instances/alpha/.env': botEnv('alpha', {DATABASE_URL: 'postgresql://discord_bot:discord_bot_pass@postgres:5432/discord_bot'}),
  };

  test('the default inside the Compose network is tolerated', async () => {
    const r = await run('discord.postgres-password', dirWith({...weak, 'docker-compose.yml': pg('')}));
    assert.equal(r.status, 'pass');
    assert.match(r.message, /tolerable only while PostgreSQL stays inside the Compose network/);
  });

  test('published, even on loopback, the default fails at every copy and names the port', async () => {
    const r = await run('discord.postgres-password', dirWith({...weak, 'docker-compose.yml': pg('    ports: ["127.0.0.1:5432:5432"]')}));
    assert.equal(r.status, 'fail');
    evidenceAt(r, '.env', 1, 'POSTGRES_PASSWORD');
    evidenceAt(r, 'instances/alpha/.env', 4, 'DATABASE_URL (password in URL)');
    evidenceAt(r, 'docker-compose.yml', 6, 'postgres.ports');
    assert.ok(!JSON.stringify(r).includes('discord_bot_pass'));
  });

  test('a bot URL to another host makes it reachable', async () => {
    const ext = {...weak, 'instances/alpha/.env': botEnv('alpha', {DATABASE_URL: 'postgresql://discord_bot:discord_bot_pass@db.example.net:5432/discord_bot'})};
    const r = await run('discord.postgres-password', dirWith({...ext, 'docker-compose.yml': pg('')}));
    assert.equal(r.status, 'fail');
    assert.match(evidenceAt(r, 'instances/alpha/.env', 4, 'DATABASE_URL').detail, /db\.example\.net, which is not a service/);
  });
});

describe('config.toml checks', () => {
  test('features: a flag on without its table fails at the flag; sub-features only when the module is on', async () => {
    const alpha = config('!', lines('[features]', 'welcome = true', 'minecraft = true', '[minecraft]', 'donator_sync = true'));
    const beta = config('?', lines('[features]', 'minecraft = false', '[minecraft]', 'chargeback = true'));
    const r = await run('discord.features', dirWith(fleetFiles({alphaConfig: alpha, betaConfig: beta})));
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['instances/alpha/config.toml', 4, 'features.welcome'],
      ['instances/alpha/config.toml', 7, 'minecraft.donator_sync'],
    ]);
  });

  test('features: a broken config.toml is an error at its line and column', async () => {
    const d = dirWith(fleetFiles({betaConfig: 'bot_name = "x"\ncommand_prefix = \n'}));
    const r = await run('discord.features', d);
    assert.equal(r.status, 'error');
    assert.match(r.message, /^instances\/beta\/config\.toml:2:\d+: invalid TOML/);
    assert.deepEqual(places(r), [['instances/beta/config.toml', 2, undefined]]);
  });

  test('feature-env: keys a feature needs, and a skip when no bot turns it on', async () => {
    const on = config('!', lines('[features]', 'minecraft = true', '[minecraft]'));
    const r = await run('discord.feature-env', dirWith(fleetFiles({alphaConfig: on, alphaEnv: botEnv('alpha', {MC_VERIFY_URL: 'https://mc.example.net'})})));
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['instances/alpha/.env', undefined, 'MC_VERIFY_SECRET']]);
    assert.equal((await run('discord.feature-env', dirWith(fleetFiles()))).status, 'skip');
  });

  test('config-value: a pattern over each config.toml', async () => {
    const params = {path: 'command_prefix', pattern: '^(?=\\S{1,5}$)(?=.*[^A-Za-z0-9]).*$', expect: 'a short symbol prefix'};
    const r = await run('discord.config-value', dirWith(fleetFiles({betaConfig: config('go')})), params);
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [['instances/beta/config.toml', 2, 'command_prefix']]);
    assert.equal((await run('discord.config-value', dirWith(fleetFiles()), params)).status, 'pass');
  });

  test('prefixes: the same prefix and root in one guild collide; another root or guild does not', async () => {
    const same = await run('discord.prefixes', dirWith(fleetFiles({betaConfig: config('!')})));
    assert.equal(same.status, 'fail');
    assert.deepEqual(places(same), [
      ['instances/alpha/config.toml', 2, 'command_prefix'],
      ['instances/beta/config.toml', 2, 'command_prefix'],
    ]);
    assert.equal((await run('discord.prefixes', dirWith(fleetFiles({betaConfig: config('!', 'command_root = "bot"\n')})))).status, 'pass');
    assert.equal(
      (await run('discord.prefixes', dirWith(fleetFiles({betaConfig: config('!'), betaEnv: botEnv('beta', {GUILD_ID: '400000000000000002'})})))).status,
      'pass',
    );
    assert.equal((await run('discord.prefixes', dirWith(fleetFiles({betaConfig: config('!', 'command_root = "bot"\n')})), {rootPath: null})).status, 'fail');
  });

  test("personality: the example folder's text, a known hash, an empty file, a custom personality_file", async () => {
    const example = 'You are the template.\n';
    const base = {...fleetFiles(), 'instances/example/personality.txt': example};
    const copied = await run('discord.personality', dirWith({...base, 'instances/alpha/personality.txt': 'You are the template.\r\n\n'}));
    assert.equal(copied.status, 'fail');
    assert.deepEqual(places(copied), [['instances/alpha/personality.txt', 1, 'alpha']]);
    assert.equal(
      (await run('discord.personality', dirWith({...base, 'instances/alpha/personality.txt': 'You are the template.\n'}), {level: 'warn'})).status,
      'warn',
    );

    const hash = createHash('sha256').update('You are Beta.').digest('hex');
    const known = await run('discord.personality', dirWith(fleetFiles()), {hashes: [hash]});
    assert.equal(known.status, 'fail');
    assert.deepEqual(places(known), [['instances/beta/personality.txt', 1, 'beta']]);

    const empty = await run('discord.personality', dirWith({...fleetFiles(), 'instances/beta/personality.txt': '  \n'}));
    assert.equal(empty.status, 'fail');
    assert.match(empty.evidence[0]!.detail, /is empty/);

    const custom = await run('discord.personality', dirWith(fleetFiles({alphaConfig: config('!', 'personality_file = "voice.md"\n')})));
    assert.equal(custom.status, 'fail');
    assert.deepEqual(places(custom), [['instances/alpha/config.toml', 3, 'alpha']]);
  });
});

describe('discord.restart-policy and discord.log-rotation', () => {
  const compose = lines(
    'x-log: &log', // 1
    '  driver: json-file', // 2
    '  options: {max-size: "10m", max-file: "3"}', // 3
    'services:', // 4
    '  a:', // 5
    '    image: a:1', // 6
    '    restart: unless-stopped', // 7
    '    logging: *log', // 8
    '  b:', // 9
    '    image: b:1', // 10
    '    restart: "no"', // 11
    '    logging: {driver: local}', // 12
    '  c:', // 13
    '    image: c:1', // 14
    '    deploy: {restart_policy: {condition: any}}', // 15
    '    logging: {driver: json-file}', // 16
    '  d:', // 17
    '    image: d:1', // 18
  );

  test('restart: "no" and a missing policy fail at their lines', async () => {
    const r = await run('discord.restart-policy', dirWith({'compose.yaml': compose}));
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 11, 'b.restart'],
      ['compose.yaml', 18, 'd.restart'],
    ]);
  });

  test('an override file can set the policy', async () => {
    const d = dirWith({'compose.yaml': compose, 'compose.override.yaml': lines('services:', '  b:', '    restart: always', '  d:', '    restart: always')});
    assert.equal((await run('discord.restart-policy', d)).status, 'pass');
  });

  test('logs: json-file without max-size and no logging block fail; anchors and rotating drivers pass', async () => {
    const r = await run('discord.log-rotation', dirWith({'compose.yaml': compose}));
    assert.equal(r.status, 'fail');
    assert.deepEqual(places(r), [
      ['compose.yaml', 16, 'c.logging'],
      ['compose.yaml', 18, 'd.logging'],
    ]);
  });

  test("logs: a service without logging inherits daemon.json's bound when the host's file is read", async () => {
    const host = tempDir();
    const daemon = join(host, 'daemon.json');
    writeFileSync(daemon, '{"log-driver": "json-file", "log-opts": {"max-size": "10m", "max-file": "3"}}\n');
    const d = dirWith({'compose.yaml': lines('services:', '  d:', '    image: d:1')});
    const r = await run('discord.log-rotation', d, {daemonJson: daemon});
    assert.equal(r.status, 'pass', r.message);
    writeFiles(host, {'daemon.json': '{}\n'});
    const unbounded = await run('discord.log-rotation', d, {daemonJson: daemon});
    assert.equal(unbounded.status, 'fail');
    assert.match(unbounded.message, /daemon\.json/);
  });
});
