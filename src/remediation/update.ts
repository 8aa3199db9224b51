// The manifest update, as Helm's KubeClient.Update (pkg/kube/client.go): every object of the target manifest
// is created when missing, else patched — built-in kinds with a three-way strategic merge patch (old
// manifest's object, target, live object), custom resources and unknown kinds with a two-way JSON merge patch
// (old → target), Helm 4 `ssa` releases with server-side apply — and the objects the old manifest has and the
// target lacks are deleted unless the live object says `helm.sh/resource-policy: keep`. The decisions are
// pure (update-step.ts) so the planner and the prediction use exactly what the executor does.
import { errorText } from "../cluster/kubeclient.js";
import { refString } from "../helm/keys.js";
import type { KubeObject } from "../snapshot/types.js";
import { type Ctx, shortRef } from "./context.js";
import type { TargetObject } from "./objects.js";
import { staleStep, updateStep } from "./update-step.js";

export interface UpdateOptions {
  method: "csa" | "ssa";
  /** Helm 4 fails the update on deletion errors; Helm 3 only logs them. */
  failOnDeleteErrors: boolean;
}

/** Runs Update(current, target); returns Helm's error text, or undefined. */
export async function performUpdate(
  ctx: Ctx,
  current: TargetObject[],
  target: TargetObject[],
  opts: UpdateOptions,
): Promise<string | undefined> {
  const { kube } = ctx;
  const fm = { fieldManager: ctx.fieldManager };
  const curByKey = new Map(current.map((c) => [c.key, c]));
  const tgtKeys = new Set(target.map((t) => t.key));
  ctx.emit(
    "apply",
    `applying ${target.length} object${target.length === 1 ? "" : "s"}${opts.method === "ssa" ? " (server-side apply)" : ""}`,
  );
  const updateErrors: string[] = [];
  for (const t of target) {
    let live: KubeObject | undefined;
    try {
      live = await kube.get(t.ref);
    } catch (e) {
      return `could not get information about the resource: ${errorText(e)}`;
    }
    const step = updateStep(curByKey.get(t.key)?.object, t.object, live, opts.method);
    if (step.op === "create") {
      try {
        if (opts.method === "ssa") await kube.apply(t.object, { ...fm, force: false });
        else await kube.create(t.object, fm);
      } catch (e) {
        return `failed to create resource: ${errorText(e)}`;
      }
      ctx.changes.push({ op: "create", ref: shortRef(t.ref) });
      ctx.emit("apply", `created ${refString(t.ref)}`);
      continue;
    }
    try {
      if (step.op === "apply") {
        await kube.apply(t.object, { ...fm, force: false });
        ctx.changes.push({ op: "patch", ref: shortRef(t.ref), detail: "server-side apply" });
        ctx.emit("apply", `applied ${refString(t.ref)}`);
      } else if (step.op === "unchanged") {
        ctx.changes.push({ op: "unchanged", ref: shortRef(t.ref) });
        ctx.emit("apply", `unchanged ${refString(t.ref)}`);
      } else {
        await kube.patch(t.ref, step.type, step.patch, fm);
        ctx.changes.push({
          op: "patch",
          ref: shortRef(t.ref),
          detail: `${step.type} merge patch of ${step.fields.join(", ")}`,
        });
        ctx.emit("apply", `patched ${refString(t.ref)}`);
      }
    } catch (e) {
      updateErrors.push(`cannot patch "${t.ref.name}" with kind ${t.ref.kind}: ${errorText(e)}`);
    }
  }
  if (updateErrors.length > 0) return updateErrors.join(" && ");

  const stale = current.filter((c) => !tgtKeys.has(c.key));
  if (stale.length > 0)
    ctx.emit(
      "delete",
      `deleting ${stale.length} object${stale.length === 1 ? "" : "s"} the new manifest no longer has`,
    );
  const deleteErrors: string[] = [];
  for (const c of stale) {
    let live: KubeObject | undefined;
    try {
      live = await kube.get(c.ref);
    } catch {
      continue; // Helm skips objects it cannot get.
    }
    const step = staleStep(live);
    if (step === "gone") continue;
    if (step === "keep") {
      ctx.changes.push({ op: "skip", ref: shortRef(c.ref), detail: "helm.sh/resource-policy: keep" });
      ctx.emit("delete", `kept ${refString(c.ref)} (helm.sh/resource-policy: keep)`);
      continue;
    }
    try {
      await kube.delete(c.ref, "Background");
      ctx.changes.push({ op: "delete", ref: shortRef(c.ref) });
      ctx.emit("delete", `deleted ${refString(c.ref)}`);
    } catch (e) {
      if (opts.failOnDeleteErrors)
        deleteErrors.push(
          `failed to delete resource namespace=${c.ref.namespace ?? ""}, name=${c.ref.name}, kind=${c.ref.kind}: ${errorText(e)}`,
        );
      else ctx.warnings.push(`failed to delete ${refString(c.ref)}: ${errorText(e)}`);
    }
  }
  return deleteErrors.length > 0 ? deleteErrors.join(" && ") : undefined;
}
