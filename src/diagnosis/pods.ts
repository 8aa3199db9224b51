// Classify why a pod is not running well, from its status and its events (catalogue §20).
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
  /** The object the kubelet says is missing, when it names one. */
  missing?: { kind: string; name: string };
  events: KubeEvent[];
}

const NOT_FOUND = /(configmap|secret|persistentvolumeclaim|serviceaccount) "([^"]+)" not found/i;
const KEY_MISSING = /couldn't find key \S+ in (Secret|ConfigMap) [^/\s]+\/(\S+)/;
const KINDS: Record<string, string> = {
  configmap: "ConfigMap",
  secret: "Secret",
  persistentvolumeclaim: "PersistentVolumeClaim",
  serviceaccount: "ServiceAccount",
};

export function missingObject(message: string): { kind: string; name: string } | undefined {
  const m = NOT_FOUND.exec(message);
  if (m) return { kind: KINDS[m[1]!.toLowerCase()]!, name: m[2]! };
  const k = KEY_MISSING.exec(message);
  if (k) return { kind: k[1]!, name: k[2]! };
  return undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function containerStatuses(pod: any): any[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

export function classifyPod(ix: SnapshotIndex, pod: KubeObject): PodProblem | undefined {
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
    if (["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"].includes(w?.reason)) {
      return {
        code: "pod-image-pull",
        pod,
        container: cs.name,
        state: w.reason,
        message: w.message ?? byReason("Failed")[0]?.message ?? "",
        events: events.filter((e) => e.reason === "Failed" || e.reason === "BackOff"),
      };
    }
    if (w?.reason === "CrashLoopBackOff" || (last && cs.restartCount > 2 && !cs.ready)) {
      const oom = last?.reason === "OOMKilled";
      return {
        code: oom ? "pod-oom-killed" : "pod-crash-loop",
        pod,
        container: cs.name,
        state: w?.reason ?? "Restarting",
        message: oom
          ? `container ${cs.name} was OOMKilled (exit code ${last.exitCode ?? 137}), restarted ${cs.restartCount} times`
          : `container ${cs.name} keeps exiting (last: ${last?.reason ?? "?"}, exit code ${last?.exitCode ?? "?"}), restarted ${cs.restartCount ?? 0} times`,
        events: byReason("BackOff"),
      };
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
  if (phase === "Pending" && sched.length > 0) {
    const msg = sched[sched.length - 1]!.message;
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
  if (phase === "Running") {
    const ready = (pod.status?.conditions ?? []).find((c: { type: string }) => c.type === "Ready");
    if (ready && ready.status !== "True") {
      const unhealthy = byReason("Unhealthy");
      return {
        code: "pod-not-ready",
        pod,
        state: "Running, not Ready",
        message: unhealthy[0]?.message ?? ready.message ?? "readiness probe failing",
        events: unhealthy,
      };
    }
  }
  return undefined;
}

export function podRefKey(ix: SnapshotIndex, pod: KubeObject): string {
  return kindKey("Pod", pod.metadata?.namespace ?? ix.namespace, pod.metadata?.name ?? "");
}
