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
