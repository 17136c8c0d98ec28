import {UsageError} from '../model/errors.js';
import {DIR, INPUT, PACK, defineCommand} from './define.js';

export const generate = defineCommand({
  name: 'generate',
  summary: 'Generate strong secrets and write every copy of each, safely (a dry run unless --write).',
  usage: 'generate [--dir DIR] [--pack ID|FILE] [--item ID ...] [--write] [--show] [--replace-existing ID]\n      [--format text|json] [--input KEY=VALUE ...]',
  help: `For each item that offers a generator (without --item: every such item whose checks fail),
makes a new value with node:crypto and puts it everywhere the pack says it lives: the .env key,
a Compose environment literal (which becomes a \${VAR} reference), the password inside a
connection URL, values that must be equal across files.

Without --write it is a dry run: it prints the change as a unified diff with every secret value
masked, safe to print in CI, and exits 0. With --write it writes all files or none (atomically,
never through a symlink, files holding secrets 0600, a 0600 backup of each file replaced), runs
the affected items' checks again and exits 0 when they pass, 1 when some still fail.
--show prints the generated values: the only way a generated value is ever printed.
A value that must not be replaced lightly (ZITADEL's masterkey) needs --replace-existing ITEM-ID.

Exit codes: 0 dry run, or written and passing; 1 written but checks still fail; 2 usage error.`,
  options: {
    ...DIR,
    ...PACK,
    ...INPUT,
    item: {type: 'string', multiple: true},
    write: {type: 'boolean'},
    show: {type: 'boolean'},
    'replace-existing': {type: 'string', multiple: true},
    format: {type: 'string'},
  },
  async run(v, _pos, io) {
    if (v.format !== undefined && v.format !== 'text' && v.format !== 'json') throw new UsageError(`--format ${v.format}: choose text or json`);
    const {planGeneration, writeGeneration} = await import('../generators/run.js');
    const plan = await planGeneration({dir: v.dir, pack: v.pack, inputs: v.input ?? [], items: v.item, replaceExisting: v['replace-existing'] ?? []});
    if (plan.items.length === 0) {
      const why = v.item ? 'none of those items offers a generator' : 'no item with a generator fails: nothing to generate';
      if (v.format === 'json') io.out.write(`${JSON.stringify({written: false, items: [], files: [], diff: '', message: why}, null, 2)}\n`);
      else io.out.write(`${why}\n`);
      return 0;
    }
    if (v.write && !v.show && plan.items.some((i) => i.made.showOnce)) {
      throw new UsageError(
        `${plan.items
          .filter((i) => i.made.showOnce)
          .map((i) => i.id)
          .join(', ')}: the value is shown once and stored nowhere; add --show to write it`,
      );
    }
    let written: Awaited<ReturnType<typeof writeGeneration>> | undefined;
    try {
      written = v.write ? await writeGeneration(plan) : undefined;
    } catch (err) {
      // A refused or failed write (a file edited meanwhile, a symbolic link, a full disk) says
      // what to do and that nothing changed: the person's to act on, not an internal error.
      if (err instanceof Error && err.name === 'WriteError') throw new UsageError(err.message);
      throw err;
    }
    const shown = v.show ? plan.items.flatMap((i) => i.shown) : [];
    if (v.format === 'json') {
      io.out.write(
        `${JSON.stringify(
          {
            written: Boolean(written),
            items: plan.items.map((i) => ({id: i.id, generator: i.generator, summary: i.summary, notes: i.notes})),
            files: plan.changes.changes.map((c) => ({path: c.path, secret: c.secret, new: c.before === undefined})),
            diff: plan.preview,
            ...(written ? {backups: written.backups, after: written.after} : {}),
            ...(v.show ? {values: shown} : {}),
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const out: string[] = [];
      for (const i of plan.items) {
        out.push(`${i.id} (${i.generator}):`);
        for (const s of i.summary) out.push(`  ${s}`);
        for (const n of i.notes) out.push(`  note: ${n}`);
      }
      if (plan.preview.trim() !== '') out.push('', plan.preview.trimEnd());
      out.push('');
      if (plan.changes.changes.length === 0) out.push('Nothing to change: what these generators can do is done; the notes above say what is left to a person.');
      else if (!written) out.push('Dry run: nothing was written (secret values are masked above). Add --write to write it.');
      else {
        out.push(`Wrote ${written.written.length} file${written.written.length === 1 ? '' : 's'}: ${written.written.join(', ')}`);
        if (written.backups.length > 0) {
          out.push(`Backups (mode 0600): ${written.backups.join(', ')}`);
          // A backup of a .env holds every secret the file held, the ones still in use included.
          out.push('They hold secrets: keep them out of git (ignore *.shipshape-backup-*) and delete them once the new values work.');
        }
        for (const a of written.after) out.push(`  ${a.status.toUpperCase().padEnd(6)} ${a.id}: ${a.message}`);
        out.push(
          plan.session.ctx.inputs.mode === 'kubernetes'
            ? 'Restart the workloads that read these values, e.g. kubectl rollout restart deployment NAME (shipshape rotate does it step by step).'
            : 'Restart the services that read these values, e.g. docker compose up -d --force-recreate.',
        );
      }
      for (const s of shown) out.push(`${s.label}: ${s.value}`);
      io.out.write(`${out.join('\n')}\n`);
    }
    // Items were offered because they fail; when nothing could be written, they still do.
    if (v.write && plan.changes.changes.length === 0) return 1;
    if (written) return written.after.every((a) => a.status === 'pass' || a.status === 'skip' || a.status === 'manual') ? 0 : 1;
    return 0;
  },
});
