// A fresh pass over a deployment for sign-off and verify: open the session, run the checks,
// apply the answers, hash the files the checks read. The same for the first signer, a second
// signer and `verify --dir`, so that drift is measured the way the sign-off was made.
import {readFileSync} from 'node:fs';
import {isAbsolute, resolve} from 'node:path';
import {sha256Hex} from '../deploy/canonicalJson.js';
import {buildLedger} from '../engine/ledger.js';
import {evaluate, openSession, type Session} from '../engine/session.js';
import {stepsDir} from '../pack/builtin.js';
import {buildReport, type Report} from '../report/model.js';
import {readAnswers, type PackAnswers} from '../store/answers.js';
import {buildStatement, filesRead, hashFiles, packRef, type Drift, type HashedFiles, type Statement} from './statement.js';

export interface DeploymentRun {
  session: Session;
  report: Report;
  answers: PackAnswers;
  files: HashedFiles;
  pack: {digest: string; ref: string};
}

export async function runDeployment(o: {dir?: string; pack?: string; inputs?: readonly string[]}): Promise<DeploymentRun> {
  const session = await openSession({dir: o.dir, pack: o.pack, inputs: o.inputs ?? []});
  const outcomes = await evaluate(session);
  const answers = readAnswers(session.root, session.pack.id);
  const ledger = buildLedger(session.pack, outcomes, {answers: answers.answers, notes: answers.notes});
  const report = buildReport(session, ledger, {answersFile: answers.file, problems: [...answers.problems, ...session.ctx.problems()]});
  const files = await hashFiles(session.root, await filesRead(session.ctx, session.pack));
  const pack = {digest: sha256Hex(readFileSync(session.packFile)), ref: packRef(session.pack, session.packFile, session.root, stepsDir())};
  return {session, report, answers, files, pack};
}

export function statementOf(run: DeploymentRun, signer: {name: string; keyid: string}, signedAt: string, acceptRisk: boolean): Statement {
  return buildStatement({report: run.report, pack: run.pack, answers: run.answers.answers, files: run.files, signer, signedAt, acceptRisk});
}

/** The same deployment, pack and inputs a statement was made from (`--pack` overrides the pack), run again now. */
export async function rerun(signed: Statement, dir: string, pack?: string): Promise<{run: DeploymentRun; now: Statement}> {
  const p = signed.predicate;
  const ref = pack ?? (p.pack.ref === p.pack.id || isAbsolute(p.pack.ref) ? p.pack.ref : resolve(dir, p.pack.ref));
  const run = await runDeployment({dir, pack: ref, inputs: Object.entries(p.inputs).map(([k, v]) => `${k}=${v}`)});
  return {run, now: statementOf(run, p.signer, p.signedAt, p.acceptedRisks.length > 0)};
}

/** Drift in lines a person reads: the pack, file by file, item by item. */
export function driftLines(d: Drift): string[] {
  const out: string[] = [];
  if (d.pack) out.push(`  pack: its file changed (sha256 ${d.pack.from.slice(0, 12)}… -> ${d.pack.to.slice(0, 12)}…)`);
  for (const f of d.files) out.push(`  file ${f.name}: ${f.change}${f.detail ? ` (${f.detail})` : ''}`);
  for (const i of d.items) {
    const what =
      i.change === 'status'
        ? `${i.from} -> ${i.to}`
        : i.change === 'evidence'
          ? `evidence changed: ${i.to}`
          : i.change === 'new'
            ? `new item (${i.to})`
            : 'no longer in the pack';
    out.push(`  item ${i.id} (${i.title}): ${what}`);
  }
  return out;
}
