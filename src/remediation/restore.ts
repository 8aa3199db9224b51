// restore-hook-resources: recreates missing non-Job/Pod hook objects from a revision's stored hook manifests,
// without ownership metadata (they are hook objects). No revision is written.
import { errorText, KubeError } from "../cluster/kubeclient.js";
import { refString } from "../helm/keys.js";
import { type Ctx, checkHeads, result, shortRef } from "./context.js";
import { hookObject } from "./objects.js";
import type { RemediationResult } from "./types.js";

export async function executeRestore(ctx: Ctx): Promise<RemediationResult> {
  const { plan, kube } = ctx;
  const { heads, refusal } = await checkHeads(ctx);
  if (refusal) return result(ctx, { outcome: "refused", errors: [refusal] });
  const rel = heads.some((h) => h.revision === plan.sourceRevision)
    ? await ctx.store.get(plan.release, plan.sourceRevision!).catch(() => undefined)
    : undefined;
  if (!rel) return result(ctx, { outcome: "refused", errors: [`revision ${plan.sourceRevision} is gone`] });
  const errors: string[] = [];
  for (const c of plan.changes.filter((x) => x.op === "create")) {
    const h = (rel.hooks ?? []).find((x) => x.kind === c.ref.kind && x.name === c.ref.name);
    const t = h && hookObject(h, rel, plan.namespace);
    if (!t) continue;
    try {
      if (await kube.get(t.ref)) {
        ctx.changes.push({ op: "skip", ref: shortRef(t.ref), detail: "already present" });
        ctx.emit("restore", `${refString(t.ref)} is already present`);
        continue;
      }
      await kube.create(t.object, { fieldManager: ctx.fieldManager });
      ctx.changes.push({
        op: "create",
        ref: shortRef(t.ref),
        detail: `from revision ${rel.version}'s hook ${h!.path}`,
      });
      ctx.emit("restore", `created ${refString(t.ref)} from revision ${rel.version}'s hook manifest`);
    } catch (e) {
      if (e instanceof KubeError && e.code === 409) {
        ctx.changes.push({ op: "skip", ref: shortRef(t.ref), detail: "already present" });
        continue;
      }
      errors.push(`cannot create ${refString(t.ref)}: ${errorText(e)}`);
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
