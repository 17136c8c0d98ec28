import {createHash} from 'node:crypto';
import {accessSync, constants, existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, statSync, unlinkSync, type Stats} from 'node:fs';
import {homedir} from 'node:os';
import {dirname, join} from 'node:path';
import * as z from 'zod/mini';
import {isCalendarDate} from '../deploy/dates.js';
import {kindOf, readRegularFileSync} from '../deploy/read.js';
import {ANSWER_KINDS} from '../model/answer.js';
import {UsageError} from '../model/errors.js';
import {ITEM_STATUSES} from '../model/types.js';
import {writeFileAtomicSync} from '../write/atomicFile.js';

/**
 * Saved progress: one file per deployment (its real absolute path) and pack, written
 * atomically after every change, mode 0600. It holds where you left off, the inputs you chose
 * and the last result of each item as a status and a fingerprint of the (already redacted)
 * evidence: never a value. Answers live in the deployment (answers.ts), not here.
 *
 * Personal progress is a convenience, so a place where it cannot be kept never stops the
 * wizard: a progress directory that cannot be created or written (a file in its way, a dangling
 * link, a home directory that does not exist, a read-only mount) or a progress file that is a
 * symlink or not a regular file leaves the store `disabled` with a sentence saying why and what
 * to do; setters then change only what this run remembers. conf writes it (atomically, 0600);
 * conf resolves a symlink and writes to its target and creates missing folders, so the folder is
 * checked before conf is made and the file is checked with lstat before every write: a link is
 * refused, never followed.
 *
 * The schema uses zod's tree-shakable `zod/mini`: it is read before the wizard's first frame,
 * where the full zod (about as large as Ink and React together) would cost more than the rest.
 */
export const PROGRESS_VERSION = 1;

const IsoDate = z.string().check(z.refine(isCalendarDate, 'a date like 2026-12-31'));

/** Answers were kept here before they moved into the deployment (answers.ts); read only to migrate them. */
const LegacyAnswerSchema = z.object({
  kind: z.enum(ANSWER_KINDS),
  by: z.string().check(z.minLength(1)),
  at: z.string(),
  note: z.optional(z.string()),
  reason: z.optional(z.string()),
  expires: z.optional(IsoDate),
  date: z.optional(IsoDate),
  evidence: z.optional(z.string()),
});

export const SeenSchema = z.object({
  status: z.enum(ITEM_STATUSES),
  fingerprint: z.string(),
  at: z.string(),
});
export type Seen = z.infer<typeof SeenSchema>;

/** A rotation's steps, in order (src/generators/rotate.ts walks them). */
export const ROTATION_STEPS = ['write', 'restart', 'verify', 'retire'] as const;
/** What a rotation record may say: a step still to do, or `writing` (the write may or may not have happened). */
export const ROTATION_RECORD_STEPS = [...ROTATION_STEPS, 'writing'] as const;

/** A rotation under way: where it stands and what it wrote; the values stay in the files only. */
export const RotationSchema = z.object({
  /** Any other text makes the whole file unreadable (set aside, as any damaged progress): never a jump to a later step. */
  step: z.enum(ROTATION_RECORD_STEPS),
  startedAt: z.string(),
  /** The backup stamp of its write: the backups named with it hold the old value. */
  stamp: z.optional(z.string()),
  /** The files its write changed, relative to the deployment. */
  files: z._default(z.array(z.string()), []),
  /** Those of `files` the write creates (they did not exist before it): their names only. */
  created: z._default(z.array(z.string()), []),
});
export type Rotation = z.infer<typeof RotationSchema>;

export const ProgressSchema = z.object({
  version: z.literal(PROGRESS_VERSION),
  root: z.string(),
  pack: z.string(),
  packVersion: z.string(),
  inputs: z._default(z.record(z.string(), z.string()), {}),
  /** Legacy (version 1 kept answers here): moved to the deployment's answers file on open. */
  answers: z._default(z.record(z.string(), LegacyAnswerSchema), {}),
  seen: z._default(z.record(z.string(), SeenSchema), {}),
  /** Legacy, like answers. */
  notes: z._default(z.record(z.string(), z.object({text: z.string(), by: z.string(), at: z.string()})), {}),
  /** Item the person was on when they left. */
  position: z.optional(z.string()),
  /** Rotations under way, by item: the step reached, never a value (src/generators/rotate.ts). */
  rotations: z._default(z.record(z.string(), RotationSchema), {}),
  updatedAt: z.string(),
});
export type Progress = z.infer<typeof ProgressSchema>;

/** A progress file this large is not ours: it is set aside, not read. */
const MAX_PROGRESS_BYTES = 4 * 1024 * 1024;
/** conf's temp names from older versions (`<name>.json.tmp-<10 digits><6 hex>`), left by a killed write. */
const CONF_TEMP = /^progress-.+\.json\.tmp-\d{10}[0-9a-f]{6}$/;
/** A temp file older than this belongs to no running write (as src/write/apply.ts). */
const STALE_TEMP_MS = 60_000;

/** Where progress files live: $SHIPSHAPE_PROGRESS_DIR, else the XDG config dir. */
export function progressDir(): string {
  if (process.env.SHIPSHAPE_PROGRESS_DIR) return process.env.SHIPSHAPE_PROGRESS_DIR;
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Preferences', 'shipshape');
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'shipshape');
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'shipshape');
}

function canonical(root: string): string {
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

export function progressName(root: string, pack: string): string {
  const id = createHash('sha256')
    .update(`${canonical(root)}\0${pack}`)
    .digest('hex')
    .slice(0, 16);
  return `progress-${pack}-${id}`;
}

export function progressFile(root: string, pack: string): string {
  return join(progressDir(), `${progressName(root, pack)}.json`);
}

export function hasProgress(root: string, pack: string): boolean {
  return existsSync(progressFile(root, pack));
}

/** Asked of a store whose progress cannot be kept (`progress --reset`): a plain message, exit 2. */
export class ProgressUnavailable extends UsageError {}

export interface OpenOptions {
  /**
   * Return before stale temp files are cleaned up; call ready() before the first change. The
   * wizard draws its first frame meanwhile.
   */
  deferWrites?: boolean;
}

/** What to do, the same for every reason progress cannot be kept. */
const FIX = 'Set SHIPSHAPE_PROGRESS_DIR to a directory you can write to keep it.';
const OR_FIX = 'or set SHIPSHAPE_PROGRESS_DIR to a directory you can write.';

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** The deepest existing ancestor of `dir` (for saying what is in the way). */
function blocker(dir: string): {path: string; st: Stats} | undefined {
  for (let at = dir; ; at = dirname(at)) {
    const st = lstatOrUndefined(at);
    if (st) return {path: at, st};
    if (dirname(at) === at) return undefined;
  }
}

/**
 * Why progress cannot be kept in `dir`, or undefined when it can; creates `dir` (0700) when
 * missing. Never creates a missing home directory: with neither SHIPSHAPE_PROGRESS_DIR nor
 * XDG_CONFIG_HOME set, the home directory must exist (HOME=/nonexistent is how services run).
 */
function directoryProblem(dir: string): string | undefined {
  if (!process.env.SHIPSHAPE_PROGRESS_DIR && !process.env.XDG_CONFIG_HOME && process.platform !== 'win32') {
    const home = homedir();
    let ok = false;
    try {
      ok = statSync(home).isDirectory();
    } catch {
      /* said below */
    }
    if (!ok) return `the home directory ${home} does not exist. ${FIX}`;
  }
  try {
    mkdirSync(dir, {recursive: true, mode: 0o700});
  } catch (err) {
    const b = blocker(dir);
    if (b && !b.st.isDirectory()) {
      const what = !b.st.isSymbolicLink()
        ? `a ${kindOf(b.st)}, not a directory`
        : existsSync(b.path)
          ? 'a symbolic link to something that is not a directory'
          : 'a symbolic link that leads nowhere';
      return `the progress directory ${dir} cannot be created: ${b.path} is ${what}. ${FIX}`;
    }
    return `the progress directory ${dir} cannot be created (${errCode(err)}). ${FIX}`;
  }
  let st: Stats;
  try {
    st = statSync(dir);
  } catch (err) {
    return `the progress directory ${dir} cannot be used (${errCode(err)}). ${FIX}`;
  }
  if (!st.isDirectory()) return `the progress directory ${dir} is a ${kindOf(st)}, not a directory. ${FIX}`;
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    return `the progress directory ${dir} cannot be written (${errCode(err)}). ${FIX}`;
  }
  return undefined;
}

/** Why the progress file itself may not be read or written, or undefined when it may (or is absent). */
function fileProblem(file: string, st: Stats | undefined): string | undefined {
  if (!st) return undefined;
  if (st.isSymbolicLink())
    return `the progress file ${file} is a symbolic link, and Shipshape never writes through a link. Remove the link (a new file starts in its place), ${OR_FIX}`;
  if (!st.isFile()) return `the progress file ${file} is a ${kindOf(st)}, not a regular file. Move it away, ${OR_FIX}`;
  return undefined;
}

export class ProgressStore {
  private cleaning?: Promise<void>;

  private constructor(
    private readonly root: string,
    private readonly packId: string,
    private data: Progress,
    /** Set when an unreadable file was set aside; the front end should say so. */
    readonly recovered?: string,
    private problem?: string,
  ) {}

  /**
   * Why personal progress (where you left off, results last seen, inputs chosen) is not kept
   * this run, as a sentence that says what to do; undefined while it is kept. Setters still
   * change what this run remembers. Answers are not affected: they live in the deployment.
   */
  get disabled(): string | undefined {
    return this.problem;
  }

  static async open(root: string, pack: {id: string; version: string}, o: OpenOptions = {}): Promise<ProgressStore> {
    const store = ProgressStore.load(root, pack, true);
    if (!o.deferWrites) await store.ready();
    return store;
  }

  /** Reads saved progress without ever writing (for `check`): a damaged file is left where it is. */
  static read(root: string, pack: {id: string; version: string}): Readonly<Progress> {
    return ProgressStore.load(root, pack, false).data;
  }

  private static load(root: string, pack: {id: string; version: string}, mayWrite: boolean): ProgressStore {
    const fresh = (): Progress => ({
      version: PROGRESS_VERSION,
      root: canonical(root),
      pack: pack.id,
      packVersion: pack.version,
      inputs: {},
      answers: {},
      seen: {},
      notes: {},
      rotations: {},
      updatedAt: new Date().toISOString(),
    });
    const file = progressFile(root, pack.id);
    // The directory first: opening for the wizard creates it, or says why it cannot.
    let problem = mayWrite ? directoryProblem(dirname(file)) : undefined;
    const st = lstatOrUndefined(file);
    problem ??= fileProblem(file, st);
    let data: Progress | undefined;
    let recovered: string | undefined;
    // Only a regular file is read (never through a link, never a FIFO that would block), bounded.
    if (st?.isFile()) {
      let raw: unknown;
      let readable = true;
      try {
        raw = JSON.parse(readRegularFileSync(file, {follow: false, maxBytes: MAX_PROGRESS_BYTES}).toString('utf8')) as unknown;
      } catch {
        readable = false;
      }
      const empty = readable && raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0;
      const parsed = readable ? ProgressSchema.safeParse(migrate(raw)) : undefined;
      if (parsed?.success) data = parsed.data;
      else if (!empty && mayWrite && !problem) {
        try {
          recovered = setAside(file);
        } catch (err) {
          problem = `the progress file ${file} cannot be read and cannot be moved aside (${errCode(err)}). Move it away, ${OR_FIX}`;
        }
      }
    }
    return new ProgressStore(root, pack.id, data ?? fresh(), recovered, problem);
  }

  /**
   * Cleans up after killed runs (temp files older than a minute in the progress directory) once;
   * resolves when changes may be saved. Never rejects.
   */
  ready(): Promise<void> {
    this.cleaning ??= this.problem
      ? Promise.resolve()
      : Promise.all([
          cleanStaleProgressTemps(dirname(this.path)).catch(() => undefined),
          // conf (the design card's store) writes; loaded here, after the first frame.
          import('conf').then(({default: Conf}) => {
            this.conf = new Conf<Record<string, unknown>>({
              projectName: 'shipshape',
              cwd: dirname(this.path),
              configName: progressName(this.root, this.packId),
              configFileMode: 0o600,
              accessPropertiesByDotNotation: false,
              clearInvalidConfig: false,
            }) as unknown as {store: Record<string, unknown>};
          }),
        ]).then(
          () => undefined,
          (err: unknown) => {
            this.problem = `the progress file ${this.path} cannot be opened (${(err as Error).message}). ${FIX}`;
          },
        );
    return this.cleaning;
  }

  private conf?: {store: Record<string, unknown>};

  get path(): string {
    return progressFile(this.root, this.packId);
  }

  get(): Readonly<Progress> {
    return this.data;
  }

  private save(next: Progress): void {
    next.updatedAt = new Date().toISOString();
    this.data = next;
    if (this.problem) return;
    const file = this.path;
    // Checked again at every write: a link put there since is refused, never followed (and the
    // rename below would replace a link, not write to its target, whatever appears meanwhile).
    this.problem = fileProblem(file, lstatOrUndefined(file));
    if (this.problem) return;
    try {
      // conf writes atomically (temp file, rename) with mode 0600. It resolves a symlink before
      // writing, which is why the file was just checked with lstat: a link is refused, never
      // followed. Before ready() (never, in the front ends) our own writer does the same job.
      if (this.conf) this.conf.store = next as unknown as Record<string, unknown>;
      else writeFileAtomicSync(file, `${JSON.stringify(next, undefined, '\t')}\n`, 0o600);
    } catch (err) {
      this.problem = `the progress file ${file} could not be written (${(err as Error).message}). ${FIX}`;
    }
  }

  /** Forgets answers and notes once they live in the deployment's answers file. */
  dropLegacy(): void {
    if (Object.keys(this.data.answers).length + Object.keys(this.data.notes).length === 0) return;
    this.save({...this.data, answers: {}, notes: {}});
  }

  setInputs(inputs: Record<string, string>): void {
    this.save({...this.data, inputs: {...inputs}});
  }

  setPosition(itemId: string): void {
    this.save({...this.data, position: itemId});
  }

  /** Saves where a rotation stands (undefined: it is finished or abandoned). */
  setRotation(itemId: string, rotation: Rotation | undefined): void {
    const rotations = {...this.data.rotations};
    if (rotation) rotations[itemId] = rotation;
    else delete rotations[itemId];
    this.save({...this.data, rotations});
  }

  recordSeen(seen: Record<string, Seen>, packVersion?: string): void {
    this.save({...this.data, seen: {...this.data.seen, ...seen}, packVersion: packVersion ?? this.data.packVersion});
  }

  /** Removes the progress file; ProgressUnavailable when progress cannot be kept here. */
  reset(): void {
    if (this.problem) throw new ProgressUnavailable(`personal progress cannot be cleared: ${this.problem}`);
    try {
      unlinkSync(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ProgressUnavailable(`the progress file ${this.path} cannot be removed (${errCode(err)})`);
    }
    this.data = {...this.data, inputs: {}, answers: {}, seen: {}, notes: {}, rotations: {}, position: undefined, updatedAt: new Date().toISOString()};
  }
}

/**
 * Removes temp files older than `maxAgeMs` that a killed write left in the progress directory:
 * ours (`.shipshape-tmp-*`, by src/write/apply.ts's rule) and conf's from older versions
 * (`progress-*.json.tmp-*`). Younger ones may belong to a run in progress and stay. Returns the
 * names removed.
 */
export async function cleanStaleProgressTemps(dir: string, now: number = Date.now(), maxAgeMs = STALE_TEMP_MS): Promise<string[]> {
  const {cleanStaleTemps} = await import('../write/apply.js');
  const removed = await cleanStaleTemps(dir, now, maxAgeMs);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!CONF_TEMP.test(name)) continue;
    const path = join(dir, name);
    const st = lstatOrUndefined(path);
    if (!st?.isFile() || now - st.mtimeMs <= maxAgeMs) continue;
    try {
      unlinkSync(path);
      removed.push(name);
    } catch {
      /* gone already, or not ours to remove */
    }
  }
  return removed;
}

/** Older formats are upgraded here, one version at a time, before validation. */
function migrate(raw: unknown): unknown {
  return raw;
}

function setAside(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const aside = `${path}.unreadable-${Date.now()}`;
  renameSync(path, aside);
  return aside;
}
