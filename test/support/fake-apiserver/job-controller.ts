// A tiny job controller (plus the scheduler and kubelet parts a Job needs): when a Job is created through
// the API, it creates the Pod, runs it, and ends the Job as the test chose. Every step is a real write, so
// watches see ADDED/MODIFIED events and lists see the intermediate states, with the Events a cluster records.
//
// Timeline (each step `delayMs` after the previous one):
//   1. Pod created (generateName "<job>-", controller labels, ownerReference), bound to node "fake-node";
//      Job status active=1, startTime; Events SuccessfulCreate (Job) and Scheduled (Pod).
//   2. Pod Running; Job status ready=1; Events Pulled, Created, Started (Pod).
//   3. complete: Pod Succeeded; Job SuccessCriteriaMet, then Complete (+ completionTime, succeeded=1).
//      fail:     Pod Failed (exit 1); a new Pod per retry until failed > backoffLimit; then FailureTarget and
//                Failed with reason BackoffLimitExceeded.
//      deadline: the Pod is deleted; FailureTarget and Failed with reason DeadlineExceeded.
//      hang:     nothing more; the Job stays active with a Running Pod.
import { randomBytes } from "node:crypto";
import type { Cluster } from "./cluster.js";
import { recordUpdate } from "./managed-fields.js";
import { apiVersionOf, type ResourceDef } from "./resources.js";
import type { Change } from "./store.js";
import type { JobOutcome, JsonObject, KubeObject } from "./types.js";
import { clone, isObject } from "./util.js";

export interface JobOutcomeOptions {
  /** Log text of every pod the job runs (served by GET .../pods/{name}/log). */
  log?: string;
}

type OutcomeResolver = (job: KubeObject) => JobOutcome | undefined;

interface Plan {
  outcome: JobOutcome;
  log?: string;
}

const JOB_FAILED_MESSAGE = "Job has reached the specified backoff limit";
const JOB_DEADLINE_MESSAGE = "Job was active longer than specified deadline";
const NODE = "fake-node";

export class JobController {
  /** Delay between the steps; default 20 ms. */
  delayMs: number;
  /** Outcome for jobs no rule names. */
  defaultOutcome: JobOutcome = "complete";
  /** Set false to leave created Jobs alone (no pods, no status). */
  enabled = true;

  private readonly cluster: Cluster;
  private readonly byName = new Map<string, Plan>();
  private readonly resolvers: Array<{ fn: OutcomeResolver; opts: JobOutcomeOptions }> = [];
  private readonly jobs: ResourceDef;
  private readonly pods: ResourceDef;
  private readonly events: ResourceDef;
  private readonly podLogs: Map<string, string>;
  private ipCounter = 10;
  /** While true (seeding), created Jobs are taken as existing state, not started. */
  paused = false;

  constructor(cluster: Cluster, podLogs: Map<string, string>, delayMs: number) {
    this.cluster = cluster;
    this.podLogs = podLogs;
    this.delayMs = delayMs;
    this.jobs = cluster.registry.find("batch", "v1", "jobs")!;
    this.pods = cluster.registry.find("", "v1", "pods")!;
    this.events = cluster.registry.find("", "v1", "events")!;
    cluster.store.subscribe((c) => this.onChange(c));
  }

  /**
   * Chooses the outcome of a job by name ("name" in any namespace, or "namespace/name"), or by a function
   * returning the outcome (or undefined to fall through to the next rule and then `defaultOutcome`).
   */
  setOutcome(job: string, outcome: JobOutcome, opts?: JobOutcomeOptions): void;
  setOutcome(resolver: OutcomeResolver, opts?: JobOutcomeOptions): void;
  setOutcome(job: string | OutcomeResolver, a?: JobOutcome | JobOutcomeOptions, b?: JobOutcomeOptions): void {
    if (typeof job === "string") {
      const plan: Plan = { outcome: a as JobOutcome };
      if (b?.log !== undefined) plan.log = b.log;
      this.byName.set(job, plan);
    } else {
      this.resolvers.push({ fn: job, opts: (a as JobOutcomeOptions | undefined) ?? {} });
    }
  }

  /** Forgets every outcome rule. */
  clearOutcomes(): void {
    this.byName.clear();
    this.resolvers.length = 0;
  }

  /** Runs a Job that exists in the store (e.g. one seeded without status). */
  run(namespace: string, name: string): void {
    const job = this.cluster.store.get(this.jobs.storage, namespace, name);
    if (!job) throw new Error(`job ${namespace}/${name} not found`);
    this.start(job);
  }

  private planFor(job: KubeObject): Plan {
    const { name, namespace } = job.metadata;
    const named = this.byName.get(`${namespace}/${name}`) ?? this.byName.get(name);
    if (named) return named;
    for (const r of this.resolvers) {
      const outcome = r.fn(clone(job));
      if (outcome) return r.opts.log !== undefined ? { outcome, log: r.opts.log } : { outcome };
    }
    return { outcome: this.defaultOutcome };
  }

  private onChange(c: Change): void {
    if (c.type !== "ADDED" || c.storage !== this.jobs.storage || this.paused || !this.enabled) return;
    this.start(c.object);
  }

  private start(job: KubeObject): void {
    if (isObject(job.spec) && job.spec.suspend === true) return;
    const plan = this.planFor(job);
    this.later(() => this.createPod(job, plan, 1));
  }

  private later(fn: () => void): void {
    this.cluster.schedule(this.delayMs, fn);
  }

  /** The job as stored now, or undefined when it was deleted, replaced or is being deleted. */
  private live(job: KubeObject): KubeObject | undefined {
    const cur = this.cluster.store.get(this.jobs.storage, job.metadata.namespace, job.metadata.name);
    if (!cur || cur.metadata.uid !== job.metadata.uid || cur.metadata.deletionTimestamp) return undefined;
    return cur;
  }

  private livePod(pod: KubeObject): KubeObject | undefined {
    const cur = this.cluster.store.get(this.pods.storage, pod.metadata.namespace, pod.metadata.name);
    return cur && cur.metadata.uid === pod.metadata.uid && !cur.metadata.deletionTimestamp ? cur : undefined;
  }

  /** A status write as the controller (or kubelet) makes it: through /status, recorded in managedFields. */
  private writeStatus(
    def: ResourceDef,
    o: KubeObject,
    manager: string,
    mutate: (status: JsonObject) => void,
  ): KubeObject {
    const next = clone(o);
    const status: JsonObject = isObject(next.status) ? next.status : {};
    mutate(status);
    next.status = status;
    recordUpdate(o, next, {
      manager,
      apiVersion: apiVersionOf(def),
      time: this.cluster.now(),
      subresource: "status",
    });
    return this.cluster.writeObject(def, next);
  }

  private event(
    involved: KubeObject,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
    component: string,
  ): void {
    const now = this.cluster.now();
    const ns = involved.metadata.namespace ?? "default";
    const body: KubeObject = {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${involved.metadata.name}.${randomBytes(8).toString("hex")}`, namespace: ns },
      involvedObject: {
        kind: involved.kind,
        namespace: ns,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: component === "kubelet" ? { component, host: NODE } : { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === "kubelet" ? NODE : "",
    };
    try {
      const manager =
        component === "kubelet"
          ? "kubelet"
          : component === "default-scheduler"
            ? "kube-scheduler"
            : "kube-controller-manager";
      this.cluster.create(this.events, ns, body, { fieldManager: manager });
    } catch {
      // the namespace may be terminating; events are best effort, as in a cluster
    }
  }

  private createPod(jobRef: KubeObject, plan: Plan, attempt: number): void {
    const job = this.live(jobRef);
    if (!job) return;
    const spec = isObject(job.spec) ? job.spec : {};
    const tpl = isObject(spec.template) ? spec.template : {};
    const tplMeta = isObject(tpl.metadata) ? tpl.metadata : {};
    const ns = job.metadata.namespace ?? "default";
    const podBody: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "",
        generateName: `${job.metadata.name}-`,
        namespace: ns,
        labels: { ...(isObject(tplMeta.labels) ? (tplMeta.labels as Record<string, string>) : {}) },
        ownerReferences: [
          {
            apiVersion: "batch/v1",
            kind: "Job",
            name: job.metadata.name,
            uid: job.metadata.uid ?? "",
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: clone(isObject(tpl.spec) ? tpl.spec : {}),
    };
    if (isObject(tplMeta.annotations))
      podBody.metadata.annotations = { ...(tplMeta.annotations as Record<string, string>) };
    let pod: KubeObject;
    try {
      pod = this.cluster.create(this.pods, ns, podBody, { fieldManager: "kube-controller-manager" });
    } catch (err) {
      this.event(
        job,
        "Warning",
        "FailedCreate",
        `Error creating: ${(err as Error).message}`,
        "job-controller",
      );
      return;
    }
    if (plan.log !== undefined) this.podLogs.set(`${ns}/${pod.metadata.name}`, plan.log);
    const startTime = this.cluster.now();
    const updated = this.writeStatus(this.jobs, job, "kube-controller-manager", (s) => {
      s.startTime ??= startTime;
      s.active = 1;
      s.ready = 0;
      s.terminating = 0;
      s.uncountedTerminatedPods = {};
    });
    this.event(updated, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`, "job-controller");
    // The scheduler binds the pod.
    const bound = clone(pod);
    if (isObject(bound.spec)) bound.spec.nodeName = NODE;
    bound.status = {
      phase: "Pending",
      conditions: [condition("PodScheduled", "True", this.cluster.now())],
      qosClass: "BestEffort",
    };
    const boundPod = this.cluster.writeObject(this.pods, bound);
    this.event(
      boundPod,
      "Normal",
      "Scheduled",
      `Successfully assigned ${ns}/${pod.metadata.name} to ${NODE}`,
      "default-scheduler",
    );
    this.later(() => this.runPod(updated, boundPod, plan, attempt));
  }

  private containers(pod: KubeObject): Array<{ name: string; image: string }> {
    const cs = isObject(pod.spec) && Array.isArray(pod.spec.containers) ? pod.spec.containers : [];
    return cs.filter(isObject).map((c) => ({ name: String(c.name ?? ""), image: String(c.image ?? "") }));
  }

  private runPod(jobRef: KubeObject, podRef: KubeObject, plan: Plan, attempt: number): void {
    const pod = this.livePod(podRef);
    const job = this.live(jobRef);
    if (!pod || !job) return;
    const now = this.cluster.now();
    const ip = `10.244.0.${this.ipCounter++ % 250}`;
    const running = this.writeStatus(this.pods, pod, "kubelet", (s) => {
      s.phase = "Running";
      s.conditions = [
        "PodReadyToStartContainers",
        "Initialized",
        "Ready",
        "ContainersReady",
        "PodScheduled",
      ].map((t) => condition(t, "True", now));
      s.hostIP = "172.18.0.2";
      s.hostIPs = [{ ip: "172.18.0.2" }];
      s.podIP = ip;
      s.podIPs = [{ ip }];
      s.startTime = now;
      s.containerStatuses = this.containers(pod).map((c) => ({
        containerID: `containerd://${randomBytes(32).toString("hex")}`,
        image: c.image,
        imageID: "",
        lastState: {},
        name: c.name,
        ready: true,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: now } },
      }));
      s.qosClass = "BestEffort";
    });
    for (const c of this.containers(pod)) {
      this.event(
        running,
        "Normal",
        "Pulled",
        `Container image "${c.image}" already present on machine`,
        "kubelet",
      );
      this.event(running, "Normal", "Created", `Created container ${c.name}`, "kubelet");
      this.event(running, "Normal", "Started", `Started container ${c.name}`, "kubelet");
    }
    const readyJob = this.writeStatus(this.jobs, job, "kube-controller-manager", (s) => {
      s.ready = 1;
    });
    if (plan.outcome === "hang") return;
    this.later(() => this.finish(readyJob, running, plan, attempt));
  }

  private terminate(pod: KubeObject, exitCode: number): KubeObject {
    const now = this.cluster.now();
    return this.writeStatus(this.pods, pod, "kubelet", (s) => {
      s.phase = exitCode === 0 ? "Succeeded" : "Failed";
      s.conditions = [
        condition("PodReadyToStartContainers", "False", now),
        condition("Initialized", "True", now, "PodCompleted"),
        condition("Ready", "False", now, exitCode === 0 ? "PodCompleted" : "PodFailed"),
        condition("ContainersReady", "False", now, exitCode === 0 ? "PodCompleted" : "PodFailed"),
        condition("PodScheduled", "True", now),
      ];
      const statuses = Array.isArray(s.containerStatuses) ? s.containerStatuses.filter(isObject) : [];
      s.containerStatuses = statuses.map((c) => {
        const running = isObject(c.state) && isObject(c.state.running) ? c.state.running : {};
        return {
          ...c,
          ready: false,
          started: false,
          state: {
            terminated: {
              containerID: c.containerID,
              exitCode,
              finishedAt: now,
              reason: exitCode === 0 ? "Completed" : "Error",
              startedAt: running.startedAt ?? now,
            },
          },
        };
      });
    });
  }

  private finish(jobRef: KubeObject, podRef: KubeObject, plan: Plan, attempt: number): void {
    const job = this.live(jobRef);
    const pod = this.livePod(podRef);
    if (!job || !pod) return;
    const now = this.cluster.now();
    const cm = "kube-controller-manager";
    if (plan.outcome === "complete") {
      this.terminate(pod, 0);
      const interim = this.writeStatus(this.jobs, job, cm, (s) => {
        delete s.active;
        s.ready = 0;
        s.succeeded = 1;
        s.conditions = [
          jobCondition(
            "SuccessCriteriaMet",
            now,
            "CompletionsReached",
            "Reached expected number of succeeded pods",
          ),
        ];
      });
      this.later(() => {
        const j = this.live(interim);
        if (!j) return;
        const done = this.writeStatus(this.jobs, j, cm, (s) => {
          const conds = Array.isArray(s.conditions) ? s.conditions : [];
          s.conditions = [
            ...conds,
            jobCondition(
              "Complete",
              this.cluster.now(),
              "CompletionsReached",
              "Reached expected number of succeeded pods",
            ),
          ];
          s.completionTime = this.cluster.now();
        });
        this.event(done, "Normal", "Completed", "Job completed", "job-controller");
      });
      return;
    }
    if (plan.outcome === "deadline") {
      try {
        this.cluster.delete(this.pods, pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0 });
      } catch {
        // already gone
      }
      this.event(job, "Normal", "SuccessfulDelete", `Deleted pod: ${pod.metadata.name}`, "job-controller");
      this.failJob(job, "DeadlineExceeded", JOB_DEADLINE_MESSAGE, 1);
      return;
    }
    // fail: this attempt's pod fails; retry until failed pods exceed backoffLimit.
    this.terminate(pod, 1);
    const spec = isObject(job.spec) ? job.spec : {};
    const backoffLimit = typeof spec.backoffLimit === "number" ? spec.backoffLimit : 6;
    if (attempt > backoffLimit) {
      this.failJob(job, "BackoffLimitExceeded", JOB_FAILED_MESSAGE, attempt);
      return;
    }
    const afterFailure = this.writeStatus(this.jobs, job, cm, (s) => {
      s.active = 0;
      s.ready = 0;
      s.failed = attempt;
    });
    this.later(() => this.createPod(afterFailure, plan, attempt + 1));
  }

  private failJob(job: KubeObject, reason: string, message: string, failed: number): void {
    const cm = "kube-controller-manager";
    const interim = this.writeStatus(this.jobs, job, cm, (s) => {
      delete s.active;
      s.ready = 0;
      s.failed = failed;
      s.conditions = [jobCondition("FailureTarget", this.cluster.now(), reason, message)];
    });
    this.later(() => {
      const j = this.live(interim);
      if (!j) return;
      const done = this.writeStatus(this.jobs, j, cm, (s) => {
        const conds = Array.isArray(s.conditions) ? s.conditions : [];
        s.conditions = [...conds, jobCondition("Failed", this.cluster.now(), reason, message)];
      });
      this.event(done, "Warning", reason, message, "job-controller");
    });
  }
}

/** A pod condition (lastProbeTime null, as the kubelet writes it). */
function condition(type: string, status: string, time: string, reason?: string): JsonObject {
  const c: JsonObject = { type, status, lastProbeTime: null, lastTransitionTime: time };
  if (reason) c.reason = reason;
  return c;
}

/** A job condition (the job controller sets lastProbeTime too). */
function jobCondition(type: string, time: string, reason: string, message: string): JsonObject {
  return { type, status: "True", lastProbeTime: time, lastTransitionTime: time, reason, message };
}
