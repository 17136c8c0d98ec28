import type {ParseArgsConfig} from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

/** What parseArgs gives back for a command's own flags. */
export type Values<O extends Options> = {
  [K in keyof O]?: O[K] extends {type: 'boolean'} ? (O[K] extends {multiple: true} ? boolean[] : boolean) : O[K] extends {multiple: true} ? string[] : string;
};

export interface CommandIO {
  out: NodeJS.WriteStream;
  err: NodeJS.WriteStream;
  /** Colour is on: stdout is a terminal and NO_COLOR is not set. */
  color: boolean;
}

/**
 * One command: its name, its own flags, its help, and what it does. A command file stays light
 * at the top (types and small modules only) and loads what it needs inside run(), so that
 * `--help` and `--version` never load the engine or React.
 */
export interface CommandDef<O extends Options = Options> {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The usage line(s) after `shipshape `. */
  usage: string;
  /** What the command does, what it prints, its exit codes. */
  help: string;
  options: O;
  /** Positional arguments the command takes (0 = none). */
  positionals?: {min: number; max: number};
  run(values: Values<O>, positionals: string[], io: CommandIO): Promise<number>;
}

export function defineCommand<O extends Options>(def: CommandDef<O>): CommandDef<O> {
  return def;
}

/** Flags several commands share, spelled once. */
export const DIR = {dir: {type: 'string'}} as const satisfies Options;
export const PACK = {pack: {type: 'string'}} as const satisfies Options;
export const INPUT = {input: {type: 'string', multiple: true}} as const satisfies Options;
