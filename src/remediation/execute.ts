// The executor: carries out a Plan through a ClusterWriter (KubeClient for objects, ReleaseStore for
// records), one action per file as Helm's pkg/action: upgrade.ts, rollback.ts, restore.ts, leftovers.ts, with
// hooks.ts (the hook runner) and update.ts (the manifest update) under them.
import { errorText } from "../cluster/kubeclient.js";
import type { ClusterWriter } from "../cluster/writer.js";
import { type ExecuteOptions, makeCtx, result } from "./context.js";
import { executeDeleteLeftovers } from "./leftovers.js";
import { executeRestore } from "./restore.js";
import { executeRollback } from "./rollback.js";
import type { Plan, RemediationResult } from "./types.js";
import { executeUpgrade } from "./upgrade.js";

export type { ExecuteOptions } from "./context.js";
export { multiError } from "./context.js";

export async function execute(plan: Plan, w: ClusterWriter, o: ExecuteOptions): Promise<RemediationResult> {
  const store = await w.releases(plan.namespace, plan.release);
  const ctx = makeCtx(plan, w.kube, store, o);
  if (plan.refusal) return result(ctx, { outcome: "refused", errors: [plan.refusal] });
  try {
    switch (plan.action) {
      case "rerun-upgrade":
        return await executeUpgrade(ctx);
      case "rollback":
        return await executeRollback(ctx);
      case "restore-hook-resources":
        return await executeRestore(ctx);
      case "delete-leftover-hook":
        return await executeDeleteLeftovers(ctx);
    }
  } catch (e) {
    return result(ctx, { outcome: "failed", errors: [errorText(e)] });
  }
}
