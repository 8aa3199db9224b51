// remediate(): the one entry point the CLI and the Slack worker share — read the release (snapshot), plan,
// optionally confirm, execute, and write one structured audit line. Idempotent per operation id: a retried
// job finds the revision it wrote and reports it (finished) or continues it (still pending).
import { randomUUID } from "node:crypto";
import type { LiveSource } from "../cluster/live.js";
import type { SnapshotSource } from "../cluster/source.js";
import type { ReleaseHead } from "../cluster/store.js";
import { type ClusterWriter, KubeWriter, type WriterRetryPolicy } from "../cluster/writer.js";
import { diagnose } from "../diagnosis/diagnose.js";
import type { ResourceRef } from "../helm/keys.js";
import { isPending } from "../helm/types.js";
import type { Snapshot } from "../snapshot/types.js";
import { execute } from "./execute.js";
import { emptyPlan } from "./plan.js";
import { OPERATION_ANNOTATION } from "./records.js";
import type {
  AuditEntry,
  AuditLogger,
  ExecutableAction,
  Plan,
  ProgressEvent,
  RemediationResult,
} from "./types.js";
import { checkPrediction, predictedPlan } from "./verify.js";

export interface RemediateRequest {
  release: string;
  namespace: string;
  action: ExecutableAction;
  /** rollback: the target; rerun-upgrade: whose contents are re-run; restore/delete: whose hooks. */
  revision?: number | undefined;
  /** restore-hook-resources / delete-leftover-hook: which objects. */
  resources?: ResourceRef[] | undefined;
  /** The latest revision the diagnosis saw; refused when the release moved on. Default: whatever is latest. */
  expectedRevision?: number | undefined;
  /** Who asked, e.g. "@ana" (named in the record description and the audit line). */
  requestedBy?: string | undefined;
  /** Idempotency key (e.g. the queue job id). Default: a fresh UUID. */
  operationId?: string | undefined;
  onProgress?: ((e: ProgressEvent) => void) | undefined;
  /** Where to read and write; default: a LiveSource and KubeWriter from `kubeconfig`/`context`/`env`. */
  source?: SnapshotSource | undefined;
  writer?: ClusterWriter | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Plan only: nothing is written. */
  dryRun?: boolean | undefined;
  /** Asked with the plan before anything is written; false cancels. */
  confirm?: ((plan: Plan) => Promise<boolean>) | undefined;
  hookTimeoutMs?: number | undefined;
  historyMax?: number | undefined;
  retry?: Partial<WriterRetryPolicy> | undefined;
  logger?: AuditLogger | undefined;
  now?: (() => Date) | undefined;
}

async function connect(req: RemediateRequest): Promise<{ source: SnapshotSource; writer: ClusterWriter }> {
  if (req.source && req.writer) return { source: req.source, writer: req.writer };
  const { LiveSource } = await import("../cluster/live.js");
  const live: LiveSource = await LiveSource.fromKubeconfig({
    kubeconfig: req.kubeconfig,
    context: req.context,
    env: req.env ?? process.env,
  });
  return {
    source: req.source ?? live,
    writer: req.writer ?? new KubeWriter(live.kubeConfig, req.retry ?? {}),
  };
}

/** The snapshot without one record (our own pending revision, when resuming). */
function without(s: Snapshot, revision: number): Snapshot {
  return {
    ...s,
    records: s.records.filter(
      (r) => (r.release?.version ?? Number(r.labels.version ?? Number.NaN)) !== revision,
    ),
    unread: (s.unread ?? []).filter((u) => u.revision !== revision),
  };
}

export function auditEntry(r: RemediationResult, now: Date): AuditEntry {
  return {
    ts: now.toISOString(),
    event: "helm-doctor.remediation",
    operationId: r.operationId,
    who: r.requestedBy ?? "unknown",
    what: r.action,
    release: r.release,
    namespace: r.namespace,
    ...(r.fromRevision !== undefined ? { fromRevision: r.fromRevision } : {}),
    ...(r.revision !== undefined ? { toRevision: r.revision } : {}),
    outcome: r.outcome,
    ...(r.status ? { status: r.status } : {}),
    ...(r.description ? { description: r.description } : {}),
    ...(r.errors.length ? { errors: r.errors } : {}),
    durationMs: r.durationMs,
  };
}

export async function remediate(req: RemediateRequest): Promise<RemediationResult> {
  const started = Date.now();
  const now = req.now ?? (() => new Date());
  const operationId = req.operationId ?? randomUUID();
  const finish = (r: RemediationResult): RemediationResult => {
    r.durationMs = Date.now() - started;
    // The audit trail records attempts to change a release: not dry runs, nor requests for a revision that
    // does not exist.
    const attempted = !req.dryRun && r.plan.refusalKind !== "no-such-revision";
    if (attempted && r.outcome !== "dry-run") req.logger?.info(JSON.stringify(auditEntry(r, now())));
    return r;
  };
  const { source, writer } = await connect(req);

  // A retry of an operation that already wrote its revision: report it, or continue it when still pending.
  let heads: ReleaseHead[] = [];
  if (req.action === "rerun-upgrade" || req.action === "rollback") {
    heads = await (await writer.releases(req.namespace, req.release)).list(req.release);
  }
  const mine = heads.find((h) => h.annotations[OPERATION_ANNOTATION] === operationId);
  const resuming = mine && isPending(mine.status) && heads[heads.length - 1]?.revision === mine.revision;
  if (mine && !resuming) {
    // execute() reads the record and reports it.
    return finish(
      await execute(
        emptyPlan(req.action, req.release, req.namespace, req.expectedRevision ?? mine.revision - 1),
        writer,
        {
          operationId,
          requestedBy: req.requestedBy,
          onProgress: req.onProgress,
          now: req.now,
        },
      ),
    );
  }

  const loadOpts: { allRevisions?: boolean; revisions?: number[] } =
    req.revision !== undefined ? { revisions: [req.revision] } : {};
  let snapshot = await source.load(req.release, req.namespace, now(), loadOpts);
  if (resuming) snapshot = without(snapshot, mine.revision);
  // With what will be true afterwards: the plan carried out on the snapshot and diagnosed again.
  const plan = predictedPlan(
    snapshot,
    { action: req.action, revision: req.revision, resources: req.resources },
    { expectedRevision: req.expectedRevision, requestedBy: req.requestedBy },
  );
  const base = {
    action: req.action,
    release: req.release,
    namespace: req.namespace,
    operationId,
    ...(req.requestedBy ? { requestedBy: req.requestedBy } : {}),
    fromRevision: plan.expectedRevision,
    warnings: [...plan.warnings],
    changes: [],
    plan,
    durationMs: 0,
  };
  if (plan.refusal) return finish({ ...base, outcome: "refused", errors: [plan.refusal] });
  if (req.dryRun) return finish({ ...base, outcome: "dry-run", errors: [] });
  if (req.confirm && !(await req.confirm(plan)))
    return finish({ ...base, outcome: "refused", errors: ["cancelled: nothing was changed"] });
  const r = await execute(plan, writer, {
    operationId,
    requestedBy: req.requestedBy,
    onProgress: req.onProgress,
    hookTimeoutMs: req.hookTimeoutMs,
    historyMax: req.historyMax,
    now: req.now,
  });
  r.warnings = [...plan.warnings, ...r.warnings.filter((w) => !plan.warnings.includes(w))];
  // Did it reach the predicted state? Read the release again and diagnose it.
  if (plan.prediction && (r.outcome === "succeeded" || r.outcome === "failed")) {
    req.onProgress?.({
      phase: "check",
      message: "diagnosing the release again to compare with the prediction",
      elapsedMs: Date.now() - started,
    });
    try {
      const after = await source.load(req.release, req.namespace, now());
      r.check = checkPrediction(plan.prediction, diagnose(after).findings, r);
    } catch (e) {
      r.check = {
        held: false,
        text: `Could not check the prediction: reading the release again failed (${(e as Error).message})`,
        findings: [],
      };
    }
  }
  return finish(r);
}
