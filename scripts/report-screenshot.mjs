// npm run report:screenshot [-- OUT.png]: exports the bundled demo's HTML report and saves a PNG
// of it drawn by headless Chromium, for people to look at (default: shipshape-report/demo.png in
// the system temp folder). Run after a build (the npm script builds first).
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {delimiter, dirname, join, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';

const repo = resolve(dirname(new URL(import.meta.url).pathname), '..');
const png = resolve(process.argv[2] ?? join(tmpdir(), 'shipshape-report', 'demo.png'));
const html = png.replace(/\.png$/i, '') + '.html';
mkdirSync(dirname(png), {recursive: true});

const onPath = (p) => (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, p)));
const chromium =
  process.env.CHROMIUM ?? ['/usr/bin/chromium', 'chromium', 'chromium-browser', 'google-chrome'].find((c) => (c.includes('/') ? existsSync(c) : onPath(c)));
if (!chromium) {
  console.error('report:screenshot: chromium is not installed (apt-get install chromium), or set CHROMIUM to a Chromium binary');
  process.exit(2);
}

const exp = spawnSync(
  process.execPath,
  [join(repo, 'dist', 'cli.cjs'), 'export', '--dir', join(repo, 'examples', 'the0-compose'), '--format', 'html', '--out', html],
  {stdio: 'inherit'},
);
if (exp.status !== 0) process.exit(exp.status ?? 1);

const profile = mkdtempSync(join(tmpdir(), 'shipshape-chromium-'));
try {
  const shot = spawnSync(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      `--screenshot=${png}`,
      '--window-size=1200,1600',
      pathToFileURL(html).href,
    ],
    {encoding: 'utf8', timeout: 90_000},
  );
  if (!existsSync(png)) {
    console.error(`report:screenshot: chromium saved no screenshot:\n${(shot.stderr ?? '').slice(-2000)}`);
    process.exit(1);
  }
} finally {
  rmSync(profile, {recursive: true, force: true});
}
console.log(`saved ${png}\n(the page itself: ${html})`);
