// rerun-upgrade, as Helm's pkg/action/upgrade.go performUpgrade/releasingUpgrade on the stored revision:
// pre-upgrade hooks → Update(current manifest, source manifest) → post-upgrade hooks → the current release
// superseded, the new one deployed. Any failure after the lock ends in a `failed` record with Helm's
// description (failRelease); the previous deployed revision stays deployed.
import { errorText } from "../cluster/kubeclient.js";
import type { Ctx } from "./context.js";
import { runHooks } from "./hooks.js";
import { beginRevision, type Revision, supersede, written } from "./revision.js";
import type { RemediationResult } from "./types.js";
import { performUpdate } from "./update.js";

export async function executeUpgrade(ctx: Ctx): Promise<RemediationResult> {
  const v = await beginRevision(ctx);
  if (!("rel" in v)) return v;
  const { rel, persist } = v;
  try {
    const pre = await runHooks(ctx, rel, "pre-upgrade", persist, v.ssa);
    if (pre) return await fail(ctx, v, `pre-upgrade hooks failed: ${pre}`);
    const upd = await performUpdate(ctx, v.current.objects, v.target.objects, {
      method: v.ssa ? "ssa" : "csa",
      failOnDeleteErrors: v.helm4,
    });
    if (upd) return await fail(ctx, v, upd);
    const post = await runHooks(ctx, rel, "post-upgrade", persist, v.ssa);
    if (post) return await fail(ctx, v, `post-upgrade hooks failed: ${post}`);
    await supersede(ctx, await ctx.store.get(rel.name, v.cur.version));
    rel.info.status = "deployed";
    rel.info.description = `Upgrade complete${v.suffix}`;
    await persist(rel);
    ctx.emit("done", `revision ${rel.version} deployed: ${rel.info.description}`);
    return written(ctx, v, "succeeded");
  } catch (e) {
    return failSafely(ctx, v, errorText(e), (err) => fail(ctx, v, err));
  }
}

async function fail(ctx: Ctx, v: Revision, err: string): Promise<RemediationResult> {
  v.rel.info.status = "failed";
  v.rel.info.description = `${`Upgrade "${v.rel.name}" failed: ${err}`.trimEnd()}${v.suffix}`;
  await v.persist(v.rel);
  ctx.emit("done", `revision ${v.rel.version} failed: ${err.trim()}`);
  return written(ctx, v, "failed", [err.trim()]);
}

/** Never leave a half-written revision: whatever broke, record the failure — or say it could not be. */
export async function failSafely(
  ctx: Ctx,
  v: Revision,
  msg: string,
  record: (err: string) => Promise<RemediationResult>,
): Promise<RemediationResult> {
  try {
    return await record(msg);
  } catch (e2) {
    return {
      ...written(ctx, v, "failed", [
        msg,
        `could not record the failure either (${errorText(e2)}): revision ${v.rel.version} may still be ${v.rel.info.status}`,
      ]),
    };
  }
}
