// Live workload builders: a Deployment with its ReplicaSets and pods as the controllers would leave them.
import type { Obj, Scenario } from "../scenario.js";

export interface PodState {
  /** "running" | "container-creating" | "config-error" | "image-pull" | "crash-loop" | "oom" | "pending" | "not-ready" | "succeeded" | "failed" */
  state: string;
  message?: string;
  restarts?: number;
}

export function podStatus(state: PodState, container: string, image: string): Obj {
  const ready = state.state === "running";
  const cond = (t: string, s: boolean) => ({ type: t, status: s ? "True" : "False" });
  const base = (phase: string, cs: Obj) => ({
    phase,
    conditions: [
      cond("PodScheduled", state.state !== "pending"),
      cond("Initialized", true),
      cond("ContainersReady", ready),
      cond("Ready", ready),
    ],
    containerStatuses:
      state.state === "pending"
        ? undefined
        : [{ name: container, image, ready, restartCount: state.restarts ?? 0, started: ready, ...cs }],
  });
  switch (state.state) {
    case "running":
      return base("Running", { state: { running: { startedAt: "2026-11-20T10:00:30Z" } } });
    case "not-ready":
      return { ...base("Running", { state: { running: { startedAt: "2026-11-20T10:00:30Z" } } }) };
    case "container-creating":
      return base("Pending", { state: { waiting: { reason: "ContainerCreating" } } });
    case "config-error":
      return base("Pending", {
        state: { waiting: { reason: "CreateContainerConfigError", message: state.message ?? "" } },
      });
    case "image-pull":
      return base("Pending", {
        state: {
          waiting: {
            reason: "ImagePullBackOff",
            message: state.message ?? `Back-off pulling image "${image}"`,
          },
        },
      });
    case "crash-loop":
      return base("Running", {
        state: {
          waiting: {
            reason: "CrashLoopBackOff",
            message: `back-off 5m0s restarting failed container=${container}`,
          },
        },
        lastState: { terminated: { reason: "Error", exitCode: 1 } },
      });
    case "oom":
      return base("Running", {
        state: {
          waiting: {
            reason: "CrashLoopBackOff",
            message: `back-off 5m0s restarting failed container=${container}`,
          },
        },
        lastState: { terminated: { reason: "OOMKilled", exitCode: 137 } },
      });
    case "pending":
      return {
        phase: "Pending",
        conditions: [
          { type: "PodScheduled", status: "False", reason: "Unschedulable", message: state.message ?? "" },
        ],
      };
    case "succeeded":
      return base("Succeeded", { state: { terminated: { reason: "Completed", exitCode: 0 } } });
    case "failed":
      return base("Failed", { state: { terminated: { reason: "Error", exitCode: 1 } } });
    default:
      throw new Error(`unknown pod state ${state.state}`);
  }
}

/** A ReplicaSet of `deploy` for one pod template, with `pods` pods in the given states. */
export function replicaSet(
  s: Scenario,
  deploy: Obj,
  hash: string,
  revision: number,
  pods: PodState[],
  at: number,
): { rs: Obj; pods: Obj[] } {
  const tmpl = structuredClone(deploy.spec.template);
  tmpl.metadata.labels = { ...tmpl.metadata.labels, "pod-template-hash": hash };
  const rs = s.add(
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${deploy.metadata.name}-${hash}`,
        labels: tmpl.metadata.labels,
        annotations: { "deployment.kubernetes.io/revision": String(revision) },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: deploy.metadata.name,
            uid: deploy.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { replicas: pods.length, selector: deploy.spec.selector, template: tmpl },
      status: { replicas: pods.length, readyReplicas: pods.filter((p) => p.state === "running").length },
    },
    at,
  );
  const out: Obj[] = [];
  pods.forEach((p, i) => {
    const c = tmpl.spec.containers[0];
    out.push(
      s.add(
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: `${rs.metadata.name}-${["x7k2p", "m4q9z", "t2w8r", "b5n3c", "h8d1f"][i % 5]}${i >= 5 ? i : ""}`,
            labels: tmpl.metadata.labels,
            annotations: tmpl.metadata.annotations,
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "ReplicaSet",
                name: rs.metadata.name,
                uid: rs.metadata.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: { ...tmpl.spec, nodeName: p.state === "pending" ? undefined : "node-1" },
          status: podStatus(p, c.name, c.image),
        },
        at,
      ),
    );
  });
  return { rs, pods: out };
}

export type JobOutcome = "complete" | "backoff-limit" | "deadline" | "running" | "no-pods";

/**
 * A live Job (e.g. a hook Job created from a hook manifest) with its pods and the status the job controller
 * writes for `outcome`. `at`/`end` in scenario minutes. Returns the Job and its pods.
 */
export function job(
  s: Scenario,
  manifest: Obj,
  outcome: JobOutcome,
  at: number,
  end = at + 1,
  podState?: PodState,
): { job: Obj; pods: Obj[] } {
  const j = structuredClone(manifest);
  j.metadata.uid ??= s.uid();
  const uid = j.metadata.uid;
  const labels = {
    "batch.kubernetes.io/controller-uid": uid,
    "batch.kubernetes.io/job-name": j.metadata.name,
    "controller-uid": uid,
    "job-name": j.metadata.name,
  };
  j.spec ??= {};
  j.spec.template ??= { spec: { containers: [{ name: "main", image: "busybox" }] } };
  j.spec.template.metadata = {
    ...(j.spec.template.metadata ?? {}),
    labels: { ...(j.spec.template.metadata?.labels ?? {}), ...labels },
  };
  j.spec.backoffLimit ??= 6;
  const cond = (type: string, reason?: string, message?: string) => ({
    type,
    status: "True",
    lastTransitionTime: s.time(end),
    lastProbeTime: s.time(end),
    ...(reason ? { reason, message } : {}),
  });
  switch (outcome) {
    case "complete":
      j.status = {
        startTime: s.time(at),
        completionTime: s.time(end),
        succeeded: 1,
        conditions: [cond("Complete")],
      };
      break;
    case "backoff-limit":
      j.status = {
        startTime: s.time(at),
        failed: j.spec.backoffLimit + 1,
        conditions: [cond("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit")],
      };
      break;
    case "deadline":
      j.status = {
        startTime: s.time(at),
        failed: 1,
        conditions: [cond("Failed", "DeadlineExceeded", "Job was active longer than specified deadline")],
      };
      break;
    default:
      j.status = { startTime: s.time(at), active: outcome === "running" ? 1 : 0 };
  }
  s.add(j, at);
  const pods: Obj[] = [];
  if (outcome !== "no-pods") {
    const n = outcome === "backoff-limit" ? Math.min(3, j.spec.backoffLimit + 1) : 1;
    const state: PodState = podState ?? {
      state: outcome === "complete" ? "succeeded" : outcome === "running" ? "running" : "failed",
    };
    for (let i = 0; i < n; i++) {
      const c = j.spec.template.spec.containers[0];
      pods.push(
        s.add(
          {
            apiVersion: "v1",
            kind: "Pod",
            metadata: {
              name: `${j.metadata.name}-${["q8w2e", "r5t7y", "u1i3o"][i]}`,
              labels: j.spec.template.metadata.labels,
              ownerReferences: [
                {
                  apiVersion: "batch/v1",
                  kind: "Job",
                  name: j.metadata.name,
                  uid,
                  controller: true,
                  blockOwnerDeletion: true,
                },
              ],
            },
            spec: { ...j.spec.template.spec, nodeName: "node-1" },
            status: podStatus(state, c.name, c.image),
          },
          at,
        ),
      );
    }
  }
  return { job: j, pods };
}
