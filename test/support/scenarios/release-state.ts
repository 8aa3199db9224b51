// Release-state scenarios (group A): stuck pending revisions, stuck or finished uninstalls, atomic rollbacks,
// skipped and dropped hooks, oversized records. Built on Scenario, so records are written exactly as Helm's
// storage driver writes them; what Scenario cannot express (info.deleted, big chart files) is patched onto
// the stored Release before records() encodes it.
import { type Obj, Scenario } from "../scenario.js";
import { type JobOutcome, job, replicaSet } from "./workloads.js";

export const NS = "shop";

export function apiDeployment(tag: string, extra: { configMap?: string } = {}): Obj {
  const labels = { "app.kubernetes.io/name": "shop-api", "app.kubernetes.io/instance": "shop-api" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "shop-api", labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels, annotations: { "checksum/config": `c0ffee-${tag}` } },
        spec: {
          containers: [
            {
              name: "api",
              image: `registry.example.com/shop/api:${tag}`,
              ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
              readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
              ...(extra.configMap ? { envFrom: [{ configMapRef: { name: extra.configMap } }] } : {}),
            },
          ],
          ...(extra.configMap
            ? { volumes: [{ name: "settings", configMap: { name: extra.configMap } }] }
            : {}),
        },
      },
    },
  };
}

export function apiService(): Obj {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "shop-api", labels: { "app.kubernetes.io/name": "shop-api" } },
    spec: {
      type: "ClusterIP",
      ports: [{ port: 80, targetPort: "http", name: "http" }],
      selector: { "app.kubernetes.io/name": "shop-api" },
    },
  };
}

export function hookJob(
  name: string,
  events: string,
  o: { weight?: string; policy?: string; image?: string; args?: string[] } = {},
): Obj {
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      annotations: {
        "helm.sh/hook": events,
        ...(o.weight !== undefined ? { "helm.sh/hook-weight": o.weight } : {}),
        ...(o.policy !== undefined ? { "helm.sh/hook-delete-policy": o.policy } : {}),
      },
    },
    spec: {
      backoffLimit: 1,
      template: {
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: "main",
              image: o.image ?? "registry.example.com/shop/api:2.4.0",
              args: o.args ?? ["migrate", "--to", "latest"],
            },
          ],
        },
      },
    },
  };
}

export function hookConfigMap(name: string, events: string): Obj {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name,
      annotations: { "helm.sh/hook": events, "helm.sh/hook-weight": "-5" },
    },
    data: { DATABASE_URL: "postgres://shop-db:5432/shop", LOG_LEVEL: "info" },
  };
}

export function testPod(name: string): Obj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, annotations: { "helm.sh/hook": "test" } },
    spec: {
      restartPolicy: "Never",
      containers: [{ name: "wget", image: "busybox", command: ["wget"], args: ["shop-api:80/healthz"] }],
    },
  };
}

function newScenario(release = "shop-api", chart = "shop-api"): Scenario {
  return new Scenario({ release, namespace: NS, chart });
}

/** The live Deployment of a revision's template, with one ReplicaSet of running pods. */
function liveApi(s: Scenario, tmpl: Obj, hash: string, rev: number, atMin: number): Obj {
  const d = s.add(s.owned(tmpl), 0);
  d.metadata.generation = rev;
  d.status = {
    observedGeneration: rev,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: 2,
    availableReplicas: 2,
    conditions: [{ type: "Available", status: "True", reason: "MinimumReplicasAvailable" }],
  };
  replicaSet(s, d, hash, rev, [{ state: "running" }, { state: "running" }], atMin);
  return d;
}

// ---- release-pending-stuck ----

export interface PendingOptions {
  helm4?: boolean;
  /** Minute (scenario clock) at which the upgrade started; default 60. */
  startedAt?: number;
  /** What became of the hook Job helm was waiting for; default: it completed after helm died. */
  hookJob?: JobOutcome;
}

/**
 * shop-api revision 1 deployed; `helm upgrade` to revision 2 ran the pre-upgrade migration Job, then the CI
 * runner was killed (SIGKILL) two minutes in. The Job finished on its own; the record says pending-upgrade
 * with the hook still "Running". Snapshot clock: PENDING_NOW (45 minutes after the upgrade started).
 */
export const PENDING_NOW = "2026-11-20T11:45:00Z";
export function pendingUpgrade(o: PendingOptions = {}): Scenario {
  const s = newScenario();
  const start = o.startedAt ?? 60;
  const migrate = hookJob("shop-api-migrate", "pre-install,pre-upgrade", { policy: "before-hook-creation" });
  s.revision({
    status: "deployed",
    at: 0,
    helm4: o.helm4,
    templates: [
      { path: "templates/deployment.yaml", object: apiDeployment("2.3.1") },
      { path: "templates/service.yaml", object: apiService() },
      { path: "templates/migrate-job.yaml", object: migrate },
    ],
    hookRuns: { "shop-api-migrate": { phase: "Succeeded", startedAt: 0, completedAt: 1 } },
  });
  s.revision({
    status: "pending-upgrade",
    description: "Preparing upgrade",
    at: start,
    helm4: o.helm4,
    chartVersion: "0.2.0",
    templates: [
      { path: "templates/deployment.yaml", object: apiDeployment("2.4.0") },
      { path: "templates/service.yaml", object: apiService() },
      { path: "templates/migrate-job.yaml", object: migrate },
    ],
    hookRuns: { "shop-api-migrate": { phase: "Running", startedAt: start } },
  });
  liveApi(s, apiDeployment("2.3.1"), "5d8f9c7b6", 1, 0);
  s.add(s.owned(apiService()), 0);
  // The hook Job outlived helm: it completed a minute after the runner died.
  job(s, migrate, o.hookJob ?? "complete", start, start + 3);
  return s;
}

/** First install interrupted: revision 1 pending-install, the pre-install Job still marked Running. */
export function pendingInstall(): Scenario {
  const s = newScenario();
  const migrate = hookJob("shop-api-migrate", "pre-install,pre-upgrade");
  s.revision({
    status: "pending-install",
    at: 0,
    templates: [
      { path: "templates/deployment.yaml", object: apiDeployment("2.4.0") },
      { path: "templates/service.yaml", object: apiService() },
      { path: "templates/migrate-job.yaml", object: migrate },
    ],
    hookRuns: { "shop-api-migrate": { phase: "Running", startedAt: 0 } },
  });
  job(s, migrate, "backoff-limit", 0, 4);
  return s;
}

// ---- atomic-rollback-masked-failure (and a rollback that got stuck) ----

export const ATOMIC_NOW = "2026-11-20T11:20:00Z";

/**
 * `helm upgrade --atomic` to revision 2 (image 2.4.0) timed out waiting for the new pods (readiness fails);
 * Helm rolled back to revision 1, writing revision 3. The rolled-out ReplicaSet of revision 2 is left at 0.
 */
export function atomicTimeout(): Scenario {
  const s = newScenario();
  const rev1 = [
    { path: "templates/deployment.yaml", object: apiDeployment("2.3.1") },
    { path: "templates/service.yaml", object: apiService() },
  ];
  s.revision({ status: "superseded", at: 0, templates: rev1 });
  s.revision({
    status: "failed",
    at: 60,
    description: 'Upgrade "shop-api" failed: context deadline exceeded',
    chartVersion: "0.2.0",
    templates: [
      { path: "templates/deployment.yaml", object: apiDeployment("2.4.0") },
      { path: "templates/service.yaml", object: apiService() },
    ],
  });
  s.revision({ status: "deployed", at: 65, description: "Rollback to 1", templates: rev1 });
  const d = liveApi(s, apiDeployment("2.3.1"), "5d8f9c7b6", 3, 0);
  const { rs } = replicaSet(
    s,
    { ...d, spec: { ...d.spec, template: apiDeployment("2.4.0").spec.template } },
    "7f6b4d9c8",
    2,
    [],
    60,
  );
  rs.status = { replicas: 0, observedGeneration: 3 };
  s.event(rs, "Normal", "SuccessfulCreate", `Created pod: ${rs.metadata.name}-x7k2p`, 1, 60, 60);
  s.event(rs, "Normal", "SuccessfulDelete", `Deleted pod: ${rs.metadata.name}-x7k2p`, 1, 65, 65);
  return s;
}

/**
 * `--atomic` upgrade to revision 2 failed on its pre-upgrade migration (BackoffLimitExceeded); the automatic
 * rollback to 1 then hung in its pre-rollback hook: revision 3 is pending-rollback.
 */
export function atomicHookFailedRollbackStuck(): Scenario {
  const s = newScenario();
  const migrate = hookJob("shop-api-migrate", "pre-upgrade", { policy: "before-hook-creation" });
  const restore = hookJob("shop-api-restore-snapshot", "pre-rollback", {
    policy: "before-hook-creation",
    args: ["restore", "--latest"],
  });
  const rev1 = [
    { path: "templates/deployment.yaml", object: apiDeployment("2.3.1") },
    { path: "templates/migrate-job.yaml", object: migrate },
    { path: "templates/restore-job.yaml", object: restore },
  ];
  s.revision({ status: "deployed", at: 0, templates: rev1 });
  s.revision({
    status: "failed",
    at: 60,
    description:
      'Upgrade "shop-api" failed: pre-upgrade hooks failed: 1 error occurred:\n\t* job shop-api-migrate failed: BackoffLimitExceeded',
    chartVersion: "0.2.0",
    templates: [
      { path: "templates/deployment.yaml", object: apiDeployment("2.4.0") },
      {
        path: "templates/migrate-job.yaml",
        object: hookJob("shop-api-migrate", "pre-upgrade", {
          policy: "before-hook-creation",
          args: ["migrate", "--to", "42"],
        }),
      },
      { path: "templates/restore-job.yaml", object: restore },
    ],
    hookRuns: { "shop-api-migrate": { phase: "Failed", startedAt: 60, completedAt: 62 } },
  });
  s.revision({
    status: "pending-rollback",
    at: 62,
    description: "Rollback to 1",
    templates: rev1,
    hookRuns: { "shop-api-restore-snapshot": { phase: "Running", startedAt: 62 } },
  });
  liveApi(s, apiDeployment("2.3.1"), "5d8f9c7b6", 1, 0);
  job(s, { ...migrate, spec: { ...migrate.spec } }, "backoff-limit", 60, 62);
  job(s, restore, "running", 62, 62);
  return s;
}

// ---- release-uninstall-stuck and no-deployed-release ----

export const UNINSTALL_NOW = "2026-11-20T12:30:00Z";

/**
 * `helm uninstall shop-api`: revision 2 marked uninstalling, the pre-delete cleanup Job failed
 * (BackoffLimitExceeded: it calls an operator API that is already gone). Helm persisted the record when the
 * hook started, so the hook's stored phase is Running (`storedPhase: "Failed"` for a record another tool
 * finished writing). Every manifest object is still live.
 */
export function uninstallStuck(o: { storedPhase?: string; helm4?: boolean } = {}): Scenario {
  const s = newScenario();
  const cleanup = hookJob("shop-api-cleanup", "pre-delete", {
    policy: "before-hook-creation,hook-succeeded",
    args: ["deregister", "--from", "operator"],
  });
  const templates = [
    { path: "templates/deployment.yaml", object: apiDeployment("2.4.0") },
    { path: "templates/service.yaml", object: apiService() },
    { path: "templates/cleanup-job.yaml", object: cleanup },
  ];
  s.revision({ status: "superseded", at: 0, templates, helm4: o.helm4 });
  const r2 = s.revision({
    status: "uninstalling",
    at: 60,
    description: "Deletion in progress (or silently failed)",
    templates,
    helm4: o.helm4,
    hookRuns: {
      "shop-api-cleanup": {
        phase: o.storedPhase ?? "Running",
        startedAt: 120,
        ...(o.storedPhase === "Failed" ? { completedAt: 125 } : {}),
      },
    },
  });
  r2.info.deleted = s.time(120);
  liveApi(s, apiDeployment("2.4.0"), "7f6b4d9c8", 2, 60);
  s.add(s.owned(apiService()), 0);
  const { job: j, pods } = job(s, cleanup, "backoff-limit", 120, 125);
  s.event(j, "Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit", 1, 125, 125);
  s.event(pods[0]!, "Warning", "BackOff", "Back-off restarting failed container main in pod", 3, 121, 124);
  return s;
}

/** `helm uninstall --keep-history`: revision 2 uninstalled, nothing deployed, nothing live. */
export function uninstalledKeptHistory(): Scenario {
  const s = newScenario();
  const templates = [
    { path: "templates/deployment.yaml", object: apiDeployment("2.4.0") },
    { path: "templates/service.yaml", object: apiService() },
  ];
  s.revision({ status: "superseded", at: 0, templates });
  const r2 = s.revision({ status: "uninstalled", at: 60, description: "Uninstallation complete", templates });
  r2.info.deleted = s.time(120);
  return s;
}

// ---- hooks-skipped ----

export const HOOKS_NOW = "2026-11-20T10:30:00Z";

/**
 * `helm install --no-hooks`: revision 1 deployed, "Install complete", but its pre-install hooks — the
 * settings ConfigMap the Deployment mounts and the DB init Job — never ran. New pods hang on the missing
 * ConfigMap. `ran: true` is the near miss: hooks ran normally and the ConfigMap exists.
 */
export function installedWithNoHooks(o: { ran?: boolean } = {}): Scenario {
  const s = newScenario();
  const settings = hookConfigMap("shop-api-settings", "pre-install,pre-upgrade");
  const dbInit = hookJob("shop-api-db-init", "pre-install", { weight: "0", args: ["db", "init"] });
  const deploy = apiDeployment("2.4.0", { configMap: "shop-api-settings" });
  s.revision({
    status: "deployed",
    at: 0,
    templates: [
      { path: "templates/deployment.yaml", object: deploy },
      { path: "templates/service.yaml", object: apiService() },
      { path: "templates/settings-configmap.yaml", object: settings },
      { path: "templates/db-init-job.yaml", object: dbInit },
      { path: "templates/tests/test-connection.yaml", object: testPod("shop-api-test-connection") },
    ],
    hookRuns: o.ran
      ? {
          "shop-api-settings": { phase: "Succeeded", startedAt: 0, completedAt: 0 },
          "shop-api-db-init": { phase: "Succeeded", startedAt: 0, completedAt: 1 },
        }
      : undefined,
  });
  const d = s.add(s.owned(deploy), 1);
  d.status = { replicas: 2, readyReplicas: o.ran ? 2 : 0, unavailableReplicas: o.ran ? 0 : 2 };
  s.add(s.owned(apiService()), 1);
  if (o.ran) {
    s.add(structuredClone(settings), 0);
    job(s, dbInit, "complete", 0, 1);
    replicaSet(s, d, "6d9f8b7c5", 1, [{ state: "running" }, { state: "running" }], 1);
    return s;
  }
  const { pods } = replicaSet(
    s,
    d,
    "6d9f8b7c5",
    1,
    [{ state: "container-creating" }, { state: "container-creating" }],
    1,
  );
  for (const p of pods) {
    s.event(
      p,
      "Warning",
      "FailedMount",
      'MountVolume.SetUp failed for volume "settings" : configmap "shop-api-settings" not found',
      14,
      1,
      29,
    );
  }
  return s;
}

/** Revision 3 "Rollback to 1" of a chart whose hooks are install/upgrade only: nothing to run, nothing skipped. */
export function rollbackWithoutRollbackHooks(): Scenario {
  const s = newScenario();
  const settings = hookConfigMap("shop-api-settings", "pre-install,pre-upgrade");
  const t = (tag: string) => [
    { path: "templates/deployment.yaml", object: apiDeployment(tag, { configMap: "shop-api-settings" }) },
    { path: "templates/settings-configmap.yaml", object: settings },
  ];
  const ran = (m: number) => ({ "shop-api-settings": { phase: "Succeeded", startedAt: m, completedAt: m } });
  s.revision({ status: "superseded", at: 0, templates: t("2.3.1"), hookRuns: ran(0) });
  s.revision({ status: "superseded", at: 60, templates: t("2.4.0"), hookRuns: ran(60) });
  // Rollback records copy the target's hooks with their old last_run.
  s.revision({
    status: "deployed",
    at: 90,
    description: "Rollback to 1",
    templates: t("2.3.1"),
    hookRuns: ran(0),
  });
  liveApi(s, apiDeployment("2.3.1", { configMap: "shop-api-settings" }), "5d8f9c7b6", 3, 90);
  s.add(structuredClone(settings), 60);
  return s;
}

// ---- unknown-hook-dropped ----

export function widgetCrd(hook: string | undefined): Obj {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name: "widgets.example.com",
      ...(hook !== undefined ? { annotations: { "helm.sh/hook": hook } } : {}),
    },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
        },
      ],
    },
  };
}

function operatorDeployment(): Obj {
  const labels = { "app.kubernetes.io/name": "widget-operator" };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "widget-operator", labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: "operator", image: "registry.example.com/widget-operator:1.2.0" }] },
      },
    },
  };
}

/**
 * A chart ported from Helm 2: its CRD template still says `helm.sh/hook: crd-install`. Helm 3 drops the
 * document; revision 1 deploys the operator without its CRD. `hook` overrides the annotation (a typo, a
 * valid value for the near miss, a templated value).
 */
export function helm2CrdChart(o: { hook?: string; rawCrdTemplate?: string } = {}): Scenario {
  const s = new Scenario({ release: "widgets", namespace: NS, chart: "widget-operator" });
  const rel = s.revision({
    status: "deployed",
    at: 0,
    templates: [
      { path: "templates/crd.yaml", object: widgetCrd(o.hook ?? "crd-install") },
      { path: "templates/deployment.yaml", object: operatorDeployment() },
    ],
  });
  if (o.rawCrdTemplate !== undefined) {
    const t = rel.chart!.templates!.find((x) => x.name === "templates/crd.yaml")!;
    t.data = Buffer.from(o.rawCrdTemplate).toString("base64");
  }
  const d = s.add(s.owned(operatorDeployment()), 0);
  replicaSet(s, d, "84c6f7d9b", 1, [{ state: "crash-loop", restarts: 9 }], 0);
  return s;
}

/** A ConfigMap whose hook annotation has a typo ("pre-instal"): dropped, and the Deployment needs it. */
export function typoHookConfigMap(): Scenario {
  const s = newScenario();
  const settings = hookConfigMap("shop-api-settings", "pre-instal,pre-upgrade");
  const deploy = apiDeployment("2.4.0", { configMap: "shop-api-settings" });
  s.revision({
    status: "deployed",
    at: 0,
    templates: [
      { path: "templates/deployment.yaml", object: deploy },
      { path: "templates/settings-configmap.yaml", object: settings },
    ],
  });
  const d = s.add(s.owned(deploy), 0);
  const { pods } = replicaSet(s, d, "6d9f8b7c5", 1, [{ state: "container-creating" }], 0);
  s.event(
    pods[0]!,
    "Warning",
    "FailedMount",
    'MountVolume.SetUp failed for volume "settings" : configmap "shop-api-settings" not found',
    6,
    1,
    9,
  );
  return s;
}

// ---- release-record-size ----

/** Deterministic incompressible bytes (xorshift32), like a packed binary or an image in the chart. */
export function noise(bytes: number, seed = 0x9e3779b9): Buffer {
  const b = Buffer.alloc(bytes);
  let x = seed >>> 0;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

/** What helm prints when the storage driver's create of revision `rev`'s record is refused as too large. */
export const RECORD_TOO_LARGE = (kind: "Secret" | "ConfigMap", release: string, rev: number) =>
  `Error: UPGRADE FAILED: create: failed to create: ${kind} "sh.helm.release.v1.${release}.v${rev}" is invalid: ${kind === "Secret" ? "data" : "[]"}: Too long: must have at most 1048576 bytes`;

/**
 * A chart that ships a large binary file and a big dashboard JSON (no .helmignore): revision 2's record
 * grows with `binaryKiB` of incompressible data. `driver`: where the records are stored (default Secrets).
 */
export function bigChart(binaryKiB: number, o: { driver?: "secret" | "configmap" } = {}): Scenario {
  const s = newScenario("grafana-stack", "grafana-stack");
  if (o.driver) s.driver = o.driver;
  const templates = [{ path: "templates/deployment.yaml", object: apiDeployment("2.4.0") }];
  const dashboard = JSON.stringify({
    panels: Array.from({ length: 400 }, (_, i) => ({
      id: i,
      title: `Panel ${i}`,
      type: "graph",
      targets: [{ expr: `rate(http_requests_total{code="${i}"}[5m])` }],
    })),
  });
  for (const [i, status] of (["superseded", "deployed"] as const).entries()) {
    const rel = s.revision({ status, at: i * 60, templates });
    rel.chart!.files = [
      { name: ".helmignore", data: Buffer.from(".git/\n*.swp\n").toString("base64") },
      { name: "dashboards/requests.json", data: Buffer.from(dashboard).toString("base64") },
      ...(binaryKiB > 0
        ? [
            {
              name: "assets/geoip.mmdb",
              data: noise(binaryKiB * 1024 * (i === 0 ? 0.9 : 1)).toString("base64"),
            },
          ]
        : []),
    ];
  }
  s.add(s.owned(apiDeployment("2.4.0")), 0);
  return s;
}
