import {existsSync, lstatSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import * as z from 'zod/mini';
import {ANSWER_KINDS, waiverProblem, type Answer, type Note} from '../model/answer.js';
import {isCalendarDate} from '../deploy/dates.js';
import {writeFileAtomicSync} from '../write/atomicFile.js';

/**
 * Answers live with the deployment: one reviewable JSON file in its directory, committed with
 * it and honoured by `check` in CI wherever the checkout lives. One entry per item id, keys in
 * a stable order, who and when; never a secret value. Personal state (where you left off, what
 * you saw last) stays in the config directory (progress.ts).
 *
 * JSON rather than YAML: it is read before the wizard's first frame, where a YAML parser would
 * cost more than the rest of the file's handling, and a pull request diff reads just as well.
 */
export const ANSWERS_FILE = 'shipshape-answers.json';
const VERSION = 1;

const IsoDate = z.string().check(z.refine(isCalendarDate, 'a date like 2026-12-31'));

export const AnswerSchema = z.object({
  kind: z.enum(ANSWER_KINDS),
  by: z.string().check(z.minLength(1)),
  at: z.string(),
  note: z.optional(z.string()),
  reason: z.optional(z.string()),
  owner: z.optional(z.string()),
  expires: z.optional(IsoDate),
  date: z.optional(IsoDate),
  evidence: z.optional(z.string()),
});
const NoteSchema = z.object({text: z.string(), by: z.string(), at: z.string()});
const PackAnswersSchema = z.object({
  answers: z._default(z.record(z.string(), AnswerSchema), {}),
  notes: z._default(z.record(z.string(), NoteSchema), {}),
});
const FileSchema = z.object({
  $comment: z.optional(z.string()),
  version: z.literal(VERSION),
  packs: z._default(z.record(z.string(), PackAnswersSchema), {}),
});
type AnswersFile = z.infer<typeof FileSchema>;

export interface PackAnswers {
  /** The file, relative to the deployment root. */
  file: string;
  answers: Record<string, Answer>;
  notes: Record<string, Note>;
  /** Why the file could not be used (it is then treated as empty and never overwritten). */
  problems: {file: string; line?: number; message: string}[];
}

const COMMENT = 'Answers recorded by shipshape for this deployment: commit this file, shipshape check honours it. It never holds a secret value.';

/** Reads the file; never writes. A damaged file is a located problem, not an exception. */
function load(root: string): {data: AnswersFile; problem?: {line?: number; message: string}} {
  const path = join(root, ANSWERS_FILE);
  const empty: AnswersFile = {version: VERSION, packs: {}};
  if (!existsSync(path)) return {data: empty};
  let text: string;
  try {
    if (!lstatSync(path).isFile()) return {data: empty, problem: {message: 'is not a regular file (a link or a folder); answers in it are ignored'}};
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return {data: empty, problem: {message: `cannot be read: ${(err as Error).message}`}};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const pos = /position (\d+)/.exec((err as Error).message)?.[1];
    const line = pos === undefined ? undefined : text.slice(0, Number(pos)).split('\n').length;
    return {
      data: empty,
      problem: {line, message: `is not valid JSON (${(err as Error).message.replace(/ in JSON at position \d+.*$/, '')}); fix or remove it`},
    };
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue?.path.join('.') ?? '';
    return {data: empty, problem: {line: lineOfKey(text, issue?.path), message: `${key ? `${key}: ` : ''}${issue?.message ?? 'not an answers file'}`}};
  }
  return {data: parsed.data};
}

/** The line of the deepest key of a JSON path that can be found in the text, for located errors. */
function lineOfKey(text: string, path: readonly PropertyKey[] | undefined): number | undefined {
  let from = 0;
  let line: number | undefined;
  for (const k of path ?? []) {
    if (typeof k !== 'string') continue;
    const at = text.indexOf(JSON.stringify(k), from);
    if (at < 0) break;
    from = at;
    line = text.slice(0, at).split('\n').length;
  }
  return line;
}

export function answersPath(root: string): string {
  return join(root, ANSWERS_FILE);
}

export function readAnswers(root: string, packId: string): PackAnswers {
  const {data, problem} = load(root);
  const mine = data.packs[packId];
  return {
    file: ANSWERS_FILE,
    answers: {...(mine?.answers ?? {})},
    notes: {...(mine?.notes ?? {})},
    problems: problem ? [{file: ANSWERS_FILE, ...problem}] : [],
  };
}

/** Entries in a stable order (by item id) and fields in a fixed order, so diffs stay small. */
function serialize(data: AnswersFile): string {
  const sortObj = <T>(o: Record<string, T>, each: (v: T) => T): Record<string, T> =>
    Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, each(o[k] as T)]),
    );
  const order = (a: Answer): Answer => {
    const fields = ['kind', 'by', 'at', 'note', 'reason', 'owner', 'expires', 'date', 'evidence'] as const;
    return Object.fromEntries(fields.filter((f) => a[f] !== undefined).map((f) => [f, a[f]])) as unknown as Answer;
  };
  const packs = sortObj(data.packs, (p) => ({answers: sortObj(p.answers, order), notes: sortObj(p.notes, (n) => ({text: n.text, by: n.by, at: n.at}))}));
  return `${JSON.stringify({$comment: COMMENT, version: VERSION, packs}, null, 2)}\n`;
}

export class AnswersError extends Error {
  override name = 'AnswersError';
}

/** Writes one pack's answers; each change is on disk (atomically) before the method returns. */
export class AnswersStore {
  private constructor(
    readonly root: string,
    readonly packId: string,
    private data: AnswersFile,
    /** Set when the file could not be read: nothing is written over it. */
    readonly problem?: string,
  ) {}

  static open(root: string, packId: string): AnswersStore {
    const {data, problem} = load(root);
    return new AnswersStore(root, packId, data, problem ? `${ANSWERS_FILE}${problem.line ? `:${problem.line}` : ''}: ${problem.message}` : undefined);
  }

  get path(): string {
    return answersPath(this.root);
  }

  get answers(): Readonly<Record<string, Answer>> {
    return this.data.packs[this.packId]?.answers ?? {};
  }

  get notes(): Readonly<Record<string, Note>> {
    return this.data.packs[this.packId]?.notes ?? {};
  }

  private save(change: (p: {answers: Record<string, Answer>; notes: Record<string, Note>}) => void): void {
    if (this.problem) throw new AnswersError(`${this.problem}; answers are not saved until it is fixed`);
    const current = this.data.packs[this.packId] ?? {answers: {}, notes: {}};
    const mine = {answers: {...current.answers}, notes: {...current.notes}};
    change(mine);
    const next: AnswersFile = {...this.data, packs: {...this.data.packs, [this.packId]: mine}};
    // Written 0644: the file is meant to be committed and read by CI; it never holds a secret.
    writeFileAtomicSync(this.path, serialize(next), 0o644);
    this.data = next;
  }

  setAnswer(itemId: string, answer: Answer): void {
    const checked = AnswerSchema.parse(answer);
    const problem = checked.kind === 'waived' ? waiverProblem(checked.reason) : undefined;
    if (problem) throw new AnswersError(problem);
    this.save((p) => {
      p.answers[itemId] = checked;
    });
  }

  clearAnswer(itemId: string): void {
    if (!(itemId in this.answers)) return;
    this.save((p) => {
      delete p.answers[itemId];
    });
  }

  setNote(itemId: string, note: Note): void {
    this.save((p) => {
      if (note.text.trim() === '') delete p.notes[itemId];
      else p.notes[itemId] = note;
    });
  }

  /** Moves answers and notes kept in an older personal progress file into this file (once). */
  adopt(answers: Readonly<Record<string, Answer>>, notes: Readonly<Record<string, Note>>): number {
    const newA = Object.entries(answers).filter(([id]) => !(id in this.answers));
    const newN = Object.entries(notes).filter(([id]) => !(id in this.notes));
    if (newA.length + newN.length === 0 || this.problem) return 0;
    this.save((p) => {
      for (const [id, a] of newA) p.answers[id] = a;
      for (const [id, n] of newN) p.notes[id] = n;
    });
    return newA.length + newN.length;
  }
}
