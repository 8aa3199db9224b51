// The predicted state after a plan: from a Plan and the Snapshot it was made on, the Snapshot the cluster would
// show once the operation ran. Pure (no I/O; the snapshot's clock is "now"). It follows the executor's steps in
// Helm's order (pkg/action/upgrade.go, rollback.go, hooks.go; pkg/kube/client.go Update) on copies of the
// snapshot's records and objects:
// - the new release record and the statuses Helm writes (superseded, deployed; failed, or pending-rollback when a
//   rollback hook fails and Helm records nothing more);
// - the hooks that run, in order, with their predicted outcome: a Job or Pod hook whose spec is unchanged from a
//   run that failed fails again and the operation stops where Helm stops; one that succeeded before succeeds; one
//   never run with this spec is assumed to succeed (and the prediction says so);
// - the objects created, patched (the same patches the executor sends) and deleted, with their new content from
//   the stored manifest or hooks; an unchanged object whose apply failed in the failed latest revision fails again,
//   and so does a patch of an immutable field;
// - the workloads' pods (predict-workloads.ts): replaced when the template changes, started when what blocked
//   them now exists.
import { applyMergePatch } from "../cluster/mergepatch.js";
import { strategicSchema } from "../cluster/patchmeta.js";
import { applyStrategicMergePatch, deepEqual, type JsonMap } from "../cluster/strategicpatch.js";
import { recordLabels, recordName } from "../helm/codec.js";
import { goTime } from "../helm/gojson.js";
import { hasPolicy, hooksFor, isWaitedKind } from "../helm/hooks.js";
import { kindKey, type ResourceRef } from "../helm/keys.js";
import { parseYamlObject } from "../helm/manifest.js";
import type { Hook, Release, ReleaseRecord } from "../helm/types.js";
import { objectsNamedIn } from "../snapshot/build.js";
import { SnapshotIndex } from "../snapshot/index.js";
import type { KubeEvent, KubeObject, Snapshot } from "../snapshot/types.js";
import { hookObject, manifestObjectsShared, type TargetObject } from "./objects.js";
import { requesterSuffix } from "./plan.js";
import { settleWorkloads } from "./predict-workloads.js";
import type { Plan } from "./types.js";
import { memoUpdateStep, staleStep } from "./update-step.js";

export interface Prediction {
  /** The snapshot after the plan ran (records, objects, events; the same clock). */
  snapshot: Snapshot;
  /** Where the operation stops, as the error Helm would record; undefined when it completes. */
  failure?: string;
  /** Why it stops, for the person confirming: "rolling back re-runs the failing pre-rollback hook …". */
  why?: string;
  /** What had to be assumed: a hook never run with this spec succeeds, pods of a new template start. */
  assumptions: string[];
  /** Keys whose events are gone from the prediction (the object was replaced, deleted or started anew). */
  eventsDropped: ReadonlySet<string>;
  /** Events only the prediction has (a new pod that cannot mount what it needs). */
  eventsAdded: readonly KubeEvent[];
}

// ---------------------------------------------------------------- the state being changed

/** The cluster as the plan changes it: objects by kind/namespace/name, copied when changed, never mutated. */
export class World {
  readonly objects = new Map<string, KubeObject>();
  /** Keys whose events describe an object that is gone or was replaced: the prediction drops them. */
  readonly stale = new Set<string>();
  /** Keys of objects the plan created, replaced or patched. */
  readonly touched = new Set<string>();
  /** Hook Jobs that ran and succeeded in the plan (what a migration hook fixes). */
  readonly succeededJobs: string[] = [];
  /** Kinds whose CustomResourceDefinition the plan created or changed. */
  readonly createdKinds = new Set<string>();
  readonly assumptions: string[] = [];
  /** Events the predicted pods would show (a new pod that cannot mount what it needs). */
  readonly events: KubeEvent[] = [];
  private readonly byOwner = new Map<string, Set<string>>();
  private seq = 0;

  /** The snapshot's own objects (the original index answers for them). */
  readonly original: ReadonlySet<KubeObject>;

  constructor(
    readonly namespace: string,
    objects: KubeObject[],
    readonly now: Date,
  ) {
    for (const o of objects) this.index(this.keyOf(o), o);
    this.original = new Set(objects);
  }

  keyOf(o: KubeObject): string {
    return kindKey(o.kind ?? "", o.metadata?.namespace ?? this.namespace, o.metadata?.name ?? "");
  }

  private index(key: string, o: KubeObject): void {
    this.objects.set(key, o);
    for (const ref of o.metadata?.ownerReferences ?? []) {
      if (!ref.uid) continue;
      const s = this.byOwner.get(ref.uid) ?? new Set<string>();
      s.add(key);
      this.byOwner.set(ref.uid, s);
    }
  }

  get(kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(kindKey(kind, namespace ?? this.namespace, name));
  }

  getRef(r: ResourceRef): KubeObject | undefined {
    return this.get(r.kind, r.namespace, r.name);
  }

  /** Objects owned (controller or not) by `o`. */
  children(o: KubeObject): KubeObject[] {
    const uid = o.metadata?.uid;
    if (!uid) return [];
    const out: KubeObject[] = [];
    for (const k of this.byOwner.get(uid) ?? []) {
      const c = this.objects.get(k);
      if (c?.metadata?.ownerReferences?.some((r) => r.uid === uid)) out.push(c);
    }
    return out;
  }

  /** Put an object (new or a changed copy); a different uid means the old object was deleted and recreated. */
  put(o: KubeObject): KubeObject {
    const key = this.keyOf(o);
    const old = this.objects.get(key);
    if (old && old.metadata?.uid !== o.metadata?.uid) {
      this.stale.add(key);
      this.removeChildren(old);
    }
    this.touched.add(key);
    this.index(key, o);
    if (o.kind === "CustomResourceDefinition" && o.spec?.names?.kind)
      this.createdKinds.add(o.spec.names.kind);
    return o;
  }

  /** Delete with background propagation: dependents (ReplicaSets, pods) go with it. */
  remove(o: KubeObject): void {
    const key = this.keyOf(o);
    if (this.objects.get(key) !== o) return;
    this.objects.delete(key);
    this.stale.add(key);
    this.touched.add(key);
    this.removeChildren(o);
  }

  private removeChildren(o: KubeObject): void {
    for (const c of this.children(o)) this.remove(c);
  }

  /** A fresh object as the API server would store it: uid, creation time, generation. */
  created(o: KubeObject): KubeObject {
    const c = structuredClone(o);
    c.metadata ??= {};
    c.metadata.namespace ??= this.namespace;
    c.metadata.uid = `predicted-${++this.seq}`;
    c.metadata.creationTimestamp = this.now.toISOString();
    c.metadata.generation = 1;
    delete c.metadata.resourceVersion;
    return c;
  }

  uid(): string {
    return `predicted-${++this.seq}`;
  }
}

// ---------------------------------------------------------------- records

interface Records {
  list: ReleaseRecord[];
}

function releaseOf(rec: ReleaseRecord): Release | undefined {
  return rec.release;
}

/** Replace revision `rel`'s record with one whose release has `status` (and `description`). */
function setStatus(recs: Records, rel: Release, status: string, description?: string): Release {
  const i = recs.list.findIndex((r) => releaseOf(r)?.version === rel.version);
  const next: Release = {
    ...rel,
    info: { ...rel.info, status, ...(description !== undefined ? { description } : {}) },
  };
  if (i >= 0) {
    const rec = recs.list[i]!;
    recs.list[i] = { ...rec, labels: { ...rec.labels, status }, release: next };
  }
  return next;
}

function addRecord(recs: Records, like: ReleaseRecord | undefined, rel: Release, now: Date): void {
  const driver = like?.driver ?? "secret";
  recs.list.push({
    driver,
    objectName: recordName(rel.name, rel.version),
    objectNamespace: like?.objectNamespace ?? rel.namespace,
    labels: recordLabels(rel, rel.labels),
    creationTimestamp: now.toISOString(),
    encodedSize: like?.encodedSize ?? 0,
    release: rel,
  });
}

function recordOf(recs: Records, version: number): ReleaseRecord | undefined {
  return recs.list.find((r) => releaseOf(r)?.version === version);
}

// ---------------------------------------------------------------- hooks

/** Does a hook manifest describe the same object spec as another (the hook "has not changed")? */
function sameSpec(a: string, b: string): boolean {
  if (a === b) return true;
  const x = parseYamlObject(a).object;
  const y = parseYamlObject(b).object;
  return !!x && !!y && deepEqual(x.spec, y.spec) && deepEqual(x.kind, y.kind);
}

/** Is every field of `want` in `have` with the same value (lists: each wanted entry found)? */
export function covers(have: unknown, want: unknown): boolean {
  if (want === undefined) return true;
  if (want === null || typeof want !== "object") {
    if (have === want) return true;
    // Quantities and ports written as numbers or strings.
    return (
      (typeof have === "number" || typeof have === "string") &&
      (typeof want === "number" || typeof want === "string") &&
      String(have) === String(want)
    );
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(have)) return want.length === 0 && (have === undefined || have === null);
    return want.every((w) => have.some((h) => covers(h, w)));
  }
  if (have === null || typeof have !== "object" || Array.isArray(have)) return false;
  const h = have as Record<string, unknown>;
  return Object.entries(want as Record<string, unknown>).every(([k, v]) => covers(h[k], v));
}

interface HookVerdict {
  ok: boolean;
  /** Helm's error text for the failure (the part after "<event> hooks failed: "). */
  error?: string;
  /** The failure in words: "it failed with BackoffLimitExceeded and has not changed". */
  because?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function jobCondition(o: any, type: string): { reason?: string; message?: string } | undefined {
  return (o?.status?.conditions ?? []).find(
    (c: { type: string; status: string }) => c.type === type && c.status === "True",
  );
}

/** How the last run of this hook's spec ended: the live object when it is that run, else the records. */
function lastOutcome(
  ix: SnapshotIndex,
  h: Hook,
  t: TargetObject,
): { ok: boolean; reason?: string; timedOut?: boolean } | undefined {
  const live = ix.get(t.ref.kind, t.ref.namespace ?? ix.namespace, t.ref.name);
  // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
  const want = (t.object as any).spec;
  if (live && covers(live.spec, want)) {
    if (t.ref.kind === "Job") {
      const failed = jobCondition(live, "Failed");
      if (failed) return { ok: false, reason: failed.reason ?? "BackoffLimitExceeded" };
      if (jobCondition(live, "Complete")) return { ok: true };
    } else if (t.ref.kind === "Pod") {
      if (live.status?.phase === "Failed") return { ok: false, reason: "pod failed" };
      if (live.status?.phase === "Succeeded") return { ok: true };
    }
  }
  for (let i = ix.releases.length - 1; i >= 0; i--) {
    const r = ix.releases[i]!;
    const hh = (r.hooks ?? []).find((x) => x.kind === h.kind && x.name === h.name);
    if (!hh || !sameSpec(hh.manifest, h.manifest)) continue;
    const phase = hh.last_run?.phase;
    if (phase === "Succeeded") return { ok: true };
    if (phase === "Failed") {
      const d = r.info.description ?? "";
      const m = new RegExp(
        `(?:job|pod) ${h.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} failed(?:: (\\w+))?`,
      ).exec(d);
      if (m) return { ok: false, reason: m[1] ?? "failed" };
      if (/timed out waiting for the condition|context deadline exceeded/.test(d))
        return { ok: false, reason: "timed out", timedOut: true };
    }
  }
  return undefined;
}

function hookVerdict(ix: SnapshotIndex, w: World, h: Hook, t: TargetObject, event: string): HookVerdict {
  if (!isWaitedKind(h.kind)) return { ok: true };
  const last = lastOutcome(ix, h, t);
  if (!last) {
    w.assumptions.push(
      `the ${event} hook ${h.kind} ${h.name} has not run with this spec before: assumed to succeed`,
    );
    return { ok: true };
  }
  if (last.ok) return { ok: true };
  const error = last.timedOut
    ? "timed out waiting for the condition"
    : h.kind === "Job"
      ? `job ${h.name} failed: ${last.reason}`
      : `pod ${h.name} failed`;
  const because = last.timedOut
    ? "it timed out last time and has not changed"
    : `it failed${last.reason && last.reason !== "failed" && last.reason !== "pod failed" ? ` with ${last.reason}` : ""} and has not changed`;
  return { ok: false, error: `1 error occurred:\n\t* ${error}\n\n`, because };
}

/** The hook's object after a run: a Job Complete or Failed, a Pod Succeeded or Failed, other kinds as stored. */
function ranObject(w: World, t: TargetObject, ok: boolean, reason?: string): KubeObject {
  const o = w.created(t.object);
  const at = w.now.toISOString();
  if (t.ref.kind === "Job")
    o.status = ok
      ? {
          succeeded: 1,
          startTime: at,
          completionTime: at,
          conditions: [{ type: "Complete", status: "True", lastTransitionTime: at }],
        }
      : {
          failed: 1,
          startTime: at,
          conditions: [
            {
              type: "Failed",
              status: "True",
              reason: reason ?? "BackoffLimitExceeded",
              lastTransitionTime: at,
            },
          ],
        };
  else if (t.ref.kind === "Pod") o.status = { phase: ok ? "Succeeded" : "Failed", startTime: at };
  return o;
}

interface HookFailure {
  error: string;
  why: string;
}

/** Helm's execHook for one event on the predicted state; the failure where Helm would stop. */
function runHooks(
  ix: SnapshotIndex,
  w: World,
  rel: Release,
  event: string,
  verbing: string,
  /** Helm 4 `ssa` releases apply hook objects instead of creating them. */
  ssa: boolean,
): HookFailure | undefined {
  const executing = hooksFor(rel.hooks, event);
  const ns = rel.namespace || ix.namespace;
  const stamp = goTime(w.now);
  const done: { h: Hook; t: TargetObject }[] = [];
  for (const h of executing) {
    const t = hookObject(h, rel, ns);
    if (!t) continue;
    const live = w.getRef(t.ref);
    if (live && !hasPolicy(h, "before-hook-creation") && ssa) {
      // Server-side apply patches the object in the way: a Job's or Pod's changed pod spec is immutable.
      const field =
        h.kind === "Job"
          ? !deepEqual(live.spec?.template?.spec, t.object.spec?.template?.spec) &&
            !covers(live.spec, t.object.spec)
          : h.kind === "Pod" && !covers(live.spec, t.object.spec);
      if (field) {
        h.last_run = { started_at: stamp, completed_at: stamp, phase: "Failed" };
        return {
          error: `warning: Hook ${event} ${h.path} failed: ${h.kind} "${h.name}" is invalid: spec.template: Invalid value: field is immutable`,
          why: `${verbing} applies the ${event} hook ${h.kind} ${h.name} over the one an earlier run left, whose pod template differs and cannot change (the hook has no before-hook-creation policy)`,
        };
      }
    } else if (live && !hasPolicy(h, "before-hook-creation")) {
      h.last_run = { started_at: stamp, completed_at: stamp, phase: "Failed" };
      return {
        error: `warning: Hook ${event} ${h.path} failed: 1 error occurred:\n\t* ${h.kind.toLowerCase()}s "${h.name}" already exists\n\n`,
        why: `${verbing} runs the ${event} hook ${h.kind} ${h.name}, but the one from an earlier run is still there and the hook has no before-hook-creation policy: creating it fails with "already exists"`,
      };
    }
    if (live) w.remove(live);
    const v = hookVerdict(ix, w, h, t, event);
    const obj = ranObject(w, t, v.ok, v.error ? /: (\w+)\n/.exec(v.error)?.[1] : undefined);
    h.last_run = { started_at: stamp, completed_at: stamp, phase: v.ok ? "Succeeded" : "Failed" };
    w.put(obj);
    if (!v.ok) {
      if (hasPolicy(h, "hook-failed")) w.remove(obj);
      for (const e of done) if (hasPolicy(e.h, "hook-succeeded")) removeRef(w, e.t.ref);
      return {
        error: v.error!,
        why: `${verbing} re-runs the failing ${event} hook ${h.name}: ${v.because}`,
      };
    }
    if (h.kind === "Job") w.succeededJobs.push(h.name);
    done.push({ h, t });
  }
  for (let i = done.length - 1; i >= 0; i--)
    if (hasPolicy(done[i]!.h, "hook-succeeded")) removeRef(w, done[i]!.t.ref);
  return undefined;
}

function removeRef(w: World, r: ResourceRef): void {
  const o = w.getRef(r);
  if (o) w.remove(o);
}

// ---------------------------------------------------------------- the manifest update

// Fields the API server refuses to change (…: field is immutable): a Job's template and selector, a workload's
// selector, a StatefulSet's spec except the fields it lets change, a PVC's spec except its requests.
const STS_MUTABLE = new Set([
  "replicas",
  "template",
  "updateStrategy",
  "persistentVolumeClaimRetentionPolicy",
  "minReadySeconds",
  "ordinals",
]);

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function immutableChange(kind: string, before: any, after: any): string | undefined {
  const a = before?.spec ?? {};
  const b = after?.spec ?? {};
  const changed = (f: string) => !deepEqual(a[f], b[f]) && a[f] !== undefined;
  switch (kind) {
    case "Job":
      if (changed("template")) return "spec.template";
      if (changed("selector")) return "spec.selector";
      return undefined;
    case "Deployment":
    case "ReplicaSet":
    case "DaemonSet":
      return changed("selector") ? "spec.selector" : undefined;
    case "StatefulSet":
      for (const f of new Set([...Object.keys(a), ...Object.keys(b)]))
        if (!STS_MUTABLE.has(f) && changed(f)) return `spec.${f}`;
      return undefined;
    case "PersistentVolumeClaim":
      for (const f of new Set([...Object.keys(a), ...Object.keys(b)]))
        if (f !== "resources" && f !== "volumeAttributesClassName" && changed(f)) return `spec.${f}`;
      return undefined;
    default:
      return undefined;
  }
}

/** The apply errors the failed latest revision recorded, by the object they name (kind/name). */
function recordedApplyErrors(ix: SnapshotIndex): Map<string, { rel: Release; text: string }> {
  const out = new Map<string, { rel: Release; text: string }>();
  const latest = ix.latest();
  if (latest?.info.status !== "failed") return out;
  const d = latest.info.description ?? "";
  // Only the API server's verdicts on the object's content (admission, validation, policy): a hook's or --wait's
  // failure, or Helm's own client-side errors, are not about the object.
  if (/hooks failed|timed out waiting|context deadline exceeded/.test(d)) return out;
  if (!/admission webhook|denied the request|is forbidden|is invalid/.test(d)) return out;
  for (const o of objectsNamedIn(d, latest.namespace || ix.namespace))
    out.set(`${o.kind}/${o.name}`, { rel: latest, text: d });
  for (const m of d.matchAll(/cannot patch "([^"]+)" with kind (\w+)/g))
    out.set(`${m[2]}/${m[1]}`, { rel: latest, text: d });
  return out;
}

function predictedObject(
  live: KubeObject,
  target: KubeObject,
  patch: JsonMap | undefined,
  ssa: boolean,
): KubeObject {
  let next: KubeObject;
  if (ssa || !patch) {
    // Server-side apply: the applied fields win, the rest stays.
    next = { ...live, ...structuredClone(target), metadata: { ...live.metadata, ...target.metadata } };
    if (live.status !== undefined) next.status = live.status;
  } else {
    const schema = strategicSchema(target.apiVersion, target.kind);
    next = (schema
      ? applyStrategicMergePatch(live as unknown as JsonMap, patch, schema)
      : applyMergePatch(structuredClone(live) as unknown as JsonMap, patch)) as unknown as KubeObject;
  }
  next.metadata = { ...(next.metadata ?? {}) };
  if (!deepEqual(next.spec, live.spec)) next.metadata.generation = (live.metadata?.generation ?? 1) + 1;
  return next;
}

interface UpdateFailure {
  error: string;
  why: string;
}

/** KubeClient.Update(current, target) on the predicted state; the error Helm would record, if any. */
function update(
  ix: SnapshotIndex,
  w: World,
  current: TargetObject[],
  target: TargetObject[],
  ssa: boolean,
  verbing: string,
  /** "<base revision>><target revision>", as the planner names the same update. */
  name: string,
): UpdateFailure | undefined {
  const curByKey = new Map(current.map((c) => [c.key, c]));
  const tgtKeys = new Set(target.map((t) => t.key));
  const recorded = recordedApplyErrors(ix);
  const errors: string[] = [];
  const whys: string[] = [];
  for (const t of target) {
    const live = w.getRef(t.ref);
    const orig = curByKey.get(t.key)?.object;
    const again = recorded.get(`${t.ref.kind}/${t.ref.name}`);
    if (again) {
      const before = ix
        .manifest(again.rel)
        .find((d) => d.kind === t.ref.kind && d.name === t.ref.name)?.object;
      if (before && deepEqual(before.spec ?? before.data, (t.object as KubeObject).spec ?? t.object.data)) {
        errors.push(again.text.replace(/^(Upgrade|Rollback) "[^"]*" failed: /, ""));
        whys.push(
          `${verbing} applies ${t.ref.kind} ${t.ref.name} again exactly as revision ${again.rel.version} had it, and that failed: "${oneLine(again.text)}"`,
        );
        if (!live) return { error: errors.join(" && "), why: whys.join("; ") };
        continue;
      }
    }
    const step = memoUpdateStep(ix, `${name}:${t.key}`, orig, t.object, live, ssa ? "ssa" : "csa");
    if (step.op === "create") {
      w.put(w.created(t.object));
      continue;
    }
    if (step.op === "unchanged" || !live) continue;
    const next = predictedObject(
      live,
      t.object,
      step.op === "patch" ? step.patch : undefined,
      step.op === "apply",
    );
    const field = immutableChange(t.ref.kind, live, next);
    if (field) {
      errors.push(
        `cannot patch "${t.ref.name}" with kind ${t.ref.kind}: ${t.ref.kind} "${t.ref.name}" is invalid: ${field}: Invalid value: field is immutable`,
      );
      whys.push(
        `${verbing} changes ${t.ref.kind} ${t.ref.name}'s ${field}, which the API server refuses to change`,
      );
      continue;
    }
    w.put(next);
  }
  if (errors.length > 0) return { error: errors.join(" && "), why: whys.join("; ") };
  for (const c of current) {
    if (tgtKeys.has(c.key)) continue;
    const live = w.getRef(c.ref);
    if (staleStep(live) === "delete") w.remove(live!);
  }
  return undefined;
}

function oneLine(s: string): string {
  const t = s
    .replace(/\s*\n\s*\*?\s*/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}

// ---------------------------------------------------------------- the operations

interface Outcome {
  failure?: string;
  why?: string;
}

function revisionOperation(ix: SnapshotIndex, w: World, recs: Records, plan: Plan): Outcome {
  const upgrade = plan.action === "rerun-upgrade";
  const latest = ix.latest()!;
  const src = ix.revision(plan.sourceRevision!)!;
  const cur = ix.revision(plan.currentRevision!) ?? latest;
  const suffix = requesterSuffix(plan.requestedBy);
  const stamp = goTime(w.now);
  const base = upgrade ? cur : latest;
  let rel: Release = {
    ...src,
    info: {
      ...(base.info.first_deployed ? { first_deployed: base.info.first_deployed } : {}),
      last_deployed: stamp,
      description: upgrade ? `Preparing upgrade${suffix}` : `Rollback to ${src.version}${suffix}`,
      status: upgrade ? "pending-upgrade" : "pending-rollback",
      ...(src.info.notes ? { notes: src.info.notes } : {}),
    },
    version: plan.newRevision!,
    namespace: src.namespace || ix.namespace,
    labels: { ...((upgrade ? latest.labels : src.labels) ?? {}) },
    ...(src.hooks ? { hooks: src.hooks.map((h) => ({ ...h })) } : {}),
  };
  addRecord(recs, recordOf(recs, latest.version), rel, w.now);
  const op = upgrade ? "upgrade" : "rollback";
  const verbing = upgrade ? "re-running the upgrade" : `rolling back to revision ${src.version}`;
  const ns = ix.namespace;
  const current = manifestObjectsShared(upgrade ? cur : latest, ns, false).objects;
  const target = manifestObjectsShared(rel, ns, true).objects;
  const ssa = plan.applyMethod === "ssa";

  const fail = (err: string, why: string): Outcome => {
    const what = upgrade ? "Upgrade" : "Rollback";
    rel = setStatus(recs, rel, "failed", `${`${what} "${rel.name}" failed: ${err}`.trimEnd()}${suffix}`);
    return { failure: err.trim(), why };
  };
  // A failed rollback hook returns at once: the record stays pending-rollback (Helm records nothing more).
  const stuck = (err: string, why: string): Outcome => {
    setStatus(recs, rel, rel.info.status);
    return {
      failure: err.trim(),
      why: `${why}; revision ${rel.version} would stay pending-rollback`,
    };
  };

  const pre = runHooks(ix, w, rel, `pre-${op}`, verbing, ssa);
  if (pre)
    return upgrade ? fail(`pre-upgrade hooks failed: ${pre.error}`, pre.why) : stuck(pre.error, pre.why);
  const upd = update(
    ix,
    w,
    current,
    target,
    ssa,
    verbing,
    `${(upgrade ? cur : latest).version}>${src.version}`,
  );
  if (upd) {
    if (!upgrade && latest.info.status !== "superseded") setStatus(recs, latest, "superseded");
    return fail(upd.error, upd.why);
  }
  const post = runHooks(ix, w, rel, `post-${op}`, verbing, ssa);
  if (post)
    return upgrade ? fail(`post-upgrade hooks failed: ${post.error}`, post.why) : stuck(post.error, post.why);
  if (upgrade) {
    if (cur.version !== rel.version) setStatus(recs, cur, "superseded");
  } else {
    for (const r of recs.list) {
      const x = releaseOf(r);
      if (x && x.version !== rel.version && x.info.status === "deployed") setStatus(recs, x, "superseded");
    }
  }
  rel = setStatus(
    recs,
    rel,
    "deployed",
    upgrade ? `Upgrade complete${suffix}` : `Rollback to ${src.version}${suffix}`,
  );
  return {};
}

function restore(ix: SnapshotIndex, w: World, plan: Plan): Outcome {
  const rel = ix.revision(plan.sourceRevision!);
  if (!rel) return {};
  for (const c of plan.changes) {
    if (c.op !== "create") continue;
    const h = (rel.hooks ?? []).find((x) => x.kind === c.ref.kind && x.name === c.ref.name);
    const t = h && hookObject(h, rel, ix.namespace);
    if (t && !w.getRef(t.ref)) w.put(w.created(t.object));
  }
  return {};
}

function deleteLeftovers(w: World, plan: Plan): Outcome {
  for (const c of plan.changes) if (c.op === "delete") removeRef(w, c.ref);
  return {};
}

/** The plan carried out on the snapshot, with where it stops and what had to be assumed. */
export function simulate(plan: Plan, snapshot: Snapshot, index?: SnapshotIndex): Prediction {
  if (plan.refusal)
    return {
      snapshot,
      failure: plan.refusal,
      why: `it would be refused: ${plan.refusal}`,
      assumptions: [],
      eventsDropped: new Set(),
      eventsAdded: [],
    };
  const ix = index ?? new SnapshotIndex(snapshot);
  const w = new World(snapshot.namespace, snapshot.objects, snapshot.now);
  const recs: Records = { list: [...snapshot.records] };
  let out: Outcome;
  switch (plan.action) {
    case "rerun-upgrade":
    case "rollback":
      out = revisionOperation(ix, w, recs, plan);
      break;
    case "restore-hook-resources":
      out = restore(ix, w, plan);
      break;
    case "delete-leftover-hook":
      out = deleteLeftovers(w, plan);
      break;
  }
  settleWorkloads(ix, w);
  const objects = [...w.objects.values()];
  // A failed command's output is about the attempt before this plan: after it, Helm would not print it again.
  const { helmOutput: _before, ...rest } = snapshot;
  const predicted: Snapshot = {
    ...rest,
    records: recs.list,
    objects,
    gaps: [...snapshot.gaps],
    source: `${snapshot.source} (predicted after ${plan.action})`,
  };
  // The events of replaced, deleted or started objects are history; new pods may have their own. Read only when
  // asked for: an index derived from the snapshot's own takes them from there (eventsDropped, eventsAdded).
  let events: KubeEvent[] | undefined;
  Object.defineProperty(predicted, "events", {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!events) {
        const dropped = new Set<KubeEvent>();
        for (const k of w.stale) for (const e of ix.eventsForKey(k)) dropped.add(e);
        const kept = dropped.size > 0 ? snapshot.events.filter((e) => !dropped.has(e)) : snapshot.events;
        events = w.events.length > 0 ? kept.concat(w.events) : kept;
      }
      return events;
    },
  });
  // Records known by their labels only keep their status unless the plan changed it.
  if (snapshot.unread && plan.action === "rollback" && !out.failure)
    predicted.unread = snapshot.unread.map((u) =>
      u.status === "deployed" ? { ...u, status: "superseded" } : u,
    );
  return {
    snapshot: predicted,
    ...(out.failure ? { failure: out.failure } : {}),
    ...(out.why ? { why: out.why } : {}),
    assumptions: w.assumptions,
    eventsDropped: w.stale,
    eventsAdded: w.events,
  };
}

/** The snapshot after the plan (see `simulate` for where it stops and what it assumed). */
export function predict(plan: Plan, snapshot: Snapshot): Snapshot {
  return simulate(plan, snapshot).snapshot;
}
