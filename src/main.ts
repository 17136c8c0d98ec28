import {parseArgs} from 'node:util';
import {COMMANDS, DEFAULT_COMMAND} from './commands/index.js';
import type {CommandDef} from './commands/define.js';
import {VERSION} from './version.js';

const ENVIRONMENT = `Environment: NO_COLOR turns colour off; SHIPSHAPE_PROGRESS_DIR moves personal progress
(default: the XDG config directory); SHIPSHAPE_KUBESEAL_CERT names the sealed-secrets controller's
certificate (kubeseal --fetch-cert), so generate and rotate write SealedSecrets;
SHIPSHAPE_CACHE=0 stops keeping compiled code and validated packs in $XDG_CACHE_HOME/shipshape
(~/.cache).`;

function overview(): string {
  const lines = [`shipshape ${VERSION}: walk a self-hosted deployment's production checklist`, '', 'Usage:'];
  for (const c of COMMANDS) lines.push(`  shipshape ${c.usage.split('\n').join('\n  ')}`, `      ${c.summary}`);
  lines.push('  shipshape --version | --help | COMMAND --help', '', ENVIRONMENT, '');
  return lines.join('\n');
}

function commandHelp(c: CommandDef): string {
  return `Usage: shipshape ${c.usage}\n\n${c.help.trim()}\n`;
}

/** argv -> command: the first word names the command (none: the wizard); each command parses its own flags. */
export async function main(argv: string[], out: NodeJS.WriteStream = process.stdout, err: NodeJS.WriteStream = process.stderr): Promise<number> {
  if (argv[0] === '--version' || (argv.length === 1 && argv[0] === '-V')) {
    out.write(`${VERSION}\n`);
    return 0;
  }
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    if (argv[0] === 'help' && argv[1]) return main([argv[1], '--help'], out, err);
    if (argv.length > 0) {
      out.write(overview());
      return 0;
    }
  }
  const named = argv[0] !== undefined && !argv[0].startsWith('-');
  const name = named ? argv[0]! : DEFAULT_COMMAND;
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    err.write(`shipshape: unknown command ${name}\n\n${overview()}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: named ? argv.slice(1) : argv,
      options: {...command.options, help: {type: 'boolean', short: 'h'}, version: {type: 'boolean'}},
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    // A flag another command takes is still a mistake here: say so, with this command's usage.
    err.write(`shipshape ${command.name}: ${(e as Error).message}\n\n${commandHelp(command)}`);
    return 2;
  }
  if (parsed.values.version) {
    out.write(`${VERSION}\n`);
    return 0;
  }
  if (parsed.values.help) {
    out.write(named ? commandHelp(command) : overview());
    return 0;
  }
  const {min = 0, max = 0} = command.positionals ?? {};
  const pos = parsed.positionals;
  if (pos.length > max) {
    err.write(`shipshape ${command.name}: unexpected argument ${pos[max]}\n\n${commandHelp(command)}`);
    return 2;
  }
  if (pos.length < min) {
    err.write(`shipshape ${command.name}: missing argument\n\n${commandHelp(command)}`);
    return 2;
  }
  const color = Boolean(out.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
  try {
    return await command.run(parsed.values as never, pos, {out, err, color});
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
