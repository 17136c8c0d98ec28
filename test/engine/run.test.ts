import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {z} from 'zod';
import {buildLedger, fingerprint, judge, type LedgerEntry} from '../../src/engine/ledger.js';
import {Context} from '../../src/engine/context.js';
import {runPack, runStep, type ItemOutcome} from '../../src/engine/run.js';
import {CHECK_STATUSES, result, type CheckResult} from '../../src/model/types.js';
import {defineCheck, type CheckDef} from '../../src/checks/define.js';
import {detectPacks} from '../../src/pack/detect.js';
import {InputError, parseInputArgs, resolveInputs} from '../../src/pack/inputs.js';
import {PackSchema, type Pack} from '../../src/pack/schema.js';
import {SourceError} from '../../src/sources/errors.js';
import type {Answer} from '../../src/model/answer.js';
import {tempDir, writeFiles} from '../support/helpers.js';

// ---------------------------------------------------------------- test checks

/** Returns the status (and evidence) it is given; counts its runs. */
const runs = new Map<string, number>();
const says = defineCheck({
  id: 'test.says',
  summary: 'returns what it is told',
  params: z.strictObject({status: z.enum(CHECK_STATUSES), message: z.string().optional(), detail: z.string().optional(), tag: z.string().optional()}),
  run: (_ctx, p) => {
    if (p.tag) runs.set(p.tag, (runs.get(p.tag) ?? 0) + 1);
    return result(p.status, p.message ?? `said ${p.status}`, p.detail ? [{file: 'f.yaml', line: 3, key: 'k', detail: p.detail}] : []);
  },
});

/** Never settles; remembers the signal it was given. */
const hangSignals: AbortSignal[] = [];
const hangs = defineCheck({
  id: 'test.hangs',
  summary: 'never finishes',
  params: z.strictObject({}),
  run: (_ctx, _p, signal) => {
    hangSignals.push(signal);
    return new Promise<CheckResult>(() => {});
  },
});

const throwsPlain = defineCheck({
  id: 'test.throws',
  summary: 'throws an Error',
  params: z.strictObject({}),
  run: () => {
    throw new Error('boom: the disk is on fire');
  },
});

const throwsSource = defineCheck({
  id: 'test.source-error',
  summary: 'throws a SourceError',
  params: z.strictObject({}),
  run: async () => {
    throw new SourceError('port is not a number', 'compose.yaml', 7, 3, 'db.ports');
  },
});

const CHECKS = new Map<string, CheckDef>([
  [says.id, says],
  [hangs.id, hangs],
  [throwsPlain.id, throwsPlain],
  [throwsSource.id, throwsSource],
]);

// ---------------------------------------------------------------- pack helpers

type Step = {check: string; with?: Record<string, unknown>; timeout?: number; when?: Record<string, string | string[]>};
interface ItemSpec {
  id: string;
  verify?: Step[];
  confirm?: string;
  when?: Record<string, string | string[]>;
}

const MODE = {
  id: 'mode',
  question: 'How is it deployed?',
  choices: [
    {value: 'compose', label: 'Compose'},
    {value: 'kubernetes', label: 'Kubernetes'},
  ],
};

function packOf(items: ItemSpec[], extra: Record<string, unknown> = {}): Pack {
  return PackSchema.parse({
    schema: 1,
    id: 'engine-test',
    title: 'Engine test',
    version: '1.0.0',
    description: 'test',
    inputs: [MODE],
    sections: [
      {
        id: 'main',
        title: 'Main',
        items: items.map((i) => ({title: `Item ${i.id}`, why: 'w', how: 'h', severity: 'high', source: {system: 's', section: 's'}, ...i})),
      },
    ],
    ...extra,
  });
}

const say = (status: string, more: Record<string, unknown> = {}): Step => ({check: 'test.says', with: {status, ...more}});

function ctxFor(pack: Pack, inputs: Record<string, string> = {mode: 'compose'}): Context {
  return new Context(tempDir(), pack, inputs);
}

async function run(
  items: ItemSpec[],
  o: {inputs?: Record<string, string>; checks?: ReadonlyMap<string, CheckDef>; concurrency?: number} = {},
): Promise<Map<string, ItemOutcome>> {
  const pack = packOf(items);
  const outcomes = await runPack(pack, ctxFor(pack, o.inputs), o.checks ?? CHECKS, {concurrency: o.concurrency});
  assert.deepEqual(
    outcomes.map((x) => x.id),
    items.map((i) => i.id),
  );
  return new Map(outcomes.map((x) => [x.id, x]));
}

function get<K, V>(m: Map<K, V>, k: K): V {
  const v = m.get(k);
  assert.ok(v !== undefined, `missing ${String(k)}`);
  return v;
}

const STACK = /^\s+at /m;

// ---------------------------------------------------------------- (a)-(c) errors and time bounds

describe('runStep and runPack: checks that hang or throw', () => {
  test('a check that never resolves is an error within its step timeout', async () => {
    const before = hangSignals.length;
    const started = performance.now();
    const out = await run([{id: 'hang', verify: [{check: 'test.hangs', timeout: 200}]}]);
    const elapsed = performance.now() - started;
    const o = get(out, 'hang');
    assert.equal(o.status, 'error');
    assert.equal(o.message, 'test.hangs did not finish within 200 ms');
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.ok(elapsed >= 190, `returned after ${elapsed} ms, before the bound`);
    assert.equal(hangSignals.length, before + 1);
    assert.equal(hangSignals.at(-1)?.aborted, true, 'the check is told to stop');
  });

  test('the check definition timeout applies when the step has none', async () => {
    const quick: CheckDef = {...hangs, id: 'test.hangs-quick', timeoutMs: 100};
    const started = performance.now();
    const out = await run([{id: 'hang', verify: [{check: 'test.hangs-quick'}]}], {checks: new Map([[quick.id, quick]])});
    assert.equal(get(out, 'hang').message, 'test.hangs-quick did not finish within 100 ms');
    assert.ok(performance.now() - started < 2000);
  });

  test('runStep: an outer abort reaches the check and ends the step at once, as skip', async () => {
    const ac = new AbortController();
    const before = hangSignals.length;
    const pending = runStep(hangs, ctxFor(packOf([{id: 'x', confirm: 'ok?'}])), {}, 200, ac.signal);
    for (let n = 0; n < 1000 && hangSignals.length === before; n++) await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(hangSignals.length, before + 1, 'the check started');
    const signal = hangSignals.at(-1)!;
    assert.equal(signal.aborted, false);
    ac.abort(new Error('user pressed ctrl-c'));
    assert.equal(signal.aborted, true);
    assert.equal((signal.reason as Error).message, 'user pressed ctrl-c');
    const started = performance.now();
    const r = await pending;
    assert.ok(performance.now() - started < 150, 'does not wait for the 200 ms bound');
    assert.equal(r.status, 'skip');
    assert.equal(r.message, 'test.hangs was stopped before it finished');
  });

  test('runStep: params the check refuses are an error, not a throw', async () => {
    const r = await runStep(says, ctxFor(packOf([{id: 'x', confirm: 'ok?'}])), {status: 'great'}, 1000);
    assert.equal(r.status, 'error');
    assert.match(r.message, /^test\.says: bad params: /);
  });

  test('a plain Error becomes error with its message and no stack', async () => {
    const o = get(await run([{id: 'boom', verify: [{check: 'test.throws'}]}]), 'boom');
    assert.equal(o.status, 'error');
    assert.equal(o.message, 'test.throws could not run: boom: the disk is on fire');
    assert.doesNotMatch(o.message, STACK);
    assert.deepEqual(o.evidence, []);
  });

  test('a SourceError becomes error with evidence of file and line', async () => {
    const o = get(await run([{id: 'src', verify: [{check: 'test.source-error'}]}]), 'src');
    assert.equal(o.status, 'error');
    assert.equal(o.message, 'compose.yaml:7:3: port is not a number');
    assert.deepEqual(o.evidence, [{file: 'compose.yaml', line: 7, key: 'db.ports', detail: 'port is not a number'}]);
  });

  test('other items still run and pass when one errors or hangs', async () => {
    const out = await run([
      {id: 'hang', verify: [{check: 'test.hangs', timeout: 150}]},
      {id: 'boom', verify: [{check: 'test.throws'}]},
      {id: 'src', verify: [{check: 'test.source-error'}]},
      {id: 'fine', verify: [say('pass', {message: 'all good'})]},
      {id: 'also-fine', verify: [say('pass'), say('pass')]},
    ]);
    assert.deepEqual(
      [...out.values()].map((o) => [o.id, o.status]),
      [
        ['hang', 'error'],
        ['boom', 'error'],
        ['src', 'error'],
        ['fine', 'pass'],
        ['also-fine', 'pass'],
      ],
    );
    assert.equal(get(out, 'fine').message, 'all good');
    assert.equal(get(out, 'also-fine').steps.length, 2);
  });

  test('a step naming a check the map lacks is an error', async () => {
    const o = get(await run([{id: 'x', verify: [{check: 'test.missing'}]}]), 'x');
    assert.equal(o.status, 'error');
    assert.equal(o.message, 'unknown check test.missing');
  });
});

// ---------------------------------------------------------------- (d) concurrency

describe('runPack: concurrency', () => {
  test('no more than `concurrency` checks run at once', async () => {
    let active = 0;
    let maxActive = 0;
    let started = 0;
    const waiting: (() => void)[] = [];
    const gate = defineCheck({
      id: 'test.gate',
      summary: 'waits to be released',
      params: z.strictObject({}),
      run: async () => {
        active++;
        started++;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((resolve) => waiting.push(resolve));
        active--;
        return result('pass', 'released');
      },
    });
    const items = Array.from({length: 6}, (_, n) => ({id: `slow-${n}`, verify: [{check: 'test.gate'}]}));
    const pack = packOf(items);
    let done = false;
    const all = runPack(pack, ctxFor(pack), new Map([[gate.id, gate]]), {concurrency: 2}).finally(() => (done = true));

    const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
    let released = 0;
    while (released < 6) {
      const expected = Math.min(2, 6 - released);
      // Let the engine start whatever it may; bounded by ticks, not by time.
      for (let n = 0; n < 1000 && waiting.length < expected; n++) await tick();
      for (let n = 0; n < 20; n++) await tick(); // a chance to over-start, if it would
      assert.equal(waiting.length, expected, `after ${released} released`);
      assert.equal(active, expected);
      assert.equal(done, false);
      waiting.shift()!();
      released++;
    }
    const outcomes = await all;
    assert.equal(maxActive, 2);
    assert.equal(started, 6);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      Array(6).fill('pass'),
    );
  });
});

// ---------------------------------------------------------------- (e) when

describe('runPack: when', () => {
  test('an item whose `when` does not hold is skipped with a reason naming the input, and its checks do not run', async () => {
    const out = await run([{id: 'k8s-only', when: {mode: 'kubernetes'}, verify: [say('fail', {tag: 'k8s-only'})]}]);
    const o = get(out, 'k8s-only');
    assert.equal(o.status, 'skip');
    assert.equal(o.applicable, false);
    assert.equal(o.needsPerson, false);
    assert.equal(o.message, 'not applicable: applies only when mode is kubernetes (it is compose)');
    assert.deepEqual(o.steps, []);
    assert.equal(runs.get('k8s-only'), undefined);
  });

  test('an unset input does not satisfy `when`', async () => {
    const o = get(await run([{id: 'either', when: {mode: ['compose', 'kubernetes']}, verify: [say('pass')]}], {inputs: {}}), 'either');
    assert.equal(o.status, 'skip');
    assert.equal(o.message, 'not applicable: applies only when mode is compose or kubernetes (it is not set)');
  });

  test('an item whose `when` holds runs', async () => {
    const o = get(await run([{id: 'compose-only', when: {mode: ['compose']}, verify: [say('warn')]}]), 'compose-only');
    assert.equal(o.applicable, true);
    assert.equal(o.status, 'warn');
  });

  test('a verify step whose `when` does not hold is filtered out', async () => {
    const out = await run([
      {
        id: 'mixed',
        verify: [
          {...say('fail', {tag: 'filtered'}), when: {mode: 'kubernetes'}},
          {...say('pass', {message: 'compose is fine'}), when: {mode: 'compose'}},
          say('pass', {message: 'always'}),
        ],
      },
    ]);
    const o = get(out, 'mixed');
    assert.equal(o.status, 'pass');
    assert.deepEqual(
      o.steps.map((s) => s.result.message),
      ['compose is fine', 'always'],
    );
    assert.equal(runs.get('filtered'), undefined);
  });

  test('when every verify step is filtered out and nobody is asked, the item is skipped, not left to a person', async () => {
    const o = get(await run([{id: 'all-filtered', verify: [{...say('fail'), when: {mode: 'kubernetes'}}]}]), 'all-filtered');
    assert.equal(o.status, 'skip');
    assert.equal(o.needsPerson, false);
    assert.equal(o.applicable, false);
    assert.match(o.message, /^not applicable: applies only when mode is kubernetes/);
  });

  test('when every verify step is filtered out but there is a question, a person answers it', async () => {
    const o = get(await run([{id: 'ask', confirm: 'Is it done?', verify: [{...say('fail'), when: {mode: 'kubernetes'}}]}]), 'ask');
    assert.equal(o.status, 'manual');
    assert.equal(o.needsPerson, true);
    assert.deepEqual(o.steps, []);
  });
});

// ---------------------------------------------------------------- (f) folding, (g) onItem

describe('runPack: folding step results into an item', () => {
  test('the worst status wins: fail > error > warn > pass > skip', async () => {
    const out = await run([
      {id: 'f', verify: [say('pass'), say('skip'), say('warn'), say('error', {message: 'e'}), say('fail', {message: 'f1'}), say('fail', {message: 'f2'})]},
      {id: 'e', verify: [say('pass'), say('skip'), say('error', {message: 'e1'}), say('warn')]},
      {id: 'w', verify: [say('skip'), say('warn', {message: 'w1'}), say('pass')]},
      {id: 'p', verify: [say('skip'), say('pass', {message: 'p1'})]},
      {id: 's', verify: [say('skip', {message: 's1'}), say('skip', {message: 's2'})]},
    ]);
    assert.deepEqual(
      [...out.values()].map((o) => [o.id, o.status, o.message, o.needsPerson]),
      [
        ['f', 'fail', 'f1; f2', false],
        ['e', 'error', 'e1', false],
        ['w', 'warn', 'w1', false],
        ['p', 'pass', 'said skip; p1', false],
        ['s', 'skip', 's1; s2', false],
      ],
    );
  });

  test('evidence: every step when all is well, only the deciding steps otherwise', async () => {
    const out = await run([
      {id: 'ok', verify: [say('pass', {detail: 'one'}), say('skip', {detail: 'two'})]},
      {id: 'bad', verify: [say('pass', {detail: 'one'}), say('fail', {detail: 'two'}), say('warn', {detail: 'three'}), say('fail', {detail: 'four'})]},
    ]);
    assert.deepEqual(
      get(out, 'ok').evidence.map((e) => e.detail),
      ['one', 'two'],
    );
    assert.deepEqual(
      get(out, 'bad').evidence.map((e) => e.detail),
      ['two', 'four'],
    );
    assert.equal(get(out, 'bad').steps.length, 4, 'every step is still reported');
  });

  test('the same message from several steps is said once', async () => {
    const o = get(
      await run([{id: 'dup', verify: [say('fail', {message: 'port open'}), say('fail', {message: 'port open'}), say('fail', {message: 'other'})]}]),
      'dup',
    );
    assert.equal(o.message, 'port open; other');
  });

  test('confirm: passing checks leave the decision to a person; failing or erroring checks do not', async () => {
    const out = await run([
      {id: 'pass-confirm', confirm: 'Really?', verify: [say('pass', {message: 'looks fine'})]},
      {id: 'warn-confirm', confirm: 'Really?', verify: [say('warn', {message: 'hmm'})]},
      {id: 'fail-confirm', confirm: 'Really?', verify: [say('pass'), say('fail', {message: 'broken'})]},
      {id: 'error-confirm', confirm: 'Really?', verify: [say('error', {message: 'unsure'})]},
      {id: 'only-confirm', confirm: 'Did you?'},
    ]);
    assert.deepEqual(
      [...out.values()].map((o) => [o.id, o.status, o.needsPerson, o.message]),
      [
        ['pass-confirm', 'manual', true, 'looks fine (a person must confirm)'],
        ['warn-confirm', 'manual', true, 'hmm (a person must confirm)'],
        ['fail-confirm', 'fail', false, 'broken'],
        ['error-confirm', 'error', false, 'unsure'],
        ['only-confirm', 'manual', true, 'only a person can confirm this'],
      ],
    );
  });

  test('onItem is called exactly once per item, skipped ones included', async () => {
    const items: ItemSpec[] = [
      {id: 'a', verify: [say('pass')]},
      {id: 'b', when: {mode: 'kubernetes'}, verify: [say('pass')]},
      {id: 'c', verify: [{check: 'test.throws'}]},
      {id: 'd', confirm: 'ok?'},
    ];
    const pack = packOf(items);
    const seen: string[] = [];
    const outcomes = await runPack(pack, ctxFor(pack), CHECKS, {onItem: (o) => seen.push(`${o.id}:${o.status}`)});
    assert.deepEqual([...seen].sort(), ['a:pass', 'b:skip', 'c:error', 'd:manual']);
    assert.equal(outcomes.length, 4);
  });

  test('`only` runs just the named items', async () => {
    const pack = packOf([
      {id: 'a', verify: [say('pass', {tag: 'only-a'})]},
      {id: 'b', verify: [say('pass', {tag: 'only-b'})]},
    ]);
    const seen: string[] = [];
    const outcomes = await runPack(pack, ctxFor(pack), CHECKS, {only: new Set(['b']), onItem: (o) => seen.push(o.id)});
    assert.deepEqual(
      outcomes.map((o) => o.id),
      ['b'],
    );
    assert.deepEqual(seen, ['b']);
    assert.equal(runs.get('only-a'), undefined);
    assert.equal(runs.get('only-b'), 1);
  });
});

// ---------------------------------------------------------------- (h) answers

describe('the ledger applies answers', () => {
  const DAY = '2026-03-01';
  const answer = (a: Partial<Answer> & Pick<Answer, 'kind'>): Answer => ({by: 'alice', at: '2026-02-10T09:30:00.000Z', ...a});

  async function outcomes(): Promise<Map<string, ItemOutcome>> {
    return run([
      {id: 'to-confirm', confirm: 'Backups restored?', verify: [say('pass', {detail: 'backup job found'})]},
      {id: 'only-ask', confirm: 'Did you?'},
      {id: 'broken', confirm: 'Fine?', verify: [say('fail', {message: 'port 5432 is public', detail: '0.0.0.0:5432'})]},
      {id: 'passing', verify: [say('pass', {message: 'ok'})]},
      {id: 'not-here', when: {mode: 'kubernetes'}, verify: [say('fail')]},
    ]);
  }

  type Final = ReturnType<typeof judge> & {waiverExpired?: boolean; answer?: Answer};
  function apply(o: ItemOutcome, a: Answer | undefined): Final {
    const j = judge(o, a, DAY);
    return {
      ...j,
      reconfirm: j.reconfirm || undefined,
      waiverExpired: j.waiver ? j.waiver.expired || undefined : undefined,
      answer: o.applicable ? a : undefined,
    } as Final;
  }

  test('confirmed: a manual item passes, naming who and when', async () => {
    const out = await outcomes();
    const o = get(out, 'to-confirm');
    assert.equal(o.status, 'manual');
    const f = apply(o, answer({kind: 'confirmed', note: 'drill on Feb 9', evidence: fingerprint(o)}));
    assert.equal(f.status, 'pass');
    assert.equal(f.message, 'confirmed by alice on 2026-02-10: drill on Feb 9');
    assert.equal(f.reconfirm, undefined);
    const g = apply(get(out, 'only-ask'), answer({kind: 'confirmed'}));
    assert.equal(g.status, 'pass');
    assert.equal(g.message, 'confirmed by alice on 2026-02-10');
  });

  test('confirmed, but the checks fail: stays fail', async () => {
    const o = get(await outcomes(), 'broken');
    const f = apply(o, answer({kind: 'confirmed'}));
    assert.equal(f.status, 'fail');
    assert.equal(f.message, 'port 5432 is public (confirmed by alice on 2026-02-10, but the checks disagree)');
  });

  test('confirmed, but the evidence changed since: ask again', async () => {
    const out = await outcomes();
    const o = get(out, 'to-confirm');
    const before = fingerprint(o);
    const changed = get(await run([{id: 'to-confirm', confirm: 'Backups restored?', verify: [say('pass', {detail: 'a different backup job'})]}]), 'to-confirm');
    assert.notEqual(fingerprint(changed), before);
    const f = apply(changed, answer({kind: 'confirmed', evidence: before}));
    assert.equal(f.status, 'manual');
    assert.equal(f.reconfirm, true);
    assert.match(f.message, /evidence changed since alice on 2026-02-10 confirmed it/);
  });

  test('confirmed on an item that needs nobody keeps the checks status', async () => {
    const f = apply(get(await outcomes(), 'passing'), answer({kind: 'confirmed'}));
    assert.equal(f.status, 'pass');
  });

  test('declined: fail, naming who', async () => {
    const f = apply(get(await outcomes(), 'to-confirm'), answer({kind: 'declined', by: 'bob', note: 'no drill yet'}));
    assert.equal(f.status, 'fail');
    assert.equal(f.message, 'declined by bob on 2026-02-10: no drill yet');
  });

  test('waived: skip with who, until when and why', async () => {
    const out = await outcomes();
    const f = apply(get(out, 'broken'), answer({kind: 'waived', reason: 'internal network only', expires: '2026-06-30'}));
    assert.equal(f.status, 'skip');
    assert.equal(f.message, 'waived by alice on 2026-02-10 until 2026-06-30: internal network only');
    assert.equal(f.waiverExpired, undefined);
    const sameDay = apply(get(out, 'broken'), answer({kind: 'waived', reason: 'r', expires: DAY}));
    assert.equal(sameDay.status, 'skip', 'a waiver holds through its last day');
  });

  test('an expired waiver leaves the original status and says so', async () => {
    const out = await outcomes();
    const f = apply(get(out, 'broken'), answer({kind: 'waived', reason: 'r', expires: '2026-02-28'}));
    assert.equal(f.status, 'fail');
    assert.equal(f.waiverExpired, true);
    assert.equal(f.message, 'waiver by alice on 2026-02-10 expired on 2026-02-28; port 5432 is public');
    const m = apply(get(out, 'to-confirm'), answer({kind: 'waived', reason: 'r', expires: '2026-01-01'}));
    assert.equal(m.status, 'manual');
    assert.equal(m.waiverExpired, true);
  });

  test('no answer, or an item that does not apply, is unchanged', async () => {
    const out = await outcomes();
    const o = get(out, 'broken');
    assert.deepEqual({status: apply(o, undefined).status, message: apply(o, undefined).message}, {status: o.status, message: o.message});
    const n = get(out, 'not-here');
    const f = apply(n, answer({kind: 'confirmed'}));
    assert.equal(f.status, 'skip');
    assert.equal(f.answer, undefined);
  });

  test('buildLedger matches answers to items by id', async () => {
    const out = [...(await outcomes()).values()];
    const {PackSchema} = await import('../../src/pack/schema.js');
    const pack = PackSchema.parse({
      schema: 1,
      id: 'test',
      title: 'T',
      version: '1.0.0',
      description: 'test',
      sections: [
        {
          id: 's',
          title: 'S',
          items: out.map((o) => ({id: o.id, title: o.id, why: 'w', how: 'h', severity: 'high', source: {system: 'x', section: 'y'}, confirm: 'ok?'})),
        },
      ],
    });
    const finals: LedgerEntry[] = buildLedger(pack, out, {
      answers: {'only-ask': answer({kind: 'declined'}), broken: answer({kind: 'waived', reason: 'r'})},
      day: DAY,
    }).entries;
    assert.deepEqual(
      finals.map((f) => [f.id, f.status]),
      [
        ['to-confirm', 'manual'],
        ['only-ask', 'fail'],
        ['broken', 'skip'],
        ['passing', 'pass'],
        ['not-here', 'skip'],
      ],
    );
  });
});

// ---------------------------------------------------------------- (i) inputs

describe('inputs', () => {
  const pack = packOf([{id: 'x', confirm: 'ok?'}], {
    inputs: [
      {
        ...MODE,
        infer: [
          {value: 'kubernetes', files: ['charts/**/values.yaml']},
          {value: 'compose', files: ['docker-compose.yml']},
        ],
      },
      {
        id: 'tier',
        question: 'Which tier?',
        choices: [
          {value: 'small', label: 'Small'},
          {value: 'large', label: 'Large'},
        ],
        default: 'small',
      },
      {
        id: 'db',
        question: 'Which database?',
        choices: [
          {value: 'postgres', label: 'Postgres'},
          {value: 'mysql', label: 'MySQL'},
        ],
      },
    ],
  });

  test('inferred from a plain file; default used; nothing settles the rest', async () => {
    const dir = tempDir();
    writeFiles(dir, {'docker-compose.yml': 'services: {}\n'});
    const r = await resolveInputs(pack, dir, {});
    assert.deepEqual(r.values, {mode: 'compose', tier: 'small'});
    assert.deepEqual(r.origin, {mode: 'inferred from docker-compose.yml', tier: 'pack default'});
    assert.deepEqual(r.unresolved, ['db']);
  });

  test('inferred from a glob; the first matching rule wins', async () => {
    const dir = tempDir();
    writeFiles(dir, {'docker-compose.yml': 'services: {}\n', 'charts/app/values.yaml': 'a: 1\n'});
    const r = await resolveInputs(pack, dir, {});
    assert.equal(r.values.mode, 'kubernetes');
    assert.equal(r.origin.mode, 'inferred from charts/app/values.yaml');
  });

  test('given values win over files and defaults', async () => {
    const dir = tempDir();
    writeFiles(dir, {'docker-compose.yml': 'services: {}\n'});
    const r = await resolveInputs(pack, dir, {mode: 'kubernetes', tier: 'large', db: 'mysql'});
    assert.deepEqual(r.values, {mode: 'kubernetes', tier: 'large', db: 'mysql'});
    assert.deepEqual(r.origin, {mode: 'given', tier: 'given', db: 'given'});
    assert.deepEqual(r.unresolved, []);
  });

  test('an empty deployment leaves inputs without default unresolved', async () => {
    const r = await resolveInputs(pack, tempDir(), {});
    assert.deepEqual(r.values, {tier: 'small'});
    assert.deepEqual(r.unresolved, ['mode', 'db']);
  });

  test('parseInputArgs accepts declared keys and choices', () => {
    assert.deepEqual(parseInputArgs(['mode=kubernetes', 'db=mysql'], pack), {mode: 'kubernetes', db: 'mysql'});
    assert.deepEqual(parseInputArgs([], pack), {});
  });

  test('parseInputArgs rejects an unknown key, naming the known ones', () => {
    assert.throws(
      () => parseInputArgs(['platform=compose'], pack),
      (err: unknown) => err instanceof InputError && err.message === '--input platform: pack engine-test has no such input (it has: mode, tier, db)',
    );
  });

  test('parseInputArgs rejects a value that is not a choice, listing the choices', () => {
    assert.throws(
      () => parseInputArgs(['mode=swarm'], pack),
      (err: unknown) => err instanceof InputError && err.message === '--input mode=swarm: choose one of compose, kubernetes',
    );
  });

  test('parseInputArgs rejects text that is not KEY=VALUE', () => {
    for (const bad of ['mode', '=compose']) {
      assert.throws(
        () => parseInputArgs([bad], pack),
        (err: unknown) => err instanceof InputError && /expected KEY=VALUE/.test(err.message),
        bad,
      );
    }
  });
});

// ---------------------------------------------------------------- (j) detect

describe('detectPacks', () => {
  function detecting(id: string, detect: unknown[]): Pack {
    return PackSchema.parse({...packOf([{id: 'x', confirm: 'ok?'}]), id, detect});
  }

  test('matches `contains` against the real file text and ranks by matches', async () => {
    const dir = tempDir();
    writeFiles(dir, {
      'docker-compose.yml': 'services:\n  db:\n    image: postgres:16\n',
      '.env': 'POSTGRES_PASSWORD=x\n',
      'deploy/app.yml': 'kind: Deployment\n',
    });
    const single = detecting('single', [{file: '**/*.yml', contains: '^kind: Deployment'}]);
    const double = detecting('double', [{file: 'docker-compose.yml', contains: '^\\s*image:\\s*postgres'}, {file: '.env'}]);
    const none = detecting('none', [{file: 'docker-compose.yml', contains: 'image: redis'}, {file: 'missing.yml'}]);
    const found = await detectPacks(dir, [single, none, double]);
    assert.deepEqual(
      found.map((d) => [d.pack.id, d.matched]),
      [
        ['double', ['docker-compose.yml ~ /^\\s*image:\\s*postgres/', '.env']],
        ['single', ['deploy/app.yml ~ /^kind: Deployment/']],
      ],
    );
  });

  test('nothing matches in an empty directory', async () => {
    const p = detecting('p', [{file: 'docker-compose.yml'}, {file: '**/*.yaml', contains: 'x'}]);
    assert.deepEqual(await detectPacks(tempDir(), [p]), []);
  });
});
