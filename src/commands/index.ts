import {answer} from './answer.js';
import {answers} from './answers.js';
import {check} from './check.js';
import {checks} from './checks.js';
import type {CommandDef} from './define.js';
import {exportCommand} from './export.js';
import {generate} from './generate.js';
import {packs} from './packs.js';
import {progress} from './progress.js';
import {rotate} from './rotate.js';
import {signoff} from './signoff.js';
import {verify} from './verify.js';
import {walk} from './wizard.js';

/** Every command, in the order help lists them. Adding one: a file with a CommandDef, and one line here. */
export const COMMANDS: readonly CommandDef[] = [
  walk,
  check,
  answer,
  answers,
  generate,
  rotate,
  exportCommand,
  signoff,
  verify,
  progress,
  packs,
  checks,
] as unknown as CommandDef[];

/** What `shipshape` with no command runs. */
export const DEFAULT_COMMAND = 'walk';
