// Shared shape of the live-workload analyzers: group a release's problem pods by workload,
// find the revision whose pod template they run (and what that revision changed), and whether they block a
// Deployment's rollout.
import { kindKey, type ResourceRef } from "../helm/keys.js";
import type { Release } from "../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../snapshot/index.js";
import type { Analyzer } from "./analyzer.js";
import { failedHookEvent, failureKeys, isTimeoutText, lastGoodBefore } from "./history.js";
import { classifyPod, type PodProblem, type PodProblemCode, podRefKey } from "./pods.js";
import type { Evidence, Finding, Remediation, Severity } from "./types.js";
import { ago, describeEvent, fmtAge, type ReleaseWorkload, releaseWorkloads } from "./workloads.js";

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
type Any = any;

/**
 * Folding key for "the rollout of Deployment ns/name". Findings about pods of the newest ReplicaSet explain it,
 * so a `rollout-stalled` finding becomes evidence of the pod problem that stalls it.
 */
export function rolloutKey(namespace: string, name: string): string {
  return kindKey("Rollout", namespace, name);
}

export function isPodReady(p: KubeObject): boolean {
  return (p.status?.conditions ?? []).some((c: Any) => c.type === "Ready" && c.status === "True");
}

// ---- rollouts ----

export interface Rollout {
  deployment: KubeObject;
  /** The ReplicaSet with the highest deployment.kubernetes.io/revision: the template being rolled out. */
  newRs?: KubeObject;
  oldRs: KubeObject[];
  newPods: KubeObject[];
  oldPods: KubeObject[];
  /** Deployment condition Progressing, if the controller wrote one. */
  progressing?: { status: string; reason?: string; message?: string; lastUpdateTime?: string };
  available?: { status: string; reason?: string; message?: string };
}

function rsRevision(rs: KubeObject): number {
  const v = Number(rs.metadata?.annotations?.["deployment.kubernetes.io/revision"]);
  return Number.isFinite(v) ? v : 0;
}

export function rolloutOf(ix: SnapshotIndex, deployment: KubeObject): Rollout {
  const rss = ix
    .children(deployment)
    .filter((c) => c.kind === "ReplicaSet")
    .sort(
      (a, b) =>
        rsRevision(b) - rsRevision(a) ||
        Date.parse(b.metadata?.creationTimestamp ?? "") - Date.parse(a.metadata?.creationTimestamp ?? ""),
    );
  const [newRs, ...oldRs] = rss;
  const podsOf = (rs: KubeObject | undefined) => (rs ? ix.children(rs).filter((p) => p.kind === "Pod") : []);
  const cond = (t: string) => (deployment.status?.conditions ?? []).find((c: Any) => c.type === t);
  const r: Rollout = {
    deployment,
    oldRs,
    newPods: podsOf(newRs),
    oldPods: oldRs.flatMap((rs) => podsOf(rs)),
  };
  if (newRs) r.newRs = newRs;
  const p = cond("Progressing");
  if (p) r.progressing = p;
  const a = cond("Available");
  if (a) r.available = a;
  return r;
}

/** "new ReplicaSet web-5d8f: 0 of 2 pods ready; old ReplicaSet web-6c8f still serves 2 ready pods" */
export function rolloutSummary(r: Rollout): string {
  const name = (o: KubeObject | undefined) => o?.metadata?.name ?? "?";
  const want = r.newRs?.spec?.replicas ?? r.newPods.length;
  const parts = [
    `new ReplicaSet ${name(r.newRs)}: ${r.newPods.filter(isPodReady).length} of ${want} pod${want === 1 ? "" : "s"} ready`,
  ];
  const oldReady = r.oldPods.filter(isPodReady).length;
  const withPods = r.oldRs.filter((rs) => r.oldPods.some((p) => ownerName(p) === rs.metadata?.name));
  if (withPods.length > 0)
    parts.push(
      oldReady > 0
        ? `old ReplicaSet ${withPods.map(name).join(", ")} still serves ${oldReady} ready pod${oldReady === 1 ? "" : "s"}`
        : `old ReplicaSet ${withPods.map(name).join(", ")} has no ready pod`,
    );
  return parts.join("; ");
}

function ownerName(o: KubeObject): string | undefined {
  return (
    o.metadata?.ownerReferences?.find((r) => r.controller)?.name ?? o.metadata?.ownerReferences?.[0]?.name
  );
}

// ---- pod templates across revisions ----

/** The pod template ({metadata, spec}) of a manifest workload. */
export function podTemplateOf(o: Any): Any {
  if (!o) return undefined;
  if (o.kind === "Pod") return { metadata: o.metadata, spec: o.spec };
  if (o.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template;
  return o.spec?.template;
}

/** JSON with sorted keys, for comparing parsed templates. */
// The templates of stored manifests are parsed once and shared read-only: each is canonicalised once.
const canonicalOf = new WeakMap<object, string>();

/** canonical() of a stored manifest's template (shared, never changed). */
function canonicalStored(v: unknown): string {
  if (!v || typeof v !== "object") return canonical(v);
  let c = canonicalOf.get(v);
  if (c === undefined) {
    c = canonical(v);
    canonicalOf.set(v, c);
  }
  return c;
}

export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x as object)
            .sort()
            .map((k) => [k, (x as Record<string, unknown>)[k]]),
        )
      : x,
  );
}

function containersOf(spec: Any): Any[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** "init:migrate=app:1 web=nginx:1.17" — the images a pod spec runs, by container. */
export function imagesKey(spec: Any): string {
  return containersOf(spec)
    .map((c: Any) => `${c.name}=${c.image}`)
    .sort()
    .join(" ");
}

export interface HistoryEntry {
  rel: Release;
  /** The workload as rendered in that revision's manifest. */
  object: Any;
  template: Any;
  /** Template path, e.g. shop/templates/deployment.yaml */
  source?: string;
}

/** The workload as each stored revision rendered it (ascending; revisions without it are skipped). */
export function workloadHistory(
  ix: SnapshotIndex,
  w: { kind: string; name: string; namespace: string },
): HistoryEntry[] {
  // Every pod analyzer's groups of a workload ask: once per index.
  const memo = ix.memo("workloadHistory", () => new Map<string, HistoryEntry[]>());
  const key = `${w.kind}/${w.namespace}/${w.name}`;
  let h = memo.get(key);
  if (!h) {
    h = workloadHistoryUncached(ix, w);
    memo.set(key, h);
  }
  return h;
}

function workloadHistoryUncached(
  ix: SnapshotIndex,
  w: { kind: string; name: string; namespace: string },
): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const rel of ix.releases) {
    const d = ix
      .manifest(rel)
      .find((x) => x.kind === w.kind && x.name === w.name && x.namespace === w.namespace && x.object);
    if (!d) continue;
    const e: HistoryEntry = { rel, object: d.object, template: podTemplateOf(d.object) };
    if (d.source) e.source = d.source;
    out.push(e);
  }
  return out;
}

export type ChangeField =
  | "image"
  | "resources"
  | "command"
  | "env"
  | "volumes"
  | "serviceAccount"
  | "scheduling"
  | "probes"
  | "securityContext"
  | "metadata"
  | "containers";

export interface TemplateChange {
  field: ChangeField;
  container?: string;
  text: string;
}

function probeText(p: Any): string {
  if (!p) return "none";
  const h = p.httpGet;
  const what = h
    ? `HTTP GET ${h.path ?? "/"} on port ${h.port}`
    : p.tcpSocket
      ? `TCP port ${p.tcpSocket.port}`
      : p.exec
        ? `exec ${(p.exec.command ?? []).join(" ")}`
        : p.grpc
          ? `gRPC port ${p.grpc.port}`
          : "custom";
  const t = [
    p.initialDelaySeconds !== undefined ? `delay ${p.initialDelaySeconds}s` : "",
    p.timeoutSeconds !== undefined ? `timeout ${p.timeoutSeconds}s` : "",
    p.failureThreshold !== undefined ? `failureThreshold ${p.failureThreshold}` : "",
  ].filter(Boolean);
  return t.length ? `${what} (${t.join(", ")})` : what;
}

const short = (v: unknown) => {
  const t = canonical(v);
  if (t === undefined) return "unset";
  return t.length > 100 ? `${t.slice(0, 99)}…` : t;
};

const q = (v: unknown) => (v === undefined || v === null ? "unset" : String(v));

/** What changed in a pod template between two revisions, in words an engineer reads at 3 a.m. */
export function describeChanges(before: Any, after: Any): TemplateChange[] {
  const out: TemplateChange[] = [];
  const bs = before?.spec ?? {};
  const as = after?.spec ?? {};
  const bc = new Map<string, Any>(containersOf(bs).map((c: Any) => [c.name, c]));
  const ac = new Map<string, Any>(containersOf(as).map((c: Any) => [c.name, c]));
  for (const [n, a] of ac) {
    const b = bc.get(n);
    if (!b) {
      out.push({ field: "containers", container: n, text: `container ${n} added (image ${a.image})` });
      continue;
    }
    if (b.image !== a.image)
      out.push({ field: "image", container: n, text: `container ${n} image ${b.image} → ${a.image}` });
    for (const kind of ["requests", "limits"] as const) {
      for (const res of ["cpu", "memory", "ephemeral-storage"]) {
        const x = b.resources?.[kind]?.[res];
        const y = a.resources?.[kind]?.[res];
        if (String(x) !== String(y))
          out.push({
            field: "resources",
            container: n,
            text: `container ${n} ${res} ${kind === "limits" ? "limit" : "request"} ${q(x)} → ${q(y)}`,
          });
      }
    }
    if (canonical(b.command) !== canonical(a.command) || canonical(b.args) !== canonical(a.args))
      out.push({
        field: "command",
        container: n,
        text: `container ${n} command/args ${[...(b.command ?? []), ...(b.args ?? [])].join(" ") || "(image default)"} → ${[...(a.command ?? []), ...(a.args ?? [])].join(" ") || "(image default)"}`,
      });
    const envMap = (c: Any) => new Map<string, string>((c.env ?? []).map((e: Any) => [e.name, canonical(e)]));
    const be = envMap(b);
    const ae = envMap(a);
    const added = [...ae.keys()].filter((k) => !be.has(k));
    const removed = [...be.keys()].filter((k) => !ae.has(k));
    const changed = [...ae.keys()].filter((k) => be.has(k) && be.get(k) !== ae.get(k));
    if (added.length || removed.length || changed.length || canonical(b.envFrom) !== canonical(a.envFrom)) {
      const parts = [
        added.length ? `added ${added.join(", ")}` : "",
        removed.length ? `removed ${removed.join(", ")}` : "",
        changed.length ? `changed ${changed.join(", ")}` : "",
        canonical(b.envFrom) !== canonical(a.envFrom) ? "envFrom changed" : "",
      ].filter(Boolean);
      out.push({ field: "env", container: n, text: `container ${n} environment: ${parts.join("; ")}` });
    }
    for (const [key, label] of [
      ["readinessProbe", "readiness probe"],
      ["livenessProbe", "liveness probe"],
      ["startupProbe", "startup probe"],
    ] as const) {
      if (canonical(b[key]) !== canonical(a[key]))
        out.push({
          field: "probes",
          container: n,
          text: `container ${n} ${label} ${probeText(b[key])} → ${probeText(a[key])}`,
        });
    }
    if (canonical(b.securityContext) !== canonical(a.securityContext))
      out.push({
        field: "securityContext",
        container: n,
        text: `container ${n} securityContext ${short(b.securityContext)} → ${short(a.securityContext)}`,
      });
    if (canonical(b.volumeMounts) !== canonical(a.volumeMounts))
      out.push({ field: "volumes", container: n, text: `container ${n} volume mounts changed` });
  }
  for (const n of bc.keys())
    if (!ac.has(n)) out.push({ field: "containers", container: n, text: `container ${n} removed` });
  const sa = (s: Any) => s.serviceAccountName ?? s.serviceAccount;
  if (sa(bs) !== sa(as))
    out.push({ field: "serviceAccount", text: `serviceAccountName ${q(sa(bs))} → ${q(sa(as))}` });
  if (canonical(bs.volumes) !== canonical(as.volumes)) {
    const src = (v: Any) =>
      v.configMap
        ? `configMap ${v.configMap.name}`
        : v.secret
          ? `secret ${v.secret.secretName}`
          : v.persistentVolumeClaim
            ? `persistentVolumeClaim ${v.persistentVolumeClaim.claimName}`
            : Object.keys(v).find((k) => k !== "name");
    const list = (s: Any) => (s.volumes ?? []).map((v: Any) => `${v.name} (${src(v)})`).join(", ") || "none";
    out.push({ field: "volumes", text: `volumes ${list(bs)} → ${list(as)}` });
  }
  for (const [key, label] of [
    ["nodeSelector", "nodeSelector"],
    ["tolerations", "tolerations"],
    ["affinity", "affinity"],
    ["topologySpreadConstraints", "topologySpreadConstraints"],
    ["priorityClassName", "priorityClassName"],
  ] as const) {
    if (canonical(bs[key]) !== canonical(as[key]))
      out.push({
        field: "scheduling",
        text:
          key === "nodeSelector" || key === "priorityClassName"
            ? `${label} ${canonical(bs[key]) ?? "unset"} → ${canonical(as[key]) ?? "unset"}`
            : `${label} changed`,
      });
  }
  if (canonical(bs.securityContext) !== canonical(as.securityContext))
    out.push({
      field: "securityContext",
      text: `pod securityContext ${short(bs.securityContext)} → ${short(as.securityContext)}`,
    });
  if (canonical(bs.imagePullSecrets) !== canonical(as.imagePullSecrets))
    out.push({
      field: "image",
      text: `imagePullSecrets ${(bs.imagePullSecrets ?? []).map((s: Any) => s.name).join(",") || "none"} → ${(as.imagePullSecrets ?? []).map((s: Any) => s.name).join(",") || "none"}`,
    });
  const ba = before?.metadata?.annotations ?? {};
  const aa = after?.metadata?.annotations ?? {};
  const keys = [...new Set([...Object.keys(ba), ...Object.keys(aa)])].filter((k) => ba[k] !== aa[k]);
  if (keys.length) out.push({ field: "metadata", text: `pod annotations changed: ${keys.join(", ")}` });
  return out;
}

export interface TemplateOrigin {
  history: HistoryEntry[];
  /** The revision whose pod template the pods were created from (none when no stored revision matches). */
  from?: HistoryEntry;
  /** The first revision of the run of identical templates ending at `from`: the one that introduced it. */
  introduced?: HistoryEntry;
  /** The revision before `introduced` that rendered this workload (the "before" of `changes`). */
  before?: HistoryEntry;
  /** What `introduced` changed relative to `before`. */
  changes: TemplateChange[];
}

/**
 * Which revision's pod template a pod spec (or a ReplicaSet's template spec) comes from: the revisions whose
 * images match, and of those the newest one deployed before the pods' controller was created.
 */
export function templateOrigin(
  ix: SnapshotIndex,
  w: { kind: string; name: string; namespace: string },
  spec: Any,
  createdAt?: string,
): TemplateOrigin {
  const history = workloadHistory(ix, w);
  const key = imagesKey(spec);
  const idx = history.map((h, i) => (imagesKey(h.template?.spec) === key ? i : -1)).filter((i) => i >= 0);
  if (idx.length === 0) return { history, changes: [] };
  const created = Date.parse(createdAt ?? "");
  let at = idx[idx.length - 1]!;
  if (Number.isFinite(created)) {
    // Helm sets last_deployed before it applies; allow a minute of clock skew between Helm and the API server.
    const before = idx.filter(
      (i) => Date.parse(history[i]!.rel.info.last_deployed ?? "") <= created + 60_000,
    );
    if (before.length > 0) at = before[before.length - 1]!;
  }
  let first = at;
  while (
    first > 0 &&
    canonicalStored(history[first - 1]!.template) === canonicalStored(history[first]!.template)
  )
    first--;
  const o: TemplateOrigin = { history, from: history[at]!, introduced: history[first]!, changes: [] };
  if (first > 0) {
    o.before = history[first - 1]!;
    o.changes = describeChanges(o.before.template, o.introduced!.template);
  }
  return o;
}

/**
 * When did the value `attr` extracts (e.g. one container's image) take its current value, walking back from
 * the pods' revision? `before` is the newest earlier revision with a different value.
 */
export function attributeOrigin(
  o: TemplateOrigin,
  attr: (template: Any) => string | undefined,
): { introduced?: HistoryEntry; before?: HistoryEntry; value?: string; previous?: string } {
  if (!o.from) return {};
  let i = o.history.indexOf(o.from);
  const value = attr(o.from.template);
  while (i > 0 && attr(o.history[i - 1]!.template) === value) i--;
  const r: { introduced?: HistoryEntry; before?: HistoryEntry; value?: string; previous?: string } = {
    introduced: o.history[i]!,
  };
  if (value !== undefined) r.value = value;
  if (i > 0) {
    r.before = o.history[i - 1]!;
    const p = attr(r.before.template);
    if (p !== undefined) r.previous = p;
  }
  return r;
}

export function revisionLabel(r: Release): string {
  const d = r.info.description ?? "";
  return `revision ${r.version} (${r.info.status}${d ? `, "${d.length > 80 ? `${d.slice(0, 77)}…` : d}"` : ""})`;
}

/** Paths in a release's user values (then the chart defaults) whose string value occurs in `needle`. */
export function valuePaths(rel: Release, needle: string): string[] {
  const out: string[] = [];
  const walk = (v: unknown, path: string, origin: string) => {
    if (typeof v === "string") {
      if (v.length >= 3 && needle.includes(v)) out.push(`${origin}${path}=${v}`);
      return;
    }
    if (v && typeof v === "object" && !Array.isArray(v))
      for (const [k, x] of Object.entries(v)) walk(x, path ? `${path}.${k}` : k, origin);
  };
  walk(rel.config ?? {}, "", "");
  if (out.length === 0) walk(rel.chart?.values ?? {}, "", "chart default ");
  return out;
}

// ---- grouping pods by workload ----

export interface GroupContext {
  live?: KubeObject;
  /** Deployments: the ReplicaSets and their pods. */
  rollout?: Rollout;
  /** Some problem pods belong to the Deployment's newest ReplicaSet. */
  inNewRs: boolean;
  /**
   * …and that ReplicaSet is still rolling out (older ReplicaSets keep pods, or the controller reports the rollout
   * in progress or timed out): the problem holds up a rollout, not just a replica of a finished one.
   */
  rolloutStuck: boolean;
  /** Ready pods of the whole workload (old ReplicaSets included). */
  readyPods: number;
  totalPods: number;
  /** The revision whose template the (first) problem pod runs, and what that revision changed. */
  origin: TemplateOrigin;
}

export interface PodGroup {
  workload: { kind: string; name: string; namespace: string };
  problems: PodProblem[];
  w: ReleaseWorkload;
  ctx: GroupContext;
}

function groupContext(ix: SnapshotIndex, w: ReleaseWorkload, problems: PodProblem[]): GroupContext {
  const rollout = w.kind === "Deployment" && w.live ? rolloutOf(ix, w.live) : undefined;
  const newRsName = rollout?.newRs?.metadata?.name;
  const inNewRs = !!newRsName && problems.some((p) => ownerName(p.pod) === newRsName);
  const first = problems[0]!.pod;
  const owner = ix.owner(first);
  const createdAt =
    owner?.kind === "ReplicaSet" ? owner.metadata?.creationTimestamp : first.metadata?.creationTimestamp;
  const pr = rollout?.progressing;
  const rolloutStuck =
    inNewRs &&
    ((rollout?.oldPods.length ?? 0) > 0 ||
      pr?.status === "False" ||
      (pr?.reason !== undefined && pr.reason !== "NewReplicaSetAvailable"));
  const ctx: GroupContext = {
    inNewRs,
    rolloutStuck,
    readyPods: w.pods.filter(isPodReady).length,
    totalPods: w.pods.length,
    origin: templateOrigin(ix, w, first.spec, createdAt),
  };
  if (w.live) ctx.live = w.live;
  if (rollout) ctx.rollout = rollout;
  return ctx;
}

/** Every pod problem of the release's workloads, by workload (each pod once), computed once per index. */
function allPodProblems(ix: SnapshotIndex): { w: ReleaseWorkload; problems: PodProblem[] }[] {
  return ix.memo("podProblems", () => {
    const seenPods = new Set<string>();
    return releaseWorkloads(ix).map((w) => {
      const problems: PodProblem[] = [];
      for (const pod of w.pods) {
        const k = podRefKey(ix, pod);
        if (seenPods.has(k)) continue;
        seenPods.add(k);
        const p = classifyPod(ix, pod);
        if (p) problems.push(p);
      }
      return { w, problems };
    });
  });
}

/** Problems of one code among the release's workload pods, grouped by the workload that owns them. */
export function podProblems(ix: SnapshotIndex, code: PodProblemCode): PodGroup[] {
  const groups: PodGroup[] = [];
  for (const { w, problems: all } of allPodProblems(ix)) {
    const problems = all.filter((p) => p.code === code);
    if (problems.length > 0)
      groups.push({
        workload: { kind: w.kind, name: w.name, namespace: w.namespace },
        problems,
        w,
        ctx: groupContext(ix, w, problems),
      });
  }
  return groups;
}

export function podEvidence(ix: SnapshotIndex, p: PodProblem): { source: string; detail: string }[] {
  const name = p.pod.metadata?.name ?? "?";
  const age = ix.ageMs(p.pod.metadata?.creationTimestamp);
  const state = `${p.state}${p.container ? ` (container ${p.container})` : ""}${Number.isFinite(age) ? `, created ${ago(age)}` : ""}`;
  const [first, ...rest] = p.events;
  // The kubelet's event usually carries the same message as the status: say it once, with its count.
  if (first) {
    const ev = [{ source: `pod ${name}`, detail: `${state}; event ${describeEvent(ix, first)}` }];
    for (const e of rest.slice(0, 2))
      ev.push({ source: `pod ${name}`, detail: `event ${describeEvent(ix, e)}` });
    return ev;
  }
  return [{ source: `pod ${name}`, detail: `${state}${p.message ? `: ${p.message}` : ""}` }];
}

// ---- helpers the workload analyzers share ----

/**
 * Severity of a pod problem that does not always take the workload down (scheduling, readiness): critical when
 * it holds up a Deployment's rollout or no pod of the workload is ready, a warning when the workload still runs
 * its current template with fewer ready pods than wanted.
 */
export function stuckOrDownSeverity(g: PodGroup): Severity {
  return g.ctx.rolloutStuck || g.ctx.readyPods === 0 ? "critical" : "warning";
}

/**
 * A rollout still inside its progress deadline (progressDeadlineSeconds, 600 by default, counted from the new
 * ReplicaSet), with the old pods still serving the full replica count (maxUnavailable: 0): in progress, not stuck.
 * Returns the deadline.
 */
export function rolloutInProgress(ix: SnapshotIndex, g: PodGroup): Date | undefined {
  const r = g.ctx.rollout;
  if (!r?.newRs || !g.ctx.inNewRs || r.progressing?.status === "False") return undefined;
  const since = Date.parse(r.newRs.metadata?.creationTimestamp ?? "");
  if (!Number.isFinite(since)) return undefined;
  const deadline = since + (r.deployment.spec?.progressDeadlineSeconds ?? 600) * 1000;
  if (ix.now.getTime() >= deadline) return undefined;
  const want = r.deployment.spec?.replicas ?? 1;
  return r.oldPods.filter(isPodReady).length >= want ? new Date(deadline) : undefined;
}

/** "holds up the rollout …" / "no pod of … is ready" / "… of … pods ready" */
export function impact(g: PodGroup): string {
  const wl = `${g.workload.kind} ${g.workload.name}`;
  const r = g.ctx.rollout;
  if (g.ctx.rolloutStuck && r) {
    const oldReady = r.oldPods.filter(isPodReady).length;
    return oldReady > 0
      ? `The rollout of ${wl} is stuck: its new ReplicaSet ${r.newRs?.metadata?.name} cannot get pods ready, while the old ReplicaSet still serves ${oldReady} ready pod${oldReady === 1 ? "" : "s"} of the previous template. Nothing is down yet, but the release is not running the revision Helm recorded, and any \`helm upgrade --wait\` will time out.`
      : `${wl} has no ready pod: its new ReplicaSet ${r.newRs?.metadata?.name} cannot get pods ready and no older ReplicaSet is serving.`;
  }
  if (g.ctx.readyPods === 0) return `${wl} has no ready pod: it is down.`;
  return `${g.ctx.readyPods} of ${g.ctx.totalPods} pods of ${wl} are ready: it runs with reduced capacity.`;
}

export function originEvidence(g: PodGroup, only?: ChangeField[]): Evidence[] {
  const o = g.ctx.origin;
  if (!o.introduced) {
    return [
      {
        source: "revision history",
        detail: `no stored revision renders ${g.workload.kind} ${g.workload.name} with the images these pods run (${imagesKey(g.problems[0]!.pod.spec) || "none"}); the pods may come from a change made outside Helm, or from a pruned revision`,
      },
    ];
  }
  const changes = only ? o.changes.filter((c) => only.includes(c.field)) : o.changes;
  const src = o.introduced.source ? ` (${o.introduced.source})` : "";
  if (!o.before)
    return [
      {
        source: `revision ${o.introduced.rel.version} manifest`,
        detail: `${g.workload.kind} ${g.workload.name}${src}: this pod template is unchanged since revision ${o.introduced.rel.version}, the first stored revision that renders it`,
      },
    ];
  return [
    {
      source: `revision ${o.introduced.rel.version} manifest`,
      detail: `${g.workload.kind} ${g.workload.name}${src} pod template changed since revision ${o.before.rel.version}: ${
        (changes.length ? changes : o.changes).map((c) => c.text).join("; ") ||
        "no field helm-doctor compares"
      }`,
    },
  ];
}

export function rolloutEvidence(g: PodGroup): Evidence[] {
  const r = g.ctx.rollout;
  if (!r?.newRs) return [];
  const ev: Evidence[] = [{ source: `Deployment ${g.workload.name}`, detail: rolloutSummary(r) }];
  if (r.progressing && r.progressing.status !== "True")
    ev.push({
      source: `Deployment ${g.workload.name}`,
      detail: `condition Progressing=${r.progressing.status} (${r.progressing.reason ?? "?"}): ${r.progressing.message ?? ""}`,
    });
  return ev;
}

/** Say so when the events that would explain a problem are missing (not readable, or expired). */
export function eventGapEvidence(ix: SnapshotIndex, g: PodGroup): Evidence[] {
  const gap = ix.snapshot.gaps.find((x) => /event/i.test(x.what));
  if (gap)
    return [
      {
        source: "events",
        detail: `could not be read (${gap.reason}${gap.detail ? `: ${gap.detail}` : ""}); the pod status alone is the evidence`,
      },
    ];
  if (g.problems.every((p) => p.events.length === 0)) {
    const age = ix.ageMs(g.problems[0]!.pod.metadata?.creationTimestamp);
    return [
      {
        source: "events",
        detail:
          Number.isFinite(age) && age > 3_600_000
            ? `no events for these pods: the pods are ${fmtAge(age)} old and the API server keeps events for about an hour`
            : "no events for these pods in the snapshot",
      },
    ];
  }
  return [];
}

/** Roll back to the newest successful revision before the one that introduced the pods' template. */
export function rollbackToGood(
  ix: SnapshotIndex,
  g: PodGroup,
  what: string,
  introduced: number | undefined = g.ctx.origin.before ? g.ctx.origin.introduced?.rel.version : undefined,
): Remediation | undefined {
  if (introduced === undefined) return undefined;
  const good = lastGoodBefore(ix, introduced);
  const latest = ix.latest();
  if (!good || !latest) return undefined;
  return {
    action: "rollback",
    revision: good.version,
    summary: `Roll back to revision ${good.version}, the last successful revision before ${what} (writes revision ${latest.version + 1}); ${g.workload.kind} ${g.workload.name} returns to revision ${good.version}'s pod template.`,
    resources: [{ kind: g.workload.kind, name: g.workload.name, namespace: g.workload.namespace }],
  };
}

export function templatePath(g: PodGroup): string {
  return g.ctx.origin.introduced?.source ?? g.ctx.origin.from?.source ?? `the ${g.workload.kind} template`;
}

// ---- the factory ----

/**
 * The object the kubelet said is missing, and its live copy when it exists now: created after the events (a fix,
 * a later hook run), the kubelet picks it up on its next retry.
 */
export function missingRef(
  g: PodGroup,
  ix: SnapshotIndex,
): { kind: string; name: string; key?: string; live?: KubeObject } | undefined {
  const m = g.problems.find((p) => p.missing)?.missing;
  if (!m) return undefined;
  // A missing key: the object exists and still lacks it.
  const live = m.key === undefined ? ix.get(m.kind, g.workload.namespace, m.name) : undefined;
  return live ? { ...m, live } : m;
}

/** "It exists now (created 3m ago): …" for a missing object that came back. */
export function backSince(ix: SnapshotIndex, m: { kind: string; name: string; live?: KubeObject }): string {
  const created = m.live?.metadata?.creationTimestamp as string | undefined;
  const age = ix.ageMs(created);
  const when = Number.isFinite(age)
    ? `, created ${Math.max(0, Math.round(age / 60_000))} min before this diagnosis`
    : "";
  return `${m.kind} ${m.name} exists now${when}: the kubelet's complaint predates it, and it retries on its own (volume mounts back off up to about two minutes).`;
}

export interface PodAnalyzerSpec {
  code: PodProblemCode;
  severity: Severity | ((g: PodGroup, ix: SnapshotIndex) => Severity);
  /** Short state words for the default title, e.g. "stuck in ContainerCreating". */
  what: string;
  why: (g: PodGroup, ix: SnapshotIndex) => string;
  remediations: (g: PodGroup, ix: SnapshotIndex) => Remediation[];
  /** Replaces the default title "<n> pods of <workload> <what>: <message>". */
  title?: (g: PodGroup, ix: SnapshotIndex) => string;
  /** Replaces the default revisions ([latest]). */
  revisions?: (g: PodGroup, ix: SnapshotIndex) => number[];
  /** Evidence before and after the per-pod evidence. */
  evidence?: (g: PodGroup, ix: SnapshotIndex) => { lead?: Evidence[]; tail?: Evidence[] };
}

/**
 * Revisions and evidence of a finding about a pod template change: the revision that introduced the pods'
 * template (and the change, narrowed to `only` fields when given), then the rollout and any missing events.
 */
export function templateOriginParts(
  only?: readonly ChangeField[],
): Required<Pick<PodAnalyzerSpec, "revisions" | "evidence">> {
  return {
    revisions: (g, ix) => originRevisions(ix, g),
    evidence: (g, ix) => ({
      lead: originEvidence(g, only ? [...only] : undefined),
      tail: [...rolloutEvidence(g), ...eventGapEvidence(ix, g)],
    }),
  };
}

/**
 * Did Helm's --wait for the latest revision time out on these pods? The revision failed waiting (not in a hook),
 * and the pods run its template while holding up the rollout or leaving the workload without a ready pod.
 */
export function waitedOn(ix: SnapshotIndex, g: PodGroup): boolean {
  const latest = ix.latest();
  if (latest?.info.status !== "failed") return false;
  const d = latest.info.description ?? "";
  if (!isTimeoutText(d) || failedHookEvent(d)) return false;
  return g.ctx.origin.from?.rel === latest && (g.ctx.rolloutStuck || g.ctx.readyPods === 0);
}

export function podAnalyzer(spec: PodAnalyzerSpec): Analyzer {
  return {
    run(ix: SnapshotIndex): Finding[] {
      return podProblems(ix, spec.code).map((g) => {
        const n = g.problems.length;
        const first = g.problems[0]!;
        const missing = g.problems.find((p) => p.missing)?.missing;
        const about = [
          kindKey(g.workload.kind, g.workload.namespace, g.workload.name),
          ...g.problems.map((p) => podRefKey(ix, p.pod)),
        ];
        if (missing) about.push(kindKey(missing.kind, g.workload.namespace, missing.name));
        const resources: ResourceRef[] = [
          { kind: g.workload.kind, name: g.workload.name, namespace: g.workload.namespace },
          ...g.problems.map((p) => ({
            kind: "Pod",
            name: p.pod.metadata?.name ?? "",
            namespace: g.workload.namespace,
          })),
        ];
        const latest = ix.latest();
        const extra = spec.evidence?.(g, ix) ?? {};
        const f: Finding = {
          code: spec.code,
          severity: typeof spec.severity === "function" ? spec.severity(g, ix) : spec.severity,
          role: "symptom",
          title: (
            spec.title?.(g, ix) ??
            `${n} pod${n > 1 ? "s" : ""} of ${g.workload.kind} ${g.workload.name} ${spec.what}${first.message ? `: ${first.message}` : ""}`
          ).slice(0, 300),
          explanation: spec.why(g, ix),
          resources,
          revisions: spec.revisions?.(g, ix) ?? (latest ? [latest.version] : []),
          evidence: [
            ...(extra.lead ?? []),
            ...g.problems.slice(0, 5).flatMap((p) => podEvidence(ix, p)),
            ...(extra.tail ?? []),
          ],
          remediations: spec.remediations(g, ix),
          about,
        };
        // Pods of the newest ReplicaSet are why its rollout stalls: fold `rollout-stalled` into this finding.
        if (g.ctx.inNewRs) f.explains = [rolloutKey(g.workload.namespace, g.workload.name)];
        // Pods of the latest revision that never got ready are why its --wait timed out.
        if (waitedOn(ix, g)) f.explains = [...(f.explains ?? []), ...failureKeys(ix, latest!)];
        return f;
      });
    },
  };
}

/**
 * Revisions a workload finding is about: the last good one and the one that introduced the change (by default
 * the pods' template; `introduced`/`changed` narrow it to one attribute), and the latest if newer.
 */
export function originRevisions(
  ix: SnapshotIndex,
  g: PodGroup,
  introduced: number | undefined = g.ctx.origin.introduced?.rel.version,
  changed = !!g.ctx.origin.before,
): number[] {
  const latest = ix.latest();
  if (introduced === undefined) return latest ? [latest.version] : [];
  const good = changed ? lastGoodBefore(ix, introduced) : undefined;
  const out = good ? [good.version, introduced] : [introduced];
  if (latest && !out.includes(latest.version) && latest.version > introduced) out.push(latest.version);
  return out;
}

/**
 * What Helm recorded for the revision the pods come from — said only when the problem holds up that revision's
 * rollout or takes the workload down (a replica that cannot be scheduled after a scale-up is not Helm's story).
 */
export function verdict(g: PodGroup): string {
  const from = g.ctx.origin.from?.rel;
  if (!from || !(g.ctx.rolloutStuck || g.ctx.readyPods === 0)) return "";
  return helmVerdict(from);
}

/** Helm's words when `--wait` (or `--atomic`) gave up on resources that never became ready. */
const WAIT_FAILURE =
  /context deadline exceeded|timed out waiting|resource not ready|resources not ready|not ready|wait/i;

/** What Helm recorded for the revision, in a sentence. */
export function helmVerdict(r: Release): string {
  const s = r.info.status;
  const d = r.info.description ?? "";
  if (s === "deployed" || s === "superseded")
    return `Helm recorded revision ${r.version} as ${s === "deployed" ? "deployed" : "successful"} (${d || "no description"}): without --wait it does not check that pods start.`;
  if (s === "failed")
    return WAIT_FAILURE.test(d)
      ? `Helm marked revision ${r.version} failed: "${d}".`
      : // Helm failed on something else (a hook, an object): quoting it here would blame these pods.
        `Revision ${r.version} is failed too, but not because of these pods: Helm stopped on another error (see the other findings).`;
  if (s.startsWith("pending-")) return `Revision ${r.version} is still ${s} (${d || "no description"}).`;
  return `Revision ${r.version} is ${s}.`;
}
