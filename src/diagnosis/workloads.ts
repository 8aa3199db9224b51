// Pure helpers that link live workloads and pods to a release and read what they reference.
import { kindKey } from "../helm/keys.js";
import type { Release } from "../helm/types.js";
import type { KubeEvent, KubeObject, SnapshotIndex } from "../snapshot/index.js";

export const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod"]);

export interface ReleaseWorkload {
  kind: string;
  name: string;
  namespace: string;
  live?: KubeObject;
  pods: KubeObject[];
  /** The pod template (or the pod spec for bare Pods) from the stored manifest. */
  template?: KubeObject;
}

/** Pod spec of a workload template or a pod. */
// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function podSpecOf(o: any): any {
  if (!o) return undefined;
  if (o.kind === "Pod") return o.spec;
  if (o.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec;
}

export interface PodRefs {
  configMaps: Set<string>;
  secrets: Set<string>;
  pvcs: Set<string>;
  serviceAccount?: string;
}

/** Names of ConfigMaps, Secrets, PVCs and the ServiceAccount a pod spec depends on. */
// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function podRefs(spec: any): PodRefs {
  const refs: PodRefs = { configMaps: new Set(), secrets: new Set(), pvcs: new Set() };
  if (!spec) return refs;
  if (spec.serviceAccountName || spec.serviceAccount)
    refs.serviceAccount = spec.serviceAccountName ?? spec.serviceAccount;
  for (const v of spec.volumes ?? []) {
    if (v.configMap?.name) refs.configMaps.add(v.configMap.name);
    if (v.secret?.secretName) refs.secrets.add(v.secret.secretName);
    if (v.persistentVolumeClaim?.claimName) refs.pvcs.add(v.persistentVolumeClaim.claimName);
    for (const s of v.projected?.sources ?? []) {
      if (s.configMap?.name) refs.configMaps.add(s.configMap.name);
      if (s.secret?.name) refs.secrets.add(s.secret.name);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const ef of c.envFrom ?? []) {
      if (ef.configMapRef?.name) refs.configMaps.add(ef.configMapRef.name);
      if (ef.secretRef?.name) refs.secrets.add(ef.secretRef.name);
    }
    for (const e of c.env ?? []) {
      if (e.valueFrom?.configMapKeyRef?.name) refs.configMaps.add(e.valueFrom.configMapKeyRef.name);
      if (e.valueFrom?.secretKeyRef?.name) refs.secrets.add(e.valueFrom.secretKeyRef.name);
    }
  }
  for (const s of spec.imagePullSecrets ?? []) if (s.name) refs.secrets.add(s.name);
  return refs;
}

/** Does a pod spec use object kind/name (ConfigMap, Secret, PVC, ServiceAccount)? */
// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function specUses(spec: any, kind: string, name: string): boolean {
  const r = podRefs(spec);
  switch (kind) {
    case "ConfigMap":
      return r.configMaps.has(name);
    case "Secret":
      return r.secrets.has(name);
    case "PersistentVolumeClaim":
      return r.pvcs.has(name);
    case "ServiceAccount":
      return r.serviceAccount === name;
    default:
      return false;
  }
}

/** Workloads of a revision's manifest, with their live objects and pods. */
export function workloadsOf(ix: SnapshotIndex, rel: Release): ReleaseWorkload[] {
  const out: ReleaseWorkload[] = [];
  for (const d of ix.manifest(rel)) {
    if (!WORKLOAD_KINDS.has(d.kind) || !d.object) continue;
    const live = ix.get(d.kind, d.namespace, d.name);
    const pods = live ? (d.kind === "Pod" ? [live] : ix.podsOf(live)) : [];
    out.push({
      kind: d.kind,
      name: d.name,
      namespace: d.namespace,
      live,
      pods,
      template: d.object as KubeObject,
    });
  }
  return out;
}

/** Workloads of the latest and last deployed revisions, deduplicated. */
export function releaseWorkloads(ix: SnapshotIndex): ReleaseWorkload[] {
  return ix.memo("releaseWorkloads", () => computeReleaseWorkloads(ix));
}

function computeReleaseWorkloads(ix: SnapshotIndex): ReleaseWorkload[] {
  const seen = new Set<string>();
  const out: ReleaseWorkload[] = [];
  for (const r of [ix.latest(), ix.lastDeployed()]) {
    if (!r) continue;
    for (const w of workloadsOf(ix, r)) {
      const k = kindKey(w.kind, w.namespace, w.name);
      if (seen.has(k)) continue;
      seen.add(k);
      out.push(w);
    }
  }
  return out;
}

export function podKey(p: KubeObject, ns: string): string {
  return kindKey("Pod", p.metadata?.namespace ?? ns, p.metadata?.name ?? "");
}

/** "FailedMount ×12 over 5m, last 20s ago: <message>" */
export function describeEvent(ix: SnapshotIndex, e: KubeEvent): string {
  const count = e.count > 1 ? ` ×${e.count}` : "";
  const age = ix.ageMs(e.lastTimestamp ?? e.firstTimestamp);
  const last = Number.isFinite(age) ? `, last ${ago(age)}` : "";
  return `${e.type} ${e.reason}${count}${last}: ${e.message}`;
}

/**
 * "5m ago"; a time after the snapshot's clock is a clock running ahead (the Helm client's, usually), never a
 * negative or unknown age.
 */
export function ago(ms: number): string {
  if (!Number.isFinite(ms)) return "at an unknown time";
  if (ms < -60_000) return `${fmtAge(-ms)} in the future (a clock ahead of the cluster's)`;
  return `${fmtAge(ms)} ago`;
}

export function fmtAge(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s}s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m}m`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.round(h / 24)}d`;
}

/** The one time format of reports: UTC to the second, e.g. "2026-11-24 11:28:01 UTC". */
export function utc(t: string | number | Date | undefined): string | undefined {
  if (t === undefined || t === "") return undefined;
  const ms = t instanceof Date ? t.getTime() : typeof t === "number" ? t : Date.parse(t);
  if (!Number.isFinite(ms)) return undefined;
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}
