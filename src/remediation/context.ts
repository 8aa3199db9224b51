// What every action shares while it runs: the plan, where it writes (KubeClient and ReleaseStore), options,
// progress events, the changes and warnings it collects, and the result it returns.
import type { KubeClient } from "../cluster/kubeclient.js";
import type { ReleaseHead, ReleaseStore } from "../cluster/store.js";
import type { ResourceRef } from "../helm/keys.js";
import type { ChangeResult, Plan, ProgressEvent, ProgressPhase, RemediationResult } from "./types.js";

export interface ExecuteOptions {
  /** Idempotency key: stored on the record this operation writes; a retry with the same id finds it. */
  operationId: string;
  requestedBy?: string | undefined;
  onProgress?: ((e: ProgressEvent) => void) | undefined;
  /** Per-hook timeout (Helm's --timeout), ms. Default 5 minutes. */
  hookTimeoutMs?: number | undefined;
  /** Helm's --history-max: records kept (0 = no limit). Default 10. */
  historyMax?: number | undefined;
  /** Field manager of every write (Helm: "helm"). */
  fieldManager?: string | undefined;
  now?: (() => Date) | undefined;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60_000;

export interface Ctx {
  plan: Plan;
  kube: KubeClient;
  store: ReleaseStore;
  o: ExecuteOptions;
  started: number;
  now: () => Date;
  /** Unix seconds, for record labels. */
  secs: () => number;
  changes: ChangeResult[];
  warnings: string[];
  emit: (phase: ProgressPhase, message: string) => void;
  fieldManager: string;
  timeout: number;
}

export function makeCtx(plan: Plan, kube: KubeClient, store: ReleaseStore, o: ExecuteOptions): Ctx {
  const started = Date.now();
  const now = o.now ?? (() => new Date());
  return {
    plan,
    kube,
    store,
    o,
    started,
    now,
    secs: () => Math.floor(now().getTime() / 1000),
    changes: [],
    warnings: [],
    emit: (phase, message) => o.onProgress?.({ phase, message, elapsedMs: Date.now() - started }),
    fieldManager: o.fieldManager ?? "helm",
    timeout: o.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
  };
}

/** go-multierror's default format, which Helm 3's KubeClient.Create/WatchUntilReady errors carry. */
export function multiError(msgs: string[]): string {
  if (msgs.length === 1) return `1 error occurred:\n\t* ${msgs[0]}\n\n`;
  return `${msgs.length} errors occurred:\n\t${msgs.map((m) => `* ${m}`).join("\n\t")}\n\n`;
}

export function shortRef(r: ResourceRef): ResourceRef {
  return { kind: r.kind, name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) };
}

export function result(
  ctx: Ctx,
  r: Partial<RemediationResult> & Pick<RemediationResult, "outcome">,
): RemediationResult {
  const p = ctx.plan;
  return {
    action: p.action,
    release: p.release,
    namespace: p.namespace,
    operationId: ctx.o.operationId,
    ...(ctx.o.requestedBy ? { requestedBy: ctx.o.requestedBy } : {}),
    fromRevision: p.expectedRevision,
    errors: [],
    warnings: ctx.warnings,
    changes: ctx.changes,
    plan: p,
    durationMs: Date.now() - ctx.started,
    ...r,
  };
}

/** Fresh record heads; a refusal when the release moved on since the plan. */
export async function checkHeads(
  ctx: Ctx,
  ignoreRevision?: number,
): Promise<{ heads: ReleaseHead[]; refusal?: string }> {
  const { plan } = ctx;
  ctx.emit(
    "check",
    `checking ${plan.namespace}/${plan.release} is still at revision ${plan.expectedRevision}`,
  );
  const heads = (await ctx.store.list(plan.release)).filter((h) => h.revision !== ignoreRevision);
  const latest = heads[heads.length - 1];
  if (!latest) return { heads, refusal: `release "${plan.release}" has no revisions any more` };
  if (latest.revision !== plan.expectedRevision) {
    return {
      heads,
      refusal: `release moved on: the plan was made at revision ${plan.expectedRevision}, the latest is now revision ${latest.revision} (${latest.status}); nothing was changed`,
    };
  }
  return { heads };
}
