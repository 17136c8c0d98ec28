import {parseArgs, type ParseArgsConfig} from 'node:util';
import {VERSION} from './version.js';

const HELP = `shipshape ${VERSION}: walk a self-hosted deployment's production checklist

Usage:
  shipshape [--dir DIR] [--pack ID|FILE] [--input KEY=VALUE ...] [--plain]
      Walk the checklist item by item, answering what only a person can; progress is
      saved after every answer. --plain asks line by line (also used when stdin or
      stdout is not a terminal).
  shipshape check [--dir DIR] [--pack ID|FILE] [--format text|json|markdown|sarif|junit]
                  [--fail-on critical|high|medium|low] [--input KEY=VALUE ...] [--verbose]
      Run every check without asking anything. Exit 0: nothing fails at or above
      --fail-on (default high); 1: something does; 2: usage or pack error.
  shipshape packs                 List the built-in packs.
  shipshape checks                List every check id and its parameters.
  shipshape progress [--dir DIR] [--pack ID] [--reset]
                                  Show where saved progress is, or clear it.
  shipshape --version | --help

Environment: NO_COLOR turns colour off; SHIPSHAPE_PROGRESS_DIR moves saved progress.
`;

const OPTIONS = {
  dir: {type: 'string'},
  pack: {type: 'string'},
  format: {type: 'string'},
  'fail-on': {type: 'string'},
  input: {type: 'string', multiple: true},
  verbose: {type: 'boolean', short: 'v'},
  plain: {type: 'boolean'},
  reset: {type: 'boolean'},
  help: {type: 'boolean', short: 'h'},
  version: {type: 'boolean'},
} satisfies ParseArgsConfig['options'];

export async function main(argv: string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  let args;
  try {
    args = parseArgs({args: argv, options: OPTIONS, allowPositionals: true, strict: true});
  } catch (e) {
    err.write(`shipshape: ${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  const v = args.values;
  if (v.version) {
    out.write(`${VERSION}\n`);
    return 0;
  }
  const [command = 'walk', ...rest] = args.positionals;
  if (v.help || command === 'help') {
    out.write(HELP);
    return 0;
  }
  if (rest.length > 0) {
    err.write(`shipshape: unexpected argument ${rest[0]}\n`);
    return 2;
  }
  const color = Boolean((out as NodeJS.WriteStream).isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

  try {
    switch (command) {
      case 'walk':
        return await (await import('./commands/wizard.js')).wizardCommand({dir: v.dir, pack: v.pack, inputs: v.input ?? [], plain: Boolean(v.plain)}, out, err);
      case 'check': {
        const c = await import('./commands/check.js');
        const code = await c.checkCommand(
          {dir: v.dir, pack: v.pack, format: c.parseFormat(v.format), failOn: c.parseSeverity(v['fail-on']), inputs: v.input ?? [], verbose: v.verbose, color},
          out,
          err,
        );
        return code;
      }
      case 'packs':
        return await (await import('./commands/packs.js')).packsCommand(out);
      case 'checks':
        return await (await import('./commands/packs.js')).checksCommand(out);
      case 'progress':
        return await (await import('./commands/progress.js')).progressCommand({dir: v.dir, pack: v.pack, reset: Boolean(v.reset)}, out);
      default:
        err.write(`shipshape: unknown command ${command}\n\n${HELP}`);
        return 2;
    }
  } catch (e) {
    // Known by name, so that reaching this line does not load the engine on the fast paths.
    if (e instanceof Error && e.name === 'UsageError') {
      err.write(`shipshape: ${e.message}\n`);
      return 2;
    }
    if (e instanceof Error && e.name === 'PackLoadError') {
      err.write(`shipshape: the pack cannot be used:\n${e.message}\n`);
      return 2;
    }
    err.write(`shipshape: internal error: ${(e as Error).message}\nPlease report this with the command you ran.\n`);
    return 2;
  }
}
