// Remediation types: what is asked (an action), what will happen (a Plan), what happened (a result), and the
// progress and audit events in between.
import type { ExecutableAction } from "../diagnosis/types.js";
import type { ResourceRef } from "../helm/keys.js";

export { EXECUTABLE_ACTIONS, type ExecutableAction } from "../diagnosis/types.js";

/**
 * What to do. Structurally a diagnosis `Remediation` (action, revision, resources) fits.
 * - rerun-upgrade: `revision` = whose chart/config/manifest/hooks are re-run (default: the deployed one).
 * - rollback: `revision` = the target K (required).
 * - restore-hook-resources: `revision` = whose stored hooks are used (default: deployed, else latest);
 *   `resources` narrows which hook objects (default: every missing non-Job/Pod hook object).
 * - delete-leftover-hook: `resources` = the hook objects to delete (default: every live Job/Pod hook object
 *   of `revision`, default latest).
 */
export interface RemediationAction {
  action: ExecutableAction;
  revision?: number | undefined;
  resources?: ResourceRef[] | undefined;
}

export interface PlanOptions {
  /** The latest revision the requester saw; the plan is refused when the release moved on. */
  expectedRevision?: number | undefined;
  /** Who asked (e.g. "@ana"); named in the descriptions written. */
  requestedBy?: string | undefined;
}

export interface StatusTransition {
  revision: number;
  /** "(new)" for the revision this operation writes. */
  from: string;
  to: string[];
  description?: string;
}

export interface PlannedHook {
  event: string;
  name: string;
  kind: string;
  path: string;
  weight: number;
  /** Effective delete policies (before-hook-creation when none). */
  policies: string[];
  /** Whether Helm waits for it (Job: Complete, Pod: Succeeded). */
  waits: boolean;
}

export type ChangeOp = "create" | "patch" | "delete" | "skip";

export interface PlannedChange {
  op: ChangeOp;
  ref: ResourceRef & { apiVersion?: string };
  /** Why: "in revision 1's manifest, missing live", "resource-policy: keep on the live object", … */
  reason: string;
  /** Ownership metadata Helm adds (manifest objects) or not (hook objects). */
  owned?: boolean;
}

/** A plan is plain JSON (it can be queued and shown); the executor re-reads the records it names. */
export interface Plan {
  action: ExecutableAction;
  release: string;
  namespace: string;
  /** The latest revision the plan was made against (the lock the executor re-checks). */
  expectedRevision: number;
  /** Revision the operation writes (rerun-upgrade, rollback). */
  newRevision?: number;
  /** Revision whose contents are used (rerun: re-run revision; rollback: K; restore/delete: hooks' revision). */
  sourceRevision?: number;
  /** Revision whose manifest is the diff base (Helm's "current"). */
  currentRevision?: number;
  transitions: StatusTransition[];
  hooks: PlannedHook[];
  changes: PlannedChange[];
  /** Things that make the result differ from what one might expect (GitOps, baked-in revisions, guarded hooks). */
  warnings: string[];
  notes: string[];
  /** Set when the action cannot run; nothing is written. */
  refusal?: string;
  /** "no-such-revision": the request named a revision the release does not have (a usage error). */
  refusalKind?: "no-such-revision";
  /** How objects are applied: client-side (POST + three-way merge patch) or server-side apply. */
  applyMethod: "csa" | "ssa";
  /** Descriptions the records will carry. */
  descriptions: { pending?: string; success?: string };
  requestedBy?: string;
  /** What is expected to be true afterwards: the plan carried out on the snapshot and diagnosed again. */
  prediction?: PlanPrediction;
}

/** A finding of a predicted (or re-read) state, as plans and results show it. */
export interface PredictedFinding {
  code: string;
  severity: "critical" | "warning" | "info";
  title: string;
}

/** What is expected after a plan ran ("After this: …"). */
export interface PlanPrediction {
  /** The findings left (none: the release is healthy). */
  findings: PredictedFinding[];
  /** Where the operation stops, when it does not complete: the error Helm would record. */
  failure?: string;
  /** Why it stops, in words. */
  why?: string;
  /** What the prediction assumed (a hook never run with this spec succeeds, …). */
  assumptions: string[];
}

/** After a remediation ran: the release diagnosed again and compared with the prediction. */
export interface PredictionCheck {
  /** The predicted state was reached: no critical finding it did not predict, none it predicted gone. */
  held: boolean;
  /** "As predicted: no findings" / "Not as predicted: …". */
  text: string;
  /** What the fresh diagnosis found. */
  findings: PredictedFinding[];
}

export type ProgressPhase = "check" | "lock" | "hook" | "apply" | "delete" | "record" | "restore" | "done";

export interface ProgressEvent {
  phase: ProgressPhase;
  message: string;
  /** ms since the operation started. */
  elapsedMs: number;
}

export type Outcome = "succeeded" | "failed" | "refused" | "dry-run" | "already-done";

export interface ChangeResult {
  op: ChangeOp | "unchanged";
  ref: ResourceRef;
  detail?: string;
}

export interface RemediationResult {
  outcome: Outcome;
  action: ExecutableAction;
  release: string;
  namespace: string;
  operationId: string;
  requestedBy?: string;
  /** The latest revision before the operation. */
  fromRevision?: number;
  /** The revision written (rerun-upgrade, rollback). */
  revision?: number;
  status?: string;
  description?: string;
  /** `helm history` row of the written revision. */
  historyLine?: string;
  /** Errors (a failed hook's message, API errors), also refusals. */
  errors: string[];
  warnings: string[];
  changes: ChangeResult[];
  /** True when this run continued a pending revision an earlier run of the same operation wrote. */
  resumed?: boolean;
  /** The release diagnosed again after the run, compared with the plan's prediction. */
  check?: PredictionCheck;
  plan: Plan;
  durationMs: number;
}

/** One structured audit line (JSON) per operation. */
export interface AuditEntry {
  ts: string;
  event: "helm-doctor.remediation";
  operationId: string;
  who: string;
  what: ExecutableAction;
  release: string;
  namespace: string;
  fromRevision?: number;
  toRevision?: number;
  outcome: Outcome;
  status?: string;
  description?: string;
  errors?: string[];
  durationMs: number;
}

export interface AuditLogger {
  info(line: string): void;
}
