import type {z} from 'zod';
import type {Context} from '../engine/context.js';
import type {CheckResult} from '../model/types.js';

export interface CheckDef<S extends z.ZodType = z.ZodType> {
  /** `family.name`, e.g. `compose.ports-private`. */
  id: string;
  /** One line for the README and `shipshape checks`. */
  summary: string;
  params: S;
  /** Upper bound for one run; the engine turns an overrun into `error`. */
  timeoutMs?: number;
  run(ctx: Context, params: z.output<S>, signal: AbortSignal): Promise<CheckResult> | CheckResult;
}

/** Keeps the params type of each check tied to its schema. */
export function defineCheck<S extends z.ZodType>(def: CheckDef<S>): CheckDef<S> {
  return def;
}
