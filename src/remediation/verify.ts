// Proven fixes: every remediation a diagnosis offers is planned and carried out on the snapshot (predict.ts),
// and the predicted state is diagnosed again. A remediation is a fix for a finding only when that finding — and
// every symptom folded under it — is gone afterwards and no new critical finding appears; otherwise it carries
// the reason ("rolling back re-runs the failing pre-rollback hook …", "after it, hook-failed remains: …"). Pure.
import { diagnose } from "../diagnosis/diagnose.js";
import {
  type Diagnosis,
  type Finding,
  isExecutableAction as isExecutable,
  type Remediation,
} from "../diagnosis/types.js";
import { SnapshotIndex } from "../snapshot/index.js";
import type { Snapshot } from "../snapshot/types.js";
import { plan as makePlan } from "./plan.js";
import { type Prediction, simulate } from "./predict.js";
import type { ExecutableAction, Plan, PlanPrediction, PredictedFinding, PredictionCheck } from "./types.js";

export interface Verification {
  verified: boolean;
  /** A fix as the first step: the remediation that must follow it. */
  followedBy?: Remediation["followedBy"];
  /** Finding codes left after it. */
  predicted: string[];
  /** Why it is not a fix. */
  reason?: string;
  prediction: PlanPrediction;
}

function sameFinding(a: Finding, b: Finding): boolean {
  if (a.code !== b.code) return false;
  if (a.resources.length === 0 || b.resources.length === 0) return true;
  return a.resources.some((r) => b.resources.some((s) => s.kind === r.kind && s.name === r.name));
}

function summary(f: Finding): PredictedFinding {
  return { code: f.code, severity: f.severity, title: f.title };
}

/** One prediction per distinct plan (several findings often offer the same rollback). */
interface Predicted {
  plan: Plan;
  prediction: Prediction;
  diagnosis: Diagnosis;
  /** The predicted snapshot's index (a follow-up is planned on it). */
  index?: SnapshotIndex;
}

type Step = Pick<Remediation, "action" | "revision" | "resources">;

/** Which plan a remediation makes: resources narrow only the hook-object actions (a rollback is a rollback). */
const stepKey = (r: Step) =>
  `${r.action}|${r.revision ?? ""}|${
    r.action === "restore-hook-resources" || r.action === "delete-leftover-hook"
      ? (r.resources ?? []).map((x) => `${x.kind}/${x.name}`).join(",")
      : ""
  }`;

export class Verifier {
  private readonly ix: SnapshotIndex;
  private readonly cache = new Map<string, Predicted | undefined>();

  /** `index`: the index the original diagnosis was made with (its per-pod results carry over to predictions). */
  constructor(
    readonly snapshot: Snapshot,
    readonly original: Diagnosis,
    index?: SnapshotIndex,
  ) {
    this.ix = index ?? new SnapshotIndex(snapshot);
  }

  /** `r` planned on `snapshot`, carried out on it, and the predicted state diagnosed. */
  private run(
    snapshot: Snapshot,
    ix: SnapshotIndex,
    before: Diagnosis,
    r: Step & { action: ExecutableAction },
  ) {
    const plan = makePlan(
      snapshot,
      { action: r.action, revision: r.revision, resources: r.resources },
      {},
      ix,
    );
    const prediction = simulate(plan, snapshot, ix);
    if (plan.refusal) return { plan, prediction, diagnosis: before };
    const index = new SnapshotIndex(prediction.snapshot, {
      index: ix,
      eventsDropped: prediction.eventsDropped,
      eventsAdded: prediction.eventsAdded,
    });
    return { plan, prediction, diagnosis: diagnose(prediction.snapshot, index, { impact: false }), index };
  }

  /** The plan, its prediction and the diagnosis of the predicted state. */
  predicted(r: Step): Predicted | undefined {
    if (!isExecutable(r.action)) return undefined;
    const key = stepKey(r);
    if (!this.cache.has(key))
      this.cache.set(key, this.run(this.snapshot, this.ix, this.original, { ...r, action: r.action }));
    return this.cache.get(key);
  }

  /** `then` planned on the state `first` is predicted to leave, when `first` completes. */
  private chained(first: Step, then: Step): Predicted | undefined {
    if (!isExecutable(then.action)) return undefined;
    const key = `${stepKey(first)} then ${stepKey(then)}`;
    if (!this.cache.has(key)) {
      const p = this.predicted(first);
      this.cache.set(
        key,
        p?.index && !p.prediction.failure
          ? this.run(p.prediction.snapshot, p.index, p.diagnosis, { ...then, action: then.action })
          : undefined,
      );
    }
    return this.cache.get(key);
  }

  /** Does the predicted state leave `f` (and what it explained) gone, with no new critical finding? */
  private judge(f: Finding, p: Predicted): Verification {
    const left = p.diagnosis.findings;
    const out: Verification = {
      verified: false,
      predicted: [...new Set(left.map((g) => g.code))],
      prediction: planPrediction(p.prediction, left),
    };
    if (p.plan.refusal) return { ...out, reason: `it would be refused: ${p.plan.refusal}` };
    if (p.prediction.failure) return { ...out, reason: p.prediction.why ?? p.prediction.failure };
    const explained = new Set(f.explains ?? []);
    // A finding about what this one explains remains only if it was there before: a new one there (the
    // rollback's own record read as "a failed upgrade, then rolled back") describes the fix, not the fault.
    const remains = left.find(
      (g) =>
        sameFinding(f, g) ||
        ((g.about ?? []).some((k) => explained.has(k)) &&
          this.original.findings.some((o) => o.code === g.code)),
    );
    if (remains) return { ...out, reason: `after it, ${remains.code} remains: ${remains.title}` };
    const worse = left.find(
      (g) => g.severity === "critical" && !this.original.findings.some((o) => sameFinding(o, g)),
    );
    if (worse) return { ...out, reason: `it leads to ${worse.code}: ${worse.title}` };
    return { ...out, verified: true };
  }

  /**
   * Is `r` a fix for `f`? On its own; or as the first step of another of the finding's remediations that is not a
   * fix without it (delete the leftover hook Job, then re-run the upgrade): `followedBy` names that step.
   */
  verify(f: Finding, r: Remediation): Verification | undefined {
    const p = this.predicted(r);
    if (!p) return undefined;
    const alone = this.judge(f, p);
    if (alone.verified || p.plan.refusal || p.prediction.failure) return alone;
    for (const s of f.remediations) {
      if (s === r || s.action === r.action || !isExecutable(s.action)) continue;
      const own = this.predicted(s);
      if (!own || this.judge(f, own).verified) continue;
      const c = this.chained(r, s);
      if (!c) continue;
      const v = this.judge(f, c);
      if (v.verified)
        return {
          ...v,
          followedBy: {
            action: s.action,
            ...(s.revision !== undefined ? { revision: s.revision } : {}),
            ...(s.resources ? { resources: s.resources } : {}),
          },
        };
    }
    return alone;
  }
}

export function planPrediction(p: Prediction, left: Finding[]): PlanPrediction {
  return {
    findings: left.map(summary),
    ...(p.failure ? { failure: p.failure } : {}),
    ...(p.why ? { why: p.why } : {}),
    assumptions: p.assumptions,
  };
}

/** The diagnosis with each executable remediation marked verified (or not, with the reason). */
export function verifyDiagnosis(snapshot: Snapshot, d: Diagnosis, index?: SnapshotIndex): Diagnosis {
  if (!d.findings.some((f) => f.remediations.some((r) => isExecutable(r.action)))) return d;
  const v = new Verifier(snapshot, d, index);
  return {
    ...d,
    findings: d.findings.map((f) => ({
      ...f,
      remediations: f.remediations.map((r) => {
        let res: Verification | undefined;
        try {
          res = v.verify(f, r);
        } catch (e) {
          // A prediction that cannot be made proves nothing either way: the fix stays offered, unproven, and says so.
          return { ...r, reason: `not proven: its outcome could not be predicted (${(e as Error).message})` };
        }
        if (!res) return r;
        return {
          ...r,
          verified: res.verified,
          predicted: res.predicted,
          ...(res.followedBy ? { followedBy: res.followedBy } : {}),
          ...(res.reason ? { reason: res.reason } : {}),
        };
      }),
    })),
  };
}

/** diagnose(), then every offered remediation proven on the snapshot. */
export function diagnoseVerified(snapshot: Snapshot): Diagnosis {
  // The analyzers may note their own failures in the snapshot's gaps; the predictions start from the same gaps.
  const ix = new SnapshotIndex(snapshot);
  return verifyDiagnosis(snapshot, diagnose(snapshot, ix), ix);
}

/** What is expected after `plan` (made on `snapshot`): the findings left, where it stops, what it assumed. */
export function predictPlan(plan: Plan, snapshot: Snapshot): PlanPrediction | undefined {
  try {
    const p = simulate(plan, snapshot);
    return planPrediction(p, plan.refusal ? [] : diagnose(p.snapshot).findings);
  } catch {
    // No prediction is better than no plan: the plan is shown without "After this".
    return undefined;
  }
}

/** The plan of `action` on `snapshot` with what is expected after it (the dry run and a pure planner alike). */
export function predictedPlan(
  snapshot: Snapshot,
  action: Parameters<typeof makePlan>[1],
  opts: Parameters<typeof makePlan>[2],
): Plan {
  const plan = makePlan(snapshot, action, opts);
  if (!plan.refusal) {
    const prediction = predictPlan(plan, snapshot);
    if (prediction) plan.prediction = prediction;
  }
  return plan;
}

function listed(fs: PredictedFinding[]): string {
  return fs.map((f) => `${f.code} (${f.severity}): ${f.title}`).join("; ");
}

/**
 * After a run: the release diagnosed again, compared with what the plan predicted. It held when the operation
 * ended as predicted (completed, or stopped) and no critical finding appeared that the prediction did not
 * expect; findings that are not critical and were not expected are what is still settling (a pod the kubelet
 * has not retried yet), named as such.
 */
export function checkPrediction(
  expected: PlanPrediction,
  actual: Finding[],
  ran: { outcome: string; errors: string[] },
): PredictionCheck {
  const found = actual.map(summary);
  const expectedCodes = new Set(expected.findings.map((f) => f.code));
  const foundCodes = new Set(found.map((f) => f.code));
  const extra = found.filter((f) => !expectedCodes.has(f.code));
  const gone = expected.findings.filter((f) => !foundCodes.has(f.code));
  const differences: string[] = [];
  if (ran.outcome === "failed" && !expected.failure)
    differences.push(
      `the operation failed (${(ran.errors[0] ?? "no error given").replace(/\s+/g, " ").trim()}) where it was predicted to complete`,
    );
  if (ran.outcome === "succeeded" && expected.failure)
    differences.push("the operation completed where it was predicted to stop");
  const surprising = extra.filter((f) => f.severity === "critical");
  if (surprising.length > 0) differences.push(`found ${listed(surprising)}`);
  const predictedText =
    expected.findings.length === 0 ? "no findings" : expected.findings.map((f) => f.code).join(", ");
  if (differences.length > 0)
    return {
      held: false,
      text: `Not as predicted: ${differences.join("; ")} (predicted: ${predictedText})`,
      findings: found,
    };
  const settling = extra.length > 0 ? `; still settling: ${listed(extra)}` : "";
  const better = gone.length > 0 ? `; already gone: ${gone.map((f) => f.code).join(", ")}` : "";
  return { held: true, text: `As predicted: ${predictedText}${better}${settling}`, findings: found };
}
