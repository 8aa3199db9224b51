// The workloads' pods after a plan, as their controllers would leave them. Pure.
// - A pod blocked by a missing object (a ConfigMap or Secret it mounts or reads, a PVC) starts once the plan
//   has created that object.
// - A workload whose pod template changed gets pods of the new template. What they do is read from the pods that
//   already ran that template: a ReplicaSet of the same template is scaled up again, with its pods as they are;
//   pods that refuse credentials (a password the database does not know) keep failing while they read the same
//   Secret. A template no pod has run, with everything it references present, is assumed to start (and the
//   prediction says so); one that references an object of the release that does not exist does not start.
// - A rollout whose new pods all run is complete: the old ReplicaSets are scaled to zero and their pods go.
// Workload status (replicas, ready counts, the Progressing condition) is recomputed for what changed.
import { deepEqual } from "../cluster/strategicpatch.js";
import { classifyPod, type PodProblem } from "../diagnosis/pods.js";
import { podSignals } from "../diagnosis/signals.js";
import { podRefs } from "../diagnosis/workloads.js";
import { kindKey } from "../helm/keys.js";
import { parseYamlObject } from "../helm/manifest.js";
import type { SnapshotIndex } from "../snapshot/index.js";
import type { KubeEvent, KubeObject } from "../snapshot/types.js";
import type { World } from "./predict.js";

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
type Any = any;

const READY_CONDITIONS = ["PodScheduled", "Initialized", "ContainersReady", "Ready"];

function isReady(p: KubeObject): boolean {
  return (p.status?.conditions ?? []).some((c: Any) => c.type === "Ready" && c.status === "True");
}

/** A pod as the kubelet reports it once its containers run and pass readiness. */
function runningStatus(pod: KubeObject, at: string): Any {
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  const init = new Set((pod.spec?.initContainers ?? []).map((c: Any) => c.name));
  const status = (c: Any) => {
    const prev = [
      ...(pod.status?.initContainerStatuses ?? []),
      ...(pod.status?.containerStatuses ?? []),
    ].find((s: Any) => s.name === c.name);
    return init.has(c.name)
      ? {
          name: c.name,
          image: c.image,
          ready: true,
          restartCount: prev?.restartCount ?? 0,
          state: { terminated: { reason: "Completed", exitCode: 0 } },
        }
      : {
          name: c.name,
          image: c.image,
          ready: true,
          started: true,
          restartCount: prev?.restartCount ?? 0,
          state: { running: { startedAt: at } },
        };
  };
  return {
    phase: "Running",
    startTime: pod.status?.startTime ?? at,
    conditions: READY_CONDITIONS.map((type) => ({ type, status: "True", lastTransitionTime: at })),
    ...(init.size > 0
      ? { initContainerStatuses: containers.filter((c: Any) => init.has(c.name)).map(status) }
      : {}),
    containerStatuses: containers.filter((c: Any) => !init.has(c.name)).map(status),
  };
}

/** Names the release manages (manifests and hooks of any revision): a snapshot reads them when they exist. */
function releaseNames(ix: SnapshotIndex): Set<string> {
  return ix.memo("predict:releaseNames", () => {
    const out = new Set<string>();
    for (const r of ix.releases) {
      for (const d of ix.manifest(r)) if (d.kind) out.add(kindKey(d.kind, d.namespace, d.name));
      for (const h of r.hooks ?? []) {
        const ns = parseYamlObject(h.manifest).object?.metadata?.namespace || r.namespace || ix.namespace;
        out.add(kindKey(h.kind, ns, h.name));
      }
    }
    return out;
  });
}

interface Missing {
  kind: string;
  name: string;
  how: "volume" | "env" | "claim";
}

/** Objects of the release a pod spec needs that do not exist in the predicted state. */
function missingRefs(ix: SnapshotIndex, w: World, spec: Any, ns: string): Missing[] {
  const known = releaseNames(ix);
  const gap = (kind: string) =>
    ix.snapshot.gaps.some((g) => {
      const what = g.what.toLowerCase();
      return what.includes(kind.toLowerCase()) || what === "objects" || what === "all";
    });
  const out: Missing[] = [];
  const refs = podRefs(spec);
  const volumes = new Set<string>();
  for (const v of spec?.volumes ?? []) {
    if (v.configMap?.name && !v.configMap.optional) volumes.add(`ConfigMap/${v.configMap.name}`);
    if (v.secret?.secretName && !v.secret.optional) volumes.add(`Secret/${v.secret.secretName}`);
  }
  const check = (kind: string, name: string, how: Missing["how"]) => {
    if (!known.has(kindKey(kind, ns, name)) || gap(kind)) return;
    if (!w.get(kind, ns, name)) out.push({ kind, name, how });
  };
  for (const n of refs.configMaps) check("ConfigMap", n, volumes.has(`ConfigMap/${n}`) ? "volume" : "env");
  for (const n of refs.secrets) {
    if ((spec?.imagePullSecrets ?? []).some((s: Any) => s.name === n) && !volumes.has(`Secret/${n}`))
      continue;
    check("Secret", n, volumes.has(`Secret/${n}`) ? "volume" : "env");
  }
  for (const n of refs.pvcs) check("PersistentVolumeClaim", n, "claim");
  return out;
}

/** What the plan fixed around a failing pod (the object it waited for, the credentials it was refused). */
function fixedFor(ix: SnapshotIndex, w: World, p: PodProblem): boolean {
  const ns = p.pod.metadata?.namespace ?? ix.namespace;
  if (p.code === "pod-config-missing" || p.code === "pod-mount-failed" || p.code === "pod-pvc-unbound") {
    if (p.missing) {
      const o: Any = w.get(p.missing.kind, ns, p.missing.name);
      if (!o) return false;
      return (
        !p.missing.key || o.data?.[p.missing.key] !== undefined || o.stringData?.[p.missing.key] !== undefined
      );
    }
    return false;
  }
  // Only what the plan did can end a crash: read what the pod says only then (it costs a pass over its events).
  if (w.succeededJobs.length === 0 && w.createdKinds.size === 0) return false;
  // A crash that says the database schema is missing ends once a hook Job of the plan has run (the migration).
  const signals = podSignals(ix, p.pod);
  if (signals.some((s) => s.type === "schema") && w.succeededJobs.length > 0) {
    w.assumptions.push(
      `hook Job ${w.succeededJobs.join(", ")} is assumed to create the database schema the pods of ${ownerName(p.pod)} need`,
    );
    return true;
  }
  // A crash that says the API server lacks a kind ends once the plan creates that CustomResourceDefinition.
  const kinds = signals.filter((s) => s.type === "missing-kind");
  if (kinds.length > 0 && w.createdKinds.size > 0)
    return kinds.every((s) => s.type === "missing-kind" && !!s.kind && w.createdKinds.has(s.kind));
  return false;
}

function ownerName(pod: KubeObject): string {
  const ref = pod.metadata?.ownerReferences?.[0];
  return ref ? `${ref.kind} ${ref.name}` : `pod ${pod.metadata?.name}`;
}

/** Credentials refused while reading Secrets the plan did not change: the failure follows the Secret. */
function refusedCredentials(ix: SnapshotIndex, w: World, pod: KubeObject): string[] {
  if (!podSignals(ix, pod).some((s) => s.type === "auth")) return [];
  const ns = pod.metadata?.namespace ?? ix.namespace;
  return [...podRefs(pod.spec).secrets].filter((n) => !w.touched.has(kindKey("Secret", ns, n)));
}

interface PodPlan {
  pods: KubeObject[];
  events: KubeEvent[];
  healthy: boolean;
}

/** Pods of template `tmpl` that a controller creates now, named after `prefix`. */
function newPods(
  ix: SnapshotIndex,
  w: World,
  owner: KubeObject,
  ownerKind: string,
  tmpl: Any,
  count: number,
  prefix: string,
  evidence: KubeObject[],
  failingNow: () => KubeObject[],
): PodPlan {
  const ns = owner.metadata?.namespace ?? ix.namespace;
  const at = w.now.toISOString();
  const base = (i: number): KubeObject => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${prefix}-${i}`,
      namespace: ns,
      uid: w.uid(),
      creationTimestamp: at,
      labels: { ...(tmpl?.metadata?.labels ?? {}) },
      ...(tmpl?.metadata?.annotations ? { annotations: { ...tmpl.metadata.annotations } } : {}),
      ownerReferences: [
        {
          apiVersion: owner.apiVersion ?? "apps/v1",
          kind: ownerKind,
          name: owner.metadata?.name ?? "",
          ...(owner.metadata?.uid ? { uid: owner.metadata.uid } : {}),
          controller: true,
        },
      ],
    },
    spec: structuredClone(tmpl?.spec ?? {}),
  });
  const out: PodPlan = { pods: [], events: [], healthy: false };
  const missing = missingRefs(ix, w, tmpl?.spec, ns);
  const wl = `${owner.kind} ${owner.metadata?.name}`;
  // A failing pod to copy: the same template failing, or credentials refused from the same Secret.
  const secrets = podRefs(tmpl?.spec).secrets;
  const copy =
    evidence.find((p) => classifyPod(ix, p) && !fixedFor(ix, w, classifyPod(ix, p)!)) ??
    failingNow().find((p) => refusedCredentials(ix, w, p).some((n) => secrets.has(n)));
  const healthyBefore = evidence.find((p) => !classifyPod(ix, p) && isReady(p) && !changedSince(ix, w, p));
  for (let i = 0; i < count; i++) {
    const pod = base(i);
    if (missing.length > 0) {
      const m = missing[0]!;
      const kind = m.kind.toLowerCase();
      if (m.how === "claim") {
        pod.status = {
          phase: "Pending",
          conditions: [
            {
              type: "PodScheduled",
              status: "False",
              reason: "Unschedulable",
              message: `persistentvolumeclaim "${m.name}" not found`,
            },
          ],
        };
        out.events.push(event(pod, "FailedScheduling", `persistentvolumeclaim "${m.name}" not found`, at));
      } else if (m.how === "volume") {
        pod.status = containerStatus(pod, { waiting: { reason: "ContainerCreating" } }, "Pending");
        out.events.push(
          event(
            pod,
            "FailedMount",
            `MountVolume.SetUp failed for volume "${volumeOf(pod, m)}" : ${kind} "${m.name}" not found`,
            at,
          ),
        );
      } else {
        pod.status = containerStatus(
          pod,
          { waiting: { reason: "CreateContainerConfigError", message: `${kind} "${m.name}" not found` } },
          "Pending",
        );
        out.events.push(event(pod, "Failed", `Error: ${kind} "${m.name}" not found`, at));
      }
    } else if (copy) {
      pod.status = structuredClone(copy.status ?? {});
      pod.spec = { ...pod.spec, ...(copy.spec?.nodeName ? { nodeName: copy.spec.nodeName } : {}) };
      for (const e of ix.eventsFor(copy))
        out.events.push({
          ...e,
          involved: { ...e.involved, name: pod.metadata!.name!, uid: pod.metadata!.uid! },
        });
    } else {
      pod.status = runningStatus(pod, at);
      pod.spec.nodeName = healthyBefore?.spec?.nodeName ?? "predicted";
      out.healthy = true;
    }
    out.pods.push(pod);
  }
  if (out.healthy && !healthyBefore && count > 0)
    w.assumptions.push(`the new pods of ${wl} are assumed to start: no pod has run this template yet`);
  return out;
}

/** Did an object the pod reads change after the pod started (so its health says nothing about a new pod)? */
function changedSince(ix: SnapshotIndex, w: World, pod: KubeObject): boolean {
  const ns = pod.metadata?.namespace ?? ix.namespace;
  const started = Date.parse(pod.metadata?.creationTimestamp ?? "");
  const refs = podRefs(pod.spec);
  const objs = [
    ...[...refs.configMaps].map((n) => ["ConfigMap", n] as const),
    ...[...refs.secrets].map((n) => ["Secret", n] as const),
  ];
  for (const [kind, name] of objs) {
    const key = kindKey(kind, ns, name);
    if (w.touched.has(key)) return true;
    const o = ix.get(kind, ns, name);
    const created = Date.parse(o?.metadata?.creationTimestamp ?? "");
    if (Number.isFinite(created) && Number.isFinite(started) && created > started + 60_000) return true;
  }
  return false;
}

function volumeOf(pod: KubeObject, m: Missing): string {
  const v = (pod.spec?.volumes ?? []).find(
    (x: Any) => x.configMap?.name === m.name || x.secret?.secretName === m.name,
  );
  return v?.name ?? m.name;
}

function containerStatus(pod: KubeObject, state: Any, phase: string): Any {
  return {
    phase,
    conditions: [
      { type: "PodScheduled", status: "True" },
      { type: "Ready", status: "False" },
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((c: Any) => ({
      name: c.name,
      image: c.image,
      ready: false,
      restartCount: 0,
      state,
    })),
  };
}

function event(pod: KubeObject, reason: string, message: string, at: string): KubeEvent {
  return {
    type: "Warning",
    reason,
    message,
    count: 1,
    firstTimestamp: at,
    lastTimestamp: at,
    involved: {
      kind: "Pod",
      name: pod.metadata?.name ?? "",
      ...(pod.metadata?.namespace ? { namespace: pod.metadata.namespace } : {}),
      ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
    },
  };
}

/** An existing pod after the plan: started when what blocked it exists now, else as it was. */
function settlePod(ix: SnapshotIndex, w: World, pod: KubeObject): { pod: KubeObject; healthy: boolean } {
  const p =
    ix.get("Pod", pod.metadata?.namespace ?? ix.namespace, pod.metadata?.name ?? "") === pod
      ? classifyPod(ix, pod)
      : undefined;
  if (!p) return { pod, healthy: isReady(pod) || pod.status?.phase === "Succeeded" };
  if (!fixedFor(ix, w, p)) return { pod, healthy: false };
  const started: KubeObject = { ...pod, status: runningStatus(pod, w.now.toISOString()) };
  w.put(started);
  w.stale.add(w.keyOf(pod));
  return { pod: started, healthy: true };
}

function stripHash(t: Any): Any {
  if (!t?.metadata?.labels?.["pod-template-hash"]) return t;
  const { "pod-template-hash": _h, ...labels } = t.metadata.labels;
  return { ...t, metadata: { ...t.metadata, labels } };
}

function rsRevision(rs: KubeObject): number {
  const v = Number(rs.metadata?.annotations?.["deployment.kubernetes.io/revision"]);
  return Number.isFinite(v) ? v : 0;
}

function podsOf(w: World, o: KubeObject): KubeObject[] {
  return w.children(o).filter((c) => c.kind === "Pod");
}

function settleDeployment(ix: SnapshotIndex, w: World, dep: KubeObject): void {
  const ns = dep.metadata?.namespace ?? ix.namespace;
  const before = ix.get("Deployment", ns, dep.metadata?.name ?? "");
  const tmpl = dep.spec?.template;
  const changed = !before || !deepEqual(before.spec?.template, tmpl);
  const rss = w
    .children(dep)
    .filter((c) => c.kind === "ReplicaSet")
    .sort((a, b) => rsRevision(b) - rsRevision(a));
  let cur = rss.find((rs) => deepEqual(stripHash(rs.spec?.template), tmpl));
  if (!cur && !changed) cur = rss[0];
  const replicas: number = dep.spec?.replicas ?? 1;
  let dirty = changed;
  const health = new Map<KubeObject, boolean>();
  const original = (rs: KubeObject | undefined) =>
    rs ? ix.children(rs).filter((c) => c.kind === "Pod") : [];
  const failingNow = () => rss.flatMap((rs) => original(rs)).filter((p) => classifyPod(ix, p));
  // The kubelet retries every pod: those blocked by what now exists start, whichever ReplicaSet they belong to.
  const settle = (rs: KubeObject) => {
    for (const p of podsOf(w, rs)) {
      const s = settlePod(ix, w, p);
      if (s.pod !== p) dirty = true;
      health.set(s.pod, s.healthy);
    }
  };
  if (cur) settle(cur);
  if (!cur) {
    const name = `${dep.metadata?.name}-predicted`;
    cur = w.created({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name,
        namespace: ns,
        labels: { ...(tmpl?.metadata?.labels ?? {}) },
        annotations: { "deployment.kubernetes.io/revision": String((rss[0] ? rsRevision(rss[0]) : 0) + 1) },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: dep.metadata?.name ?? "",
            uid: dep.metadata?.uid ?? "",
            controller: true,
          },
        ],
      },
      spec: { replicas, selector: dep.spec?.selector, template: structuredClone(tmpl) },
    });
    w.put(cur);
    const made = newPods(ix, w, cur, "ReplicaSet", tmpl, replicas, name, [], failingNow);
    for (const p of made.pods) {
      w.put(p);
      health.set(p, made.healthy);
    }
    w.events.push(...made.events);
  } else {
    if (changed && rss[0] !== cur) {
      cur = {
        ...cur,
        metadata: {
          ...cur.metadata,
          annotations: {
            ...(cur.metadata?.annotations ?? {}),
            "deployment.kubernetes.io/revision": String(rsRevision(rss[0]!) + 1),
          },
        },
      };
      w.put(cur);
    }
    const have = podsOf(w, cur).length;
    if (have < replicas && changed) {
      const made = newPods(
        ix,
        w,
        cur,
        "ReplicaSet",
        stripHash(cur.spec?.template),
        replicas - have,
        cur.metadata?.name ?? "",
        original(cur),
        failingNow,
      );
      for (const p of made.pods) {
        w.put(p);
        health.set(p, made.healthy);
      }
      w.events.push(...made.events);
    }
  }
  const mine = podsOf(w, cur);
  const complete = mine.length >= replicas && mine.every((p) => health.get(p));
  const others = w
    .children(dep)
    .filter((c) => c.kind === "ReplicaSet" && c.metadata?.uid !== cur!.metadata?.uid);
  if (complete) {
    for (const rs of others) {
      const pods = podsOf(w, rs);
      if (pods.length === 0 && (rs.spec?.replicas ?? 0) === 0) continue;
      for (const p of pods) w.remove(p);
      w.put({
        ...rs,
        spec: { ...rs.spec, replicas: 0 },
        status: { replicas: 0, observedGeneration: rs.metadata?.generation },
      });
      w.stale.add(w.keyOf(rs));
      dirty = true;
    }
  } else for (const rs of others) settle(rs);
  if (!dirty) return;
  const all = [cur, ...others].flatMap((rs) => podsOf(w, rs));
  const ready = all.filter((p) => health.get(p) ?? (isReady(p) && !classifyPod(ix, p))).length;
  const readyNew = mine.filter((p) => health.get(p)).length;
  w.put({
    ...cur,
    spec: { ...cur.spec, replicas },
    status: {
      replicas: mine.length,
      readyReplicas: readyNew,
      availableReplicas: readyNew,
      fullyLabeledReplicas: mine.length,
    },
  });
  const at = w.now.toISOString();
  const conditions = (before?.status?.conditions ?? []).filter(
    (c: Any) => c.type !== "Progressing" && c.type !== "Available",
  );
  conditions.push({
    type: "Available",
    status: ready >= Math.max(1, replicas - Math.floor(replicas / 4)) ? "True" : "False",
    reason: ready >= replicas ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
    lastUpdateTime: at,
  });
  const progressing = complete
    ? {
        type: "Progressing",
        status: "True",
        reason: "NewReplicaSetAvailable",
        message: `ReplicaSet "${cur.metadata?.name}" has successfully progressed.`,
      }
    : changed
      ? {
          type: "Progressing",
          status: "True",
          reason: "ReplicaSetUpdated",
          message: `ReplicaSet "${cur.metadata?.name}" is progressing.`,
        }
      : (before?.status?.conditions ?? []).find((c: Any) => c.type === "Progressing");
  if (progressing)
    conditions.push({
      lastUpdateTime: at,
      ...progressing,
      ...(complete || changed ? { lastUpdateTime: at } : {}),
    });
  w.put({
    ...dep,
    status: {
      ...(dep.status ?? {}),
      observedGeneration: dep.metadata?.generation ?? dep.status?.observedGeneration,
      replicas: all.length,
      updatedReplicas: mine.length,
      readyReplicas: ready,
      availableReplicas: ready,
      unavailableReplicas: Math.max(0, replicas - readyNew),
      conditions,
    },
  });
  w.stale.add(w.keyOf(dep));
}

/** StatefulSets and DaemonSets own their pods directly. */
function settleDirect(ix: SnapshotIndex, w: World, o: KubeObject): void {
  const ns = o.metadata?.namespace ?? ix.namespace;
  const before = ix.get(o.kind ?? "", ns, o.metadata?.name ?? "");
  const tmpl = o.spec?.template;
  const changed = !before || !deepEqual(before.spec?.template, tmpl);
  const pods = podsOf(w, o);
  const failingNow = () => pods.filter((p) => classifyPod(ix, p));
  let dirty = changed;
  const health = new Map<KubeObject, boolean>();
  const matches = (p: KubeObject) =>
    deepEqual(
      p.spec?.containers?.map((c: Any) => c.image),
      tmpl?.spec?.containers?.map((c: Any) => c.image),
    ) && deepEqual(podRefs(p.spec), podRefs(tmpl?.spec));
  const keep = changed ? pods.filter(matches) : pods;
  const evidence = keep.filter((p) => ix.get("Pod", ns, p.metadata?.name ?? "") === p);
  for (const p of pods) if (!keep.includes(p)) w.remove(p);
  for (const p of keep) {
    const s = settlePod(ix, w, p);
    if (s.pod !== p) dirty = true;
    health.set(s.pod, s.healthy);
  }
  const want: number = o.kind === "StatefulSet" ? (o.spec?.replicas ?? 1) : Math.max(pods.length, 1);
  const have = podsOf(w, o).length;
  if (have < want && (changed || have === 0)) {
    const made = newPods(
      ix,
      w,
      o,
      o.kind ?? "",
      tmpl,
      want - have,
      `${o.metadata?.name}-p`,
      evidence,
      failingNow,
    );
    for (const p of made.pods) {
      w.put(p);
      health.set(p, made.healthy);
    }
    w.events.push(...made.events);
    dirty = true;
  }
  if (!dirty) return;
  const mine = podsOf(w, o);
  const ready = mine.filter((p) => health.get(p)).length;
  w.put({
    ...o,
    status:
      o.kind === "StatefulSet"
        ? {
            ...(o.status ?? {}),
            replicas: mine.length,
            readyReplicas: ready,
            availableReplicas: ready,
            currentReplicas: mine.length,
            updatedReplicas: mine.length,
            observedGeneration: o.metadata?.generation,
          }
        : {
            ...(o.status ?? {}),
            desiredNumberScheduled: want,
            currentNumberScheduled: mine.length,
            numberReady: ready,
            numberAvailable: ready,
            updatedNumberScheduled: mine.length,
            numberUnavailable: Math.max(0, want - ready),
            observedGeneration: o.metadata?.generation,
          },
  });
  w.stale.add(w.keyOf(o));
}

/** Settle every workload of the predicted state (Deployments, StatefulSets, DaemonSets). */
export function settleWorkloads(ix: SnapshotIndex, w: World): void {
  for (const o of [...w.objects.values()]) {
    if (w.objects.get(w.keyOf(o)) !== o) continue;
    if (o.kind === "Deployment") settleDeployment(ix, w, o);
    else if (o.kind === "StatefulSet" || o.kind === "DaemonSet") settleDirect(ix, w, o);
  }
}
