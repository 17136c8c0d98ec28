import type {PackItem, PackSection, Pack} from '../pack/schema.js';
import {SourceError, errorMessage} from '../sources/errors.js';
import type {Context} from './context.js';
import {withDeadline} from '../deploy/deadline.js';
import {result, worst, type CheckResult, type Evidence, type ItemStatus, type Severity} from '../model/types.js';
import type {CheckDef} from '../checks/define.js';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface StepOutcome {
  check: string;
  result: CheckResult;
  ms: number;
}

/** What the checks say about one item, before any person's answer is applied. */
export interface ItemOutcome {
  id: string;
  section: string;
  title: string;
  severity: Severity;
  /** False when the item's `when` does not hold for this deployment. */
  applicable: boolean;
  /** Only a person can settle it (it has a confirm question and the checks did not fail). */
  needsPerson: boolean;
  status: ItemStatus;
  message: string;
  evidence: Evidence[];
  steps: StepOutcome[];
}

export interface RunOptions {
  /** Process and network checks allowed to run at once, when no `budget` is given. */
  concurrency?: number;
  /**
   * The run's one budget for checks that start programs or open sockets, shared by every call
   * that passes it (the wizard runs items one call each). File-only checks never wait for it.
   */
  budget?: Limiter;
  signal?: AbortSignal;
  /** Called as each item settles, for front ends that show results as they arrive. */
  onItem?: (outcome: ItemOutcome) => void;
  /** Run only these item ids. */
  only?: ReadonlySet<string>;
}

/** Whether an item's `when` holds; the reason when it does not. */
export function applies(item: Pick<PackItem, 'when'>, inputs: Readonly<Record<string, string>>): {ok: boolean; reason?: string} {
  for (const [input, want] of Object.entries(item.when ?? {})) {
    const allowed = Array.isArray(want) ? want : [want];
    const have = inputs[input];
    if (have === undefined || !allowed.includes(have)) {
      return {ok: false, reason: `applies only when ${input} is ${allowed.join(' or ')} (it is ${have ?? 'not set'})`};
    }
  }
  return {ok: true};
}

/** What a check waits on: files only, a program it starts, or a socket it opens. */
export type CheckKind = 'file' | 'process' | 'network';

/**
 * Families by what they wait on, for checks that do not declare their `kind` themselves (a
 * check may: `Object.assign(def, {kind: 'file'})`). A family not listed counts as `process`: it
 * waits its turn in the budget rather than risk swamping a small host.
 */
const KIND_BY_FAMILY: Readonly<Record<string, CheckKind>> = {
  env: 'file',
  secret: 'file',
  compose: 'file',
  helm: 'file',
  files: 'file',
  format: 'file',
  discord: 'file',
  hoodcloud: 'file',
  git: 'process',
  host: 'process',
  // Rendered manifests are files, but a chart is rendered by `helm template`, a cluster read by kubectl.
  k8s: 'process',
  dns: 'network',
  http: 'network',
  tls: 'network',
  postgres: 'network',
  redis: 'network',
  nats: 'network',
  vault: 'network',
};
const KIND_BY_CHECK: Readonly<Record<string, CheckKind>> = {
  'tls.pem-file': 'file',
  'net.listening': 'process',
  'net.reachable': 'network',
};

export function kindOf(def: Pick<CheckDef, 'id'> & {kind?: unknown}): CheckKind {
  if (def.kind === 'file' || def.kind === 'process' || def.kind === 'network') return def.kind;
  return KIND_BY_CHECK[def.id] ?? KIND_BY_FAMILY[def.id.split('.')[0] ?? ''] ?? 'process';
}

/** Default size of a run's budget for process and network checks. */
export const DEFAULT_CONCURRENCY = 8;

const budgets = new WeakMap<Context, Limiter>();

/** The one budget of every run on this context: calls that share a context share it. */
export function budgetFor(ctx: Context, concurrency = DEFAULT_CONCURRENCY): Limiter {
  let b = budgets.get(ctx);
  if (!b) budgets.set(ctx, (b = pLimit(Math.max(1, concurrency))));
  return b;
}

/**
 * Runs every applicable item's checks, concurrently, each under its own time bound. Checks that
 * start programs or open sockets share the run's budget (`o.budget`, else one of
 * `o.concurrency`); checks that read only files never wait for it, so they settle while a slow
 * network check still holds a slot. Process and network checks are started first, so their
 * waiting overlaps the file checks' work.
 */
export async function runPack(pack: Pack, ctx: Context, checks: ReadonlyMap<string, CheckDef>, o: RunOptions = {}): Promise<ItemOutcome[]> {
  const budget = o.budget ?? pLimit(Math.max(1, o.concurrency ?? DEFAULT_CONCURRENCY));
  const planned: Planned[] = [];
  for (const section of pack.sections) {
    for (const item of section.items) {
      if (o.only && !o.only.has(item.id)) continue;
      planned.push(planItem(section, item, ctx, checks, o.signal));
    }
  }
  const started = new Map<Step, Promise<StepOutcome>>();
  const waiting = planned.flatMap((p) => (p.kind === 'steps' ? p.steps : []));
  for (const s of waiting) if (s.kind !== 'file') started.set(s, budget(s.run));
  for (const s of waiting) if (s.kind === 'file') started.set(s, s.run());
  return Promise.all(
    planned.map(async (p) => {
      const outcome = p.kind === 'done' ? p.outcome : {...p.base, applicable: true, ...fold(p.item, await Promise.all(p.steps.map((s) => started.get(s)!)))};
      o.onItem?.(outcome);
      return outcome;
    }),
  );
}

interface Step {
  kind: CheckKind;
  run: () => Promise<StepOutcome>;
}

type Planned =
  | {kind: 'done'; outcome: ItemOutcome}
  | {kind: 'steps'; item: PackItem; base: Pick<ItemOutcome, 'id' | 'section' | 'title' | 'severity'>; steps: Step[]};

/** An item's outcome when no check needs to run, else the checks to run for it. */
function planItem(section: PackSection, item: PackItem, ctx: Context, checks: ReadonlyMap<string, CheckDef>, signal: AbortSignal | undefined): Planned {
  const base = {id: item.id, section: section.id, title: item.title, severity: item.severity};
  const skip = (reason: string | undefined): Planned => ({
    kind: 'done',
    outcome: {...base, applicable: false, needsPerson: false, status: 'skip', message: `not applicable: ${reason}`, evidence: [], steps: []},
  });
  const when = applies(item, ctx.inputs);
  if (!when.ok) return skip(when.reason);

  const active = (item.verify ?? []).filter((step) => applies(step, ctx.inputs).ok);
  // Every check is conditioned away and there is nothing for a person to confirm or generate.
  const first = item.verify?.[0];
  if (first && active.length === 0 && item.confirm === undefined && item.generate === undefined) return skip(applies(first, ctx.inputs).reason);

  const steps = active.map((step): Step => {
    const def = checks.get(step.check);
    return {
      kind: def ? kindOf(def) : 'file',
      run: async () => {
        const started = performance.now();
        const r = def
          ? await runStep(def, ctx, step.with, step.timeout ?? def.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal)
          : result('error', `unknown check ${step.check}`);
        return {check: step.check, result: r, ms: performance.now() - started};
      },
    };
  });
  return {kind: 'steps', item, base, steps};
}

function fold(item: PackItem, steps: StepOutcome[]): Pick<ItemOutcome, 'status' | 'message' | 'evidence' | 'steps' | 'needsPerson'> {
  if (steps.length === 0) {
    return {status: 'manual', message: 'only a person can confirm this', evidence: [], steps, needsPerson: true};
  }
  const status = worst(steps.map((s) => s.result.status));
  // The steps that decide the status explain it; when all is well, every step's evidence shows.
  const deciding = status === 'pass' || status === 'skip' ? steps : steps.filter((s) => s.result.status === status);
  const evidence = deciding.flatMap((s) => s.result.evidence);
  const message = [...new Set(deciding.map((s) => s.result.message))].join('; ');
  const needsPerson = item.confirm !== undefined && status !== 'fail' && status !== 'error';
  // Checks that pass or can only hint still leave the decision to a person.
  if (needsPerson) return {status: 'manual', message: `${message} (a person must confirm)`, evidence, steps, needsPerson};
  return {status, message, evidence, steps, needsPerson};
}

/** One check under a time bound: never throws, never hangs past the bound. */
export async function runStep(def: CheckDef, ctx: Context, params: unknown, timeoutMs: number, outer?: AbortSignal): Promise<CheckResult> {
  // Each schema parses a handful of steps per run: zod's JIT (a `new Function` per object
  // schema, on first use) costs far more than it saves here.
  const parsed = def.params.safeParse(params, {jitless: true});
  if (!parsed.success) return result('error', `${def.id}: bad params: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  try {
    // Whichever comes first: the time bound (error), or the caller giving up, e.g. a person
    // skipping a slow network check (skip). The check's signal is aborted either way.
    return await withDeadline(
      (signal) => def.run(ctx, parsed.data, signal),
      timeoutMs,
      () => result('error', `${def.id} did not finish within ${timeoutMs} ms`),
      outer,
      () => result('skip', `${def.id} was stopped before it finished`),
    );
  } catch (err) {
    return fromError(def.id, err);
  }
}

function fromError(id: string, err: unknown): CheckResult {
  if (err instanceof SourceError) {
    return result('error', `${err.where}: ${err.message}`, [{file: err.file, line: err.line, key: err.key, detail: err.message}]);
  }
  return result('error', `${id} could not run: ${errorMessage(err)}`);
}

export type Limiter = <T>(task: () => Promise<T>) => Promise<T>;

/** At most `n` tasks at once, started in order. */
export function pLimit(n: number): Limiter {
  let active = 0;
  // A queue read from `head` on: shift() on a long array moves every element each time.
  let queue: ((() => void) | undefined)[] = [];
  let head = 0;
  const next = () => {
    active--;
    const start = queue[head];
    if (!start) return;
    queue[head++] = undefined;
    if (head === queue.length) {
      queue = [];
      head = 0;
    }
    start();
  };
  return <T>(task: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        active++;
        task().then(resolve, reject).finally(next);
      };
      if (active < n) start();
      else queue.push(start);
    });
}
