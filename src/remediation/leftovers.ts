// delete-leftover-hook: deletes live hook objects of the release (background propagation) so the next run's
// create does not fail with "already exists"; objects that now carry Helm ownership metadata are left alone.
// No revision is written.
import { errorText, type ObjectRef } from "../cluster/kubeclient.js";
import { refString } from "../helm/keys.js";
import { type Ctx, checkHeads, result, shortRef } from "./context.js";
import type { RemediationResult } from "./types.js";

export async function executeDeleteLeftovers(ctx: Ctx): Promise<RemediationResult> {
  const { plan, kube } = ctx;
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
      const live = await kube.get(ref);
      if (!live) {
        ctx.changes.push({ op: "skip", ref: shortRef(c.ref), detail: "already gone" });
        continue;
      }
      if (live.metadata?.annotations?.["meta.helm.sh/release-name"]) {
        ctx.changes.push({ op: "skip", ref: shortRef(c.ref), detail: "now carries Helm ownership metadata" });
        continue;
      }
      await kube.delete(ref, "Background");
      ctx.changes.push({ op: "delete", ref: shortRef(c.ref), detail: "leftover hook object" });
      ctx.emit("delete", `deleted leftover hook ${refString(c.ref)}`);
    } catch (e) {
      errors.push(`cannot delete ${refString(c.ref)}: ${errorText(e)}`);
    }
  }
  ctx.emit(
    "done",
    errors.length ? `finished with ${errors.length} error(s)` : "leftover hooks deleted; no revision written",
  );
  return result(ctx, { outcome: errors.length ? "failed" : "succeeded", errors });
}
