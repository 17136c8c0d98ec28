import {createHash} from 'node:crypto';
import {existsSync, readFileSync, realpathSync, renameSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {z} from 'zod';
import {ITEM_STATUSES} from '../engine/types.js';

/**
 * Saved progress: one file per deployment (its real absolute path) and pack, written
 * atomically by conf after every change, mode 0600. It holds answers and the last result of
 * each item as a status and a fingerprint of the (already redacted) evidence: never a value.
 */
export const PROGRESS_VERSION = 1;

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date like 2026-12-31');

export const AnswerSchema = z.object({
  kind: z.enum(['confirmed', 'declined', 'waived']),
  by: z.string().min(1),
  at: z.string(),
  note: z.string().optional(),
  /** Required for a waiver. */
  reason: z.string().optional(),
  /** A waiver reopens after this date. */
  expires: IsoDate.optional(),
  /** A date the person gave (e.g. of the last restore drill). */
  date: IsoDate.optional(),
  /** Fingerprint of the evidence the person saw; a change asks for a new confirmation. */
  evidence: z.string().optional(),
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
  inputs: z.record(z.string(), z.string()).default({}),
  answers: z.record(z.string(), AnswerSchema).default({}),
  seen: z.record(z.string(), SeenSchema).default({}),
  /** Notes a person added to items, apart from any answer. */
  notes: z.record(z.string(), z.object({text: z.string(), by: z.string(), at: z.string()})).default({}),
  /** Item the person was on when they left. */
  position: z.string().optional(),
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

export class ProgressStore {
  private constructor(
    private readonly conf: ConfStore,
    private data: Progress,
    /** Set when an unreadable file was set aside; the front end should say so. */
    readonly recovered?: string,
  ) {}

  static async open(root: string, pack: {id: string; version: string}): Promise<ProgressStore> {
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
    // Validate before conf sees the file: conf throws on bad JSON while constructing.
    const file = progressFile(root, pack.id);
    let data: Progress | undefined;
    let recovered: string | undefined;
    if (existsSync(file)) {
      try {
        const raw = JSON.parse(readFileSync(file, 'utf8')) as unknown;
        const empty = raw !== null && typeof raw === 'object' && Object.keys(raw).length === 0;
        const parsed = ProgressSchema.safeParse(migrate(raw));
        if (parsed.success) data = parsed.data;
        else if (!empty) recovered = setAside(file);
      } catch {
        recovered = setAside(file);
      }
    }
    const {default: Conf} = await import('conf');
    const conf = new Conf<Record<string, unknown>>({
      projectName: 'shipshape',
      cwd: progressDir(),
      configName: progressName(root, pack.id),
      configFileMode: 0o600,
      accessPropertiesByDotNotation: false,
      clearInvalidConfig: false,
    }) as unknown as ConfStore;
    return new ProgressStore(conf, data ?? fresh(), recovered);
  }

  get path(): string {
    return this.conf.path;
  }

  get(): Readonly<Progress> {
    return this.data;
  }

  private save(next: Progress): void {
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
