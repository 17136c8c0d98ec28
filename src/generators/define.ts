import type {Context} from '../engine/context.js';
import type {ChangeSet} from '../write/changeSet.js';
import type {Edits, Made} from './targets.js';

export type {Made};

/** Options a pack (or the command line) can pass to a generator. */
export interface GeneratorOptions {
  /** Bytes of randomness (hex, base64url), or characters (password). */
  length?: number;
  /** RSA key size. */
  bits?: number;
  /** NKEY role (operator, account, user, server, cluster, curve). */
  role?: string;
  /** Text before the random part (identifier). */
  prefix?: string;
}

export interface GenerateInput {
  ctx: Context;
  /** Where the value goes (the item's `into:`). */
  into: readonly string[];
  options: GeneratorOptions;
  /** The run's edits so far: items of one run build on each other's changes. A fresh one when absent. */
  edits?: Edits;
}

export interface Generation {
  changes: ChangeSet;
  /** The values made, for --show and for tests; never printed otherwise. */
  made: Made;
  /** What a person must do next (restart, delete a plaintext file, retire the old value). */
  notes: string[];
}

/**
 * One generator: it returns a change set and never writes by itself. Adding one is a file with
 * a GeneratorDef and a line in index.ts.
 */
export interface GeneratorDef {
  id: string;
  summary: string;
  generate(input: GenerateInput): Promise<Generation>;
}

export function defineGenerator(def: GeneratorDef): GeneratorDef {
  return def;
}

/** Most generators make a value and put it into the item's targets: this is that, once. */
export function secretGenerator(id: string, summary: string, make: (o: GeneratorOptions) => Made | Promise<Made>): GeneratorDef {
  return {
    id,
    summary,
    async generate(input) {
      const {Edits, writeTargets} = await import('./targets.js');
      const edits = input.edits ?? new Edits(input.ctx);
      const made = await make(input.options);
      const notes = await writeTargets(input.ctx, input.into, made, edits);
      // Worked out when asked for: in a run, items share one Edits and only the run's final change set is used.
      return {
        get changes() {
          return edits.changeSet();
        },
        made,
        notes,
      };
    },
  };
}
