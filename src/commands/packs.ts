import {UsageError} from '../model/errors.js';
import {defineCommand, type CommandIO} from './define.js';

const SUBCOMMANDS = ['list', 'lint', 'new', 'detect', 'schema'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

/** The flags each subcommand takes; the rest are usage errors, as for any command. */
const FLAGS: Record<Sub, readonly string[]> = {
  list: ['pack'],
  lint: ['format'],
  new: ['dir', 'out', 'id', 'force'],
  detect: ['dir', 'pack'],
  schema: [],
};

export const packs = defineCommand({
  name: 'packs',
  summary: 'List, detect, lint and start packs (built-in, or your own YAML files).',
  usage: 'packs [list|detect|new|schema] [--dir DIR] [--pack DIR] [--out FILE] [--id ID] [--force]\n      packs lint FILE|DIR ... [--format text|json]',
  help: `packs list: every built-in pack, or with --pack DIR only the packs in that folder: id,
version, number of items, title, file, and the packs it extends.

packs detect: which packs recognise the deployment in --dir (default: here) and why, which one
check and the wizard would run, and which are covered by a pack that extends them. Exit codes:
0 a pack was chosen; 1 none recognises the folder; 2 usage.

packs lint: checks pack files the way the loader does and says where each problem is
(file:line:col), then adds warnings (no detect rules, an item that replaces an inherited one).
Exit codes: 0 no errors (warnings allowed); 1 a pack has errors (a file that cannot be read
counts as one, located at line 1); 2 usage.

packs new: starts a pack from the files in --dir (default: here): .env files, a Compose file,
Helm values, Kubernetes manifests. It uses the generic checks only and passes packs lint.
Prints the YAML, or writes it to --out (an existing file only with --force).

packs schema: prints the JSON Schema of the pack format (shipped as schema/pack.schema.json).`,
  options: {
    dir: {type: 'string'},
    pack: {type: 'string'},
    out: {type: 'string'},
    id: {type: 'string'},
    format: {type: 'string'},
    force: {type: 'boolean'},
  },
  positionals: {min: 0, max: 64},
  async run(v, pos, io) {
    const [word, ...args] = pos;
    const sub = (word ?? 'list') as Sub;
    if (!SUBCOMMANDS.includes(sub)) throw new UsageError(`packs ${word}: choose one of ${SUBCOMMANDS.join(', ')}`);
    for (const [flag, value] of Object.entries(v)) {
      if (value !== undefined && !FLAGS[sub].includes(flag)) throw new UsageError(`packs ${sub} does not take --${flag}`);
    }
    if (sub !== 'lint' && args.length > 0) throw new UsageError(`packs ${sub}: unexpected argument ${args[0]}`);
    switch (sub) {
      case 'list':
        return list(v.pack, io);
      case 'detect':
        return detect(v.dir, v.pack, io);
      case 'lint':
        if (args.length === 0) throw new UsageError('packs lint: name a pack file or a folder of packs');
        return lint(args, v.format ?? 'text', io);
      case 'new':
        return scaffold(v, io);
      case 'schema':
        return schema(io);
    }
  },
});

async function candidates(folder: string | undefined) {
  const {loadBuiltins, loadFolder} = await import('../engine/session.js');
  if (!folder) return loadBuiltins();
  const {statSync} = await import('node:fs');
  const {resolve} = await import('node:path');
  let isDir = false;
  try {
    isDir = statSync(resolve(folder)).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new UsageError(`--pack ${folder}: not a folder of packs`);
  return loadFolder(resolve(folder));
}

async function list(folder: string | undefined, {out}: CommandIO): Promise<number> {
  for (const {pack, file} of await candidates(folder)) {
    const items = pack.sections.reduce((n, s) => n + s.items.length, 0);
    const ext =
      pack.extends.length > 0
        ? `  (extends ${pack.extends
            .map((e) =>
              e.when
                ? `${e.pack} when ${Object.entries(e.when)
                    .map(([k, v]) => `${k}=${[v].flat().join('|')}`)
                    .join(' ')}`
                : e.pack,
            )
            .join(', ')})`
        : '';
    out.write(
      `${pack.id.padEnd(16)} ${pack.version.padEnd(8)} ${String(items).padStart(3)} ${items === 1 ? 'item ' : 'items'}  ${pack.title}${ext}\n${' '.repeat(17)}${file}\n`,
    );
    for (const d of pack.dropped ?? []) out.write(`${' '.repeat(17)}drops ${d.id} (from ${d.from}): ${d.reason}\n`);
  }
  return 0;
}

async function detect(dir: string | undefined, folder: string | undefined, {out}: CommandIO): Promise<number> {
  const [{resolve}, {statSync}, {choosePack, describeChoice, detectPacks}] = await Promise.all([
    import('node:path'),
    import('node:fs'),
    import('../pack/detect.js'),
  ]);
  const root = resolve(dir ?? '.');
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new UsageError(`--dir ${dir ?? '.'}: not a directory`);
  const packs = await candidates(folder);
  const choice = choosePack(
    await detectPacks(
      root,
      packs.map((p) => p.pack),
    ),
  );
  if (!choice.chosen) {
    out.write(`no pack recognises ${root}; choose one with --pack (${packs.map((p) => p.pack.id).join(', ')})\n`);
    return 1;
  }
  out.write(`${root}\n`);
  for (const line of describeChoice(choice)) out.write(`  ${line}\n`);
  return 0;
}

async function lint(args: string[], format: string, {out}: CommandIO): Promise<number> {
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format ${format}: choose text or json`);
  const [{lintPackFile, lintTargets}, {formatProblem}, {CHECKS}, {GENERATORS}] = await Promise.all([
    import('../pack/lint.js'),
    import('../pack/load.js'),
    import('../checks/index.js'),
    import('../generators/index.js'),
  ]);
  const files = args.flatMap(lintTargets);
  if (files.length === 0) throw new UsageError(`packs lint ${args.join(' ')}: no .yaml file there`);
  const results = [];
  for (const f of files) results.push(await lintPackFile(f, {checks: CHECKS, generators: GENERATORS}));
  const errors = results.reduce((n, r) => n + r.errors.length, 0);
  const warnings = results.reduce((n, r) => n + r.warnings.length, 0);
  if (format === 'json') {
    const doc = results.map((r) => ({file: r.file, pack: r.pack?.id ?? null, errors: r.errors, warnings: r.warnings}));
    out.write(`${JSON.stringify({files: doc, errors, warnings}, null, 2)}\n`);
  } else {
    for (const r of results) {
      for (const p of r.errors) out.write(`${formatProblem(p)}\n`);
      for (const p of r.warnings) out.write(`${formatProblem({...p, message: `warning: ${p.message}`})}\n`);
      if (r.errors.length === 0) out.write(`${r.file}: ok (pack ${r.pack!.id}, ${r.pack!.sections.reduce((n, s) => n + s.items.length, 0)} items)\n`);
    }
    out.write(`${plural(files.length, 'file')}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  }
  return errors > 0 ? 1 : 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function scaffold(v: {dir?: string; out?: string; id?: string; force?: boolean}, {out, err}: CommandIO): Promise<number> {
  const [
    {existsSync, mkdirSync, statSync},
    {dirname, join, relative, resolve},
    {scaffoldPack, survey},
    {CHECKS},
    {packageRoot},
    {SCHEMA_FILE},
    {writeFileAtomicSync},
  ] = await Promise.all([
    import('node:fs'),
    import('node:path'),
    import('../pack/scaffold.js'),
    import('../checks/index.js'),
    import('../pack/builtin.js'),
    import('../pack/jsonSchema.js'),
    import('../write/atomicFile.js'),
  ]);
  const root = resolve(v.dir ?? '.');
  let isDir = false;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    /* below */
  }
  if (!isDir) throw new UsageError(`--dir ${v.dir ?? '.'}: not a directory`);
  if (v.id !== undefined && !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(v.id)) throw new UsageError(`--id ${v.id}: use lower-case letters, digits and single dashes`);
  const target = v.out === undefined ? undefined : resolve(v.out);
  if (target && existsSync(target) && !v.force) throw new UsageError(`--out ${v.out}: the file exists; pass --force to replace it`);
  const schemaFile = join(packageRoot(), SCHEMA_FILE);
  // Relative when the pack sits near the schema (a project with shipshape in node_modules), else absolute.
  const near = target ? relative(dirname(target), schemaFile) : '';
  const schemaRef = near && !near.startsWith('../../') ? near : schemaFile;
  const found = await survey(root);
  const text = scaffoldPack(root, found, CHECKS, {id: v.id, schemaRef});
  // An absolute path is this machine's copy: fine for now, wrong in a repository others clone.
  if (schemaRef === schemaFile)
    err.write(
      `shipshape: the $schema line points at this machine's copy (${schemaFile}); before committing the pack, point it at node_modules/shipshape/${SCHEMA_FILE} in your project\n`,
    );
  if (!target) {
    out.write(text);
    return 0;
  }
  try {
    mkdirSync(dirname(target), {recursive: true});
    writeFileAtomicSync(target, text, 0o644);
  } catch (e) {
    throw new UsageError(`--out: ${(e as Error).message}`);
  }
  err.write(`shipshape: wrote ${target}; check it with: shipshape packs lint ${v.out}\n`);
  return 0;
}

async function schema({out}: CommandIO): Promise<number> {
  const [{packJsonSchemaText}, {CHECKS}, {GENERATORS}] = await Promise.all([
    import('../pack/jsonSchema.js'),
    import('../checks/index.js'),
    import('../generators/index.js'),
  ]);
  out.write(packJsonSchemaText(CHECKS, GENERATORS.keys()));
  return 0;
}
