/** `SHIPSHAPE_TIMING=1`: start-up phases on stderr, for `npm run bench`. */
export function mark(what: string): void {
  if (process.env.SHIPSHAPE_TIMING === '1') process.stderr.write(`shipshape-mark ${what} ${performance.now().toFixed(1)}\n`);
}
