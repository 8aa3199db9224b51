// The hook runner, as Helm's pkg/action/hooks.go execHook: the event's hooks by weight then name; default
// delete policy before-hook-creation (persisted); delete and wait until gone; last_run Running persisted
// before each create; create (server-side apply for `ssa` releases); wait for Job Complete / Pod Succeeded;
// on failure the hook-failed deletion and the deletion of the event's earlier hook-succeeded hooks; after all
// succeed, hook-succeeded deletions in reverse order.
import { errorText, type ObjectRef } from "../cluster/kubeclient.js";
import { goTime } from "../helm/gojson.js";
import { hooksFor } from "../helm/hooks.js";
import { refString } from "../helm/keys.js";
import type { Hook, Release } from "../helm/types.js";
import { type Ctx, multiError, shortRef } from "./context.js";
import { hookObject, type TargetObject } from "./objects.js";

const refOf = (t: TargetObject): ObjectRef => t.ref;

async function deleteHookObject(ctx: Ctx, t: TargetObject, why: string): Promise<void> {
  if (t.ref.kind === "CustomResourceDefinition") return;
  if (await ctx.kube.delete(refOf(t), "Background")) {
    ctx.emit("hook", `deleted ${refString(t.ref)} (${why})`);
    ctx.changes.push({ op: "delete", ref: shortRef(t.ref), detail: why });
  }
  await ctx.kube.waitForDeletion(refOf(t), ctx.timeout);
}

/**
 * Runs the hooks of one event; returns Helm's error text, or undefined when all succeeded. Mutates the hooks'
 * last_run; `persist` writes the release (Helm's recordRelease, whose failures are only logged).
 */
export async function runHooks(
  ctx: Ctx,
  rel: Release,
  event: string,
  persist: (r: Release) => Promise<void>,
  ssa: boolean,
): Promise<string | undefined> {
  const executing = hooksFor(rel.hooks, event);
  const ns = rel.namespace;
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
        return errorText(e);
      }
    }
    h.last_run = { started_at: stamp(), phase: "Running" };
    try {
      await persist(rel);
    } catch (e) {
      ctx.warnings.push(`could not record hook ${h.name} as running: ${errorText(e)}`);
    }
    h.last_run.phase = "Unknown";
    ctx.emit(
      "hook",
      `running ${event} hook ${h.name} (${h.kind}, weight ${h.weight ?? 0}, ${h.delete_policies.join(",")})`,
    );
    try {
      if (ssa) await ctx.kube.apply(t.object, { fieldManager: ctx.fieldManager, force: false });
      else await ctx.kube.create(t.object, { fieldManager: ctx.fieldManager });
      ctx.changes.push({ op: "create", ref: shortRef(t.ref), detail: `${event} hook` });
    } catch (e) {
      h.last_run.completed_at = stamp();
      h.last_run.phase = "Failed";
      return `warning: Hook ${event} ${h.path} failed: ${multiError([errorText(e)])}`;
    }
    try {
      await ctx.kube.watchUntilReady(refOf(t), ctx.timeout);
    } catch (e) {
      h.last_run.completed_at = stamp();
      h.last_run.phase = "Failed";
      const msg = errorText(e);
      ctx.emit("hook", `${event} hook ${h.name} failed: ${msg}`);
      if (has(h, "hook-failed")) {
        try {
          await deleteHookObject(ctx, t, "hook-failed");
        } catch (de) {
          ctx.warnings.push(`error deleting the hook resource on hook failure: ${errorText(de)}`);
        }
      }
      for (const earlier of executing.slice(0, i)) {
        const et = hookObject(earlier, rel, ns);
        if (!et || !has(earlier, "hook-succeeded")) continue;
        try {
          await deleteHookObject(ctx, et, "hook-succeeded");
        } catch (de) {
          return errorText(de);
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
      return errorText(e);
    }
  }
  return undefined;
}
