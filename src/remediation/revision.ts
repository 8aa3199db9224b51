// What an upgrade and a rollback share before their own steps: finding an earlier run of the same
// operation (report it, or resume its pending revision), the release-moved-on check, reading the records the
// plan names, the new release (copied from the source revision as Helm's prepareUpgrade / prepareRollback
// do), the ownership check of objects new to the release, and the lock (Helm's Storage.Create with
// --history-max pruning: a 409 means another operation holds the release).
import { errorText } from "../cluster/kubeclient.js";
import { createRelease, ReleaseExistsError } from "../cluster/store.js";
import { dialectOf, goTime } from "../helm/gojson.js";
import { isPending, type Release } from "../helm/types.js";
import type { KubeObject } from "../snapshot/types.js";
import { type Ctx, checkHeads, result } from "./context.js";
import {
  hookObject,
  type ManifestObjects,
  manifestObjects,
  ownershipError,
  ownershipProblems,
} from "./objects.js";
import { requesterSuffix } from "./plan.js";
import { ACTION_ANNOTATION, historyLine, OPERATION_ANNOTATION, REQUESTED_BY_ANNOTATION } from "./records.js";
import type { RemediationResult } from "./types.js";

export class Failure extends Error {}

export interface Revision {
  upgrade: boolean;
  /** The release being written (mutated as it goes, persisted by `persist`). */
  rel: Release;
  src: Release;
  cur: Release;
  latest: Release;
  resumed: boolean;
  /** Helm 4 wrote the latest record: its semantics (apply_method, failing deletions) apply. */
  helm4: boolean;
  ssa: boolean;
  suffix: string;
  current: ManifestObjects;
  target: ManifestObjects;
  persist: (r: Release) => Promise<void>;
}

/** The revision to write, locked; or the result that ends the operation before anything is written. */
export async function beginRevision(ctx: Ctx): Promise<Revision | RemediationResult> {
  const { plan, store, o } = ctx;
  const upgrade = plan.action === "rerun-upgrade";
  const name = plan.release;
  const ns = plan.namespace;
  const all = await store.list(name);
  const mine = all.find((h) => h.annotations[OPERATION_ANNOTATION] === o.operationId);
  let resumed = false;
  if (mine) {
    const latestAll = all[all.length - 1]!;
    if (!isPending(mine.status)) {
      const rel = await store.get(name, mine.revision).catch(() => undefined);
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
  const read = async (rev: number): Promise<Release> => {
    try {
      return await store.get(name, rev);
    } catch (e) {
      throw new Failure(`release: revision ${rev} not found (${errorText(e)})`);
    }
  };
  const src = await read(plan.sourceRevision!);
  const latest = await read(latestHead.revision);
  const cur = plan.currentRevision === src.version ? src : await read(plan.currentRevision!);
  const newRevision = resumed ? mine!.revision : latestHead.revision + 1;
  const helm4 = dialectOf(latest) === "helm4";
  const suffix = requesterSuffix(o.requestedBy);

  // The new release, copied from the source revision (prepareUpgrade / prepareRollback).
  const base = upgrade ? cur : latest;
  const rel: Release = {
    name,
    info: {
      ...(base.info.first_deployed ? { first_deployed: base.info.first_deployed } : {}),
      last_deployed: goTime(ctx.now()),
      description: upgrade ? `Preparing upgrade${suffix}` : `Rollback to ${src.version}${suffix}`,
      status: upgrade ? "pending-upgrade" : "pending-rollback",
      ...(src.info.notes ? { notes: src.info.notes } : {}),
    },
    ...(src.chart ? { chart: src.chart } : {}),
    ...(src.config ? { config: src.config } : {}),
    manifest: src.manifest,
    ...(src.hooks?.length ? { hooks: structuredClone(src.hooks) } : {}),
    version: newRevision,
    namespace: ns,
    // Helm keeps custom labels: an upgrade the latest record's, a rollback the target's.
    labels: { ...((upgrade ? latest.labels : src.labels) ?? {}) },
  };
  if (helm4) {
    const method = upgrade ? latest.apply_method : src.apply_method;
    rel.apply_method = method === "ssa" ? "ssa" : "csa";
  }
  const annotations = {
    [OPERATION_ANNOTATION]: o.operationId,
    [ACTION_ANNOTATION]: plan.action,
    ...(o.requestedBy ? { [REQUESTED_BY_ANNOTATION]: o.requestedBy } : {}),
  };
  const persist = (r: Release) => store.update(r, { annotations, now: ctx.secs() });

  // Helm: current = the old manifest (upgrade: the current release; rollback: the latest), target = new.
  const current = manifestObjects(upgrade ? cur : latest, ns, false);
  const target = manifestObjects(rel, ns, true);
  if (target.errors.length > 0)
    throw new Failure(
      `unable to build kubernetes objects from new release manifest: ${target.errors.join("; ")}`,
    );

  // Objects new to the release must be adoptable before anything is written (performUpgrade checks first).
  const curKeys = new Set(current.objects.map((x) => x.key));
  const hookKeys = new Set(
    [src, latest, cur].flatMap((r) =>
      (r.hooks ?? []).map((h) => hookObject(h, r, ns)?.key).filter((k): k is string => !!k),
    ),
  );
  for (const t of target.objects) {
    if (curKeys.has(t.key)) continue;
    const live: KubeObject | undefined = await ctx.kube.get(t.ref);
    if (!live) continue;
    const problems = ownershipProblems(live, name, ns);
    if (problems.length === 0) continue;
    const foreign = live.metadata?.annotations?.["meta.helm.sh/release-name"];
    if (upgrade || foreign || !hookKeys.has(t.key))
      return result(ctx, { outcome: "refused", errors: [ownershipError(t, problems)] });
  }

  if (resumed) await persist(rel);
  else {
    ctx.emit("lock", `writing revision ${newRevision} (${rel.info.status}, "${rel.info.description}")`);
    try {
      await createRelease(store, rel, o.historyMax ?? 10, {
        annotations,
        now: ctx.secs(),
        onPrune: (r) => ctx.emit("record", `pruning revision ${r} (--history-max ${o.historyMax ?? 10})`),
      });
    } catch (e) {
      if (e instanceof ReleaseExistsError)
        return result(ctx, {
          outcome: "refused",
          errors: [
            `another operation (install/upgrade/rollback) is in progress: revision ${newRevision} already exists (${e.detail}); nothing was changed`,
          ],
        });
      // Helm's Storage.Create: a pruning error stops before the lock is written.
      return result(ctx, { outcome: "failed", errors: [`nothing was written: ${errorText(e)}`] });
    }
  }
  return {
    upgrade,
    rel,
    src,
    cur,
    latest,
    resumed,
    helm4,
    ssa: rel.apply_method === "ssa",
    suffix,
    current,
    target,
    persist,
  };
}

/** Marks a record superseded (Helm's recordRelease after setting the status). */
export async function supersede(ctx: Ctx, r: Release): Promise<void> {
  if (r.info.status === "superseded") return;
  ctx.emit("record", `marking revision ${r.version} superseded (was ${r.info.status})`);
  r.info.status = "superseded";
  await ctx.store.update(r, { now: ctx.secs() });
}

/** The result of a revision that ended (deployed or failed), as written. */
export function written(
  ctx: Ctx,
  v: Revision,
  outcome: "succeeded" | "failed",
  errors: string[] = [],
): RemediationResult {
  return result(ctx, {
    outcome,
    revision: v.rel.version,
    status: v.rel.info.status,
    description: v.rel.info.description ?? "",
    historyLine: historyLine(v.rel),
    errors,
    ...(v.resumed ? { resumed: true } : {}),
  });
}

/** Helm's failRelease: the new record `failed`, described as Helm describes a failed upgrade or rollback. */
export async function failRevision(ctx: Ctx, v: Revision, err: string): Promise<RemediationResult> {
  const what = v.upgrade ? "Upgrade" : "Rollback";
  v.rel.info.status = "failed";
  v.rel.info.description = `${`${what} "${v.rel.name}" failed: ${err}`.trimEnd()}${v.suffix}`;
  await v.persist(v.rel);
  ctx.emit("done", `revision ${v.rel.version} failed: ${err.trim()}`);
  return written(ctx, v, "failed", [err.trim()]);
}

/** The new record `deployed` with its final description. */
export async function deployRevision(ctx: Ctx, v: Revision, description: string): Promise<RemediationResult> {
  v.rel.info.status = "deployed";
  v.rel.info.description = description;
  await v.persist(v.rel);
  ctx.emit("done", `revision ${v.rel.version} deployed: ${description}`);
  return written(ctx, v, "succeeded");
}

/** Never leave a half-written revision: whatever broke, record the failure — or say it could not be. */
export async function failSafely(ctx: Ctx, v: Revision, msg: string): Promise<RemediationResult> {
  try {
    return await failRevision(ctx, v, msg);
  } catch (e2) {
    return written(ctx, v, "failed", [
      msg,
      `could not record the failure either (${errorText(e2)}): revision ${v.rel.version} may still be ${v.rel.info.status}`,
    ]);
  }
}
