// The sign-off as an in-toto Statement v1 (in-toto/attestation spec/v1/statement.md):
//   subject: the canonical checklist (RFC 8785 JSON, named shipshape-checklist.json) and every
//            deployment file the checks read, each by its sha256;
//   predicateType: https://shipshape.dev/signoff/v1;
//   predicate: tool and pack (version, digest), inputs, every item's final status with its
//            evidence and the evidence's digest, the answers and waivers, the critical items
//            accepted as risks (item by item), who signed and when.
// The checklist is a projection of the predicate (pack, inputs, items), so its digest can be
// recomputed from the statement alone, and from a fresh run of the checks for drift.
// Nothing here ever holds a secret value: evidence is the checks' redacted evidence.
import {relative, sep} from 'node:path';
import {z} from 'zod';
import {canonical, sha256Hex} from '../deploy/canonicalJson.js';
import {readDeploymentFile} from '../deploy/read.js';
import type {Context} from '../engine/context.js';
import type {Answer} from '../model/answer.js';
import {ITEM_STATUSES, SEVERITIES, type Evidence} from '../model/types.js';
import type {Pack} from '../pack/schema.js';
import type {Report, ReportItem} from '../report/model.js';
import {ANSWERS_FILE} from '../store/answers.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://shipshape.dev/signoff/v1';
export const CHECKLIST_TYPE = 'https://shipshape.dev/checklist/v1';
/** The subject naming the canonical checklist. */
export const CHECKLIST_NAME = 'shipshape-checklist.json';

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'a lower-case hex sha256');
const Digest = z.object({sha256: Hex64});

const EvidenceSchema = z.strictObject({file: z.string().optional(), line: z.number().int().optional(), key: z.string().optional(), detail: z.string()});

const ItemAnswerSchema = z.object({
  status: z.enum(['confirmed', 'declined', 'waived']),
  by: z.string(),
  at: z.string(),
  note: z.string().optional(),
  date: z.string().optional(),
  waiver: z.object({reason: z.string(), owner: z.string().optional(), expires: z.string().optional(), expired: z.boolean(), unneeded: z.boolean()}).optional(),
});

const ItemSchema = z.object({
  id: z.string().min(1),
  section: z.string(),
  title: z.string(),
  severity: z.enum(SEVERITIES),
  status: z.enum(ITEM_STATUSES),
  message: z.string(),
  evidence: z.array(EvidenceSchema),
  evidenceDigest: Digest,
  answer: ItemAnswerSchema.optional(),
});
export type SignoffItem = z.infer<typeof ItemSchema>;

const PackRefSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  version: z.string(),
  digest: Digest,
  /** What to pass to --pack to load it again: a built-in id, or a file (relative to the deployment when inside it). */
  ref: z.string().min(1),
});

export const PredicateSchema = z.object({
  tool: z.object({name: z.literal('shipshape'), version: z.string()}),
  pack: PackRefSchema,
  deployment: z.object({root: z.string(), answersFile: z.string()}),
  inputs: z.record(z.string(), z.string()),
  signer: z.object({name: z.string().min(1), keyid: z.string().min(1)}),
  signedAt: z.string().min(1),
  result: z.enum(['PASSED', 'WARNED', 'FAILED']),
  summary: z.record(z.enum(ITEM_STATUSES), z.number().int().min(0)),
  items: z.array(ItemSchema).min(1),
  answers: z.record(z.string(), z.looseObject({kind: z.string(), by: z.string(), at: z.string()})),
  waivers: z.array(
    z.object({
      item: z.string(),
      reason: z.string(),
      by: z.string(),
      at: z.string(),
      owner: z.string().optional(),
      expires: z.string().optional(),
      expired: z.boolean(),
    }),
  ),
  acceptedRisks: z.array(z.object({item: z.string(), title: z.string(), severity: z.enum(SEVERITIES), status: z.enum(ITEM_STATUSES), message: z.string()})),
  unreadable: z.array(z.object({file: z.string(), why: z.string()})),
});
export type Predicate = z.infer<typeof PredicateSchema>;

const SubjectSchema = z.object({name: z.string().min(1), digest: Digest});

export const StatementSchema = z.object({
  _type: z.literal(STATEMENT_TYPE),
  subject: z.array(SubjectSchema).min(1),
  predicateType: z.literal(PREDICATE_TYPE),
  predicate: PredicateSchema,
});
export type Statement = z.infer<typeof StatementSchema>;
export type Subject = z.infer<typeof SubjectSchema>;

/** Evidence with only the fields it has, so its canonical form does not depend on how it was built. */
function cleanEvidence(e: Evidence): Evidence {
  return {
    ...(e.file !== undefined ? {file: e.file} : {}),
    ...(e.line !== undefined ? {line: e.line} : {}),
    ...(e.key !== undefined ? {key: e.key} : {}),
    detail: e.detail,
  };
}

function signoffItem(i: ReportItem): SignoffItem {
  const evidence = i.evidence.map(cleanEvidence);
  const a = i.answer;
  const answer = a ? JSON.parse(JSON.stringify({status: a.status, by: a.by, at: a.at, note: a.note, date: a.date, waiver: a.waiver})) : undefined;
  return {
    id: i.id,
    section: i.section,
    title: i.title,
    severity: i.severity,
    status: i.status,
    message: i.message,
    evidence,
    evidenceDigest: {sha256: sha256Hex(canonical(evidence))},
    ...(answer ? {answer} : {}),
  };
}

/** The checklist document: what the checks and people concluded, without who signed or when. */
export function checklistOf(p: Pick<Predicate, 'pack' | 'inputs' | 'items'>): unknown {
  return {type: CHECKLIST_TYPE, pack: {id: p.pack.id, version: p.pack.version, digest: p.pack.digest}, inputs: p.inputs, items: p.items};
}

/** The RFC 8785 bytes of the checklist: what its subject's digest is taken over. */
export function checklistText(p: Pick<Predicate, 'pack' | 'inputs' | 'items'>): string {
  return canonical(checklistOf(p));
}

/** The files the checks read: the pack's env, Compose (base and overrides), Helm values and manifests, the .env Compose interpolates, and the answers file. */
export async function filesRead(ctx: Pick<Context, 'glob' | 'isFile'>, pack: Pack): Promise<string[]> {
  const f = pack.files;
  const [env, compose, overrides, helm, manifests] = await Promise.all([
    ctx.glob(f.env),
    ctx.glob(f.compose),
    ctx.glob(f.composeOverrides),
    ctx.glob(f.helmValues),
    ctx.glob(f.manifests),
  ]);
  const base = compose[0];
  const names = [...env, ...(base ? [base] : []), ...overrides, ...helm, ...manifests];
  if (base) {
    const beside = `${base.includes('/') ? base.slice(0, base.lastIndexOf('/') + 1) : ''}.env`;
    if (ctx.isFile(beside)) names.push(beside);
  }
  if (ctx.isFile(ANSWERS_FILE)) names.push(ANSWERS_FILE);
  return [...new Set(names)].sort();
}

export interface HashedFiles {
  subjects: Subject[];
  unreadable: {file: string; why: string}[];
}

/** sha256 of each file's exact bytes, read by the one deployment reader (never through a link out of the root). */
export async function hashFiles(root: string, names: readonly string[]): Promise<HashedFiles> {
  const subjects: Subject[] = [];
  const unreadable: {file: string; why: string}[] = [];
  for (const name of names) {
    try {
      subjects.push({name, digest: {sha256: sha256Hex(await readDeploymentFile(root, name))}});
    } catch (err) {
      unreadable.push({file: name, why: (err as Error).message});
    }
  }
  return {subjects, unreadable};
}

/** Items that keep a sign-off from being made: critical, applicable, and failing, undecided or waiting for a person. */
export function blockingItems(r: Report): ReportItem[] {
  return r.items.filter((i) => i.severity === 'critical' && (i.status === 'fail' || i.status === 'error' || i.status === 'manual'));
}

/** How `--pack` finds the pack again: the built-in id, else its file relative to the deployment when inside it. */
export function packRef(pack: Pack, packFile: string, root: string, stepsDir: string): string {
  const inSteps = relative(stepsDir, packFile);
  if (!inSteps.startsWith('..') && !inSteps.includes(sep)) return pack.id;
  const rel = relative(root, packFile);
  return rel.startsWith('..') || rel.startsWith(sep) ? packFile : rel.split(sep).join('/');
}

export interface StatementInput {
  report: Report;
  pack: {digest: string; ref: string};
  answers: Readonly<Record<string, Answer>>;
  files: HashedFiles;
  signer: {name: string; keyid: string};
  signedAt: string;
  acceptRisk: boolean;
}

export function buildStatement(o: StatementInput): Statement {
  const r = o.report;
  const items = r.items.map(signoffItem);
  const accepted = o.acceptRisk ? blockingItems(r) : [];
  const fails = r.items.some((i) => i.status === 'fail' || i.status === 'error');
  const warns = r.items.some((i) => i.status === 'warn' || i.status === 'manual');
  const predicate: Predicate = {
    tool: {name: 'shipshape', version: r.version},
    pack: {id: r.pack.id, title: r.pack.title, version: r.pack.version, digest: {sha256: o.pack.digest}, ref: o.pack.ref},
    deployment: {root: r.dir, answersFile: r.answersFile ?? ANSWERS_FILE},
    inputs: {...r.inputs},
    signer: o.signer,
    signedAt: o.signedAt,
    result: fails ? 'FAILED' : warns ? 'WARNED' : 'PASSED',
    summary: {...r.summary},
    items,
    answers: JSON.parse(JSON.stringify(o.answers)),
    waivers: r.items
      .filter((i) => i.answer?.waiver)
      .map((i) => {
        const w = i.answer!.waiver!;
        return {
          item: i.id,
          reason: w.reason,
          by: i.answer!.by,
          at: i.answer!.at,
          ...(w.owner ? {owner: w.owner} : {}),
          ...(w.expires ? {expires: w.expires} : {}),
          expired: w.expired,
        };
      }),
    acceptedRisks: accepted.map((i) => ({item: i.id, title: i.title, severity: i.severity, status: i.status, message: i.message})),
    unreadable: o.files.unreadable,
  };
  return {
    _type: STATEMENT_TYPE,
    subject: [{name: CHECKLIST_NAME, digest: {sha256: sha256Hex(checklistText(predicate))}}, ...o.files.subjects],
    predicateType: PREDICATE_TYPE,
    predicate,
  };
}

/** The bytes that are signed: the statement as RFC 8785 JSON. */
export function statementBytes(s: Statement): Buffer {
  return Buffer.from(canonical(s), 'utf8');
}

/** Reads a statement from a payload's exact bytes: its shape, and that its checklist subject matches its items. */
export function parseStatement(payload: Buffer): {ok: true; value: Statement} | {ok: false; why: string} {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', {fatal: true}).decode(payload));
  } catch {
    return {ok: false, why: 'the payload is not UTF-8 JSON'};
  }
  const parsed = StatementSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {ok: false, why: `the statement is not a Shipshape sign-off: ${issue.path.join('.') || '(top)'}: ${issue.message}`};
  }
  const s = parsed.data;
  // Digests are recomputed over the JSON as signed, never over a parser's normalised copy.
  const signedPredicate = (raw as {predicate: Predicate}).predicate;
  const names = s.subject.map((x) => x.name);
  if (new Set(names).size !== names.length) return {ok: false, why: 'the statement names a subject twice'};
  const checklist = s.subject.find((x) => x.name === CHECKLIST_NAME);
  if (!checklist) return {ok: false, why: `the statement has no ${CHECKLIST_NAME} subject`};
  if (checklist.digest.sha256 !== sha256Hex(checklistText(signedPredicate)))
    return {ok: false, why: `the ${CHECKLIST_NAME} subject does not match the statement's items`};
  for (const i of signedPredicate.items) {
    if (i.evidenceDigest.sha256 !== sha256Hex(canonical(i.evidence))) return {ok: false, why: `item ${i.id}: its evidence digest does not match its evidence`};
  }
  return {ok: true, value: s};
}

export interface Drift {
  pack?: {from: string; to: string};
  files: {name: string; change: 'changed' | 'missing' | 'new' | 'unreadable'; detail?: string}[];
  items: {id: string; title: string; change: 'status' | 'evidence' | 'new' | 'gone'; from?: string; to?: string}[];
}

/** What differs between a signed statement and a fresh one made from the deployment now: file by file, item by item. */
export function drift(signed: Statement, now: Pick<Statement, 'subject' | 'predicate'>): Drift {
  const out: Drift = {files: [], items: []};
  if (signed.predicate.pack.digest.sha256 !== now.predicate.pack.digest.sha256)
    out.pack = {from: signed.predicate.pack.digest.sha256, to: now.predicate.pack.digest.sha256};
  const files = (s: Pick<Statement, 'subject'>) => new Map(s.subject.filter((x) => x.name !== CHECKLIST_NAME).map((x) => [x.name, x.digest.sha256]));
  const before = files(signed);
  const after = files(now);
  const unreadableNow = new Map(now.predicate.unreadable.map((u) => [u.file, u.why]));
  for (const [name, sha] of before) {
    const cur = after.get(name);
    if (cur === undefined) out.files.push(unreadableNow.has(name) ? {name, change: 'unreadable', detail: unreadableNow.get(name)} : {name, change: 'missing'});
    else if (cur !== sha) out.files.push({name, change: 'changed'});
  }
  const unreadableThen = new Set(signed.predicate.unreadable.map((u) => u.file));
  for (const name of after.keys())
    if (!before.has(name)) out.files.push({name, change: 'new', ...(unreadableThen.has(name) ? {detail: 'unreadable at the sign-off'} : {})});
  for (const [name, why] of unreadableNow) if (!before.has(name) && !unreadableThen.has(name)) out.files.push({name, change: 'unreadable', detail: why});
  const itemsNow = new Map(now.predicate.items.map((i) => [i.id, i]));
  for (const i of signed.predicate.items) {
    const n = itemsNow.get(i.id);
    if (!n) out.items.push({id: i.id, title: i.title, change: 'gone'});
    else if (n.status !== i.status) out.items.push({id: i.id, title: i.title, change: 'status', from: i.status, to: n.status});
    else if (n.evidenceDigest.sha256 !== i.evidenceDigest.sha256 || n.message !== i.message)
      out.items.push({id: i.id, title: i.title, change: 'evidence', from: i.message, to: n.message});
  }
  const signedIds = new Set(signed.predicate.items.map((i) => i.id));
  for (const n of now.predicate.items) if (!signedIds.has(n.id)) out.items.push({id: n.id, title: n.title, change: 'new', to: n.status});
  return out;
}

export function hasDrift(d: Drift): boolean {
  return d.pack !== undefined || d.files.length > 0 || d.items.length > 0;
}
