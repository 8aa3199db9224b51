// Classify why a pod is not running well, from its status and its events.
import { kindKey } from "../helm/keys.js";
import type { KubeEvent, KubeObject, SnapshotIndex } from "../snapshot/index.js";

export type PodProblemCode =
  | "pod-image-pull"
  | "pod-crash-loop"
  | "pod-oom-killed"
  | "pod-config-missing"
  | "pod-mount-failed"
  | "pod-unschedulable"
  | "pod-pvc-unbound"
  | "pod-not-ready";

export interface PodProblem {
  code: PodProblemCode;
  pod: KubeObject;
  container?: string;
  /** e.g. ContainerCreating, CreateContainerConfigError */
  state: string;
  message: string;
  /** The object the kubelet says is missing (or whose `key` is missing), when it names one. */
  missing?: { kind: string; name: string; key?: string };
  events: KubeEvent[];
  /** The failing container's image (from the pod spec, as the chart rendered it). */
  image?: string;
  restarts?: number;
  /** Last termination of the failing container: reason and exit code. */
  lastTermination?: { reason?: string; exitCode?: number; message?: string };
  /** The container is running and ready again after the failure (e.g. an OOM kill it recovered from). */
  recovered?: boolean;
}

const NOT_FOUND = /(configmap|secret|persistentvolumeclaim|serviceaccount) "([^"]+)" not found/i;
const KEY_MISSING = /couldn't find key (\S+) in (Secret|ConfigMap) [^/\s]+\/(\S+)/;
const KINDS: Record<string, string> = {
  configmap: "ConfigMap",
  secret: "Secret",
  persistentvolumeclaim: "PersistentVolumeClaim",
  serviceaccount: "ServiceAccount",
};

export function missingObject(message: string): { kind: string; name: string; key?: string } | undefined {
  const m = NOT_FOUND.exec(message);
  if (m) return { kind: KINDS[m[1]!.toLowerCase()]!, name: m[2]! };
  const k = KEY_MISSING.exec(message);
  if (k) return { kind: k[2]!, name: k[3]!, key: k[1]! };
  return undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function containerStatuses(pod: any): any[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** The image a container of the pod spec runs, as the chart rendered it (statuses carry the resolved name). */
// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function containerImage(pod: any, container: string | undefined): string | undefined {
  const all = [...(pod?.spec?.initContainers ?? []), ...(pod?.spec?.containers ?? [])];
  const c = all.find((x: { name?: string }) => x.name === container) ?? (container ? undefined : all[0]);
  return c?.image;
}

/** A pod that is starting up is not "not ready" yet: give readiness this long before calling it a problem. */
export const READY_GRACE_MS = 120_000;

const IMAGE_PULL = ["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"];

/** classifyPod, computed once per pod and snapshot: every pod analyzer asks about every pod. */
export function classifyPod(ix: SnapshotIndex, pod: KubeObject): PodProblem | undefined {
  const cache = ix.memo("classifyPod", () => new Map<KubeObject, PodProblem | undefined>());
  if (cache.has(pod)) return cache.get(pod);
  const p = classifyPodUncached(ix, pod);
  cache.set(pod, p);
  return p;
}

function classifyPodUncached(ix: SnapshotIndex, pod: KubeObject): PodProblem | undefined {
  const events = ix.eventsFor(pod).filter((e) => e.type === "Warning");
  const phase: string = pod.status?.phase ?? "";
  if (phase === "Succeeded") return undefined;
  const byReason = (r: string) => events.filter((e) => e.reason === r);
  for (const cs of containerStatuses(pod)) {
    const w = cs.state?.waiting;
    const last = cs.lastState?.terminated;
    if (w?.reason === "CreateContainerConfigError") {
      const msg: string = w.message ?? "";
      const p: PodProblem = {
        code: "pod-config-missing",
        pod,
        container: cs.name,
        state: w.reason,
        message: msg,
        events: byReason("Failed"),
      };
      const miss = missingObject(msg) ?? events.map((e) => missingObject(e.message)).find(Boolean);
      if (miss) p.missing = miss;
      return p;
    }
    if (IMAGE_PULL.includes(w?.reason)) {
      // The kubelet emits "Failed to pull image …: <cause>", then "Error: ErrImagePull" and "Error:
      // ImagePullBackOff": only the first carries the cause.
      const all = byReason("Failed").filter((e) => /image/i.test(e.message));
      const withCause = all.filter((e) => /^Failed to pull image/i.test(e.message));
      const failed = withCause.length > 0 ? withCause : all;
      const p: PodProblem = {
        code: "pod-image-pull",
        pod,
        container: cs.name,
        state: w.reason,
        // The kubelet's "Failed to pull image …" event says why; the waiting message only says "Back-off".
        message: failed[failed.length - 1]?.message ?? w.message ?? "",
        events: events.filter((e) => e.reason === "Failed" || e.reason === "BackOff"),
      };
      const image = containerImage(pod, cs.name);
      if (image) p.image = image;
      return p;
    }
    if (w?.reason === "CrashLoopBackOff" || (last && cs.restartCount > 2 && !cs.ready)) {
      const oom = last?.reason === "OOMKilled";
      const p: PodProblem = {
        code: oom ? "pod-oom-killed" : "pod-crash-loop",
        pod,
        container: cs.name,
        state: w?.reason ?? "Restarting",
        message: oom
          ? `container ${cs.name} was OOMKilled (exit code ${last.exitCode ?? 137}), restarted ${cs.restartCount} times`
          : `container ${cs.name} keeps exiting (last: ${last?.reason ?? "?"}, exit code ${last?.exitCode ?? "?"}), restarted ${cs.restartCount ?? 0} times`,
        events: byReason("BackOff"),
        restarts: cs.restartCount ?? 0,
      };
      if (last) {
        p.lastTermination = { reason: last.reason, exitCode: last.exitCode };
        // What the container wrote to its termination log (or its last log lines under FallbackToLogsOnError).
        const words = typeof last.message === "string" ? lastLine(last.message) : "";
        if (words) {
          p.lastTermination.message = words;
          p.message += `: ${words}`;
        }
      }
      const image = containerImage(pod, cs.name);
      if (image) p.image = image;
      return p;
    }
    // Killed for memory, restarted, running again: not down, but it will be killed again under the same load.
    if (last?.reason === "OOMKilled" && cs.state?.running && (cs.restartCount ?? 0) > 0) {
      const p: PodProblem = {
        code: "pod-oom-killed",
        pod,
        container: cs.name,
        state: "Running after OOMKilled",
        message: `container ${cs.name} was OOMKilled (exit code ${last.exitCode ?? 137}) and restarted ${cs.restartCount} times`,
        events: byReason("BackOff"),
        restarts: cs.restartCount,
        lastTermination: { reason: last.reason, exitCode: last.exitCode },
        recovered: cs.ready === true,
      };
      const image = containerImage(pod, cs.name);
      if (image) p.image = image;
      return p;
    }
  }
  const mount = byReason("FailedMount");
  if (mount.length > 0 && phase !== "Running") {
    const p: PodProblem = {
      code: "pod-mount-failed",
      pod,
      state: "ContainerCreating",
      message: mount[0]!.message,
      events: mount,
    };
    const miss = mount.map((e) => missingObject(e.message)).find(Boolean);
    if (miss) p.missing = miss;
    return p;
  }
  const sched = byReason("FailedScheduling");
  // The scheduler's verdict also stays on the pod (PodScheduled=False, Unschedulable) after its events expire.
  const unsched = (pod.status?.conditions ?? []).find(
    (c: { type: string; status: string; reason?: string }) =>
      c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable",
  );
  if (phase === "Pending" && (sched.length > 0 || unsched)) {
    const msg: string = sched[sched.length - 1]?.message ?? unsched?.message ?? "";
    const pvc = /unbound immediate PersistentVolumeClaims|persistentvolumeclaim "[^"]+" not found/.test(msg);
    const p: PodProblem = {
      code: pvc ? "pod-pvc-unbound" : "pod-unschedulable",
      pod,
      state: "Pending",
      message: msg,
      events: sched,
    };
    const miss = missingObject(msg);
    if (miss) p.missing = miss;
    return p;
  }
  if (phase === "Running" && !pod.metadata?.deletionTimestamp) {
    const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
    if (ready && ready.status !== "True") {
      const unhealthy = byReason("Unhealthy");
      const age = ix.ageMs(pod.metadata?.creationTimestamp);
      // Just started and no failed probe yet: still starting, not a problem.
      if (unhealthy.length === 0 && Number.isFinite(age) && age < READY_GRACE_MS) return undefined;
      const p: PodProblem = {
        code: "pod-not-ready",
        pod,
        state: "Running, not Ready",
        message: unhealthy[unhealthy.length - 1]?.message ?? ready.message ?? "readiness probe failing",
        events: unhealthy,
      };
      const notReady = containerStatuses(pod).find((c) => c.ready === false && c.state?.running);
      if (notReady?.name) p.container = notReady.name;
      if (notReady) p.restarts = notReady.restartCount ?? 0;
      return p;
    }
  }
  return undefined;
}

/** The most telling line of a termination message: the first that reads like an error, else the last. */
function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  const err = lines.find((l) =>
    /error|fatal|panic|failed|exception|refused|denied|not found|does not exist/i.test(l),
  );
  const line = err ?? lines[lines.length - 1] ?? "";
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}

export function podRefKey(ix: SnapshotIndex, pod: KubeObject): string {
  return kindKey("Pod", pod.metadata?.namespace ?? ix.namespace, pod.metadata?.name ?? "");
}
