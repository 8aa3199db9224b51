// rerun-upgrade, as Helm's pkg/action/upgrade.go performUpgrade/releasingUpgrade on the stored revision:
// pre-upgrade hooks → Update(current manifest, source manifest) → post-upgrade hooks → the current release
// superseded, the new one deployed. Any failure after the lock ends in a `failed` record with Helm's
// description (failRelease); the previous deployed revision stays deployed (re-saved first when the Update
// failed, as Helm does).
import { errorText } from "../cluster/kubeclient.js";
import type { Ctx } from "./context.js";
import { runHooks } from "./hooks.js";
import { beginRevision, deployRevision, failRevision, failSafely, supersede } from "./revision.js";
import type { RemediationResult } from "./types.js";
import { performUpdate } from "./update.js";

export async function executeUpgrade(ctx: Ctx): Promise<RemediationResult> {
  const v = await beginRevision(ctx);
  if (!("rel" in v)) return v;
  const { rel, persist } = v;
  try {
    const pre = await runHooks(ctx, rel, "pre-upgrade", persist, v.ssa);
    if (pre) return await failRevision(ctx, v, `pre-upgrade hooks failed: ${pre}`);
    const upd = await performUpdate(ctx, v.current.objects, v.target.objects, {
      method: v.ssa ? "ssa" : "csa",
      failOnDeleteErrors: v.helm4,
    });
    if (upd) {
      // Helm's upgrade re-saves the release it upgraded from before failing the new one (recordRelease of the
      // original: unchanged, its modifiedAt moves).
      await ctx.store.update(await ctx.store.get(rel.name, v.cur.version), { now: ctx.secs() });
      return await failRevision(ctx, v, upd);
    }
    const post = await runHooks(ctx, rel, "post-upgrade", persist, v.ssa);
    if (post) return await failRevision(ctx, v, `post-upgrade hooks failed: ${post}`);
    await supersede(ctx, await ctx.store.get(rel.name, v.cur.version));
    return await deployRevision(ctx, v, `Upgrade complete${v.suffix}`);
  } catch (e) {
    return failSafely(ctx, v, errorText(e));
  }
}
