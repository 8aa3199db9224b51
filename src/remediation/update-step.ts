// Helm's per-object decisions in KubeClient.Update (pkg/kube/client.go), pure: create a missing object, patch
// an existing one (a three-way strategic merge patch for built-in kinds, a two-way JSON merge patch for the
// others, server-side apply for `ssa` releases) or leave it unchanged; delete a stale one unless the live object
// says `helm.sh/resource-policy: keep`. The executor (update.ts), the planner and the prediction share them.
import type { PatchType } from "../cluster/kubeclient.js";
import { createMergePatch } from "../cluster/mergepatch.js";
import { strategicSchema } from "../cluster/patchmeta.js";
import { createThreeWayMergePatch, type JsonMap } from "../cluster/strategicpatch.js";
import type { SnapshotIndex } from "../snapshot/index.js";
import type { KubeObject } from "../snapshot/types.js";
import { hasKeepPolicy } from "./objects.js";

export type ObjectStep =
  | { op: "create" }
  | { op: "apply" }
  | { op: "unchanged"; type: PatchType }
  | { op: "patch"; type: PatchType; patch: JsonMap; fields: string[] };

const asJson = (o: KubeObject) => o as unknown as JsonMap;

/**
 * What Update does with one target object. `original` is the object as the old manifest has it (undefined
 * for an object adopted from the cluster: the target is then its baseline, so nothing is removed from it).
 */
export function updateStep(
  original: KubeObject | undefined,
  target: KubeObject,
  live: KubeObject | undefined,
  method: "csa" | "ssa",
): ObjectStep {
  if (!live) return { op: "create" };
  if (method === "ssa") return { op: "apply" };
  const schema = strategicSchema(target.apiVersion, target.kind);
  const base = asJson(original ?? target);
  const type: PatchType = schema ? "strategic" : "merge";
  const patch = schema
    ? createThreeWayMergePatch(base, asJson(target), asJson(live), schema)
    : createMergePatch(base, asJson(target));
  if (Object.keys(patch).length === 0) return { op: "unchanged", type };
  return { op: "patch", type, patch, fields: Object.keys(patch).filter((k) => !k.startsWith("$")) };
}

/** What Update does with an object the old manifest has and the target lacks. */
export function staleStep(live: KubeObject | undefined): "gone" | "keep" | "delete" {
  if (!live) return "gone";
  return hasKeepPolicy(live) ? "keep" : "delete";
}

/**
 * updateStep, once per snapshot for the same update (`base` → `target` revision, object key, method) on the same
 * live object: the planner and the prediction of one plan ask the same question.
 */
export function memoUpdateStep(
  ix: SnapshotIndex,
  update: string,
  original: KubeObject | undefined,
  target: KubeObject,
  live: KubeObject | undefined,
  method: "csa" | "ssa",
): ObjectStep {
  const memo = ix.memo(
    "updateSteps",
    () => new Map<string, { live: KubeObject | undefined; step: ObjectStep }>(),
  );
  const key = `${update}|${method}`;
  const hit = memo.get(key);
  if (hit && hit.live === live) return hit.step;
  const step = updateStep(original, target, live, method);
  memo.set(key, { live, step });
  return step;
}
