// Hooks as evidence: the object a stored hook describes, its live copy and pods, and one-line descriptions of
// them, their events and their last run. Shared by the analyzers; pure.
import { describeLastRun, effectiveDeletePolicies } from "../helm/hooks.js";
import { kindKey, type ResourceRef } from "../helm/keys.js";
import { type KubeObjectLike, parseYamlObject } from "../helm/manifest.js";
import type { Hook, Release } from "../helm/types.js";
import type { KubeEvent, KubeObject, SnapshotIndex } from "../snapshot/index.js";
import { readGap } from "./history.js";
import { missingObject } from "./pods.js";
import type { Evidence } from "./types.js";
import { ago, describeEvent, podRefs, podSpecOf } from "./workloads.js";

const hookObjects = new WeakMap<Hook, KubeObjectLike | null>();

/** The object a hook's stored manifest describes (parsed once). */
export function hookObject(h: Hook): KubeObjectLike | undefined {
  let o = hookObjects.get(h);
  if (o === undefined) {
    o = parseYamlObject(h.manifest).object ?? null;
    hookObjects.set(h, o);
  }
  return o ?? undefined;
}

/** Events that run again on an installed release (pre/post-install never do, short of a reinstall). */
export const RERUN_EVENTS: ReadonlySet<string> = new Set([
  "pre-upgrade",
  "post-upgrade",
  "pre-rollback",
  "post-rollback",
  "test",
  "pre-delete",
  "post-delete",
]);

export function hookNamespace(ix: SnapshotIndex, rel: Release, h: Hook): string {
  return hookObject(h)?.metadata?.namespace || rel.namespace || ix.namespace;
}

export function hookKey(ix: SnapshotIndex, rel: Release, h: Hook): string {
  return kindKey(h.kind, hookNamespace(ix, rel, h), h.name);
}

export function hookRef(ix: SnapshotIndex, rel: Release, h: Hook): ResourceRef {
  return { kind: h.kind, name: h.name, namespace: hookNamespace(ix, rel, h) };
}

/** The live object a hook created: hooks carry no ownership metadata, so match by kind and name. */
export function liveHook(ix: SnapshotIndex, rel: Release, h: Hook): KubeObject | undefined {
  return ix.get(h.kind, hookNamespace(ix, rel, h), h.name);
}

/** Pods of a live hook Job (owner references), or the hook Pod itself. */
export function hookPods(ix: SnapshotIndex, live: KubeObject | undefined): KubeObject[] {
  if (!live) return [];
  if (live.kind === "Pod") return [live];
  return ix.podsOf(live);
}

export function podKeys(ix: SnapshotIndex, pods: KubeObject[]): string[] {
  return pods.map((p) => kindKey("Pod", p.metadata?.namespace ?? ix.namespace, p.metadata?.name ?? ""));
}

/**
 * "Job x (chart/templates/job.yaml): events pre-upgrade, weight -5, delete policy …, last run Failed after 5m
 * (started …)"; with the index, also how long before the snapshot it started.
 */
export function hookLine(h: Hook, ix?: SnapshotIndex, skew = 0): string {
  const lr = h.last_run;
  let at = "";
  if (lr?.phase && lr.started_at) {
    // `skew`: how far the Helm client's clock (which wrote started_at) was behind the cluster's; the age is the
    // cluster's.
    const age = ix ? ix.ageMs(lr.started_at) - skew : Number.NaN;
    const when =
      skew !== 0 && Number.isFinite(Date.parse(lr.started_at))
        ? `${lr.started_at} by the Helm client's clock, ${new Date(Date.parse(lr.started_at) + skew).toISOString()} by the cluster's`
        : lr.started_at;
    at = ` (started ${when}${Number.isFinite(age) ? `, ${ago(age)}` : ""})`;
  }
  return `${h.kind} ${h.name} (${h.path}): ${hookSettings(h)}, ${lastRun(h)}${at}`;
}

/** "events pre-upgrade, weight -5, delete policy before-hook-creation (default)": how Helm runs a hook. */
export function hookSettings(h: Hook): string {
  const explicit = (h.delete_policies ?? []).length > 0;
  return (
    `events ${h.events.join(",")}, weight ${h.weight ?? 0}${rawWeightNote(h)}, ` +
    `delete policy ${effectiveDeletePolicies(h).join(",")}${explicit ? "" : " (default)"}`
  );
}

/** "last run Failed after 5m", with its start or completion time, or "never ran in this revision". */
export function lastRun(h: Hook, at?: "started" | "completed"): string {
  const lr = h.last_run;
  if (!lr?.phase) return "never ran in this revision";
  const t = at === "completed" ? lr.completed_at || undefined : at === "started" ? lr.started_at : undefined;
  return `last run ${describeLastRun(h)}${t ? ` at ${t}` : ""}`;
}

/** A hook's settings and last run in one line, after "is a hook (path): ". */
export function hookFacts(h: Hook, at?: "started" | "completed"): string {
  return `${hookSettings(h)}, ${lastRun(h, at)}`;
}

/** A weight annotation Helm could not read as an integer (it then counts as 0). */
function rawWeightNote(h: Hook): string {
  const raw = hookObject(h)?.metadata?.annotations?.["helm.sh/hook-weight"];
  if (raw === undefined) return "";
  if (typeof raw === "string" && /^[+-]?\d+$/.test(raw)) return "";
  return ` (annotation ${JSON.stringify(raw)} is not an integer string, so Helm uses 0)`;
}

export function hookEvidence(rel: Release, h: Hook): Evidence {
  return { source: `revision ${rel.version} hooks`, detail: hookLine(h) };
}

export function hasHelmOwnership(o: KubeObject): boolean {
  const a = o.metadata?.annotations ?? {};
  return Object.keys(a).some((k) => k.startsWith("meta.helm.sh/"));
}

function agoAt(ix: SnapshotIndex, ts: string | undefined): string {
  return ago(ix.ageMs(ts));
}

/** Warning events first, then the rest, most recent first. */
function sortedEvents(evs: KubeEvent[]): KubeEvent[] {
  const t = (e: KubeEvent) => Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? "") || 0;
  return [...evs].sort((a, b) => (a.type === b.type ? t(b) - t(a) : a.type === "Warning" ? -1 : 1));
}

/** Evidence lines for an object's events; Normal events only when `normal` is set. */
export function eventEvidence(
  ix: SnapshotIndex,
  o: KubeObject,
  opts: { normal?: boolean; max?: number; first?: (e: KubeEvent) => boolean } = {},
): Evidence[] {
  let evs = sortedEvents(ix.eventsFor(o)).filter((e) => opts.normal || e.type !== "Normal");
  if (opts.first) evs = [...evs.filter(opts.first), ...evs.filter((e) => !opts.first!(e))];
  const src = `${o.kind} ${o.metadata?.name ?? "?"} events`;
  return evs.slice(0, opts.max ?? 3).map((e) => ({ source: src, detail: describeEvent(ix, e) }));
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function containerLine(cs: any): string {
  const s = cs.state ?? {};
  if (s.terminated) {
    const t = s.terminated;
    const msg = t.message ? `: ${String(t.message).trim().split("\n").slice(-1)[0]}` : "";
    return `${cs.name} terminated${t.reason ? ` ${t.reason}` : ""} (exit code ${t.exitCode ?? "?"})${msg}`;
  }
  if (s.waiting)
    return `${cs.name} waiting: ${s.waiting.reason ?? "?"}${s.waiting.message ? ` (${s.waiting.message})` : ""}`;
  if (s.running) return `${cs.name} running${cs.ready === false ? ", not ready" : ""}`;
  return `${cs.name} in no known state`;
}

/** One line for a pod's phase and container states, and its warning events. */
export function podEvidence(ix: SnapshotIndex, pod: KubeObject, maxEvents = 2): Evidence[] {
  // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
  const st: any = pod.status ?? {};
  const cs = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])];
  const states = cs.length ? `; containers: ${cs.map(containerLine).join("; ")}` : "";
  const out: Evidence[] = [
    {
      source: `pod ${pod.metadata?.name ?? "?"}`,
      detail: `phase ${st.phase ?? "unknown"}${states}; created ${agoAt(ix, pod.metadata?.creationTimestamp)}`,
    },
  ];
  out.push(...eventEvidence(ix, pod, { max: maxEvents }));
  return out;
}

/** Pods in the same state share one line ("pods a, b, c: phase Failed; …"); events of the first of each. */
export function podsEvidence(
  ix: SnapshotIndex,
  pods: KubeObject[],
  maxGroups = 3,
  maxEvents = 2,
): Evidence[] {
  const groups = new Map<string, { names: string[]; pod: KubeObject }>();
  for (const p of pods) {
    const [main] = podEvidence(ix, p, 0);
    const key = main!.detail.replace(/; created [^;]*$/, "");
    const g = groups.get(key) ?? { names: [], pod: p };
    g.names.push(p.metadata?.name ?? "?");
    groups.set(key, g);
  }
  const out: Evidence[] = [];
  for (const g of [...groups.values()].slice(0, maxGroups)) {
    const [main, ...events] = podEvidence(ix, g.pod, maxEvents);
    out.push(
      g.names.length > 1
        ? {
            source: `pods ${g.names.join(", ")}`,
            detail: main!.detail.replace(/; created ([^;]*)$/, "; first created $1"),
          }
        : main!,
      ...events,
    );
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function jobCondition(job: KubeObject, type: string): any {
  // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
  return (job.status?.conditions ?? []).find((c: any) => c.type === type && c.status === "True");
}

/** What the live Job (or Pod) says about itself. */
export function liveHookEvidence(ix: SnapshotIndex, live: KubeObject): Evidence {
  const name = `${live.kind} ${live.metadata?.namespace ?? ix.namespace}/${live.metadata?.name}`;
  const created = `created ${agoAt(ix, live.metadata?.creationTimestamp)}`;
  if (live.kind !== "Job") {
    return {
      source: "live cluster",
      detail: `${name} exists (${created}), phase ${live.status?.phase ?? "?"}`,
    };
  }
  const st = live.status ?? {};
  const failed = jobCondition(live, "Failed");
  const complete = jobCondition(live, "Complete");
  const state = failed
    ? `condition Failed, reason ${failed.reason ?? "?"}${failed.message ? ` ("${failed.message}")` : ""}`
    : complete
      ? "condition Complete"
      : `no Complete or Failed condition, ${st.active ?? 0} active pod${st.active === 1 ? "" : "s"}`;
  const counts = `${st.succeeded ?? 0} succeeded, ${st.failed ?? 0} failed pod${st.failed === 1 ? "" : "s"}`;
  const limits = [
    live.spec?.backoffLimit !== undefined ? `backoffLimit ${live.spec.backoffLimit}` : "",
    live.spec?.activeDeadlineSeconds !== undefined
      ? `activeDeadlineSeconds ${live.spec.activeDeadlineSeconds}`
      : "",
  ].filter(Boolean);
  return {
    source: "live cluster",
    detail: `${name}: ${state}; ${counts}${limits.length ? `; ${limits.join(", ")}` : ""}; ${created}`,
  };
}

export function durationMs(h: Hook): number {
  const s = Date.parse(h.last_run?.started_at ?? "");
  const c = Date.parse(h.last_run?.completed_at ?? "");
  return Number.isFinite(s) && Number.isFinite(c) ? c - s : Number.NaN;
}

/** The name a Helm error message gives to the failing hook object, if any. */
export function nameInError(desc: string): { name?: string; path?: string } {
  const job = /\bjob (\S+) failed\b/.exec(desc);
  if (job) return { name: job[1]! };
  const pod = /\bpod (\S+) failed\b/.exec(desc);
  if (pod) return { name: pod[1]! };
  const h4 = /\bresource (?:Job|Pod)\/[^/\s]+\/(\S+?) not ready/.exec(desc);
  if (h4) return { name: h4[1]! };
  const create = /warning: Hook \S+ (\S+) failed/.exec(desc);
  if (create) return { path: create[1]! };
  return {};
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function jobState(j: any): string {
  const conds: { type: string; status: string; reason?: string; message?: string }[] =
    j.status?.conditions ?? [];
  const failed = conds.find(
    (c) => (c.type === "Failed" || c.type === "FailureTarget") && c.status === "True",
  );
  if (failed) return `Failed (${failed.reason ?? "?"}${failed.message ? `: ${failed.message}` : ""})`;
  const done = conds.find((c) => c.type === "Complete" && c.status === "True");
  if (done) return `Complete${j.status?.completionTime ? ` at ${j.status.completionTime}` : ""}`;
  const active = j.status?.active ?? 0;
  return active > 0
    ? `still running (${active} active pod${active > 1 ? "s" : ""})`
    : "not finished, no active pod";
}

/** "Running (CrashLoopBackOff)" */
// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function podState(p: any): string {
  const phase = p.status?.phase ?? "?";
  const waiting = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
    .map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason)
    .filter(Boolean);
  return waiting.length ? `${phase} (${[...new Set(waiting)].join(", ")})` : phase;
}

/** What the cluster shows for a hook object now: state, pods and recent warning events. */
export function hookLiveState(
  ix: SnapshotIndex,
  h: Hook,
  ns: string,
): { evidence: Evidence[]; live?: KubeObject } {
  const src = `live ${h.kind} ${ns}/${h.name}`;
  const obj = ix.get(h.kind, ns, h.name);
  if (!obj) {
    const gap = readGap(ix, h.kind);
    return {
      evidence: [
        {
          source: src,
          detail: gap
            ? `not found, but ${gap.what} could not be fully read (${gap.reason})`
            : "does not exist (a delete policy removed it, or it was never created); its logs are gone",
        },
      ],
    };
  }
  const ev: Evidence[] = [];
  const created = obj.metadata?.creationTimestamp;
  const age = ix.ageMs(created);
  const since = created ? `, created ${created}${Number.isFinite(age) ? ` (${ago(age)})` : ""}` : "";
  if (h.kind === "Job") ev.push({ source: src, detail: `${jobState(obj)}${since}` });
  else if (h.kind === "Pod") ev.push({ source: src, detail: `${podState(obj)}${since}` });
  else ev.push({ source: src, detail: `exists${since}` });
  const pods = h.kind === "Job" ? ix.children(obj).filter((c) => c.kind === "Pod") : [];
  for (const p of pods.slice(0, 3)) ev.push({ source: `pod ${p.metadata?.name}`, detail: podState(p) });
  const events = [obj, ...pods].flatMap((o) => ix.eventsFor(o)).filter((e) => e.type === "Warning");
  for (const e of events.slice(0, 3))
    ev.push({ source: `events of ${e.involved.kind} ${e.involved.name}`, detail: describeEvent(ix, e) });
  return { evidence: ev, live: obj };
}

/** Keys of a hook object and its pods (for `explains`). */
export function hookKeys(ix: SnapshotIndex, h: Hook, ns: string): string[] {
  const keys = [kindKey(h.kind, ns, h.name)];
  const obj = ix.get(h.kind, ns, h.name);
  if (obj && h.kind === "Job") {
    for (const p of ix.children(obj).filter((c) => c.kind === "Pod"))
      keys.push(kindKey("Pod", p.metadata?.namespace ?? ns, p.metadata?.name ?? ""));
  }
  return keys;
}

export interface Dependency {
  kind: "ServiceAccount" | "ConfigMap" | "Secret" | "PersistentVolumeClaim";
  name: string;
}

/** The objects a hook Job/Pod's pod spec depends on. */
export function hookDependencies(h: Hook): Dependency[] {
  if (h.kind !== "Job" && h.kind !== "Pod") return [];
  const r = podRefs(podSpecOf(hookObject(h)));
  const out: Dependency[] = [];
  if (r.serviceAccount && r.serviceAccount !== "default")
    out.push({ kind: "ServiceAccount", name: r.serviceAccount });
  for (const n of r.configMaps) out.push({ kind: "ConfigMap", name: n });
  for (const n of r.secrets) out.push({ kind: "Secret", name: n });
  for (const n of r.pvcs) out.push({ kind: "PersistentVolumeClaim", name: n });
  return out;
}

/** Does the event say (kubelet or controller words) that one of `deps` does not exist? */
export function eventNamesMissing(e: KubeEvent, deps: readonly { kind: string; name: string }[]): boolean {
  const m = missingObject(e.message);
  return !!m && deps.some((d) => d.kind === m.kind && d.name === m.name);
}

/** "uses ServiceAccount x as serviceAccountName": a hook's dependency, from its pod spec. */
export function usesEvidence(h: Hook, d: { kind: string; name: string }): Evidence {
  return {
    source: `${h.kind} ${h.name} spec`,
    detail: `uses ${d.kind} ${d.name}${d.kind === "ServiceAccount" ? " as serviceAccountName" : ""}`,
  };
}

/**
 * The hook where an operation Helm never finished failed: its record says Failed, or still says Running/Unknown
 * (the state execHook persists before it waits; a failed rollback or uninstall hook returns without writing the
 * record again) while its live Job has a Failed condition or its live Pod failed. A live copy older than the run
 * is a leftover of an earlier one and says nothing.
 */
export function failedUnfinishedHook(
  ix: SnapshotIndex,
  rel: Release,
  hooks: Hook[],
): { hook: Hook; live?: KubeObject } | undefined {
  for (const h of hooks) {
    const lr = h.last_run;
    if (!lr?.phase) continue;
    const started = Date.parse(lr.started_at ?? "");
    const begun = Date.parse(rel.info.last_deployed ?? "");
    if (Number.isFinite(started) && Number.isFinite(begun) && started < begun - 1000) continue;
    const live = liveHook(ix, rel, h);
    const fresh =
      live &&
      !(Number.isFinite(started) && Date.parse(live.metadata?.creationTimestamp ?? "") < started - 60_000);
    if (lr.phase === "Failed") return fresh ? { hook: h, live } : { hook: h };
    if (lr.phase !== "Running" && lr.phase !== "Unknown") continue;
    if (!fresh) continue;
    const failed =
      (live.kind === "Job" && !!jobCondition(live, "Failed")) ||
      (live.kind === "Pod" && live.status?.phase === "Failed");
    if (failed) return { hook: h, live };
  }
  return undefined;
}
