// /proc/self/mountinfo (proc(5)): which mount holds a path, for host.disk's evidence.
import {lines} from './textLines.js';

/** One mount: where it is, its filesystem type and what is mounted there. */
export interface Mount {
  point: string;
  fstype: string;
  source: string;
}

/** The mount holding `real` (a resolved path) in a mountinfo text, so a disk finding names the filesystem; undefined when none does. */
export function mountHolding(mountinfo: string, real: string): Mount | undefined {
  const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  let best: Mount | undefined;
  for (const line of lines(mountinfo)) {
    // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
    const [left, right] = line.split(' - ');
    const f = left?.split(' ') ?? [];
    const point = f[4] === undefined ? undefined : unescapeOctal(f[4]);
    if (!point || right === undefined) continue;
    const inside = point === '/' || real === point || real.startsWith(`${point}/`);
    // Later entries are mounted over earlier ones at the same place.
    if (inside && (!best || point.length >= best.point.length)) {
      const [fstype = '?', source = '?'] = right.split(' ');
      best = {point, fstype, source: unescapeOctal(source)};
    }
  }
  return best;
}
