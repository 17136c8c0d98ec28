// Docker's own notations, as daemon.json and the docker CLI write them.

/** Docker's size notation (10m, 1g, 500k, as log-opts max-size takes it) in bytes; undefined when it is not one. */
export function dockerSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(v.trim());
  if (!m) return undefined;
  const mult = {'': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3}[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Number(m[1]) * mult;
}
