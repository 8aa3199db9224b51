// The executor: carries out a Plan through a ClusterWriter with Helm's own semantics (helm-internals §4–§8):
// lock by creating the pending record, pre hooks (before-hook-creation delete and wait, last_run persisted as
// Running before each create, wait for Job Complete / Pod Succeeded), apply the target manifest with ownership
// metadata, delete what the old manifest has and the new lacks (live `keep` honoured), post hooks, then
// supersede and deploy — or end in a `failed` record with Helm's description. Records are re-read from the
// cluster before they are written; a retried run finds its own revision by the operation id annotation.

import {
  apiMessage,
  type ClusterWriter,
  type ObjectRef,
  type RecordDriver,
  type RecordHead,
  WriteError,
} from "../cluster/writer.js";
import { recordName } from "../helm/codec.js";
import { hooksFor } from "../helm/hooks.js";
import { type ResourceRef, refString } from "../helm/keys.js";
import { type Hook, isPending, type Release } from "../helm/types.js";
import type { KubeObject } from "../snapshot/types.js";
import { type Dialect, goTime } from "./gojson.js";
import {
  hasKeepPolicy,
  hookObject,
  manifestObjects,
  ownershipError,
  ownershipProblems,
  type TargetObject,
  threeWayMergePatch,
} from "./objects.js";
import { requesterSuffix } from "./plan.js";
import {
  ACTION_ANNOTATION,
  customLabels,
  historyLine,
  OPERATION_ANNOTATION,
  REQUESTED_BY_ANNOTATION,
  readRecord,
  recordObject,
  type StoredRecord,
} from "./records.js";
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

const DEFAULT_HOOK_TIMEOUT_MS = 5 * 60_000;

/** go-multierror's default format, which Helm 3's KubeClient.Create/WatchUntilReady errors carry. */
export function multiError(msgs: string[]): string {
  if (msgs.length === 1) return `1 error occurred:\n\t* ${msgs[0]}\n\n`;
  return `${msgs.length} errors occurred:\n\t${msgs.map((m) => `* ${m}`).join("\n\t")}\n\n`;
}

class Failure extends Error {}

interface Ctx {
  plan: Plan;
  w: ClusterWriter;
  o: ExecuteOptions;
  started: number;
  now: () => Date;
  changes: ChangeResult[];
  warnings: string[];
  emit: (phase: ProgressPhase, message: string) => void;
  fieldManager: string;
  timeout: number;
}

function refOf(t: TargetObject): ObjectRef {
  return t.ref;
}

function shortRef(r: ResourceRef): ResourceRef {
  return { kind: r.kind, name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) };
}

function result(
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

export async function execute(plan: Plan, w: ClusterWriter, o: ExecuteOptions): Promise<RemediationResult> {
  const started = Date.now();
  const ctx: Ctx = {
    plan,
    w,
    o,
    started,
    now: o.now ?? (() => new Date()),
    changes: [],
    warnings: [],
    emit: (phase, message) => o.onProgress?.({ phase, message, elapsedMs: Date.now() - started }),
    fieldManager: o.fieldManager ?? "helm",
    timeout: o.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
  };
  if (plan.refusal) return result(ctx, { outcome: "refused", errors: [plan.refusal] });
  try {
    switch (plan.action) {
      case "rerun-upgrade":
      case "rollback":
        return await executeRevision(ctx);
      case "restore-hook-resources":
        return await executeRestore(ctx);
      case "delete-leftover-hook":
        return await executeDeleteLeftovers(ctx);
    }
  } catch (e) {
    return result(ctx, { outcome: "failed", errors: [apiMessage(e)] });
  }
}

/** Fresh record heads; refuses when the release moved on since the plan. */
async function checkHeads(
  ctx: Ctx,
  ignoreRevision?: number,
): Promise<{ heads: RecordHead[]; refusal?: string }> {
  const { plan, w } = ctx;
  ctx.emit(
    "check",
    `checking ${plan.namespace}/${plan.release} is still at revision ${plan.expectedRevision}`,
  );
  const heads = (await w.listRecords(plan.release, plan.namespace)).filter(
    (h) => h.revision !== ignoreRevision,
  );
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

// ---------------------------------------------------------------- rerun-upgrade and rollback

async function executeRevision(ctx: Ctx): Promise<RemediationResult> {
  const { plan, w, o } = ctx;
  const upgrade = plan.action === "rerun-upgrade";
  const all = await w.listRecords(plan.release, plan.namespace);
  const mine = all.find((h) => h.annotations[OPERATION_ANNOTATION] === o.operationId);
  let resumed = false;
  if (mine) {
    const latestAll = all[all.length - 1]!;
    if (!isPending(mine.status)) {
      const rec = await w.getRecord(mine.driver, plan.namespace, mine.objectName);
      const rel = rec ? readRecord(rec, mine.driver).release : undefined;
      ctx.emit("done", `operation ${o.operationId} already wrote revision ${mine.revision} (${mine.status})`);
      return result(ctx, {
        outcome: "already-done",
        revision: mine.revision,
        status: mine.status,
        ...(rel ? { description: rel.info.description ?? "", historyLine: historyLine(rel) } : {}),
      });
    }
    if (latestAll.revision !== mine.revision) {
      return result(ctx, {
        outcome: "refused",
        revision: mine.revision,
        errors: [
          `operation ${o.operationId} wrote revision ${mine.revision}, still ${mine.status}, and revision ${latestAll.revision} came after it; nothing was changed`,
        ],
      });
    }
    resumed = true;
    ctx.emit(
      "lock",
      `resuming revision ${mine.revision} (${mine.status}) that an earlier run of this operation wrote`,
    );
  }
  const { heads, refusal } = await checkHeads(ctx, resumed ? mine!.revision : undefined);
  if (refusal) return result(ctx, { outcome: "refused", errors: [refusal] });
  const latestHead = heads[heads.length - 1]!;
  if (upgrade && isPending(latestHead.status)) {
    return result(ctx, {
      outcome: "refused",
      errors: [
        `another operation (install/upgrade/rollback) is in progress: revision ${latestHead.revision} is ${latestHead.status}`,
      ],
    });
  }
  const driver: RecordDriver = heads[0]!.driver;
  const ns = plan.namespace;
  const read = async (rev: number): Promise<StoredRecord> => {
    const obj = await w.getRecord(driver, ns, recordName(plan.release, rev));
    if (!obj) throw new Failure(`release: revision ${rev} not found`);
    return readRecord(obj, driver);
  };
  const src = await read(plan.sourceRevision!);
  const latest = await read(latestHead.revision);
  const cur = plan.currentRevision === src.release.version ? src : await read(plan.currentRevision!);
  const newRevision = resumed ? mine!.revision : latestHead.revision + 1;
  const dialect: Dialect = latest.dialect;
  const suffix = requesterSuffix(o.requestedBy);
  const name = plan.release;

  // The new release, copied from the source revision (prepareUpgrade / prepareRollback).
  const base = upgrade ? cur.release : latest.release;
  const info: Release["info"] = {
    ...(base.info.first_deployed ? { first_deployed: base.info.first_deployed } : {}),
    last_deployed: goTime(ctx.now()),
    ...(dialect === "helm3" ? { deleted: "" } : {}),
    description: upgrade ? `Preparing upgrade${suffix}` : `Rollback to ${src.release.version}${suffix}`,
    status: upgrade ? "pending-upgrade" : "pending-rollback",
    ...(src.release.info.notes ? { notes: src.release.info.notes } : {}),
  };
  const rel: Release = {
    name,
    info,
    ...(src.release.chart ? { chart: src.release.chart } : {}),
    ...(src.release.config ? { config: src.release.config } : {}),
    manifest: src.release.manifest,
    ...(src.release.hooks?.length ? { hooks: structuredClone(src.release.hooks) } : {}),
    version: newRevision,
    namespace: ns,
  };
  if (dialect === "helm4") {
    const method = upgrade ? latest.release.apply_method : src.release.apply_method;
    rel.apply_method = method === "ssa" ? "ssa" : "csa";
  }
  const ssa = rel.apply_method === "ssa";
  const custom = upgrade ? customLabels(latest.labels) : customLabels(src.labels);
  const annotations = {
    [OPERATION_ANNOTATION]: o.operationId,
    [ACTION_ANNOTATION]: plan.action,
    ...(o.requestedBy ? { [REQUESTED_BY_ANNOTATION]: o.requestedBy } : {}),
  };
  const secs = () => Math.floor(ctx.now().getTime() / 1000);
  const persist = async (r: Release) => {
    await w.updateRecord(
      recordObject(r, { driver, dialect, raw: src.raw, custom, annotations, modifiedAt: secs() }),
    );
  };

  // Helm: current = the old manifest (upgrade: the current release; rollback: the latest), target = new.
  const current = upgrade ? cur.release : latest.release;
  const curObjs = manifestObjects(current, ns, false);
  const tgtObjs = manifestObjects(rel, ns, true);
  if (tgtObjs.errors.length > 0)
    throw new Failure(
      `unable to build kubernetes objects from new release manifest: ${tgtObjs.errors.join("; ")}`,
    );

  // Objects new to the release must be adoptable before anything is written (performUpgrade checks first).
  const curKeys = new Set(curObjs.objects.map((x) => x.key));
  const hookKeys = new Set(
    [src.release, latest.release, cur.release].flatMap((r) =>
      (r.hooks ?? []).map((h) => hookObject(h, r, ns)?.key).filter((k): k is string => !!k),
    ),
  );
  for (const t of tgtObjs.objects) {
    if (curKeys.has(t.key)) continue;
    const live = await w.get(refOf(t));
    if (!live) continue;
    const problems = ownershipProblems(live, name, ns);
    if (problems.length === 0) continue;
    const foreign = live.metadata?.annotations?.["meta.helm.sh/release-name"];
    if (upgrade || foreign || !hookKeys.has(t.key))
      return result(ctx, { outcome: "refused", errors: [ownershipError(t, problems)] });
  }

  // Lock: prune history (never the latest deployed), then create the pending record.
  if (!resumed) {
    await pruneHistory(ctx, heads, driver);
    ctx.emit("lock", `writing revision ${newRevision} (${info.status}, "${info.description}")`);
    try {
      await w.createRecord(
        recordObject(rel, { driver, dialect, raw: src.raw, custom, annotations, createdAt: secs() }),
      );
    } catch (e) {
      if (e instanceof WriteError && e.code === 409) {
        return result(ctx, {
          outcome: "refused",
          errors: [
            `another operation (install/upgrade/rollback) is in progress: revision ${newRevision} already exists (${e.message}); nothing was changed`,
          ],
        });
      }
      throw e;
    }
  } else {
    await persist(rel);
  }

  const fail = async (err: string, alsoSupersede?: StoredRecord): Promise<RemediationResult> => {
    const helmText = upgrade ? `Upgrade "${name}" failed: ${err}` : `Rollback "${name}" failed: ${err}`;
    rel.info.status = "failed";
    rel.info.description = `${helmText.trimEnd()}${suffix}`;
    if (alsoSupersede) await supersede(ctx, alsoSupersede, driver);
    await persist(rel);
    ctx.emit("done", `revision ${newRevision} failed: ${err.trim()}`);
    return result(ctx, {
      outcome: "failed",
      revision: newRevision,
      status: "failed",
      description: rel.info.description,
      historyLine: historyLine(rel),
      errors: [err.trim()],
      ...(resumed ? { resumed } : {}),
    });
  };

  try {
    const pre = upgrade ? "pre-upgrade" : "pre-rollback";
    const post = upgrade ? "post-upgrade" : "post-rollback";
    const preErr = await runHooks(ctx, rel, pre, persist, ssa);
    if (preErr) return fail(upgrade ? `pre-upgrade hooks failed: ${preErr}` : preErr);

    const applyErr = await applyManifest(ctx, curObjs.objects, tgtObjs.objects, ssa);
    if (applyErr) return fail(applyErr, upgrade ? undefined : latest);

    const postErr = await runHooks(ctx, rel, post, persist, ssa);
    if (postErr) return fail(upgrade ? `post-upgrade hooks failed: ${postErr}` : postErr);

    // Supersede: upgrade → the current release; rollback → every deployed record (#2941).
    if (upgrade) {
      await supersede(ctx, await read(cur.release.version), driver);
    } else {
      const deployed = (await w.listRecords(name, ns, driver)).filter(
        (h) => h.status === "deployed" && h.revision !== newRevision,
      );
      for (const h of deployed) {
        try {
          await supersede(ctx, await read(h.revision), driver);
        } catch (e) {
          ctx.warnings.push(`could not mark revision ${h.revision} superseded: ${apiMessage(e)}`);
        }
      }
    }
    rel.info.status = "deployed";
    rel.info.description = upgrade
      ? `Upgrade complete${suffix}`
      : `Rollback to ${src.release.version}${suffix}`;
    await persist(rel);
    ctx.emit("done", `revision ${newRevision} deployed: ${rel.info.description}`);
    return result(ctx, {
      outcome: "succeeded",
      revision: newRevision,
      status: "deployed",
      description: rel.info.description,
      historyLine: historyLine(rel),
      ...(resumed ? { resumed } : {}),
    });
  } catch (e) {
    // Never leave a half-written revision: whatever broke, end in a failed record.
    const msg = apiMessage(e);
    try {
      return await fail(msg);
    } catch (e2) {
      return result(ctx, {
        outcome: "failed",
        revision: newRevision,
        status: rel.info.status,
        errors: [
          msg,
          `could not record the failure either (${apiMessage(e2)}): revision ${newRevision} may still be ${rel.info.status}`,
        ],
      });
    }
  }
}

async function supersede(ctx: Ctx, rec: StoredRecord, driver: RecordDriver): Promise<void> {
  const r = rec.release;
  if (r.info.status === "superseded") return;
  ctx.emit("record", `marking revision ${r.version} superseded (was ${r.info.status})`);
  r.info.status = "superseded";
  await ctx.w.updateRecord(
    recordObject(r, {
      driver,
      dialect: rec.dialect,
      raw: rec.raw,
      custom: customLabels(rec.labels),
      annotations: rec.annotations,
      modifiedAt: Math.floor(ctx.now().getTime() / 1000),
    }),
  );
}

/** storage.removeLeastRecent(name, max-1): oldest first, never the latest deployed. */
async function pruneHistory(ctx: Ctx, heads: RecordHead[], driver: RecordDriver): Promise<void> {
  const max = ctx.o.historyMax ?? 10;
  if (max <= 0) return;
  const keep = max - 1;
  if (heads.length <= keep) return;
  const deployed = heads.filter((h) => h.status === "deployed").pop();
  const toDelete: RecordHead[] = [];
  for (const h of heads) {
    if (heads.length - toDelete.length === keep) break;
    if (deployed && h.revision === deployed.revision) continue;
    toDelete.push(h);
  }
  for (const h of toDelete) {
    ctx.emit("record", `pruning revision ${h.revision} (--history-max ${max})`);
    try {
      await ctx.w.deleteRecord(driver, ctx.plan.namespace, h.objectName);
    } catch (e) {
      ctx.warnings.push(`could not prune revision ${h.revision}: ${apiMessage(e)}`);
    }
  }
}

// ---------------------------------------------------------------- hooks (execHook, Helm 3 semantics)

async function deleteHookObject(ctx: Ctx, t: TargetObject, why: string): Promise<void> {
  if (t.ref.kind === "CustomResourceDefinition") return;
  const gone = await ctx.w.delete(refOf(t), "Background");
  if (gone) {
    ctx.emit("hook", `deleted ${refString(t.ref)} (${why})`);
    ctx.changes.push({ op: "delete", ref: shortRef(t.ref), detail: why });
  }
  await ctx.w.waitForDeletion(refOf(t), ctx.timeout);
}

/** Runs the hooks of one event; returns Helm's error text or undefined. Mutates the hooks' last_run. */
async function runHooks(
  ctx: Ctx,
  rel: Release,
  event: string,
  persist: (r: Release) => Promise<void>,
  ssa: boolean,
): Promise<string | undefined> {
  const executing = hooksFor(rel.hooks, event);
  const ns = rel.namespace;
  const zero = "deleted" in rel.info ? "" : undefined;
  const stamp = () => goTime(ctx.now());
  const has = (h: Hook, p: string) => (h.delete_policies ?? []).includes(p);
  for (let i = 0; i < executing.length; i++) {
    const h = executing[i]!;
    if (!h.delete_policies || h.delete_policies.length === 0) h.delete_policies = ["before-hook-creation"];
    const t = hookObject(h, rel, ns);
    if (!t)
      return `unable to build kubernetes object for ${event} hook ${h.path}: the manifest has no kind or name`;
    if (has(h, "before-hook-creation")) {
      try {
        await deleteHookObject(ctx, t, "before-hook-creation");
      } catch (e) {
        return apiMessage(e);
      }
    }
    h.last_run = {
      started_at: stamp(),
      ...(zero !== undefined ? { completed_at: zero } : {}),
      phase: "Running",
    };
    try {
      await persist(rel);
    } catch (e) {
      // Helm's recordRelease only logs a failed write.
      ctx.warnings.push(`could not record hook ${h.name} as running: ${apiMessage(e)}`);
    }
    h.last_run.phase = "Unknown";
    ctx.emit(
      "hook",
      `running ${event} hook ${h.name} (${h.kind}, weight ${h.weight ?? 0}, ${h.delete_policies.join(",")})`,
    );
    try {
      if (ssa) await ctx.w.apply(t.object, { fieldManager: ctx.fieldManager, force: false });
      else await ctx.w.create(t.object, { fieldManager: ctx.fieldManager });
      ctx.changes.push({ op: "create", ref: shortRef(t.ref), detail: `${event} hook` });
    } catch (e) {
      h.last_run.completed_at = stamp();
      h.last_run.phase = "Failed";
      return `warning: Hook ${event} ${h.path} failed: ${multiError([apiMessage(e)])}`;
    }
    try {
      await ctx.w.waitForHook(refOf(t), ctx.timeout);
    } catch (e) {
      h.last_run.completed_at = stamp();
      h.last_run.phase = "Failed";
      const msg = apiMessage(e);
      ctx.emit("hook", `${event} hook ${h.name} failed: ${msg}`);
      if (has(h, "hook-failed")) {
        try {
          await deleteHookObject(ctx, t, "hook-failed");
        } catch (de) {
          ctx.warnings.push(`error deleting the hook resource on hook failure: ${apiMessage(de)}`);
        }
      }
      for (const earlier of executing.slice(0, i)) {
        const et = hookObject(earlier, rel, ns);
        if (!et || !has(earlier, "hook-succeeded")) continue;
        try {
          await deleteHookObject(ctx, et, "hook-succeeded");
        } catch (de) {
          return apiMessage(de);
        }
      }
      return multiError([msg]);
    }
    h.last_run.completed_at = stamp();
    h.last_run.phase = "Succeeded";
    ctx.emit("hook", `${event} hook ${h.name} succeeded`);
  }
  for (let i = executing.length - 1; i >= 0; i--) {
    const h = executing[i]!;
    if (!has(h, "hook-succeeded")) continue;
    const t = hookObject(h, rel, ns);
    if (!t) continue;
    try {
      await deleteHookObject(ctx, t, "hook-succeeded");
    } catch (e) {
      return apiMessage(e);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- KubeClient.Update

async function applyManifest(
  ctx: Ctx,
  current: TargetObject[],
  target: TargetObject[],
  ssa: boolean,
): Promise<string | undefined> {
  const { w } = ctx;
  const fm = { fieldManager: ctx.fieldManager };
  const curByKey = new Map(current.map((c) => [c.key, c]));
  const tgtKeys = new Set(target.map((t) => t.key));
  ctx.emit(
    "apply",
    `applying ${target.length} object${target.length === 1 ? "" : "s"}${ssa ? " (server-side apply)" : ""}`,
  );
  const updateErrors: string[] = [];
  for (const t of target) {
    let live: KubeObject | undefined;
    try {
      live = await w.get(refOf(t));
    } catch (e) {
      return `could not get information about the resource: ${apiMessage(e)}`;
    }
    if (!live) {
      try {
        if (ssa) await w.apply(t.object, { ...fm, force: false });
        else await w.create(t.object, fm);
      } catch (e) {
        return `failed to create resource: ${apiMessage(e)}`;
      }
      ctx.changes.push({ op: "create", ref: shortRef(t.ref) });
      ctx.emit("apply", `created ${refString(t.ref)}`);
      continue;
    }
    try {
      if (ssa) {
        await w.apply(t.object, { ...fm, force: false });
        ctx.changes.push({ op: "patch", ref: shortRef(t.ref), detail: "server-side apply" });
        ctx.emit("apply", `applied ${refString(t.ref)}`);
        continue;
      }
      // Adopted objects (not in the old manifest) get no deletions: the target is their baseline.
      const original = curByKey.get(t.key)?.object ?? t.object;
      const patch = threeWayMergePatch(original, t.object, live);
      if (Object.keys(patch).length === 0) {
        ctx.changes.push({ op: "unchanged", ref: shortRef(t.ref) });
        ctx.emit("apply", `unchanged ${refString(t.ref)}`);
        continue;
      }
      await w.mergePatch(refOf(t), patch, fm);
      ctx.changes.push({ op: "patch", ref: shortRef(t.ref), detail: Object.keys(patch).join(", ") });
      ctx.emit("apply", `patched ${refString(t.ref)}`);
    } catch (e) {
      updateErrors.push(`cannot patch "${t.ref.name}" with kind ${t.ref.kind}: ${apiMessage(e)}`);
    }
  }
  if (updateErrors.length > 0) return updateErrors.join(" && ");
  const stale = current.filter((c) => !tgtKeys.has(c.key));
  if (stale.length > 0)
    ctx.emit(
      "delete",
      `deleting ${stale.length} object${stale.length === 1 ? "" : "s"} the new manifest no longer has`,
    );
  for (const c of stale) {
    try {
      const live = await w.get(refOf(c));
      if (!live) continue;
      if (hasKeepPolicy(live)) {
        ctx.changes.push({ op: "skip", ref: shortRef(c.ref), detail: "helm.sh/resource-policy: keep" });
        ctx.emit("delete", `kept ${refString(c.ref)} (helm.sh/resource-policy: keep)`);
        continue;
      }
      await w.delete(refOf(c), "Background");
      ctx.changes.push({ op: "delete", ref: shortRef(c.ref) });
      ctx.emit("delete", `deleted ${refString(c.ref)}`);
    } catch (e) {
      // Helm 3 (and 4 < 4.2) only log deletion errors.
      ctx.warnings.push(`failed to delete ${refString(c.ref)}: ${apiMessage(e)}`);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- restore-hook-resources, delete-leftover-hook

async function executeRestore(ctx: Ctx): Promise<RemediationResult> {
  const { plan, w } = ctx;
  const { heads, refusal } = await checkHeads(ctx);
  if (refusal) return result(ctx, { outcome: "refused", errors: [refusal] });
  const head = heads.find((h) => h.revision === plan.sourceRevision);
  const obj = head && (await w.getRecord(head.driver, plan.namespace, head.objectName));
  if (!obj) return result(ctx, { outcome: "refused", errors: [`revision ${plan.sourceRevision} is gone`] });
  const rel = readRecord(obj, head.driver).release;
  const errors: string[] = [];
  for (const c of plan.changes.filter((x) => x.op === "create")) {
    const h = (rel.hooks ?? []).find((x) => x.kind === c.ref.kind && x.name === c.ref.name);
    const t = h && hookObject(h, rel, plan.namespace);
    if (!t) continue;
    try {
      if (await w.get(refOf(t))) {
        ctx.changes.push({ op: "skip", ref: shortRef(t.ref), detail: "already present" });
        ctx.emit("restore", `${refString(t.ref)} is already present`);
        continue;
      }
      await w.create(t.object, { fieldManager: ctx.fieldManager });
      ctx.changes.push({
        op: "create",
        ref: shortRef(t.ref),
        detail: `from revision ${rel.version}'s hook ${h!.path}`,
      });
      ctx.emit("restore", `created ${refString(t.ref)} from revision ${rel.version}'s hook manifest`);
    } catch (e) {
      if (e instanceof WriteError && e.code === 409) {
        ctx.changes.push({ op: "skip", ref: shortRef(t.ref), detail: "already present" });
        continue;
      }
      errors.push(`cannot create ${refString(t.ref)}: ${apiMessage(e)}`);
    }
  }
  ctx.emit(
    "done",
    errors.length
      ? `restore finished with ${errors.length} error(s)`
      : "restore complete; no revision written",
  );
  return result(ctx, { outcome: errors.length ? "failed" : "succeeded", errors });
}

async function executeDeleteLeftovers(ctx: Ctx): Promise<RemediationResult> {
  const { plan, w } = ctx;
  const { refusal } = await checkHeads(ctx);
  if (refusal) return result(ctx, { outcome: "refused", errors: [refusal] });
  const errors: string[] = [];
  for (const c of plan.changes.filter((x) => x.op === "delete")) {
    const ref: ObjectRef = {
      apiVersion: c.ref.apiVersion ?? "v1",
      kind: c.ref.kind,
      name: c.ref.name,
      namespace: c.ref.namespace ?? plan.namespace,
    };
    try {
      const live = await w.get(ref);
      if (!live) {
        ctx.changes.push({ op: "skip", ref: shortRef(c.ref), detail: "already gone" });
        continue;
      }
      if (live.metadata?.annotations?.["meta.helm.sh/release-name"]) {
        ctx.changes.push({ op: "skip", ref: shortRef(c.ref), detail: "now carries Helm ownership metadata" });
        continue;
      }
      await w.delete(ref, "Background");
      ctx.changes.push({ op: "delete", ref: shortRef(c.ref), detail: "leftover hook object" });
      ctx.emit("delete", `deleted leftover hook ${refString(c.ref)}`);
    } catch (e) {
      errors.push(`cannot delete ${refString(c.ref)}: ${apiMessage(e)}`);
    }
  }
  ctx.emit(
    "done",
    errors.length ? `finished with ${errors.length} error(s)` : "leftover hooks deleted; no revision written",
  );
  return result(ctx, { outcome: errors.length ? "failed" : "succeeded", errors });
}
