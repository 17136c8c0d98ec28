// shipshape export: every format from the answers plus a fresh run; SARIF valid against the SARIF
// 2.1.0 schema (the subset kept under test/fixtures/sarif), JUnit well-formed XML a JUnit reader
// takes, --out written atomically and never through a link, and no secret value in any output.
import assert from 'node:assert/strict';
import {cpSync, lstatSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {Ajv} from 'ajv';
import addFormatsModule from 'ajv-formats';
import {parse as parseEnv} from 'dotenv';
import {inProcess, pemKeys} from '../attest/support.js';
import {REPO, runCli, tempDir} from '../support/helpers.js';

const addFormats = ((addFormatsModule as unknown as {default?: unknown}).default ?? addFormatsModule) as (a: Ajv) => Ajv;

/** The demo in a temp folder, with a waiver, a confirmation and a note recorded. */
async function demo(): Promise<{dir: string; secrets: string[]}> {
  const dir = tempDir('shipshape-export-');
  cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
  const env = parseEnv(readFileSync(join(dir, '.env')));
  const secrets = Object.entries(env)
    .filter(([k]) => /PASSWORD|SECRET|KEY|TOKEN/.test(k))
    .map(([, v]) => v);
  assert.ok(secrets.length >= 5);
  const a = await inProcess([
    'answer',
    'restore-tested',
    '--waive',
    '--reason',
    'staging only until the NAS arrives',
    '--owner',
    'Carol',
    '--expires',
    '2099-01-31',
    '--as',
    'Bob',
    '--dir',
    dir,
  ]);
  assert.equal(a.code, 0, a.stderr);
  const r = await inProcess(['export', '--dir', dir, '--format', 'json']);
  const manual = (JSON.parse(r.stdout) as {items: {id: string; status: string}[]}).items.filter((i) => i.status === 'manual').map((i) => i.id);
  const c = await inProcess(['answer', manual[0]!, '--confirm', '--note', 'checked by hand', '--as', 'Ann', '--dir', dir]);
  assert.equal(c.code, 0, c.stderr);
  return {dir, secrets};
}

// ---------------------------------------------------------------------------------------------
// A small XML reader: enough to prove well-formedness (XML 1.0) and read JUnit's structure.

interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

function decodeEntities(s: string, at: number): string {
  return s.replace(/&([^;]*);?/g, (m, body: string) => {
    const known: Record<string, string> = {amp: '&', lt: '<', gt: '>', quot: '"', apos: "'"};
    if (!m.endsWith(';')) throw new Error(`bare & near offset ${at}`);
    if (body in known) return known[body]!;
    const n = /^#x([0-9a-fA-F]+)$/.exec(body) ?? /^#([0-9]+)$/.exec(body);
    if (!n) throw new Error(`unknown entity &${body}; near offset ${at}`);
    return String.fromCodePoint(Number.parseInt(n[1]!, body[1] === 'x' ? 16 : 10));
  });
}

function parseXml(xml: string): XmlElement {
  let at = 0;
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml)) throw new Error('a control character XML 1.0 forbids');
  const decl = /^<\?xml[^?]*\?>\s*/.exec(xml);
  if (decl) at = decl[0].length;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (at < xml.length) {
    if (xml.startsWith('<!--', at)) {
      const end = xml.indexOf('-->', at);
      if (end < 0) throw new Error('an unclosed comment');
      at = end + 3;
    } else if (xml.startsWith('<![CDATA[', at)) {
      const end = xml.indexOf(']]>', at);
      if (end < 0 || stack.length === 0) throw new Error('a misplaced CDATA section');
      stack.at(-1)!.text += xml.slice(at + 9, end);
      at = end + 3;
    } else if (xml.startsWith('</', at)) {
      const m = /^<\/([A-Za-z_][\w.-]*)\s*>/.exec(xml.slice(at));
      const open = stack.pop();
      if (!m || !open || open.name !== m[1]) throw new Error(`a closing tag that does not match near offset ${at}`);
      at += m[0].length;
    } else if (xml[at] === '<') {
      const m = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(xml.slice(at));
      if (!m) throw new Error(`a malformed tag near offset ${at}: ${xml.slice(at, at + 40)}`);
      const attrs: Record<string, string> = {};
      for (const a of m[2]!.matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        if (a[1]! in attrs) throw new Error(`attribute ${a[1]} twice`);
        attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? '', at);
      }
      const el: XmlElement = {name: m[1]!, attrs, children: [], text: ''};
      if (stack.length > 0) stack.at(-1)!.children.push(el);
      else if (root) throw new Error('a second root element');
      else root = el;
      if (!m[3]) stack.push(el);
      at += m[0].length;
    } else {
      const end = xml.indexOf('<', at) < 0 ? xml.length : xml.indexOf('<', at);
      const text = xml.slice(at, end);
      if (stack.length === 0) {
        if (text.trim()) throw new Error('text outside the root element');
      } else stack.at(-1)!.text += decodeEntities(text, at);
      if (text.includes('>') && text.includes(']]>')) throw new Error(']]> in text');
      at = end;
    }
  }
  if (stack.length > 0 || !root) throw new Error('unclosed elements');
  return root;
}

describe('shipshape export', () => {
  let d: {dir: string; secrets: string[]};
  before(async () => {
    d = await demo();
  });

  test('SARIF validates against the SARIF 2.1.0 schema; items for a person are results of kind review', async () => {
    const r = await inProcess(['export', '--dir', d.dir, '--format', 'sarif']);
    assert.equal(r.code, 0, r.stderr);
    const log = JSON.parse(r.stdout) as {
      runs: {
        results: {
          ruleId: string;
          kind?: string;
          level: string;
          suppressions?: {kind: string; status: string; justification: string}[];
          properties?: {answer?: unknown};
        }[];
      }[];
    };
    const schema = JSON.parse(readFileSync(join(REPO, 'test', 'fixtures', 'sarif', 'sarif-2.1.0-subset.schema.json'), 'utf8'));
    const ajv = addFormats(new Ajv({allErrors: true, strict: false}));
    const validate = ajv.compile(schema);
    assert.ok(validate(log), JSON.stringify(validate.errors, null, 2));
    const results = log.runs[0]!.results;
    const review = results.filter((x) => x.kind === 'review');
    assert.ok(review.length > 0);
    // SARIF 2.1.0 section 3.27.9: a kind other than fail has level none.
    for (const x of results) if (x.kind !== undefined && x.kind !== 'fail') assert.equal(x.level, 'none', x.ruleId);
    const waived = results.find((x) => x.ruleId === 'the0/restore-tested');
    assert.deepEqual(
      waived?.suppressions?.map((s) => [s.kind, s.status, s.justification]),
      [['external', 'accepted', 'staging only until the NAS arrives (owner Carol) until 2099-01-31']],
    );
    // The schema is not a rubber stamp: a result of an unknown kind, or a stray field, is refused.
    const broken = structuredClone(log);
    broken.runs[0]!.results[0]!.kind = 'manual';
    assert.equal(validate(broken), false);
    const stray = structuredClone(log) as unknown as {runs: {results: Record<string, unknown>[]}[]};
    stray.runs[0]!.results[0]!.status = 'fail';
    assert.equal(validate(stray), false);
  });

  test('JUnit is well-formed XML with a suite per section; items for a person are skipped', async () => {
    const r = await inProcess(['export', '--dir', d.dir, '--format', 'junit']);
    assert.equal(r.code, 0, r.stderr);
    const root = parseXml(r.stdout);
    assert.equal(root.name, 'testsuites');
    let cases = 0;
    for (const suite of root.children) {
      assert.equal(suite.name, 'testsuite');
      const tc = suite.children.filter((c) => c.name === 'testcase');
      assert.equal(Number(suite.attrs.tests), tc.length);
      assert.equal(Number(suite.attrs.failures), tc.filter((c) => c.children.some((x) => x.name === 'failure')).length);
      assert.equal(Number(suite.attrs.skipped), tc.filter((c) => c.children.some((x) => x.name === 'skipped')).length);
      for (const c of tc) assert.ok(c.attrs.name && c.attrs.classname);
      cases += tc.length;
    }
    assert.equal(Number(root.attrs.tests), cases);
    const json = JSON.parse((await inProcess(['export', '--dir', d.dir, '--format', 'json'])).stdout) as {items: {id: string; status: string}[]};
    const manual = json.items.filter((i) => i.status === 'manual');
    assert.ok(manual.length > 0);
    for (const m of manual) {
      const c = root.children.flatMap((s) => s.children).find((x) => x.attrs.name?.startsWith(`${m.id}: `));
      assert.equal(c?.children[0]?.name, 'skipped', m.id);
    }
    // The reader is strict enough to refuse what is not XML.
    for (const bad of ['<a><b></a></b>', '<a x="1" x="2"/>', '<a>&nope;</a>', '<a/><b/>', '<a>1 < 2</a>']) assert.throws(() => parseXml(bad), bad);
  });

  test('--format follows --out when not given; --out is replaced atomically, never through a link', async () => {
    const out = tempDir();
    const md = join(out, 'report.md');
    const r = await runCli(['export', '--dir', d.dir, '--out', md]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /wrote .*report\.md \(markdown\)/);
    assert.match(readFileSync(md, 'utf8'), /^# the0 production readiness/);
    assert.equal(statSync(md).mode & 0o777, 0o644);
    const target = join(out, 'elsewhere.html');
    writeFileSync(target, 'keep me');
    const link = join(out, 'link.html');
    symlinkSync(target, link);
    const refused = await runCli(['export', '--dir', d.dir, '--out', link]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /symbolic link/);
    assert.equal(readFileSync(target, 'utf8'), 'keep me');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal((await runCli(['export', '--dir', d.dir, '--format', 'pdf'])).code, 2);
  });

  test('no secret value of the deployment appears in any export format, nor in a sign-off', async () => {
    const out = tempDir();
    for (const format of ['html', 'markdown', 'json', 'sarif', 'junit', 'text']) {
      const file = join(out, `report.${format}`);
      const r = await runCli(['export', '--dir', d.dir, '--format', format, '--out', file]);
      assert.equal(r.code, 0, r.stderr);
      const text = readFileSync(file, 'utf8') + r.stdout + r.stderr;
      assert.ok(text.length > 1000, format);
      for (const s of d.secrets) assert.ok(!text.includes(s), `${format} holds a secret value`);
      const stdout = await runCli(['export', '--dir', d.dir, '--format', format]);
      for (const s of d.secrets) assert.ok(!stdout.stdout.includes(s) && !stdout.stderr.includes(s), `${format} on stdout holds a secret value`);
    }
    const k = pemKeys();
    const s = await runCli(['signoff', '--dir', d.dir, '--key', k.priv, '--accept-risk']);
    assert.equal(s.code, 0, s.stderr);
    const envelope = JSON.parse(s.stdout) as {payload: string};
    const statement = Buffer.from(envelope.payload, 'base64').toString('utf8');
    assert.match(statement, /"predicateType":"https:\/\/shipshape\.dev\/signoff\/v1"/);
    for (const x of d.secrets) assert.ok(!statement.includes(x) && !s.stderr.includes(x), 'the sign-off holds a secret value');
  });
});
