// Hook-execution scenarios: release records as Helm writes them plus the
// live Jobs, pods and events a cluster shows after each failure.
import { type Obj, Scenario, type TemplateDoc } from "../scenario.js";
import { job, replicaSet } from "./workloads.js";

export const HOOKS_NOW = "2026-11-20T12:30:00Z";

export function hookAnnotations(hook: string, weight?: string, policy?: string): Record<string, string> {
  return {
    "helm.sh/hook": hook,
    ...(weight !== undefined ? { "helm.sh/hook-weight": weight } : {}),
    ...(policy !== undefined ? { "helm.sh/hook-delete-policy": policy } : {}),
  };
}

export interface JobSpecOptions {
  hook?: string;
  weight?: string;
  policy?: string;
  serviceAccount?: string;
  configMap?: string;
  secretEnv?: string;
  image?: string;
  command?: string[];
  backoffLimit?: number;
  podAnnotations?: Record<string, string>;
}

export function hookJob(name: string, o: JobSpecOptions = {}): Obj {
  const container: Obj = {
    name: "main",
    image: o.image ?? "registry.example.com/app:2.4.0",
    command: o.command ?? ["/app/migrate", "up"],
  };
  if (o.configMap) container.volumeMounts = [{ name: "config", mountPath: "/etc/app" }];
  if (o.secretEnv)
    container.env = [
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: o.secretEnv, key: "password" } } },
    ];
  const spec: Obj = { restartPolicy: "Never", containers: [container] };
  if (o.serviceAccount) spec.serviceAccountName = o.serviceAccount;
  if (o.configMap) spec.volumes = [{ name: "config", configMap: { name: o.configMap } }];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      labels: { "app.kubernetes.io/component": "hook" },
      ...(o.hook ? { annotations: hookAnnotations(o.hook, o.weight, o.policy) } : {}),
    },
    spec: {
      backoffLimit: o.backoffLimit ?? 2,
      template: {
        metadata: { labels: { "app.kubernetes.io/component": "hook" }, annotations: o.podAnnotations ?? {} },
        spec,
      },
    },
  };
}

export function simpleObject(
  kind: "ServiceAccount" | "ConfigMap" | "Secret",
  name: string,
  annotations?: Record<string, string>,
): Obj {
  const o: Obj = { apiVersion: "v1", kind, metadata: { name, ...(annotations ? { annotations } : {}) } };
  if (kind === "ConfigMap") o.data = { "app.yaml": "log_level: info\n" };
  if (kind === "Secret") {
    o.type = "Opaque";
    o.data = { password: "cGFzc3dvcmQ=" };
  }
  return o;
}

export function appDeployment(
  name: string,
  o: { serviceAccount?: string; configMap?: string; secretEnv?: string; image?: string } = {},
): Obj {
  const labels = { "app.kubernetes.io/name": name };
  const container: Obj = { name: "app", image: o.image ?? "registry.example.com/app:2.4.0" };
  if (o.configMap) container.volumeMounts = [{ name: "config", mountPath: "/etc/app" }];
  if (o.secretEnv)
    container.env = [
      { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: o.secretEnv, key: "password" } } },
    ];
  const spec: Obj = { containers: [container] };
  if (o.serviceAccount) spec.serviceAccountName = o.serviceAccount;
  if (o.configMap) spec.volumes = [{ name: "config", configMap: { name: o.configMap } }];
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels },
    spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec } },
  };
}

/** An event from the job controller (scenario.event() names the replicaset controller for FailedCreate). */
export function jobEvent(
  s: Scenario,
  j: Obj,
  type: string,
  reason: string,
  message: string,
  count: number,
  first: number,
  last: number,
): Obj {
  const e = s.event(j, type, reason, message, count, first, last);
  e.source = { component: "job-controller" };
  return e;
}

/** A live Deployment of the release with one ReplicaSet and its pods. */
function liveDeployment(
  s: Scenario,
  d: Obj,
  hash: string,
  pods: Parameters<typeof replicaSet>[4],
  at: number,
): Obj[] {
  const live = s.add(s.owned(d), at);
  const ready = pods.filter((p) => p.state === "running").length;
  live.status = { replicas: pods.length, readyReplicas: ready, updatedReplicas: pods.length };
  return replicaSet(s, live, hash, 1, pods, at).pods;
}

// ---------------------------------------------------------------------------------------------------------
// A failed migration hook

export interface MigrationOptions {
  /** Which hook event fails (default pre-upgrade). */
  event?: "pre-upgrade" | "post-upgrade";
  /** How the Job fails (default backoff-limit). */
  outcome?: "backoff-limit" | "deadline" | "timeout";
  /** Delete policy of the migration Job (default before-hook-creation). */
  policy?: string;
  /** A third revision fixed it: deployed, the hook Succeeded. */
  fixedLater?: boolean;
}

/** Release shop (chart webshop): revision 1 deployed, revision 2's migration Job fails. */
export function migrationFailed(o: MigrationOptions = {}): Scenario {
  const event = o.event ?? "pre-upgrade";
  const outcome = o.outcome ?? "backoff-limit";
  const policy = o.policy ?? "before-hook-creation";
  const s = new Scenario({ release: "shop", namespace: "shop", chart: "webshop" });
  const hookName = event === "pre-upgrade" ? "shop-db-migrate" : "shop-cache-warm";
  const migrate = hookJob(hookName, {
    hook: event === "pre-upgrade" ? "pre-install,pre-upgrade" : "post-install,post-upgrade",
    weight: "-5",
    policy,
    configMap: "shop-webshop-config",
  });
  const templates = (tag: string): TemplateDoc[] => [
    { path: "templates/configmap.yaml", object: simpleObject("ConfigMap", "shop-webshop-config") },
    {
      path: "templates/deployment.yaml",
      object: appDeployment("shop-webshop", {
        configMap: "shop-webshop-config",
        image: `registry.example.com/shop:${tag}`,
      }),
    },
    { path: `templates/${event === "pre-upgrade" ? "migrate" : "cache-warm"}-job.yaml`, object: migrate },
  ];
  s.revision({
    status: o.fixedLater ? "superseded" : "deployed",
    at: 0,
    templates: templates("2.3.0"),
    hookRuns: { [hookName]: { phase: "Succeeded", startedAt: 0, completedAt: 1 } },
  });
  const failedAfter = outcome === "timeout" ? 5 : 3;
  const error =
    outcome === "timeout"
      ? "timed out waiting for the condition"
      : `job ${hookName} failed: ${outcome === "deadline" ? "DeadlineExceeded" : "BackoffLimitExceeded"}`;
  s.revision({
    status: "failed",
    at: 60,
    description: `Upgrade "shop" failed: ${event} hooks failed: 1 error occurred:\n\t* ${error}`,
    templates: templates("2.4.0"),
    hookRuns: { [hookName]: { phase: "Failed", startedAt: 60, completedAt: 60 + failedAfter } },
  });
  if (o.fixedLater) {
    s.revision({
      status: "deployed",
      at: 90,
      templates: templates("2.4.1"),
      hookRuns: { [hookName]: { phase: "Succeeded", startedAt: 90, completedAt: 91 } },
    });
  }
  s.add(s.owned(simpleObject("ConfigMap", "shop-webshop-config")), 0);
  if (o.fixedLater) {
    liveDeployment(
      s,
      appDeployment("shop-webshop", { configMap: "shop-webshop-config" }),
      "5b7d9c8f6",
      [{ state: "running" }],
      90,
    );
    const { job: j } = job(s, migrate, "complete", 90, 91);
    jobEvent(s, j, "Normal", "Completed", "Job completed", 1, 91, 91);
    return s;
  }
  const deployTag = event === "pre-upgrade" ? "2.3.0" : "2.4.0";
  liveDeployment(
    s,
    appDeployment("shop-webshop", {
      configMap: "shop-webshop-config",
      image: `registry.example.com/shop:${deployTag}`,
    }),
    event === "pre-upgrade" ? "6c8f7d9b8" : "7d9c6b5f4",
    [{ state: "running" }],
    event === "pre-upgrade" ? 0 : 61,
  );
  if (policy.split(",").includes("hook-failed")) return s; // Helm deleted the failed Job: nothing left.
  if (outcome === "timeout") {
    const { job: j, pods } = job(s, migrate, "running", 60, 65, {
      state: "crash-loop",
      restarts: 4,
    });
    j.spec.template.spec.restartPolicy = "OnFailure";
    s.event(
      pods[0]!,
      "Warning",
      "BackOff",
      `Back-off restarting failed container main in pod ${pods[0]!.metadata.name}`,
      12,
      61,
      65,
    );
    return s;
  }
  const { job: j, pods } = job(s, migrate, outcome, 60, 60 + failedAfter);
  for (const p of pods)
    p.status.containerStatuses[0].state.terminated.message =
      "dial tcp 10.0.3.7:5432: connect: connection refused";
  jobEvent(s, j, "Normal", "SuccessfulCreate", `Created pod: ${pods[0]!.metadata.name}`, 1, 60, 60);
  jobEvent(
    s,
    j,
    "Warning",
    outcome === "deadline" ? "DeadlineExceeded" : "BackoffLimitExceeded",
    outcome === "deadline"
      ? "Job was active longer than specified deadline"
      : "Job has reached the specified backoff limit",
    1,
    60 + failedAfter,
    60 + failedAfter,
  );
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// A pre-install Job needs an object only the manifest creates

export interface PreInstallOptions {
  status?: "failed" | "pending-install";
  /** What the Job needs from the manifest (default serviceaccount). */
  needs?: "serviceaccount" | "configmap";
  /** The object exists live anyway (pre-created): the near miss. */
  objectLive?: boolean;
}

/** Release barbican in monsoon3: revision 1's pre-install migration Job uses the chart's ServiceAccount. */
export function preInstallNeedsManifestObject(o: PreInstallOptions = {}): Scenario {
  const status = o.status ?? "failed";
  const needs = o.needs ?? "serviceaccount";
  const s = new Scenario({ release: "barbican", namespace: "monsoon3", chart: "barbican" });
  const migration = hookJob("barbican-migration", {
    hook: "pre-install,pre-upgrade",
    weight: "-5",
    policy: "before-hook-creation",
    ...(needs === "serviceaccount" ? { serviceAccount: "barbican" } : { configMap: "barbican-etc" }),
  });
  const templates: TemplateDoc[] = [
    { path: "templates/serviceaccount.yaml", object: simpleObject("ServiceAccount", "barbican") },
    { path: "templates/configmap-etc.yaml", object: simpleObject("ConfigMap", "barbican-etc") },
    {
      path: "templates/deployment-api.yaml",
      object: appDeployment("barbican-api", { serviceAccount: "barbican", configMap: "barbican-etc" }),
    },
    { path: "templates/job-migration.yaml", object: migration },
  ];
  s.revision({
    status,
    at: 0,
    ...(status === "failed"
      ? { description: 'Release "barbican" failed: failed pre-install: timed out waiting for the condition' }
      : {}),
    templates,
    hookRuns: {
      "barbican-migration":
        status === "failed"
          ? { phase: "Failed", startedAt: 0, completedAt: 5 }
          : { phase: "Running", startedAt: 0 },
    },
  });
  if (o.objectLive) {
    s.add(
      s.owned(
        needs === "serviceaccount"
          ? simpleObject("ServiceAccount", "barbican")
          : simpleObject("ConfigMap", "barbican-etc"),
      ),
      0,
    );
  }
  if (needs === "serviceaccount") {
    const { job: j } = job(s, migration, "no-pods", 0, 5);
    if (!o.objectLive)
      jobEvent(
        s,
        j,
        "Warning",
        "FailedCreate",
        'Error creating: pods "barbican-migration-" is forbidden: error looking up service account monsoon3/barbican: serviceaccount "barbican" not found',
        14,
        0,
        5,
      );
  } else {
    const { pods } = job(s, migration, "running", 0, 5, { state: "container-creating" });
    if (!o.objectLive)
      s.event(
        pods[0]!,
        "Warning",
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "barbican-etc" not found',
        8,
        0,
        5,
      );
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// A leftover hook object

export interface LeftoverOptions {
  /**
   * "already-exists": revision 2's Job failed and stayed (policy hook-succeeded); revision 3 failed on it.
   * "kept-after-success": revision 2 deployed, policy hook-failed only, so the Complete Job stays.
   * "cleaned": as kept-after-success with before-hook-creation,hook-succeeded: the Job is gone (near miss).
   */
  mode: "already-exists" | "kept-after-success" | "cleaned";
  helm4ssa?: boolean;
}

export function leftoverHook(o: LeftoverOptions): Scenario {
  const s = new Scenario({ release: "example", namespace: "lakefs", chart: "lakefs" });
  const policy =
    o.mode === "already-exists"
      ? "hook-succeeded"
      : o.mode === "kept-after-success"
        ? "hook-failed"
        : "before-hook-creation,hook-succeeded";
  const migrate = hookJob("example-lakefs-migrate", { hook: "pre-upgrade", weight: "1", policy });
  const templates = (): TemplateDoc[] => [
    { path: "templates/deployment.yaml", object: appDeployment("example-lakefs") },
    { path: "templates/job.yaml", object: migrate },
  ];
  s.revision({
    status: o.mode === "already-exists" ? "deployed" : "superseded",
    at: 0,
    templates: templates(),
  });
  if (o.mode === "already-exists") {
    s.revision({
      status: "failed",
      at: 60,
      description:
        'Upgrade "example" failed: pre-upgrade hooks failed: 1 error occurred:\n\t* job example-lakefs-migrate failed: BackoffLimitExceeded',
      templates: templates(),
      hookRuns: { "example-lakefs-migrate": { phase: "Failed", startedAt: 60, completedAt: 62 } },
    });
    // Helm 4 applies hooks with server-side apply: the leftover Job is patched, and a changed pod template is
    // refused as immutable instead of "already exists".
    const next = o.helm4ssa
      ? hookJob("example-lakefs-migrate", {
          hook: "pre-upgrade",
          weight: "1",
          policy,
          image: "registry.example.com/app:2.5.0",
        })
      : migrate;
    s.revision({
      status: "failed",
      at: 120,
      description: o.helm4ssa
        ? 'Upgrade "example" failed: pre-upgrade hooks failed: warning: Hook pre-upgrade lakefs/templates/job.yaml failed: server-side apply failed for object lakefs/example-lakefs-migrate batch/v1, Kind=Job: Job.batch "example-lakefs-migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{}}: field is immutable'
        : 'Upgrade "example" failed: pre-upgrade hooks failed: warning: Hook pre-upgrade lakefs/templates/job.yaml failed: 1 error occurred:\n\t* jobs.batch "example-lakefs-migrate" already exists',
      templates: [
        { path: "templates/deployment.yaml", object: appDeployment("example-lakefs") },
        { path: "templates/job.yaml", object: next },
      ],
      hookRuns: { "example-lakefs-migrate": { phase: "Failed", startedAt: 120, completedAt: 120 } },
      ...(o.helm4ssa ? { helm4: true } : {}),
    });
    if (o.helm4ssa) s.releases[2]!.apply_method = "ssa";
    liveDeployment(s, appDeployment("example-lakefs"), "6c8f7d9b8", [{ state: "running" }], 0);
    const { job: j } = job(s, migrate, "backoff-limit", 60, 62);
    jobEvent(
      s,
      j,
      "Warning",
      "BackoffLimitExceeded",
      "Job has reached the specified backoff limit",
      1,
      62,
      62,
    );
    return s;
  }
  s.revision({
    status: "deployed",
    at: 60,
    templates: templates(),
    hookRuns: { "example-lakefs-migrate": { phase: "Succeeded", startedAt: 60, completedAt: 61 } },
    ...(o.helm4ssa ? { helm4: true } : {}),
  });
  if (o.helm4ssa) s.releases[1]!.apply_method = "ssa";
  liveDeployment(s, appDeployment("example-lakefs"), "6c8f7d9b8", [{ state: "running" }], 60);
  if (o.mode === "kept-after-success") job(s, migrate, "complete", 60, 61);
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// An injected mesh sidecar keeps a hook Job from completing

export function sidecarHook(
  o: { mainRunning?: boolean; complete?: boolean; mesh?: "istio" | "linkerd" } = {},
): Scenario {
  const proxy = o.mesh === "linkerd" ? "linkerd-proxy" : "istio-proxy";
  const s = new Scenario({ release: "argo-cd", namespace: "argocd", chart: "argo-cd" });
  const init = hookJob("argo-cd-redis-secret-init", {
    hook: "pre-install,pre-upgrade",
    policy: "before-hook-creation",
    command: ["argocd", "admin", "redis-initial-password"],
    image: "quay.io/argoproj/argocd:v3.1.0",
  });
  s.revision({
    status: "failed",
    at: 0,
    description:
      'Release "argo-cd" failed: failed pre-install: 1 error occurred:\n\t* timed out waiting for the condition',
    templates: [
      { path: "templates/redis-secret-init/job.yaml", object: init },
      { path: "templates/argocd-server/deployment.yaml", object: appDeployment("argo-cd-argocd-server") },
    ],
    hookRuns: { "argo-cd-redis-secret-init": { phase: "Failed", startedAt: 0, completedAt: 5 } },
  });
  const { job: j, pods } = job(s, init, o.complete ? "complete" : "running", 0, 5);
  const pod = pods[0]!;
  pod.metadata.annotations =
    proxy === "istio-proxy"
      ? { "sidecar.istio.io/status": '{"containers":["istio-proxy"]}' }
      : { "linkerd.io/proxy-version": "edge-25.9.1" };
  pod.spec.containers.push({
    name: proxy,
    image: proxy === "istio-proxy" ? "docker.io/istio/proxyv2:1.27.1" : "cr.l5d.io/linkerd/proxy:edge-25.9.1",
  });
  pod.status = {
    phase: o.complete ? "Succeeded" : "Running",
    conditions: [
      { type: "Initialized", status: "True" },
      {
        type: "Ready",
        status: "False",
        reason: "ContainersNotReady",
        message: "containers with unready status: [main]",
      },
    ],
    containerStatuses: [
      o.mainRunning
        ? { name: "main", ready: true, restartCount: 0, state: { running: { startedAt: s.time(0) } } }
        : {
            name: "main",
            ready: false,
            restartCount: 0,
            state: { terminated: { reason: "Completed", exitCode: 0, finishedAt: s.time(0) } },
          },
      o.complete
        ? {
            name: proxy,
            ready: false,
            restartCount: 0,
            state: { terminated: { reason: "Completed", exitCode: 0 } },
          }
        : { name: proxy, ready: true, restartCount: 0, state: { running: { startedAt: s.time(0) } } },
    ],
  };
  jobEvent(s, j, "Normal", "SuccessfulCreate", `Created pod: ${pod.metadata.name}`, 1, 0, 0);
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Workloads need an object only a post-install hook creates, under --wait

export function postHookDeadlock(o: { secretLive?: boolean; atomicUpgrade?: boolean } = {}): Scenario {
  const s = new Scenario({ release: "keycloak", namespace: "auth", chart: "keycloak" });
  const secretHook = simpleObject(
    "Secret",
    "keycloak-db-credentials",
    hookAnnotations("post-install,post-upgrade", "0", "before-hook-creation"),
  );
  const setup = hookJob("keycloak-db-setup", {
    hook: "post-install,post-upgrade",
    weight: "5",
    secretEnv: "keycloak-db-credentials",
  });
  const withHook: TemplateDoc[] = [
    { path: "templates/secret-db.yaml", object: secretHook },
    { path: "templates/job-db-setup.yaml", object: setup },
    {
      path: "templates/statefulset.yaml",
      object: appDeployment("keycloak", { secretEnv: "keycloak-db-credentials" }),
    },
  ];
  if (o.atomicUpgrade) {
    s.revision({
      status: "superseded",
      at: 0,
      templates: [{ path: "templates/statefulset.yaml", object: appDeployment("keycloak") }],
    });
    s.revision({
      status: "failed",
      at: 60,
      description: 'Upgrade "keycloak" failed: context deadline exceeded',
      templates: withHook,
    });
    s.revision({
      status: "deployed",
      at: 65,
      description: "Rollback to 1",
      templates: [{ path: "templates/statefulset.yaml", object: appDeployment("keycloak") }],
    });
    liveDeployment(s, appDeployment("keycloak"), "6c8f7d9b8", [{ state: "running" }], 65);
    return s;
  }
  s.revision({
    status: "failed",
    at: 0,
    description: 'Release "keycloak" failed: context deadline exceeded',
    templates: withHook,
  });
  if (o.secretLive) s.add(structuredClone(secretHook), 0);
  const pods = liveDeployment(
    s,
    appDeployment("keycloak", { secretEnv: "keycloak-db-credentials" }),
    "6c8f7d9b8",
    [
      o.secretLive
        ? { state: "running" }
        : { state: "config-error", message: 'secret "keycloak-db-credentials" not found' },
    ],
    0,
  );
  if (!o.secretLive)
    s.event(pods[0]!, "Warning", "Failed", 'Error: secret "keycloak-db-credentials" not found', 25, 0, 5);
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// A hook Job runs before the hook ServiceAccount it uses

export function hookOrder(o: { saWeight?: string; deployed?: boolean } = {}): Scenario {
  const s = new Scenario({ release: "app", namespace: "data", chart: "app" });
  const saWeight = o.saWeight ?? "0";
  const sa = simpleObject(
    "ServiceAccount",
    "app-migrator",
    hookAnnotations("pre-install,pre-upgrade", saWeight),
  );
  const jb = hookJob("app-db-init", {
    hook: "pre-install,pre-upgrade",
    weight: "0",
    serviceAccount: "app-migrator",
  });
  const templates: TemplateDoc[] = [
    { path: "templates/hooks/serviceaccount.yaml", object: sa },
    { path: "templates/hooks/db-init-job.yaml", object: jb },
    { path: "templates/deployment.yaml", object: appDeployment("app-web") },
  ];
  const saFirst = Number(saWeight) < 0;
  if (o.deployed) {
    // It worked: revision 1's chart gave the ServiceAccount weight -10; revision 2's dropped the weight, and the
    // Job found the ServiceAccount revision 1 had left (the default policy deletes it only at its own turn).
    const sa1 = simpleObject(
      "ServiceAccount",
      "app-migrator",
      hookAnnotations("pre-install,pre-upgrade", "-10"),
    );
    s.revision({
      status: "superseded",
      at: 0,
      templates: [{ path: "templates/hooks/serviceaccount.yaml", object: sa1 }, ...templates.slice(1)],
      hookRuns: {
        "app-migrator": { phase: "Succeeded", startedAt: 0, completedAt: 0 },
        "app-db-init": { phase: "Succeeded", startedAt: 0, completedAt: 1 },
      },
    });
    s.revision({
      status: "deployed",
      at: 60,
      templates,
      hookRuns: {
        "app-db-init": { phase: "Succeeded", startedAt: 60, completedAt: 61 },
        "app-migrator": { phase: "Succeeded", startedAt: 61, completedAt: 61 },
      },
    });
    s.add(structuredClone(sa), 61);
    liveDeployment(s, appDeployment("app-web"), "6c8f7d9b8", [{ state: "running" }], 60);
    job(s, jb, "complete", 60, 61);
    return s;
  }
  if (saFirst) {
    s.revision({
      status: "deployed",
      at: 0,
      templates,
      hookRuns: {
        "app-migrator": { phase: "Succeeded", startedAt: 0, completedAt: 0 },
        "app-db-init": { phase: "Succeeded", startedAt: 0, completedAt: 1 },
      },
    });
    s.add(structuredClone(sa), 0);
    liveDeployment(s, appDeployment("app-web"), "6c8f7d9b8", [{ state: "running" }], 1);
    job(s, jb, "complete", 0, 1);
    return s;
  }
  s.revision({
    status: "failed",
    at: 0,
    description: 'Release "app" failed: failed pre-install: timed out waiting for the condition',
    templates,
    hookRuns: { "app-db-init": { phase: "Failed", startedAt: 0, completedAt: 5 } },
  });
  const { job: j } = job(s, jb, "no-pods", 0, 5);
  jobEvent(
    s,
    j,
    "Warning",
    "FailedCreate",
    'Error creating: pods "app-db-init-" is forbidden: error looking up service account data/app-migrator: serviceaccount "app-migrator" not found',
    14,
    0,
    5,
  );
  return s;
}

// ---------------------------------------------------------------------------------------------------------
// Healthy: every hook Succeeded, dependencies ordered by weight, cleaned up by policy.

export function healthyWithHooks(): Scenario {
  const s = new Scenario({ release: "shop", namespace: "shop", chart: "webshop" });
  const sa = simpleObject(
    "ServiceAccount",
    "shop-migrator",
    hookAnnotations("pre-install,pre-upgrade", "-10", "before-hook-creation"),
  );
  const cm = simpleObject(
    "ConfigMap",
    "shop-migrate-config",
    hookAnnotations("pre-install,pre-upgrade", "-10", "before-hook-creation"),
  );
  const migrate = hookJob("shop-db-migrate", {
    hook: "pre-install,pre-upgrade",
    weight: "-5",
    policy: "before-hook-creation,hook-succeeded",
    serviceAccount: "shop-migrator",
    configMap: "shop-migrate-config",
  });
  const smoke = hookJob("shop-smoke-test", {
    hook: "post-install,post-upgrade",
    policy: "before-hook-creation,hook-succeeded",
  });
  const templates = (tag: string): TemplateDoc[] => [
    { path: "templates/hooks/serviceaccount.yaml", object: sa },
    { path: "templates/hooks/configmap.yaml", object: cm },
    { path: "templates/hooks/migrate-job.yaml", object: migrate },
    { path: "templates/hooks/smoke-test.yaml", object: smoke },
    {
      path: "templates/deployment.yaml",
      object: appDeployment("shop-webshop", { image: `registry.example.com/shop:${tag}` }),
    },
  ];
  const runs = (at: number) => ({
    "shop-migrate-config": { phase: "Succeeded", startedAt: at, completedAt: at },
    "shop-migrator": { phase: "Succeeded", startedAt: at, completedAt: at },
    "shop-db-migrate": { phase: "Succeeded", startedAt: at, completedAt: at + 1 },
    "shop-smoke-test": { phase: "Succeeded", startedAt: at + 2, completedAt: at + 3 },
  });
  s.revision({ status: "superseded", at: 0, templates: templates("2.3.0"), hookRuns: runs(0) });
  s.revision({ status: "deployed", at: 60, templates: templates("2.4.0"), hookRuns: runs(60) });
  s.add(structuredClone(sa), 60);
  s.add(structuredClone(cm), 60);
  liveDeployment(
    s,
    appDeployment("shop-webshop", { image: "registry.example.com/shop:2.4.0" }),
    "7d9c6b5f4",
    [{ state: "running" }],
    61,
  );
  return s;
}
