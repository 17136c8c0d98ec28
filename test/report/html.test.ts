// The HTML report: self-contained (nothing fetched), escaped, failing items first, a chart per
// section; and opened in headless Chromium, which must draw the chart and the failing items.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {cpSync, existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {inflateSync} from 'node:zlib';
import {describe, test} from 'node:test';
import type {Report, ReportItem} from '../../src/report/model.js';
import {formatById} from '../../src/report/index.js';
import {toHtml} from '../../src/report/html.js';
import {hasProgram, inProcess} from '../attest/support.js';
import {REPO, tempDir} from '../support/helpers.js';

function item(over: Partial<ReportItem>): ReportItem {
  return {
    id: 'x',
    section: 's1',
    sectionTitle: 'Section one',
    title: 'T',
    severity: 'medium',
    status: 'pass',
    message: 'ok',
    evidence: [],
    how: 'fix it',
    why: 'because',
    ...over,
  };
}

function report(items: ReportItem[]): Report {
  const summary = {pass: 0, fail: 0, warn: 0, error: 0, skip: 0, manual: 0};
  for (const i of items) summary[i.status]++;
  return {
    version: '0.1.0',
    pack: {id: 'p', title: 'Pack <title>', version: '1.0.0'},
    dir: '/srv/app',
    inputs: {mode: 'compose'},
    answersFile: 'shipshape-answers.json',
    problems: [],
    items,
    summary,
  };
}

describe('the HTML format', () => {
  const r = report([
    item({id: 'ok-item', status: 'pass', severity: 'critical'}),
    item({id: 'low-fail', status: 'fail', severity: 'low', title: 'Low <b>bold</b>', evidence: [{file: '.env', line: 3, key: 'K', detail: 'x & y'}]}),
    item({id: 'crit-fail', section: 's2', sectionTitle: 'Section two', status: 'fail', severity: 'critical'}),
    item({id: 'asked', status: 'manual', severity: 'high'}),
    item({
      id: 'waived',
      status: 'skip',
      answer: {
        status: 'waived',
        by: 'Bob',
        at: '2026-01-01T00:00:00Z',
        waiver: {reason: 'staging only', owner: 'Carol', expires: '2026-06-30', expired: false, unneeded: false},
      },
    }),
    item({id: 'confirmed', status: 'pass', answer: {status: 'confirmed', by: 'Ann', at: '2026-01-02T00:00:00Z', note: 'restored on staging'}}),
  ]);
  const html = toHtml(r);

  test('is registered for --format html with the .html extension', () => {
    assert.equal(formatById('html')?.ext, 'html');
  });

  test('fetches nothing: no script, no external reference, and a policy that forbids any', () => {
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    assert.doesNotMatch(html, /<script|<link|<img|<iframe|@import|url\(/i);
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  });

  test('escapes every text', () => {
    assert.ok(html.includes('Low &lt;b&gt;bold&lt;/b&gt;'));
    assert.ok(html.includes('<title>Pack &lt;title&gt;'));
    assert.ok(html.includes('x &amp; y'));
    assert.ok(!html.includes('<b>bold</b>'));
  });

  test('lists the items that need attention first: failing (most severe first), then for a person', () => {
    const attention = html.slice(html.indexOf('id="attention"'), html.indexOf('Answers and waivers'));
    const order = [...attention.matchAll(/id="open-([a-z-]+)"/g)].map((m) => m[1]);
    assert.deepEqual(order, ['crit-fail', 'low-fail', 'asked']);
  });

  test('draws a bar per section with a segment per status, and totals per section and severity', () => {
    const svg = html.slice(html.indexOf('<svg'), html.indexOf('</svg>'));
    assert.deepEqual(
      [...svg.matchAll(/data-section="([^"]+)"/g)].map((m) => m[1]),
      ['s1', 's2'],
    );
    assert.deepEqual(
      [...svg.matchAll(/<g class="row" data-section="s1">.*?<\/g>/g)].flatMap((g) => [...g[0].matchAll(/data-status="(\w+)"/g)].map((m) => m[1])),
      ['fail', 'manual', 'pass', 'skip'],
    );
    assert.match(html, /<table class="totals">.*<th>severity<\/th>/s);
  });

  test('shows answers and waivers: who, when, note, reason, owner, expiry', () => {
    assert.match(
      html,
      /<strong>waived<\/strong> by Bob on 2026-01-01<div class="waiver">Waiver: staging only; owner <strong>Carol<\/strong>; until 2026-06-30/,
    );
    assert.match(html, /<strong>confirmed<\/strong> by Ann on 2026-01-02 — restored on staging/);
  });
});

// ---------------------------------------------------------------------------------------------
// Headless Chromium

/** A PNG decoded to RGBA rows (8-bit RGB or RGBA, non-interlaced: what Chromium writes). */
function decodePng(buf: Buffer): {width: number; height: number; pixel(x: number, y: number): [number, number, number]} {
  assert.deepEqual([...buf.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG signature');
  let at = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (at < buf.length) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.equal(data[8], 8, 'bit depth 8');
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      assert.ok(channels > 0, `colour type ${data[9]}`);
      assert.equal(data[12], 0, 'not interlaced');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels]! : 0;
      const b = y > 0 ? out[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      out[y * stride + x] = (line[x]! + pred) & 0xff;
    }
  }
  return {width, height, pixel: (x, y) => [out[y * stride + x * channels]!, out[y * stride + x * channels + 1]!, out[y * stride + x * channels + 2]!]};
}

const CHROMIUM = ['/usr/bin/chromium', 'chromium', 'chromium-browser'].find((c) => hasProgram(c));

function chromium(args: string[]): {status: number | null; stdout: string; stderr: string} {
  const profile = mkdtempSync(join(tmpdir(), 'shipshape-chromium-'));
  try {
    const r = spawnSync(
      CHROMIUM!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--hide-scrollbars',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      {encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024},
    );
    return {status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? ''};
  } finally {
    rmSync(profile, {recursive: true, force: true});
  }
}

const skipChromium = CHROMIUM
  ? false
  : process.env.SHIPSHAPE_REQUIRE_SERVICES === '1'
    ? false
    : 'chromium is not installed (.ci/run installs it; apt-get install chromium)';

describe('the demo report in headless Chromium', {skip: skipChromium}, () => {
  test('chromium is installed (SHIPSHAPE_REQUIRE_SERVICES=1 requires it)', () => {
    assert.ok(CHROMIUM, 'chromium is not installed; .ci/run installs it');
  });

  test('renders the chart and the failing items, from a file:// URL', async () => {
    const dir = tempDir('shipshape-html-');
    cpSync(join(REPO, 'examples', 'the0-compose'), dir, {recursive: true});
    const out = join(tempDir(), 'report.html');
    const e = await inProcess(['export', '--dir', dir, '--format', 'html', '--out', out]);
    assert.equal(e.code, 0, e.stderr);
    const url = pathToFileURL(out).href;

    const dom = chromium(['--dump-dom', url]);
    assert.equal(dom.status, 0, dom.stderr.slice(-2000));
    assert.match(dom.stdout, /<svg class="chart"/);
    const segs = [...dom.stdout.matchAll(/<rect class="seg seg-(\w+)"/g)].map((m) => m[1]);
    assert.ok(segs.includes('fail') && segs.includes('pass') && segs.includes('manual'), `chart segments: ${segs.join(' ')}`);
    const attention = dom.stdout.slice(dom.stdout.indexOf('id="attention"'));
    const first = /<article class="item st-(\w+)" id="open-([a-z0-9-]+)" data-status="\w+" data-severity="(\w+)"/.exec(attention);
    assert.deepEqual([first?.[1], first?.[3]], ['fail', 'critical'], 'a failing critical item comes first');
    assert.ok(dom.stdout.includes('jwt-secret-strong'));

    const png = join(tempDir(), 'report.png');
    const shot = chromium([`--screenshot=${png}`, '--window-size=1200,1600', url]);
    assert.ok(existsSync(png), `no screenshot: ${shot.stderr.slice(-2000)}`);
    const img = decodePng(readFileSync(png));
    assert.equal(img.width, 1200);
    // The chart's segments are drawn in their colours: count pixels of each on the first screen.
    const near = (p: [number, number, number], q: [number, number, number]) => Math.abs(p[0] - q[0]) + Math.abs(p[1] - q[1]) + Math.abs(p[2] - q[2]) < 24;
    const counts = {fail: 0, pass: 0, manual: 0};
    const want: Record<keyof typeof counts, [number, number, number]> = {fail: [0xc6, 0x28, 0x28], pass: [0x2e, 0x7d, 0x32], manual: [0x15, 0x65, 0xc0]};
    for (let y = 0; y < img.height; y += 2) {
      for (let x = 0; x < img.width; x += 2) {
        const p = img.pixel(x, y);
        for (const k of Object.keys(counts) as (keyof typeof counts)[]) if (near(p, want[k])) counts[k]++;
      }
    }
    for (const [k, n] of Object.entries(counts)) assert.ok(n > 500, `${k} is drawn (${n} sampled pixels)`);
  });
});
