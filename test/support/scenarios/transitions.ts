// Group C scenarios: objects moving between hooks and the manifest and live workload problems
//, as the release records and the controllers would leave them.
import { type Obj, Scenario } from "../scenario.js";
import { type PodState, replicaSet } from "./workloads.js";

/** The clock for every scenario here: two hours after minute 0. */
export const TRANSITIONS_NOW = "2026-11-20T12:00:00Z";
const NOW_MIN = 120;

// ---- templates ----

export interface AppOptions {
  image?: string;
  env?: Obj[];
  envFrom?: Obj[];
  resources?: Obj;
  readinessPath?: string;
  serviceAccountName?: string;
  volumes?: Obj[];
  volumeMounts?: Obj[];
  args?: string[];
  podAnnotations?: Record<string, string>;
  replicas?: number;
  securityContext?: Obj;
}

export function appDeployment(name: string, o: AppOptions = {}): Obj {
  const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/instance": name };
  const container: Obj = {
    name,
    image: o.image ?? "nginx:1.16.0",
    ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
    readinessProbe: { httpGet: { path: o.readinessPath ?? "/healthz", port: "http" }, periodSeconds: 5 },
  };
  if (o.args) container.args = o.args;
  if (o.env) container.env = o.env;
  if (o.envFrom) container.envFrom = o.envFrom;
  if (o.resources) container.resources = o.resources;
  if (o.volumeMounts) container.volumeMounts = o.volumeMounts;
  if (o.securityContext) container.securityContext = o.securityContext;
  const spec: Obj = { containers: [container] };
  if (o.serviceAccountName) spec.serviceAccountName = o.serviceAccountName;
  if (o.volumes) spec.volumes = o.volumes;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: {
      replicas: o.replicas ?? 2,
      selector: { matchLabels: labels },
      template: { metadata: { labels, annotations: o.podAnnotations ?? {} }, spec },
    },
  };
}

/** A ConfigMap named `name` holding `data`. */
export function configMap(name: string, data: Record<string, string>): Obj {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data };
}

export function service(name: string): Obj {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: {
      ports: [{ port: 80, targetPort: "http", name: "http" }],
      selector: { "app.kubernetes.io/name": name },
    },
  };
}

function hookAnnotations(events: string, policy?: string, weight?: string): Record<string, string> {
  return {
    "helm.sh/hook": events,
    ...(weight !== undefined ? { "helm.sh/hook-weight": weight } : {}),
    ...(policy !== undefined ? { "helm.sh/hook-delete-policy": policy } : {}),
  };
}

function withAnnotations(o: Obj, a: Record<string, string>): Obj {
  const c = structuredClone(o);
  c.metadata.annotations = { ...(c.metadata.annotations ?? {}), ...a };
  return c;
}

// ---- live Deployment state ----

export interface LiveRollout {
  /** The previous revision's rendered Deployment (old ReplicaSet), if a rollout is in progress. */
  oldTemplate?: Obj;
  oldPods?: PodState[];
  newPods: PodState[];
  /** Minutes: old ReplicaSet and new ReplicaSet creation. */
  oldAt?: number;
  newAt: number;
  /** Deployment conditions (default: Available True, Progressing True). */
  conditions?: Obj[];
}

/**
 * The live Deployment of `rendered` (the latest revision's manifest object), with the old ReplicaSet (from the
 * previous template) and the new one, as the Deployment controller leaves them mid-rollout.
 */
export function liveDeployment(
  s: Scenario,
  rendered: Obj,
  o: LiveRollout,
): { deploy: Obj; oldPods: Obj[]; newPods: Obj[]; newRs: Obj; oldRs?: Obj } {
  const deploy = s.add(s.owned(rendered), 0);
  deploy.metadata.generation = o.oldTemplate ? 2 : 1;
  const want = rendered.spec.replicas ?? 1;
  const newReady = o.newPods.filter((p) => p.state === "running").length;
  const oldReady = (o.oldPods ?? []).filter((p) => p.state === "running").length;
  deploy.status = {
    observedGeneration: deploy.metadata.generation,
    replicas: o.newPods.length + (o.oldPods?.length ?? 0),
    updatedReplicas: o.newPods.length,
    readyReplicas: newReady + oldReady,
    availableReplicas: newReady + oldReady,
    unavailableReplicas: Math.max(0, want - newReady - oldReady),
    conditions: o.conditions ?? [
      {
        type: "Available",
        status: newReady + oldReady > 0 ? "True" : "False",
        reason: "MinimumReplicasAvailable",
      },
      {
        type: "Progressing",
        status: "True",
        reason:
          (o.oldPods?.length ?? 0) === 0 && newReady === o.newPods.length
            ? "NewReplicaSetAvailable"
            : "ReplicaSetUpdated",
      },
    ],
  };
  let oldRs: Obj | undefined;
  let oldPods: Obj[] = [];
  if (o.oldTemplate) {
    const r = replicaSet(
      s,
      { ...deploy, spec: { ...deploy.spec, template: structuredClone(o.oldTemplate.spec.template) } },
      "6c8f7d9b8",
      1,
      o.oldPods ?? [],
      o.oldAt ?? 0,
    );
    oldRs = r.rs;
    oldPods = r.pods;
  }
  const n = replicaSet(s, deploy, "5d4b9c7f6", o.oldTemplate ? 2 : 1, o.newPods, o.newAt);
  return { deploy, oldPods, newPods: n.pods, newRs: n.rs, ...(oldRs ? { oldRs } : {}) };
}

// ---- resource moved out of a hook ----

export function webSettings(hook: boolean): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: "web-settings",
      ...(hook
        ? { annotations: hookAnnotations("pre-install,pre-upgrade", "before-hook-creation", "-5") }
        : {}),
    },
    data: { "settings.yaml": "theme: dark\n" },
  };
}

const ownershipError = (kind: string, name: string, release: string, ns: string) =>
  `Upgrade "${release}" failed: Unable to continue with update: ${kind} "${name}" in namespace "${ns}" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "${release}"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "${ns}"`;

export interface MovedOutOptions {
  /** "failed" (default): the ownership error is recorded; "pending": the upgrade is still pending-upgrade;
   * "deployed": the upgrade went through (the object had been adopted first) — the near miss. */
  outcome?: "failed" | "pending" | "deployed";
  /** The live ConfigMap has since been annotated and labelled. */
  ownershipFixed?: boolean;
  /** A rollback to revision 1 (where the ConfigMap is regular) after revision 2 made it a hook. */
  rollback?: boolean;
}

/**
 * Release "web" in namespace "shop": revision 1 has ConfigMap web-settings as a pre-install,pre-upgrade hook
 * (before-hook-creation) that the Deployment mounts; revision 2's chart makes it a regular resource and the
 * upgrade fails on its ownership metadata.
 */
export function movedOutOfHook(o: MovedOutOptions = {}): Scenario {
  const s = new Scenario({ release: "web", namespace: "shop", chart: "web-app" });
  const mount = {
    volumes: [{ name: "settings", configMap: { name: "web-settings" } }],
    volumeMounts: [{ name: "settings", mountPath: "/etc/web" }],
  };
  const deploy = appDeployment("web", { image: "ghcr.io/acme/web:2.3.0", ...mount });
  if (o.rollback) {
    // 1: regular; 2: hook (the upgrade deleted it, the rerun 3 recreated it as a hook); 4: rollback to 1 fails.
    s.revision({
      status: "superseded",
      at: 0,
      templates: [
        { path: "templates/configmap.yaml", object: webSettings(false) },
        { path: "templates/deployment.yaml", object: deploy },
      ],
    });
    for (const [at, status] of [
      [20, "superseded"],
      [40, "deployed"],
    ] as const)
      s.revision({
        status,
        at,
        templates: [
          { path: "templates/configmap.yaml", object: webSettings(true) },
          { path: "templates/deployment.yaml", object: deploy },
        ],
        hookRuns: { "web-settings": { phase: "Succeeded", startedAt: at, completedAt: at } },
      });
    s.revision({
      status: "failed",
      at: 90,
      description: `Rollback "web" failed: no ConfigMap with the name "web-settings" found`,
      templates: [
        { path: "templates/configmap.yaml", object: webSettings(false) },
        { path: "templates/deployment.yaml", object: deploy },
      ],
    });
    s.add(webSettings(true), 40);
    liveDeployment(s, deploy, { newPods: [{ state: "running" }, { state: "running" }], newAt: 0 });
    return s;
  }
  s.revision({
    status: o.outcome === "deployed" ? "superseded" : "deployed",
    at: 0,
    templates: [
      { path: "templates/configmap.yaml", object: webSettings(true) },
      { path: "templates/deployment.yaml", object: deploy },
      { path: "templates/service.yaml", object: service("web") },
    ],
    hookRuns: { "web-settings": { phase: "Succeeded", startedAt: 0, completedAt: 0 } },
  });
  const rev2 = {
    at: 90,
    templates: [
      { path: "templates/configmap.yaml", object: webSettings(false) },
      { path: "templates/deployment.yaml", object: deploy },
      { path: "templates/service.yaml", object: service("web") },
    ],
  };
  if (o.outcome === "pending") s.revision({ ...rev2, status: "pending-upgrade" });
  else if (o.outcome === "deployed") s.revision({ ...rev2, status: "deployed" });
  else
    s.revision({
      ...rev2,
      status: "failed",
      description: ownershipError("ConfigMap", "web-settings", "web", "shop"),
    });
  // The live ConfigMap is the hook's copy: no ownership metadata (unless adopted).
  s.add(o.ownershipFixed || o.outcome === "deployed" ? s.owned(webSettings(false)) : webSettings(true), 0);
  s.add(s.owned(service("web")), 0);
  liveDeployment(s, deploy, { newPods: [{ state: "running" }, { state: "running" }], newAt: 0 });
  return s;
}

// ---- hook object that workloads need ----

export function dbCredentials(policy: string | undefined, events = "pre-install,pre-upgrade"): Obj {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "api-db-credentials", annotations: hookAnnotations(events, policy, "-5") },
    type: "Opaque",
    stringData: { password: "s3cr3t-generated" },
  };
}

export function migrateJob(secret = "api-db-credentials"): Obj {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "api-migrate",
      annotations: hookAnnotations("pre-install,pre-upgrade", "before-hook-creation,hook-succeeded", "0"),
    },
    spec: {
      backoffLimit: 1,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "migrate",
              image: "ghcr.io/acme/api:1.8.0",
              args: ["migrate", "up"],
              env: [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: secret, key: "password" } } }],
            },
          ],
        },
      },
    },
  };
}

export interface HookObjectOptions {
  /** Delete policy of the Secret hook (default "before-hook-creation,hook-succeeded"). */
  policy?: string;
  /** The Deployment does not use the Secret (only the migration Job does): the near miss. */
  onlyJobUses?: boolean;
  /** The Secret exists again (restored by hand). */
  secretLive?: boolean;
  /** The hook Secret's template uses randAlphaNum. */
  random?: boolean;
  /** A ServiceAccount hook (hook-succeeded) that the Deployment runs as, instead of the Secret. */
  serviceAccount?: boolean;
}

/**
 * Release "api" in namespace "payments": a Secret (or ServiceAccount) hook with `hook-succeeded` that the
 * migration Job and the Deployment both use. Revision 2 (an image bump) deployed; Helm deleted the Secret after
 * the pre-upgrade phase, the new ReplicaSet's pods fail with CreateContainerConfigError, the old pod runs on.
 */
export function hookObjectNeeded(o: HookObjectOptions = {}): Scenario {
  const s = new Scenario({ release: "api", namespace: "payments", chart: "api" });
  const policy = o.policy ?? "before-hook-creation,hook-succeeded";
  const secretEnv = o.onlyJobUses
    ? []
    : [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "api-db-credentials", key: "password" } } }];
  const sa: Obj = {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: { name: "api-sa", annotations: hookAnnotations("pre-install,pre-upgrade", policy, "-10") },
  };
  const dep = (image: string) =>
    appDeployment("api", {
      image,
      env: o.serviceAccount ? [] : secretEnv,
      ...(o.serviceAccount ? { serviceAccountName: "api-sa" } : {}),
    });
  const templates = (image: string) => [
    o.serviceAccount
      ? { path: "templates/serviceaccount.yaml", object: sa }
      : { path: "templates/db-secret.yaml", object: dbCredentials(policy) },
    { path: "templates/migrate-job.yaml", object: migrateJob() },
    { path: "templates/deployment.yaml", object: dep(image) },
  ];
  const hookName = o.serviceAccount ? "api-sa" : "api-db-credentials";
  s.revision({
    status: "superseded",
    at: 0,
    templates: templates("ghcr.io/acme/api:1.7.0"),
    hookRuns: {
      [hookName]: { phase: "Succeeded", startedAt: 0, completedAt: 0 },
      "api-migrate": { phase: "Succeeded", startedAt: 0, completedAt: 1 },
    },
  });
  const rev2 = s.revision({
    status: "deployed",
    at: 60,
    templates: templates("ghcr.io/acme/api:1.8.0"),
    hookRuns: {
      [hookName]: { phase: "Succeeded", startedAt: 60, completedAt: 60 },
      "api-migrate": { phase: "Succeeded", startedAt: 60, completedAt: 61 },
    },
  });
  if (o.random) {
    const t = rev2.chart!.templates!.find((x) => x.name === "templates/db-secret.yaml")!;
    t.data = Buffer.from(
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-db-credentials\n  annotations:\n    "helm.sh/hook": pre-install,pre-upgrade\nstringData:\n  password: {{ randAlphaNum 24 | quote }}\n`,
    ).toString("base64");
  }
  const keepsRunning = o.onlyJobUses || o.policy === "before-hook-creation";
  const newPods: PodState[] = o.serviceAccount
    ? []
    : keepsRunning || o.secretLive
      ? [{ state: "running" }, { state: "running" }]
      : [
          { state: "config-error", message: 'secret "api-db-credentials" not found' },
          { state: "config-error", message: 'secret "api-db-credentials" not found' },
        ];
  const { newPods: pods, newRs } = liveDeployment(s, dep("ghcr.io/acme/api:1.8.0"), {
    oldTemplate: dep("ghcr.io/acme/api:1.7.0"),
    oldPods: keepsRunning || o.secretLive ? [] : [{ state: "running" }],
    newPods,
    oldAt: 0,
    newAt: 61,
  });
  if (o.secretLive || keepsRunning) s.add(dbCredentials(policy), keepsRunning ? 60 : 100);
  for (const p of pods.filter((x) => x.status.containerStatuses?.[0]?.state?.waiting))
    s.event(p, "Warning", "Failed", 'Error: secret "api-db-credentials" not found', 14, 62, 119);
  if (o.serviceAccount) {
    newRs.spec.replicas = 2;
    s.event(
      newRs,
      "Warning",
      "FailedCreate",
      `Error creating: pods "${newRs.metadata.name}-" is forbidden: error looking up service account payments/api-sa: serviceaccount "api-sa" not found`,
      17,
      61,
      118,
    );
  }
  return s;
}

// ---- immutable Job in the manifest ----

export function billingMigrateJob(image: string): Obj {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: "billing-db-migrate" },
    spec: {
      backoffLimit: 2,
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "migrate", image, args: ["migrate"] }] },
      },
    },
  };
}

export interface ImmutableJobOptions {
  /** The Job was deleted after the failure. */
  jobDeleted?: boolean;
  /** The Job is a pre-upgrade hook (before-hook-creation): the near miss. */
  hook?: boolean;
  /** Revision 2 is still pending-upgrade (its pre-upgrade hook runs): the failure is predicted. */
  pending?: boolean;
  /** Revision 2 failed for another reason and the Job's template did not change: a near miss. */
  unchanged?: boolean;
}

/** Release "billing": Job billing-db-migrate is a regular resource; revision 2 bumps its image. */
export function immutableJob(o: ImmutableJobOptions = {}): Scenario {
  const s = new Scenario({ release: "billing", namespace: "billing", chart: "billing" });
  const hookA = {
    "helm.sh/hook": "pre-upgrade,pre-install",
    "helm.sh/hook-delete-policy": "before-hook-creation",
  };
  const job = (image: string) =>
    o.hook ? withAnnotations(billingMigrateJob(image), hookA) : billingMigrateJob(image);
  const dep = (image: string) => appDeployment("billing", { image, replicas: 1 });
  const seed: Obj = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: "billing-seed",
      annotations: {
        "helm.sh/hook": "pre-upgrade",
        "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded",
      },
    },
    spec: {
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "seed", image: "ghcr.io/acme/billing:1.5.0" }] },
      },
    },
  };
  s.revision({
    status: "deployed",
    at: 0,
    templates: [
      { path: "templates/migrate-job.yaml", object: job("ghcr.io/acme/billing:1.4.0") },
      { path: "templates/deployment.yaml", object: dep("ghcr.io/acme/billing:1.4.0") },
    ],
    hookRuns: o.hook ? { "billing-db-migrate": { phase: "Succeeded", startedAt: 0, completedAt: 1 } } : {},
  });
  const v2 = o.unchanged ? "ghcr.io/acme/billing:1.4.0" : "ghcr.io/acme/billing:1.5.0";
  const templates = [
    { path: "templates/migrate-job.yaml", object: job(v2) },
    { path: "templates/deployment.yaml", object: dep("ghcr.io/acme/billing:1.5.0") },
    ...(o.pending ? [{ path: "templates/seed-job.yaml", object: seed }] : []),
  ];
  if (o.pending)
    s.revision({
      status: "pending-upgrade",
      at: 100,
      templates,
      hookRuns: { "billing-seed": { phase: "Running", startedAt: 100 } },
    });
  else if (o.hook)
    s.revision({
      status: "deployed",
      at: 100,
      templates,
      hookRuns: { "billing-db-migrate": { phase: "Succeeded", startedAt: 100, completedAt: 101 } },
    });
  else
    s.revision({
      status: "failed",
      at: 100,
      templates,
      description: o.unchanged
        ? `Upgrade "billing" failed: context deadline exceeded`
        : `Upgrade "billing" failed: cannot patch "billing-db-migrate" with kind Job: Job.batch "billing-db-migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{Name:"", GenerateName:"", Namespace:"", Labels:map[string]string{"batch.kubernetes.io/controller-uid":"…"}}, Spec:core.PodSpec{Containers:[]core.Container{core.Container{Name:"migrate", Image:"ghcr.io/acme/billing:1.5.0"}}}}: field is immutable`,
    });
  if (!o.jobDeleted) {
    const live = o.hook ? job(v2) : s.owned(job("ghcr.io/acme/billing:1.4.0"));
    live.metadata.uid = s.uid();
    live.status = {
      startTime: s.time(o.hook ? 100 : 0),
      completionTime: s.time(o.hook ? 101 : 1),
      succeeded: 1,
      conditions: [{ type: "Complete", status: "True" }],
    };
    s.add(live, o.hook ? 100 : 0);
  }
  // Helm patched the Deployment before the Job failed: it runs 1.5.0 already.
  const applied = o.pending ? "ghcr.io/acme/billing:1.4.0" : "ghcr.io/acme/billing:1.5.0";
  liveDeployment(s, dep(applied), { newPods: [{ state: "running" }], newAt: o.pending ? 0 : 100 });
  return s;
}

// ---- live workload problems ----

export interface WorkloadCaseOptions {
  /** Revision 3's status and description (default deployed, "Upgrade complete"). */
  status?: string;
  description?: string;
  /** Deployment conditions (e.g. Progressing=False). */
  conditions?: Obj[];
  /** Old pods of revision 2's template still running (default 2). */
  oldPods?: PodState[];
  /** Drop the events (as if they expired). */
  noEvents?: boolean;
  /** More templates in revision 3 (e.g. a PersistentVolumeClaim). */
  templates3?: { path: string; object: Obj }[];
}

type Change = (o: AppOptions) => AppOptions;

/**
 * Release "storefront" in namespace "shop": revision 1 and 2 deployed fine (nginx 1.15 then 1.16.0), revision 3
 * changes the Deployment (`change`) and its new ReplicaSet's pods end up in `newPods`.
 */
export function workloadCase(
  change: Change,
  newPods: PodState[],
  o: WorkloadCaseOptions = {},
  extra?: (s: Scenario, live: ReturnType<typeof liveDeployment>) => void,
): Scenario {
  const s = new Scenario({ release: "storefront", namespace: "shop", chart: "storefront" });
  const base: AppOptions = {
    image: "nginx:1.16.0",
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
  };
  const d1 = appDeployment("storefront", { ...base, image: "nginx:1.15.12" });
  const d2 = appDeployment("storefront", base);
  const d3 = appDeployment("storefront", change(structuredClone(base)));
  const t = (d: Obj) => [
    { path: "templates/deployment.yaml", object: d },
    { path: "templates/service.yaml", object: service("storefront") },
  ];
  s.revision({ status: "superseded", at: 0, templates: t(d1) });
  s.revision({ status: "superseded", at: 30, templates: t(d2) });
  const rev3Config = change({}).image
    ? { image: { tag: (change({}).image ?? "").split(":").pop() } }
    : undefined;
  s.revision({
    status: o.status ?? "deployed",
    at: 90,
    templates: [...t(d3), ...(o.templates3 ?? [])],
    ...(o.description ? { description: o.description } : {}),
    ...(rev3Config ? { config: rev3Config } : {}),
  });
  s.add(s.owned(service("storefront")), 0);
  const live = liveDeployment(s, d3, {
    oldTemplate: d2,
    oldPods: o.oldPods ?? [{ state: "running" }, { state: "running" }],
    newPods,
    oldAt: 30,
    newAt: 90,
    ...(o.conditions ? { conditions: o.conditions } : {}),
  });
  extra?.(s, live);
  if (o.noEvents) {
    for (let i = s.live.length - 1; i >= 0; i--) if (s.live[i]!.kind === "Event") s.live.splice(i, 1);
  }
  return s;
}

/** Warning events on each of `pods`. */
export function podEvents(s: Scenario, pods: Obj[], reason: string, message: string, count = 20): void {
  for (const p of pods) s.event(p, "Warning", reason, message, count, 91, NOW_MIN - 1);
}

export const IMAGE_TYPO = "nginx:1.17-typo";

export function imagePullCase(o: WorkloadCaseOptions = {}): Scenario {
  return workloadCase(
    (a) => ({ ...a, image: IMAGE_TYPO }),
    [{ state: "image-pull" }, { state: "image-pull" }],
    o,
    (s, live) => {
      podEvents(
        s,
        live.newPods,
        "Failed",
        `Failed to pull image "${IMAGE_TYPO}": rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/${IMAGE_TYPO}": failed to resolve reference "docker.io/library/${IMAGE_TYPO}": docker.io/library/${IMAGE_TYPO}: not found`,
        8,
      );
      podEvents(s, live.newPods, "BackOff", `Back-off pulling image "${IMAGE_TYPO}"`, 120);
    },
  );
}

export function progressDeadlineExceeded(rsName = "storefront-5d4b9c7f6"): Obj[] {
  return [
    {
      type: "Available",
      status: "True",
      reason: "MinimumReplicasAvailable",
      message: "Deployment has minimum availability.",
    },
    {
      type: "Progressing",
      status: "False",
      reason: "ProgressDeadlineExceeded",
      message: `ReplicaSet "${rsName}" has timed out progressing.`,
      lastUpdateTime: "2026-11-20T11:40:00Z",
    },
  ];
}

/** A healthy release: every pod running and ready, the rollout finished. */
export function healthyRelease(): Scenario {
  const s = new Scenario({ release: "storefront", namespace: "shop", chart: "storefront" });
  const d1 = appDeployment("storefront", { image: "nginx:1.16.0" });
  const d2 = appDeployment("storefront", { image: "nginx:1.17.0" });
  const t = (d: Obj) => [
    { path: "templates/deployment.yaml", object: d },
    { path: "templates/service.yaml", object: service("storefront") },
  ];
  s.revision({ status: "superseded", at: 0, templates: t(d1) });
  s.revision({ status: "deployed", at: 60, templates: t(d2) });
  s.add(s.owned(service("storefront")), 0);
  const live = liveDeployment(s, d2, {
    oldTemplate: d1,
    oldPods: [],
    newPods: [{ state: "running" }, { state: "running" }],
    oldAt: 0,
    newAt: 60,
  });
  // The old ReplicaSet scaled to zero, as the controller leaves it.
  if (live.oldRs) live.oldRs.spec.replicas = 0;
  return s;
}

export function crashLoopCase(o: WorkloadCaseOptions = {}): Scenario {
  return workloadCase(
    (a) => ({ ...a, args: ["--config", "/etc/storefront/app.yaml"] }),
    [
      { state: "crash-loop", restarts: 7 },
      { state: "crash-loop", restarts: 6 },
    ],
    o,
    (s, live) => {
      for (const p of live.newPods)
        s.event(
          p,
          "Warning",
          "BackOff",
          `Back-off restarting failed container storefront in pod ${p.metadata.name}_shop(${p.metadata.uid})`,
          40,
          92,
          NOW_MIN - 1,
        );
    },
  );
}

export function oomCase(o: WorkloadCaseOptions & { recovered?: boolean } = {}): Scenario {
  const s = workloadCase(
    (a) => ({ ...a, resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "64Mi" } } }),
    [
      { state: "oom", restarts: 5 },
      { state: "oom", restarts: 4 },
    ],
    o,
  );
  if (o.recovered) {
    for (const p of s.live.filter((x) => x.kind === "Pod" && x.status?.containerStatuses?.[0]?.lastState)) {
      const cs = p.status.containerStatuses[0];
      cs.state = { running: { startedAt: s.time(110) } };
      cs.ready = true;
      cs.started = true;
      for (const c of p.status.conditions)
        if (c.type === "Ready" || c.type === "ContainersReady") c.status = "True";
    }
  }
  return s;
}

export const INSUFFICIENT_CPU =
  "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";

export function unschedulableCase(o: WorkloadCaseOptions = {}): Scenario {
  return workloadCase(
    (a) => ({ ...a, resources: { requests: { cpu: "8", memory: "128Mi" }, limits: { memory: "256Mi" } } }),
    [
      { state: "pending", message: INSUFFICIENT_CPU },
      { state: "pending", message: INSUFFICIENT_CPU },
    ],
    o,
    (s, live) => podEvents(s, live.newPods, "FailedScheduling", INSUFFICIENT_CPU, 30),
  );
}

/**
 * One more replica of an already rolled-out Deployment cannot be scheduled (no new template): the workload
 * still serves, so a warning.
 */
export function extraReplicaUnschedulable(): Scenario {
  const s = new Scenario({ release: "storefront", namespace: "shop", chart: "storefront" });
  const d = appDeployment("storefront", { image: "nginx:1.16.0", replicas: 3 });
  s.revision({ status: "deployed", at: 0, templates: [{ path: "templates/deployment.yaml", object: d }] });
  const live = liveDeployment(s, d, {
    newPods: [{ state: "running" }, { state: "running" }, { state: "pending", message: INSUFFICIENT_CPU }],
    newAt: 0,
    // The rollout finished long ago; the third replica came with a later scale-up.
    conditions: [
      { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
      { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
    ],
  });
  s.event(live.newPods[2]!, "Warning", "FailedScheduling", INSUFFICIENT_CPU, 50, 60, NOW_MIN - 1);
  return s;
}

export function pvcCase(o: WorkloadCaseOptions = {}): Scenario {
  const pvc: Obj = {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: { name: "storefront-uploads" },
    spec: {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "fast-ssd",
      resources: { requests: { storage: "5Gi" } },
    },
  };
  const msg =
    "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
  return workloadCase(
    (a) => ({
      ...a,
      volumes: [{ name: "uploads", persistentVolumeClaim: { claimName: "storefront-uploads" } }],
      volumeMounts: [{ name: "uploads", mountPath: "/data/uploads" }],
    }),
    [
      { state: "pending", message: msg },
      { state: "pending", message: msg },
    ],
    { ...o, templates3: [{ path: "templates/pvc.yaml", object: pvc }] },
    (s, live) => {
      podEvents(s, live.newPods, "FailedScheduling", msg, 25);
      const l = s.add(s.owned(pvc), 90);
      l.status = { phase: "Pending" };
      s.event(
        l,
        "Warning",
        "ProvisioningFailed",
        'storageclass.storage.k8s.io "fast-ssd" not found',
        30,
        90,
        NOW_MIN - 1,
      );
    },
  );
}

export const QUOTA_MESSAGE = (rs: string) =>
  `Error creating: pods "${rs}-k8x2p" is forbidden: exceeded quota: compute-quota, requested: limits.memory=4Gi, used: limits.memory=512Mi, limited: limits.memory=2Gi`;

export function forbiddenCase(
  kind: "quota" | "pod-security",
  o: WorkloadCaseOptions & { stale?: boolean } = {},
): Scenario {
  return workloadCase(
    kind === "quota"
      ? (a) => ({ ...a, resources: { requests: { cpu: "100m", memory: "1Gi" }, limits: { memory: "4Gi" } } })
      : (a) => ({ ...a, securityContext: { privileged: true } }),
    o.stale ? [{ state: "running" }, { state: "running" }] : [],
    o,
    (s, live) => {
      live.newRs.spec.replicas = 2;
      const rs = live.newRs.metadata.name;
      s.event(
        live.newRs,
        "Warning",
        "FailedCreate",
        kind === "quota"
          ? QUOTA_MESSAGE(rs)
          : `Error creating: pods "${rs}-t2w8r" is forbidden: violates PodSecurity "restricted:latest": privileged (container "storefront" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "storefront" must set securityContext.allowPrivilegeEscalation=false)`,
        12,
        90,
        o.stale ? 91 : NOW_MIN - 2,
      );
    },
  );
}

export function notReadyCase(
  o: WorkloadCaseOptions & { young?: boolean; inProgress?: boolean } = {},
): Scenario {
  const s = workloadCase(
    (a) => ({ ...a, readinessPath: "/ready" }),
    [{ state: "not-ready" }, { state: "not-ready" }],
    o,
    (sc, live) => {
      if (!o.young)
        podEvents(
          sc,
          live.newPods,
          "Unhealthy",
          "Readiness probe failed: HTTP probe failed with statuscode: 404",
          300,
        );
    },
  );
  if (o.young) {
    // The new pods started a minute ago and have not failed a probe yet.
    for (const p of s.live.filter((x) => x.kind === "Pod" && x.metadata.name.includes("5d4b9c7f6")))
      p.metadata.creationTimestamp = s.time(NOW_MIN - 1);
  }
  if (o.inProgress) {
    // The upgrade began four minutes ago: the new ReplicaSet and its pods are that young, within the default
    // 600 s progress deadline, and the old pods (maxUnavailable 0) still serve both replicas.
    for (const x of s.live.filter(
      (x) => (x.kind === "Pod" || x.kind === "ReplicaSet") && x.metadata.name.includes("5d4b9c7f6"),
    ))
      x.metadata.creationTimestamp = s.time(NOW_MIN - 4);
  }
  return s;
}

/** Revision 3 changes the environment; the new pods sit in ContainerCreating with no events left to say why. */
export function stalledCase(o: WorkloadCaseOptions = {}): Scenario {
  return workloadCase(
    (a) => ({ ...a, env: [{ name: "FEATURE_CHECKOUT_V2", value: "true" }] }),
    [{ state: "container-creating" }, { state: "container-creating" }],
    { conditions: progressDeadlineExceeded(), ...o },
  );
}
