import type {PackItem, PackSection, Pack} from '../pack/schema.js';
import {SourceError, errorMessage} from '../sources/errors.js';
import type {Context} from './context.js';
import {withDeadline} from '../deploy/deadline.js';
import {result, worst, type CheckResult, type Evidence, type ItemStatus, type Severity} from '../model/types.js';
import {type CheckDef} from '../checks/define.js';

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
  /** Checks allowed to run at once. */
  concurrency?: number;
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

/** Runs every applicable item's checks, concurrently, each under its own time bound. */
export async function runPack(pack: Pack, ctx: Context, checks: ReadonlyMap<string, CheckDef>, o: RunOptions = {}): Promise<ItemOutcome[]> {
  const limit = pLimit(Math.max(1, o.concurrency ?? 8));
  const jobs: Promise<ItemOutcome>[] = [];
  for (const section of pack.sections) {
    for (const item of section.items) {
      if (o.only && !o.only.has(item.id)) continue;
      jobs.push(
        runItem(section, item, ctx, checks, limit, o.signal).then((outcome) => {
          o.onItem?.(outcome);
          return outcome;
        }),
      );
    }
  }
  return Promise.all(jobs);
}

async function runItem(
  section: PackSection,
  item: PackItem,
  ctx: Context,
  checks: ReadonlyMap<string, CheckDef>,
  limit: Limiter,
  signal: AbortSignal | undefined,
): Promise<ItemOutcome> {
  const base = {id: item.id, section: section.id, title: item.title, severity: item.severity};
  const when = applies(item, ctx.inputs);
  if (!when.ok) return {...base, applicable: false, needsPerson: false, status: 'skip', message: `not applicable: ${when.reason}`, evidence: [], steps: []};

  const active = (item.verify ?? []).filter((step) => applies(step, ctx.inputs).ok);
  // Every check is conditioned away and there is nothing for a person to confirm or generate.
  const first = item.verify?.[0];
  if (first && active.length === 0 && item.confirm === undefined && item.generate === undefined) {
    return {...base, applicable: false, needsPerson: false, status: 'skip', message: `not applicable: ${applies(first, ctx.inputs).reason}`, evidence: [], steps: []};
  }

  const steps = await Promise.all(
    active.map((step) =>
      limit(async () => {
        const def = checks.get(step.check);
        const started = performance.now();
        const r = def
          ? await runStep(def, ctx, step.with, step.timeout ?? def.timeoutMs ?? DEFAULT_TIMEOUT_MS, signal)
          : result('error', `unknown check ${step.check}`);
        return {check: step.check, result: r, ms: performance.now() - started};
      }),
    ),
  );
  return {...base, applicable: true, ...fold(item, steps)};
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
  const parsed = def.params.safeParse(params);
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
  const queue: (() => void)[] = [];
  const next = () => {
    active--;
    queue.shift()?.();
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
