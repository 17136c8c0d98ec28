// One time bound for work that touches the world (a socket, a lookup, a check): the same race of
// "the work, a timer, the caller's abort" was written out by hand in http, tls, net, dns and the
// engine, each with its own cleanup. Here it is once, with the cleanup in one finally.

/** The reason the work's signal carries when the time bound, not the caller, stopped it. */
export class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`did not finish within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/**
 * Runs `work` under a time bound and an optional outer signal, so a socket or lookup can never
 * hang a run; settles with whichever comes first:
 * - the work's own value (or its rejection, passed on as is; a synchronous throw counts too);
 * - after `ms`, `onTimeout()`: the work's signal is aborted first (reason: a DeadlineError), so
 *   it can close its socket before the caller moves on;
 * - the outer signal's abort: the work's signal is aborted with the same reason, then
 *   `onAbort()`, or without `onAbort` a rejection with the outer signal's reason.
 * When the outer signal is already aborted the work is not started. Whatever wins, the timer is
 * cleared and the listener on `outer` removed, so nothing is left pending; the work's value after
 * it lost the race is ignored (the work must release what it holds when its signal aborts).
 */
export function withDeadline<T>(
  work: (signal: AbortSignal) => Promise<T> | T,
  ms: number,
  onTimeout: () => T,
  outer?: AbortSignal,
  onAbort?: () => T,
): Promise<T> {
  if (outer?.aborted) return onAbort ? Promise.resolve().then(onAbort) : Promise.reject(outer.reason);
  return new Promise<T>((resolve, reject) => {
    const inner = new AbortController();
    let decided = false;
    // The first to call this wins; it is decided before the work is told, so a value the work
    // gives while it stops is ignored however the microtasks fall.
    const decide = (how: () => void): void => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
      how();
    };
    const give = (fn: () => T): void => {
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    };
    const timer = setTimeout(
      () =>
        decide(() => {
          inner.abort(new DeadlineError(ms));
          give(onTimeout);
        }),
      Math.max(0, ms),
    );
    const onOuter = () =>
      decide(() => {
        inner.abort(outer?.reason);
        if (onAbort) give(onAbort);
        else reject(outer?.reason);
      });
    outer?.addEventListener('abort', onOuter, {once: true});
    let running: Promise<T>;
    try {
      running = Promise.resolve(work(inner.signal));
    } catch (err) {
      running = Promise.reject(err);
    }
    running.then(
      (v) => decide(() => resolve(v)),
      (err: unknown) => decide(() => reject(err)),
    );
  });
}
