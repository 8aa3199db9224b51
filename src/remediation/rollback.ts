// rollback K, as Helm's pkg/action/rollback.go performRollback: K's pre-rollback hooks → Update(latest
// manifest, K's manifest) → K's post-rollback hooks → every deployed record superseded → the new one deployed.
// A failed Update supersedes the latest record and fails the new one ("Rollback … failed"); a failed pre- or
// post-rollback hook returns at once, leaving the new record `pending-rollback` as Helm does.
import { errorText } from "../cluster/kubeclient.js";
import type { Ctx } from "./context.js";
import { runHooks } from "./hooks.js";
import {
  beginRevision,
  deployRevision,
  failRevision,
  failSafely,
  type Revision,
  supersede,
  written,
} from "./revision.js";
import type { RemediationResult } from "./types.js";
import { performUpdate } from "./update.js";

export async function executeRollback(ctx: Ctx): Promise<RemediationResult> {
  const v = await beginRevision(ctx);
  if (!("rel" in v)) return v;
  const { rel, persist } = v;
  try {
    const pre = await runHooks(ctx, rel, "pre-rollback", persist, v.ssa);
    if (pre) return hookFailed(ctx, v, pre);
    const upd = await performUpdate(ctx, v.current.objects, v.target.objects, {
      method: v.ssa ? "ssa" : "csa",
      failOnDeleteErrors: v.helm4,
    });
    if (upd) {
      await supersede(ctx, v.latest);
      return await failRevision(ctx, v, upd);
    }
    const post = await runHooks(ctx, rel, "post-rollback", persist, v.ssa);
    if (post) return hookFailed(ctx, v, post);
    // Supersede every deployed record (Helm issue #2941).
    for (const h of await ctx.store.list(rel.name)) {
      if (h.status !== "deployed" || h.revision === rel.version) continue;
      try {
        await supersede(ctx, await ctx.store.get(rel.name, h.revision));
      } catch (e) {
        ctx.warnings.push(`could not mark revision ${h.revision} superseded: ${errorText(e)}`);
      }
    }
    return await deployRevision(ctx, v, `Rollback to ${v.src.version}${v.suffix}`);
  } catch (e) {
    return failSafely(ctx, v, errorText(e));
  }
}

/** Helm returns the hook error without recording anything more: the record stays pending-rollback. */
function hookFailed(ctx: Ctx, v: Revision, err: string): RemediationResult {
  ctx.emit("done", `revision ${v.rel.version} stays ${v.rel.info.status}: ${err.trim()}`);
  ctx.warnings.push(
    `revision ${v.rel.version} stays ${v.rel.info.status}, as Helm leaves it after a failed rollback hook: roll back again once the hook is fixed`,
  );
  return written(ctx, v, "failed", [err.trim()]);
}
