import {createHash} from 'node:crypto';
import {existsSync, readFileSync, realpathSync, renameSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import * as z from 'zod/mini';
import {ITEM_STATUSES} from '../model/types.js';

/**
 * Saved progress: one file per deployment (its real absolute path) and pack, written
 * atomically by conf after every change, mode 0600. It holds answers and the last result of
 * each item as a status and a fingerprint of the (already redacted) evidence: never a value.
 *
 * The schema uses zod's tree-shakable `zod/mini`: it is read before the wizard's first frame,
 * where the full zod (about as large as Ink and React together) would cost more than the rest.
 */
export const PROGRESS_VERSION = 1;

/** A real calendar date, not just the shape: 2099-02-30 is refused. */
export function isCalendarDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const IsoDate = z.string().check(z.refine(isCalendarDate, 'a date like 2026-12-31'));

export const AnswerSchema = z.object({
  kind: z.enum(['confirmed', 'declined', 'waived']),
  by: z.string().check(z.minLength(1)),
  at: z.string(),
  note: z.optional(z.string()),
  /** Required for a waiver. */
  reason: z.optional(z.string()),
  /** A waiver reopens after this date. */
  expires: z.optional(IsoDate),
  /** A date the person gave (e.g. of the last restore drill). */
  date: z.optional(IsoDate),
  /** Fingerprint of the evidence the person saw; a change asks for a new confirmation. */
  evidence: z.optional(z.string()),
});
export type Answer = z.infer<typeof AnswerSchema>;

export const SeenSchema = z.object({
  status: z.enum(ITEM_STATUSES),
  fingerprint: z.string(),
  at: z.string(),
});
export type Seen = z.infer<typeof SeenSchema>;

export const ProgressSchema = z.object({
  version: z.literal(PROGRESS_VERSION),
  root: z.string(),
  pack: z.string(),
  packVersion: z.string(),
  inputs: z._default(z.record(z.string(), z.string()), {}),
  answers: z._default(z.record(z.string(), AnswerSchema), {}),
  seen: z._default(z.record(z.string(), SeenSchema), {}),
  /** Notes a person added to items, apart from any answer. */
  notes: z._default(z.record(z.string(), z.object({text: z.string(), by: z.string(), at: z.string()})), {}),
  /** Item the person was on when they left. */
  position: z.optional(z.string()),
  updatedAt: z.string(),
});
export type Progress = z.infer<typeof ProgressSchema>;

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
  const id = createHash('sha256').update(`${canonical(root)}\0${pack}`).digest('hex').slice(0, 16);
  return `progress-${pack}-${id}`;
}

export function progressFile(root: string, pack: string): string {
  return join(progressDir(), `${progressName(root, pack)}.json`);
}

export function hasProgress(root: string, pack: string): boolean {
  return existsSync(progressFile(root, pack));
}

type ConfStore = {store: Record<string, unknown>; path: string; clear(): void};

export interface OpenOptions {
  /**
   * Return before conf (the writer) is loaded; call ready() before the first change. The
   * wizard draws its first frame meanwhile.
   */
  deferWrites?: boolean;
}

export class ProgressStore {
  private conf?: ConfStore;
  private loading?: Promise<void>;

  private constructor(
    private readonly root: string,
    private readonly packId: string,
    private data: Progress,
    /** Set when an unreadable file was set aside; the front end should say so. */
    readonly recovered?: string,
  ) {}

  static async open(root: string, pack: {id: string; version: string}, o: OpenOptions = {}): Promise<ProgressStore> {
    const store = ProgressStore.load(root, pack, true);
    if (!o.deferWrites) await store.ready();
    return store;
  }

  /** Reads saved progress without ever writing (for `check`): a damaged file is left where it is. */
  static read(root: string, pack: {id: string; version: string}): Readonly<Progress> {
    return ProgressStore.load(root, pack, false).data;
  }

  private static load(root: string, pack: {id: string; version: string}, mayMove: boolean): ProgressStore {
    const fresh = (): Progress => ({
      version: PROGRESS_VERSION,
      root: canonical(root),
      pack: pack.id,
      packVersion: pack.version,
      inputs: {},
      answers: {},
      seen: {},
      notes: {},
      updatedAt: new Date().toISOString(),
    });
    const file = progressFile(root, pack.id);
    let data: Progress | undefined;
    let recovered: string | undefined;
    if (existsSync(file)) {
      try {
        const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
        const empty = raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0;
        const parsed = ProgressSchema.safeParse(migrate(raw));
        if (parsed.success) data = parsed.data;
        else if (!empty && mayMove) recovered = setAside(file);
      } catch {
        if (mayMove) recovered = setAside(file);
      }
    }
    return new ProgressStore(root, pack.id, data ?? fresh(), recovered);
  }

  /** Loads the writer. Every change waits for this once; after it, changes are synchronous. */
  ready(): Promise<void> {
    this.loading ??= import('conf').then(({default: Conf}) => {
      this.conf = new Conf<Record<string, unknown>>({
        projectName: 'shipshape',
        cwd: progressDir(),
        configName: progressName(this.root, this.packId),
        configFileMode: 0o600,
        accessPropertiesByDotNotation: false,
        clearInvalidConfig: false,
      }) as unknown as ConfStore;
    });
    return this.loading;
  }

  get path(): string {
    return progressFile(this.root, this.packId);
  }

  get(): Readonly<Progress> {
    return this.data;
  }

  private save(next: Progress): void {
    if (!this.conf) throw new Error('progress store: ready() must finish before the first change');
    next.updatedAt = new Date().toISOString();
    this.conf.store = next as unknown as Record<string, unknown>;
    this.data = next;
  }

  setAnswer(itemId: string, answer: Answer): void {
    const checked = AnswerSchema.parse(answer);
    if (checked.kind === 'waived' && !checked.reason?.trim()) throw new Error('a waiver needs a reason');
    this.save({...this.data, answers: {...this.data.answers, [itemId]: checked}});
  }

  clearAnswer(itemId: string): void {
    const answers = {...this.data.answers};
    delete answers[itemId];
    this.save({...this.data, answers});
  }

  setNote(itemId: string, note: {text: string; by: string; at: string}): void {
    const notes = {...this.data.notes};
    if (note.text.trim() === '') delete notes[itemId];
    else notes[itemId] = note;
    this.save({...this.data, notes});
  }

  setInputs(inputs: Record<string, string>): void {
    this.save({...this.data, inputs: {...inputs}});
  }

  setPosition(itemId: string): void {
    this.save({...this.data, position: itemId});
  }

  recordSeen(seen: Record<string, Seen>, packVersion?: string): void {
    this.save({...this.data, seen: {...this.data.seen, ...seen}, packVersion: packVersion ?? this.data.packVersion});
  }

  reset(): void {
    if (!this.conf) throw new Error('progress store: ready() must finish before reset');
    this.conf.clear();
    this.data = {...this.data, inputs: {}, answers: {}, seen: {}, notes: {}, position: undefined, updatedAt: new Date().toISOString()};
  }
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
