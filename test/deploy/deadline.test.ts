// deploy/deadline: whichever of the work, the time bound and the caller's abort comes first
// wins, the work is told through its signal, and nothing is left behind (no timer, no listener).
import assert from 'node:assert/strict';
import {getEventListeners} from 'node:events';
import {describe, test} from 'node:test';
import {DeadlineError, withDeadline} from '../../src/deploy/deadline.js';

/** Timers alive in this process right now (node:test keeps none of its own between awaits here). */
function timers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** Work that never finishes by itself, but records its signal and resolves 'stopped' when told. */
function hanging(seen: {signal?: AbortSignal}): (signal: AbortSignal) => Promise<string> {
  return (signal) =>
    new Promise((resolve) => {
      seen.signal = signal;
      signal.addEventListener('abort', () => resolve('stopped'), {once: true});
    });
}

describe('withDeadline', () => {
  test('the work finishing first gives its value; its signal is never aborted and no timer is left', async () => {
    const before = timers();
    const seen: {signal?: AbortSignal} = {};
    const v = await withDeadline(
      async (signal) => {
        seen.signal = signal;
        return 'done';
      },
      60_000,
      () => 'late',
    );
    assert.equal(v, 'done');
    assert.equal(seen.signal?.aborted, false);
    assert.equal(timers(), before);
  });

  test('the time bound fires: the work is aborted (DeadlineError) before onTimeout gives the value', async () => {
    const before = timers();
    const seen: {signal?: AbortSignal} = {};
    let abortedFirst = false;
    const t0 = Date.now();
    const v = await withDeadline(hanging(seen), 30, () => {
      abortedFirst = seen.signal?.aborted === true;
      return 'timed out';
    });
    assert.equal(v, 'timed out');
    assert.ok(Date.now() - t0 >= 25, 'not before the bound');
    assert.ok(abortedFirst, 'the work is told before the caller moves on');
    assert.ok(seen.signal?.reason instanceof DeadlineError);
    assert.match(String(seen.signal?.reason), /did not finish within 30 ms/);
    assert.equal(timers(), before);
  });

  test('the outer signal aborting wins over a long bound: onAbort gives the value, the reason is passed on, the listener removed', async () => {
    const before = timers();
    const outer = new AbortController();
    const seen: {signal?: AbortSignal} = {};
    const pending = withDeadline(
      hanging(seen),
      60_000,
      () => 'timed out',
      outer.signal,
      () => 'skipped',
    );
    assert.equal(getEventListeners(outer.signal, 'abort').length, 1);
    setImmediate(() => outer.abort(new Error('person skipped')));
    assert.equal(await pending, 'skipped');
    assert.equal(seen.signal?.aborted, true);
    assert.equal((seen.signal?.reason as Error | undefined)?.message, 'person skipped');
    assert.equal(getEventListeners(outer.signal, 'abort').length, 0);
    assert.equal(timers(), before);
  });

  test('without onAbort, the outer abort rejects with its reason', async () => {
    const outer = new AbortController();
    const pending = withDeadline(hanging({}), 60_000, () => 'timed out', outer.signal);
    outer.abort(new Error('cancelled'));
    await assert.rejects(pending, /cancelled/);
  });

  test('an outer signal already aborted: the work is not even started', async () => {
    const before = timers();
    let started = false;
    const v = await withDeadline(
      async () => {
        started = true;
        return 'ran';
      },
      60_000,
      () => 'timed out',
      AbortSignal.abort(),
      () => 'skipped',
    );
    assert.equal(v, 'skipped');
    assert.equal(started, false);
    assert.equal(timers(), before);
  });

  test('the work finishing first leaves no listener on the outer signal', async () => {
    const outer = new AbortController();
    assert.equal(
      await withDeadline(
        async () => 1,
        60_000,
        () => 0,
        outer.signal,
        () => -1,
      ),
      1,
    );
    assert.equal(getEventListeners(outer.signal, 'abort').length, 0);
  });

  test('a rejection or a synchronous throw of the work is passed on, and the timer still cleared', async () => {
    const before = timers();
    await assert.rejects(
      withDeadline(
        async () => Promise.reject(new Error('boom')),
        60_000,
        () => 'x',
      ),
      /boom/,
    );
    await assert.rejects(
      withDeadline(
        () => {
          throw new Error('sync boom');
        },
        60_000,
        () => 'x',
      ),
      /sync boom/,
    );
    assert.equal(timers(), before);
  });

  test('a value the work gives after it lost the race is ignored', async () => {
    let late: (v: string) => void = () => undefined;
    const v = await withDeadline(
      () => new Promise<string>((resolve) => (late = resolve)),
      10,
      () => 'timed out',
    );
    late('too late');
    assert.equal(v, 'timed out');
  });

  test('a synchronous value works too, so engine steps that return a result directly fit', async () => {
    assert.equal(
      await withDeadline(
        () => 42,
        1_000,
        () => 0,
      ),
      42,
    );
  });
});
