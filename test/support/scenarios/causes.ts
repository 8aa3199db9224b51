// Cluster states where a cause and its symptoms sit apart, modelled on public Helm issues: a crash loop whose
// termination message names the cause (a CRD Helm dropped, a migration --no-hooks skipped, a password a hook
// regenerated); objects deleted by a transition revisions ago or by an upgrade whose post hooks never ran;
// failed revisions whose only evidence is Helm's error text; a pre-rollback hook that failed. Each comes with
// its near misses.
import { parse as parseYaml, stringify } from "yaml";
import { type Obj, Scenario } from "../scenario.js";
import { pendingUpgrade } from "./release-state.js";
import { appDeployment, configMap, liveDeployment, service } from "./transitions.js";
import { job } from "./workloads.js";

export const CAUSES_NOW = "2026-11-20T12:00:00Z";
const NOW = 120;

function hook(o: Obj, events: string, extra: Record<string, string> = {}): Obj {
  const c = structuredClone(o);
  c.metadata.annotations = { ...(c.metadata.annotations ?? {}), "helm.sh/hook": events, ...extra };
  return c;
}

/** Sets the termination message of every crash-looping container of `pods` (the app's last words). */
function lastWords(pods: Obj[], message: string): void {
  for (const p of pods)
    for (const cs of p.status?.containerStatuses ?? [])
      if (cs.lastState?.terminated) cs.lastState.terminated.message = message;
}

/**
 * `d2` rolled out over `d1` at minute `newAt`: one old pod still running per new one, the new pods crash-looping
 * (`restarts` each) with `message` as their last words, backing off a minute later.
 */
function crashLoopingRollout(
  s: Scenario,
  d1: Obj,
  d2: Obj,
  o: { restarts: number[]; newAt: number; message: string },
): void {
  const live = liveDeployment(s, d2, {
    oldTemplate: d1,
    oldPods: o.restarts.map(() => ({ state: "running" })),
    newPods: o.restarts.map((restarts) => ({ state: "crash-loop", restarts })),
    oldAt: 0,
    newAt: o.newAt,
  });
  lastWords(live.newPods, o.message);
  backOff(s, live.newPods, o.newAt + 1);
}

function backOff(s: Scenario, pods: Obj[], at: number): void {
  for (const p of pods)
    s.event(
      p,
      "Warning",
      "BackOff",
      `Back-off restarting failed container ${p.spec.containers[0].name} in pod ${p.metadata.name}_${s.namespace}(${p.metadata.uid})`,
      30,
      at,
      NOW - 1,
    );
}

// ---- a CRD Helm dropped, an operator that needs it ----

function certificateCrd(): Obj {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "certificates.certs.acme.io", annotations: { "helm.sh/hook": "crd-install" } },
    spec: {
      group: "certs.acme.io",
      scope: "Namespaced",
      names: {
        plural: "certificates",
        singular: "certificate",
        kind: "Certificate",
        listKind: "CertificateList",
      },
      versions: [
        { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
      ],
    },
  };
}

export const NO_CERTIFICATE_KIND =
  'E1120 11:31:02.114 1 main.go:88] unable to start manager: failed to wait for caches to sync: no matches for kind "Certificate" in version "certs.acme.io/v1"';

/**
 * acme-operator 1.5 (revision 2) adds a Certificate controller and, ported from a Helm 2 chart, its CRD template
 * with `helm.sh/hook: crd-install`: Helm 3 drops the document, so the CRD never exists and the new operator
 * pods crash-loop naming the kind. `message` replaces the operator's last words (near misses).
 */
export function operatorWithoutCrd(o: { message?: string } = {}): Scenario {
  const s = new Scenario({ release: "acme", namespace: "certs", chart: "acme-operator" });
  const d1 = appDeployment("acme-operator", {
    image: "registry.example.com/acme-operator:1.4.2",
    replicas: 1,
  });
  const d2 = appDeployment("acme-operator", {
    image: "registry.example.com/acme-operator:1.5.0",
    replicas: 1,
  });
  s.revision({ status: "superseded", at: 0, templates: [{ path: "templates/deployment.yaml", object: d1 }] });
  s.revision({
    status: "deployed",
    at: 60,
    chartVersion: "1.5.0",
    templates: [
      { path: "templates/crds/certificate.yaml", object: certificateCrd() },
      { path: "templates/deployment.yaml", object: d2 },
    ],
  });
  crashLoopingRollout(s, d1, d2, { restarts: [14], newAt: 60, message: o.message ?? NO_CERTIFICATE_KIND });
  return s;
}

// ---- a migration --no-hooks skipped ----

function migrationJob(image: string): Obj {
  return hook(
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "orders-migrate" },
      spec: {
        backoffLimit: 1,
        template: {
          spec: {
            restartPolicy: "Never",
            containers: [{ name: "migrate", image, args: ["db", "migrate"] }],
          },
        },
      },
    },
    "pre-install,pre-upgrade",
    { "helm.sh/hook-weight": "-5" },
  );
}

export const RELATION_MISSING =
  'panic: ERROR: relation "order_items" does not exist (SQLSTATE 42P01)\n\ngoroutine 1 [running]:\nmain.main()';

/**
 * orders 2.0 (revision 2) needs a new table that its pre-upgrade migration Job creates; `helm upgrade
 * --no-hooks` skipped it, and the new pods crash-loop on the missing relation. `hooksRan` is the near miss where
 * the migration ran; `message` replaces the app's last words.
 */
export function migrationSkipped(o: { hooksRan?: boolean; message?: string } = {}): Scenario {
  const s = new Scenario({ release: "orders", namespace: "shop", chart: "orders" });
  const d1 = appDeployment("orders", { image: "registry.example.com/orders:1.9.3" });
  const d2 = appDeployment("orders", { image: "registry.example.com/orders:2.0.0" });
  s.revision({
    status: "superseded",
    at: 0,
    templates: [
      { path: "templates/deployment.yaml", object: d1 },
      { path: "templates/migrate-job.yaml", object: migrationJob("registry.example.com/orders:1.9.3") },
    ],
    hookRuns: { "orders-migrate": { phase: "Succeeded", startedAt: 0, completedAt: 1 } },
  });
  s.revision({
    status: "deployed",
    at: 60,
    chartVersion: "0.2.0",
    templates: [
      { path: "templates/deployment.yaml", object: d2 },
      { path: "templates/migrate-job.yaml", object: migrationJob("registry.example.com/orders:2.0.0") },
    ],
    ...(o.hooksRan
      ? { hookRuns: { "orders-migrate": { phase: "Succeeded", startedAt: 60, completedAt: 61 } } }
      : {}),
  });
  // The Job of the last run that did happen (revision 1's, or revision 2's) is still there: before-hook-creation
  // only deletes it when the hook runs again.
  job(
    s,
    migrationJob(`registry.example.com/orders:${o.hooksRan ? "2.0.0" : "1.9.3"}`),
    "complete",
    o.hooksRan ? 60 : 0,
    o.hooksRan ? 61 : 1,
  );
  crashLoopingRollout(s, d1, d2, { restarts: [8, 7], newAt: 61, message: o.message ?? RELATION_MISSING });
  return s;
}

// ---- a password a hook regenerates on every upgrade ----

const PASSWORD_TEMPLATE = `apiVersion: v1
kind: Secret
metadata:
  name: shop-db-password
  annotations:
    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "-10"
type: Opaque
data:
  password: {{ randAlphaNum 24 | b64enc | quote }}
`;

function dbSecret(password: string): Obj {
  return hook(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "shop-db-password" },
      type: "Opaque",
      data: { password: Buffer.from(password).toString("base64") },
    },
    "pre-install,pre-upgrade",
    { "helm.sh/hook-weight": "-10" },
  );
}

export const AUTH_FAILED =
  'FATAL: password authentication failed for user "shop" (SQLSTATE 28P01)\nerror: cannot connect to database shop-db:5432';

/**
 * shop's database password is a `pre-install,pre-upgrade` hook Secret rendered with randAlphaNum and the default
 * delete policy: the upgrade to revision 2 deleted it and created it with a new password. The database kept the
 * one it was initialised with; the api's new pods read the new one and crash-loop on authentication.
 * `usesSecret: false` is the near miss where the crashing pods do not use that Secret; `message` replaces the
 * api's last words.
 */
export function regeneratedPassword(
  o: { message?: string; usesSecret?: boolean; withDatabase?: boolean } = {},
): Scenario {
  const s = new Scenario({ release: "shop", namespace: "shop", chart: "shop" });
  const env =
    o.usesSecret === false
      ? [{ name: "DB_PASSWORD_FILE", value: "/run/secrets/db" }]
      : [{ name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "shop-db-password", key: "password" } } }];
  const d1 = appDeployment("shop-api", { image: "registry.example.com/shop-api:3.1.0", env });
  const d2 = appDeployment("shop-api", { image: "registry.example.com/shop-api:3.2.0", env });
  const s1 = dbSecret("kq3Zr9T1mWn8vB2xLp5cY7dA");
  const s2 = dbSecret("Hj6uE0sQa4NfG1tRz8wK3yVb");
  const ran = (m: number) => ({ "shop-db-password": { phase: "Succeeded", startedAt: m, completedAt: m } });
  const r1 = s.revision({
    status: "superseded",
    at: 0,
    templates: [
      { path: "templates/db-secret.yaml", object: s1 },
      { path: "templates/deployment.yaml", object: d1 },
    ],
    hookRuns: ran(0),
  });
  const r2 = s.revision({
    status: "deployed",
    at: 60,
    templates: [
      { path: "templates/db-secret.yaml", object: s2 },
      { path: "templates/deployment.yaml", object: d2 },
    ],
    hookRuns: ran(60),
  });
  for (const r of [r1, r2]) {
    const t = r.chart!.templates!.find((x) => x.name === "templates/db-secret.yaml")!;
    t.data = Buffer.from(PASSWORD_TEMPLATE).toString("base64");
  }
  // The hook copy from revision 2's run: no ownership metadata, created at minute 60.
  s.add(structuredClone(s2), 60);
  if (o.withDatabase) {
    // The database uses the same Secret, but only at initialisation: it runs on with the first password.
    const db: Obj = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: { name: "shop-db" },
      spec: {
        serviceName: "shop-db",
        replicas: 1,
        selector: { matchLabels: { app: "shop-db" } },
        template: {
          metadata: { labels: { app: "shop-db" } },
          spec: {
            containers: [
              {
                name: "postgres",
                image: "postgres:16.4",
                env: [
                  {
                    name: "POSTGRES_PASSWORD",
                    valueFrom: { secretKeyRef: { name: "shop-db-password", key: "password" } },
                  },
                ],
              },
            ],
          },
        },
      },
    };
    for (const r of s.releases) {
      r.manifest += `---\n# Source: shop/templates/db.yaml\n${stringify(db, { lineWidth: 0 }).trimEnd()}\n`;
    }
    const live = s.add(s.owned(db), 0);
    live.status = { replicas: 1, readyReplicas: 1 };
    s.add(
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "shop-db-0",
          labels: { app: "shop-db" },
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              kind: "StatefulSet",
              name: "shop-db",
              uid: live.metadata.uid,
              controller: true,
            },
          ],
        },
        spec: db.spec.template.spec,
        status: {
          phase: "Running",
          conditions: [{ type: "Ready", status: "True" }],
          containerStatuses: [
            { name: "postgres", ready: true, restartCount: 0, state: { running: { startedAt: s.time(1) } } },
          ],
        },
      },
      0,
    );
  }
  crashLoopingRollout(s, d1, d2, { restarts: [6, 6], newAt: 61, message: o.message ?? AUTH_FAILED });
  return s;
}

// ---- a ConfigMap turned into a pre-install-only hook three revisions ago ----

function catalogConfig(extra: Record<string, string> = {}): Obj {
  const o: Obj = configMap("catalog-config", { "catalog.yaml": "page_size: 50\n" });
  if (Object.keys(extra).length) o.metadata.annotations = extra;
  return o;
}

function catalogDeployment(tag: string): Obj {
  return appDeployment("catalog", {
    image: `registry.example.com/catalog:${tag}`,
    volumes: [{ name: "config", configMap: { name: "catalog-config" } }],
    volumeMounts: [{ name: "config", mountPath: "/etc/catalog" }],
  });
}

/**
 * catalog revision 2 made ConfigMap catalog-config a `pre-install` hook (for a seed Job on fresh installs). The
 * upgrade to 2 did not run it (pre-install only) and deleted the ConfigMap as an object that left the manifest.
 * Revisions 3 and 4 were image bumps; they ran no hook that creates it. Revision 4's new pods cannot mount it.
 * `keepOnLive`: the near miss where the live object carried `helm.sh/resource-policy: keep` (it survived).
 * `madeRegularAgain`: the near miss where revision 3 made it a regular resource again (recreated).
 */
export function movedIntoPreInstallHookEarlier(
  o: { keepOnLive?: boolean; madeRegularAgain?: boolean } = {},
): Scenario {
  const s = new Scenario({ release: "catalog", namespace: "shop", chart: "catalog" });
  const regular = catalogConfig(o.keepOnLive ? { "helm.sh/resource-policy": "keep" } : {});
  const asHook = hook(catalogConfig(), "pre-install", { "helm.sh/hook-weight": "-5" });
  const t = (tag: string, cm: Obj) => [
    { path: "templates/configmap.yaml", object: cm },
    { path: "templates/deployment.yaml", object: catalogDeployment(tag) },
    { path: "templates/service.yaml", object: service("catalog") },
  ];
  s.revision({ status: "superseded", at: 0, templates: t("4.0.0", regular) });
  s.revision({ status: "superseded", at: 30, templates: t("4.0.0", asHook) });
  s.revision({
    status: "superseded",
    at: 60,
    templates: t("4.1.0", o.madeRegularAgain ? catalogConfig() : asHook),
  });
  s.revision({
    status: "deployed",
    at: 90,
    templates: t("4.2.0", o.madeRegularAgain ? catalogConfig() : asHook),
  });
  s.add(s.owned(service("catalog")), 0);
  if (o.keepOnLive) s.add(s.owned(regular), 0);
  if (o.madeRegularAgain) s.add(s.owned(catalogConfig()), 60);
  const gone = !o.keepOnLive && !o.madeRegularAgain;
  const live = liveDeployment(s, catalogDeployment("4.2.0"), {
    oldTemplate: catalogDeployment("4.1.0"),
    oldPods: [{ state: "running" }, { state: "running" }],
    newPods: gone ? [{ state: "container-creating" }] : [{ state: "running" }, { state: "running" }],
    oldAt: 60,
    newAt: 90,
  });
  if (gone)
    for (const p of live.newPods)
      s.event(
        p,
        "Warning",
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "catalog-config" not found',
        25,
        91,
        NOW - 1,
      );
  if (!gone && live.oldRs) {
    live.oldRs.spec.replicas = 0;
    for (const p of live.oldPods) s.live.splice(s.live.indexOf(p), 1);
  }
  return s;
}

// ---- a ConfigMap turned into a post-upgrade hook; the upgrade failed at --wait ----

/**
 * inventory revision 2 made ConfigMap inventory-config a `post-install,post-upgrade` hook. `helm upgrade --wait`
 * applied the manifest, deleting the ConfigMap (it left the manifest), then waited for the new pods — which
 * cannot mount it — and timed out, so the post-upgrade hook that would have recreated it never ran. `hookRan`
 * is the near miss without --wait: the post hook ran and recreated it, and the pods start.
 */
export function movedIntoPostHookWaitFailed(o: { hookRan?: boolean } = {}): Scenario {
  const s = new Scenario({ release: "inventory", namespace: "shop", chart: "inventory" });
  const cm = (): Obj => configMap("inventory-config", { "inventory.yaml": "warehouses: [eu-1]\n" });
  const dep = (tag: string) =>
    appDeployment("inventory", {
      image: `registry.example.com/inventory:${tag}`,
      volumes: [{ name: "config", configMap: { name: "inventory-config" } }],
      volumeMounts: [{ name: "config", mountPath: "/etc/inventory" }],
    });
  s.revision({
    status: "superseded",
    at: 0,
    templates: [
      { path: "templates/configmap.yaml", object: cm() },
      { path: "templates/deployment.yaml", object: dep("1.0.0") },
    ],
  });
  s.revision({
    status: o.hookRan ? "deployed" : "failed",
    at: 60,
    ...(o.hookRan ? {} : { description: 'Upgrade "inventory" failed: context deadline exceeded' }),
    templates: [
      { path: "templates/configmap.yaml", object: hook(cm(), "post-install,post-upgrade") },
      { path: "templates/deployment.yaml", object: dep("1.1.0") },
    ],
    ...(o.hookRan
      ? { hookRuns: { "inventory-config": { phase: "Succeeded", startedAt: 61, completedAt: 61 } } }
      : {}),
  });
  if (o.hookRan) {
    // Revision 1 stays superseded only when 2 deployed.
    s.releases[0]!.info.status = "superseded";
    s.add(hook(cm(), "post-install,post-upgrade"), 61);
  } else s.releases[0]!.info.status = "deployed";
  const live = liveDeployment(s, dep("1.1.0"), {
    oldTemplate: dep("1.0.0"),
    oldPods: o.hookRan ? [] : [{ state: "running" }, { state: "running" }],
    newPods: o.hookRan ? [{ state: "running" }, { state: "running" }] : [{ state: "container-creating" }],
    oldAt: 0,
    newAt: 60,
  });
  if (!o.hookRan)
    for (const p of live.newPods)
      s.event(
        p,
        "Warning",
        "FailedMount",
        'MountVolume.SetUp failed for volume "config" : configmap "inventory-config" not found',
        30,
        61,
        NOW - 1,
      );
  return s;
}

// ---- failures only Helm's error text records ----

function statefulSet(storage: string, image = "postgres:16.4"): Obj {
  const labels = { "app.kubernetes.io/name": "db" };
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "db", labels },
    spec: {
      serviceName: "db",
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "postgres", image }] } },
      volumeClaimTemplates: [
        {
          metadata: { name: "data" },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage } } },
        },
      ],
    },
  };
}

export const STATEFULSET_FORBIDDEN =
  "Upgrade \"pg\" failed: cannot patch \"db\" with kind StatefulSet: StatefulSet.apps \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden";

/**
 * pg revision 2 grows the StatefulSet's volumeClaimTemplates from 10Gi to 50Gi; the API server refuses the patch
 * and Helm records revision 2 failed. `fixedLater`: the near miss where revision 3 reverted it and deployed.
 */
export function statefulSetStorageChange(o: { fixedLater?: boolean } = {}): Scenario {
  const s = new Scenario({ release: "pg", namespace: "data", chart: "postgres" });
  s.revision({
    status: "superseded",
    at: 0,
    templates: [{ path: "templates/statefulset.yaml", object: statefulSet("10Gi") }],
  });
  s.revision({
    status: o.fixedLater ? "superseded" : "failed",
    at: 60,
    description: STATEFULSET_FORBIDDEN,
    templates: [{ path: "templates/statefulset.yaml", object: statefulSet("50Gi") }],
  });
  if (o.fixedLater)
    s.revision({
      status: "deployed",
      at: 90,
      templates: [{ path: "templates/statefulset.yaml", object: statefulSet("10Gi", "postgres:16.5") }],
    });
  else s.releases[0]!.info.status = "deployed";
  const sts = s.add(s.owned(statefulSet("10Gi", o.fixedLater ? "postgres:16.5" : "postgres:16.4")), 0);
  sts.status = { replicas: 1, readyReplicas: 1, currentReplicas: 1, updatedReplicas: 1 };
  return s;
}

export const SELECTOR_IMMUTABLE =
  'Upgrade "web" failed: cannot patch "web" with kind Deployment: Deployment.apps "web" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app.kubernetes.io/component":"frontend", "app.kubernetes.io/name":"web"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable';

/** web revision 2 adds a label to the Deployment's selector (a chart upgrade across a major version). */
export function deploymentSelectorChange(): Scenario {
  const s = new Scenario({ release: "web", namespace: "shop", chart: "web" });
  const d1 = appDeployment("web", { image: "nginx:1.26" });
  const d2 = structuredClone(d1);
  d2.spec.selector.matchLabels = {
    "app.kubernetes.io/name": "web",
    "app.kubernetes.io/component": "frontend",
  };
  d2.spec.template.metadata.labels = { ...d2.spec.selector.matchLabels };
  s.revision({ status: "deployed", at: 0, templates: [{ path: "templates/deployment.yaml", object: d1 }] });
  s.revision({
    status: "failed",
    at: 60,
    chartVersion: "2.0.0",
    description: SELECTOR_IMMUTABLE,
    templates: [{ path: "templates/deployment.yaml", object: d2 }],
  });
  liveDeployment(s, d1, { newPods: [{ state: "running" }, { state: "running" }], newAt: 0 });
  return s;
}

export const INGRESS_DENIED =
  'Release "storefront" failed: failed to create resource: admission webhook "validate.nginx.ingress.kubernetes.io" denied the request: host "shop.example.com" and path "/" is already defined in ingress shop/legacy-storefront';

/** A first install whose Ingress the ingress-nginx admission webhook refuses (the host is taken). */
export function ingressRejected(): Scenario {
  const s = new Scenario({ release: "storefront", namespace: "shop", chart: "storefront" });
  const ing: Obj = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "storefront" },
    spec: {
      ingressClassName: "nginx",
      rules: [
        {
          host: "shop.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "storefront", port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
  const d = appDeployment("storefront", { image: "registry.example.com/storefront:5.0.0" });
  s.revision({
    status: "failed",
    at: 60,
    description: INGRESS_DENIED,
    templates: [
      { path: "templates/deployment.yaml", object: d },
      { path: "templates/service.yaml", object: service("storefront") },
      { path: "templates/ingress.yaml", object: ing },
    ],
  });
  // Objects created before the Ingress (install order) exist.
  s.add(s.owned(service("storefront")), 60);
  liveDeployment(s, d, { newPods: [{ state: "running" }, { state: "running" }], newAt: 60 });
  return s;
}

/** An upgrade that failed with an error no analyzer knows. `fixedLater`: a healthy revision 3 followed. */
export function unknownFailure(o: { fixedLater?: boolean; description?: string } = {}): Scenario {
  const s = new Scenario({ release: "billing", namespace: "shop", chart: "billing" });
  const d = (tag: string) => appDeployment("billing", { image: `registry.example.com/billing:${tag}` });
  s.revision({
    status: o.fixedLater ? "superseded" : "deployed",
    at: 0,
    templates: [{ path: "templates/deployment.yaml", object: d("1.0.0") }],
  });
  s.revision({
    status: o.fixedLater ? "superseded" : "failed",
    at: 60,
    description:
      o.description ??
      'Upgrade "billing" failed: the cluster refused the request: etcdserver: request timed out',
    templates: [{ path: "templates/deployment.yaml", object: d("1.1.0") }],
  });
  if (o.fixedLater)
    s.revision({
      status: "deployed",
      at: 90,
      templates: [{ path: "templates/deployment.yaml", object: d("1.1.0") }],
    });
  liveDeployment(s, d(o.fixedLater ? "1.1.0" : "1.0.0"), {
    newPods: [{ state: "running" }, { state: "running" }],
    newAt: 0,
  });
  return s;
}

export const SSA_CONFLICT =
  'Upgrade "web" failed: conflict occurred while applying shop/web with kind Deployment: Apply failed with 1 conflict: conflict with "kube-controller-manager" using apps/v1: .spec.replicas';

/**
 * Helm 4 (server-side apply): web's chart sets spec.replicas, while an HPA (through kube-controller-manager)
 * owns that field; the apply conflicts and revision 2 fails.
 */
export function ssaReplicasConflict(): Scenario {
  const s = new Scenario({ release: "web", namespace: "shop", chart: "web" });
  const d1 = appDeployment("web", { image: "nginx:1.26", replicas: 2 });
  const d2 = appDeployment("web", { image: "nginx:1.27", replicas: 2 });
  const r1 = s.revision({
    status: "deployed",
    at: 0,
    helm4: true,
    templates: [{ path: "templates/deployment.yaml", object: d1 }],
  });
  const r2 = s.revision({
    status: "failed",
    at: 60,
    helm4: true,
    description: SSA_CONFLICT,
    templates: [{ path: "templates/deployment.yaml", object: d2 }],
  });
  r1.apply_method = "ssa";
  r2.apply_method = "ssa";
  const live = liveDeployment(s, d1, {
    newPods: [
      { state: "running" },
      { state: "running" },
      { state: "running" },
      { state: "running" },
      { state: "running" },
    ],
    newAt: 0,
  });
  live.deploy.spec.replicas = 5;
  live.deploy.metadata.managedFields = [
    {
      manager: "helm",
      operation: "Apply",
      apiVersion: "apps/v1",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:spec": { "f:template": {} } },
    },
    {
      manager: "kube-controller-manager",
      operation: "Update",
      apiVersion: "apps/v1",
      fieldsType: "FieldsV1",
      fieldsV1: { "f:spec": { "f:replicas": {} } },
    },
  ];
  return s;
}

/**
 * A rollback that fails because an object of the target revision exists live but belongs to another release
 * (`no ConfigMap with the name … found`): mail revision 3 is "Rollback to 1", failed; the ConfigMap mail-settings
 * is owned by release mail-legacy, whose records are in the namespace (`legacyGone`: it was uninstalled, the
 * ConfigMap kept).
 */
export function rollbackHitsForeignObject(o: { legacyGone?: boolean } = {}): Scenario {
  const s = new Scenario({ release: "mail", namespace: "shop", chart: "mail" });
  const cm: Obj = configMap("mail-settings", { smtp: "smtp.example.com" });
  const d = (tag: string) => appDeployment("mail", { image: `registry.example.com/mail:${tag}` });
  s.revision({
    status: "superseded",
    at: 0,
    templates: [
      { path: "templates/configmap.yaml", object: cm },
      { path: "templates/deployment.yaml", object: d("1.0.0") },
    ],
  });
  s.revision({
    status: "deployed",
    at: 30,
    templates: [{ path: "templates/deployment.yaml", object: d("1.1.0") }],
  });
  s.revision({
    status: "failed",
    at: 60,
    description: 'Rollback "mail" failed: no ConfigMap with the name "mail-settings" found',
    templates: [
      { path: "templates/configmap.yaml", object: cm },
      { path: "templates/deployment.yaml", object: d("1.0.0") },
    ],
  });
  s.releases[2]!.info.description =
    'Rollback "mail" failed: no ConfigMap with the name "mail-settings" found';
  ownedByAnother(
    s,
    cm,
    "mail-legacy",
    40,
    o.legacyGone ? undefined : { path: "templates/configmap.yaml", chart: "mail" },
  );
  liveDeployment(s, d("1.1.0"), { newPods: [{ state: "running" }], newAt: 30 });
  return s;
}

// ---- a failed pre-rollback hook ----

function backupJob(): Obj {
  return hook(
    {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: { name: "ledger-backup" },
      spec: {
        backoffLimit: 2,
        template: {
          spec: {
            restartPolicy: "Never",
            containers: [
              {
                name: "backup",
                image: "registry.example.com/pg-backup:2.1",
                args: ["--to", "s3://ledger-backups"],
              },
            ],
          },
        },
      },
    },
    "pre-rollback,pre-upgrade",
    { "helm.sh/hook-delete-policy": "before-hook-creation,hook-succeeded" },
  );
}

/**
 * ledger: revision 2 deployed; `helm rollback ledger 1` wrote revision 3 pending-rollback and ran revision 1's
 * pre-rollback hook Job ledger-backup, which failed (its S3 credentials expired). Helm returned the error without
 * writing the record again, so revision 3 stays pending-rollback with the hook "Running". `completed`: the near
 * miss where the backup completed and the rollback deployed (the Job was kept: hook-succeeded deletes it… only
 * with that policy, so this near miss uses `hook-failed`).
 */
export function preRollbackHookFailed(o: { completed?: boolean } = {}): Scenario {
  const s = new Scenario({ release: "ledger", namespace: "finance", chart: "ledger" });
  const d = (tag: string) => appDeployment("ledger", { image: `registry.example.com/ledger:${tag}` });
  const bj = o.completed
    ? hook(backupJob(), "pre-rollback,pre-upgrade", { "helm.sh/hook-delete-policy": "hook-failed" })
    : backupJob();
  const t = (tag: string) => [
    { path: "templates/deployment.yaml", object: d(tag) },
    { path: "templates/backup-job.yaml", object: bj },
  ];
  s.revision({ status: "superseded", at: 0, templates: t("3.0.0"), hookRuns: {} });
  s.revision({
    status: o.completed ? "superseded" : "deployed",
    at: 30,
    templates: t("3.1.0"),
    hookRuns: { "ledger-backup": { phase: "Succeeded", startedAt: 30, completedAt: 31 } },
  });
  s.revision({
    status: o.completed ? "deployed" : "pending-rollback",
    at: 100,
    description: "Rollback to 1",
    templates: t("3.0.0"),
    hookRuns: {
      "ledger-backup": o.completed
        ? { phase: "Succeeded", startedAt: 100, completedAt: 102 }
        : { phase: "Running", startedAt: 100 },
    },
  });
  liveDeployment(s, d(o.completed ? "3.0.0" : "3.1.0"), {
    newPods: [{ state: "running" }, { state: "running" }],
    newAt: o.completed ? 102 : 30,
  });
  if (o.completed) {
    job(s, bj, "complete", 100, 102);
  } else {
    const { pods } = job(s, backupJob(), "backoff-limit", 100, 104);
    for (const p of pods)
      for (const cs of p.status?.containerStatuses ?? [])
        if (cs.state?.terminated)
          cs.state.terminated.message =
            "upload failed: ExpiredToken: The provided token has expired. status code: 400";
  }
  return s;
}

/**
 * Another release's records, with uids of their own: the builder numbers every release's records alike, and a
 * cluster (and the live source, which drops repeated uids) never has two objects with one uid.
 */
export function foreignRecords(n: Scenario): Obj[] {
  let h = 0;
  for (const c of n.release) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const prefix = h.toString(16).padStart(8, "0").slice(-8);
  return n.records().map((r) => {
    (r.metadata as Obj).uid = String((r.metadata as Obj).uid).replace(/^[0-9a-f]{8}/, prefix);
    return r;
  });
}

/**
 * `object` live as release `owner` of the same namespace left it (Helm's ownership label and annotations), added
 * at minute `at`; with `records`, beside it `owner`'s deployed record shipping it at `path` (without: `owner` was
 * uninstalled with the object kept, or renamed).
 */
function ownedByAnother(
  s: Scenario,
  object: Obj,
  owner: string,
  at: number,
  records?: { path: string; chart?: string },
  ownerNamespace: string = s.namespace,
): void {
  const live = structuredClone(object);
  live.metadata.labels = { "app.kubernetes.io/managed-by": "Helm" };
  live.metadata.annotations = {
    "meta.helm.sh/release-name": owner,
    "meta.helm.sh/release-namespace": ownerNamespace,
  };
  s.add(live, at);
  if (!records) return;
  const n = new Scenario({ release: owner, namespace: s.namespace, chart: records.chart ?? owner });
  n.revision({ status: "deployed", at, templates: [{ path: records.path, object }] });
  for (const r of foreignRecords(n)) s.add(r, at);
}

// ---- failures only the helm command's output shows ----

export const OWNERSHIP_OUTPUT = (kind: string, name: string, ns: string, release: string) =>
  `Error: UPGRADE FAILED: Unable to continue with update: ${kind} "${name}" in namespace "${ns}" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set to "${release}"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "${ns}"`;

/**
 * web revision 1 (deployed) has ConfigMap web-settings as a pre-install hook; its copy is live, without
 * ownership. `owner` sets who the live ConfigMap says it belongs to: "hook" (our leftover hook copy, the default),
 * "kubectl" (created by hand), or the name of another release (add its records with `neighbourRecords`; without
 * them it was uninstalled). `ownerNamespace`: the namespace the ownership names (default shop); `keep`: the object
 * carries `helm.sh/resource-policy: keep`, as one kept by an uninstall does.
 */
export function ownershipFromOutput(
  o: { owner?: "hook" | "kubectl" | string; ownerNamespace?: string; keep?: boolean } = {},
): Scenario {
  const s = new Scenario({ release: "web", namespace: "shop", chart: "web" });
  const owner = o.owner ?? "hook";
  const settings: Obj = configMap("web-settings", { theme: "dark" });
  const d = appDeployment("web", { image: "nginx:1.26" });
  s.revision({
    status: "deployed",
    at: 0,
    templates: [
      { path: "templates/deployment.yaml", object: d },
      ...(owner === "hook"
        ? [
            {
              path: "templates/settings.yaml",
              object: hook(settings, "pre-install", { "helm.sh/hook-weight": "-5" }),
            },
          ]
        : []),
    ],
    ...(owner === "hook"
      ? { hookRuns: { "web-settings": { phase: "Succeeded", startedAt: 0, completedAt: 0 } } }
      : {}),
  });
  liveDeployment(s, d, { newPods: [{ state: "running" }], newAt: 0 });
  const live = structuredClone(settings);
  if (owner === "kubectl")
    live.metadata.managedFields = [{ manager: "kubectl-client-side-apply", operation: "Update" }];
  else if (owner !== "hook") {
    live.metadata.labels = { "app.kubernetes.io/managed-by": "Helm" };
    live.metadata.annotations = {
      "meta.helm.sh/release-name": owner,
      "meta.helm.sh/release-namespace": o.ownerNamespace ?? "shop",
      ...(o.keep ? { "helm.sh/resource-policy": "keep" } : {}),
    };
  }
  s.add(live, 0);
  return s;
}

/** The records of another release `name` in the same namespace, owning `settings` as a regular resource. */
export function neighbourRecords(name: string, namespace = "shop"): Obj[] {
  const n = new Scenario({ release: name, namespace, chart: name });
  n.revision({
    status: "deployed",
    at: 0,
    templates: [
      {
        path: "templates/settings.yaml",
        object: configMap("web-settings", { theme: "light" }),
      },
    ],
  });
  return foreignRecords(n);
}

/** What `helm upgrade --atomic` prints when the ownership check fails and the upgrade is rolled back. */
export const ATOMIC_OWNERSHIP_OUTPUT = (release: string, owner: string) =>
  `Error: UPGRADE FAILED: release ${release} failed, and has been rolled back due to atomic being set: Unable to continue with update: ConfigMap "web-cache" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: key "meta.helm.sh/release-name" must equal "${release}": current value is "${owner}"`;

/**
 * web's chart 0.2.0 adds ConfigMap web-cache, which release `owner` (records in the namespace, rendering it)
 * already owns; `helm upgrade --atomic` failed on it. `stored`: the history shows revision 2 failed with the
 * ownership error and revision 3 "Rollback to 1" (as an atomic rollback writes them); otherwise nothing was stored
 * and revision 1 is still the deployed one.
 */
export function atomicOwnership(o: { stored?: boolean; owner?: string } = {}): Scenario {
  const owner = o.owner ?? "cache";
  const s = new Scenario({ release: "web", namespace: "shop", chart: "web" });
  const cache: Obj = configMap("web-cache", { size: "1Gi" });
  const d = appDeployment("web", { image: "nginx:1.26" });
  const r1 = { path: "templates/deployment.yaml", object: d };
  s.revision({ status: o.stored ? "superseded" : "deployed", at: 0, templates: [r1] });
  if (o.stored) {
    s.revision({
      status: "failed",
      at: 60,
      chartVersion: "0.2.0",
      description: `Upgrade "web" failed: ${ATOMIC_OWNERSHIP_OUTPUT("web", owner).replace(/^.*being set: /, "")}`,
      templates: [r1, { path: "templates/cache.yaml", object: cache }],
    });
    s.revision({ status: "deployed", at: 61, description: "Rollback to 1", templates: [r1] });
  }
  liveDeployment(s, d, { newPods: [{ state: "running" }], newAt: 0 });
  ownedByAnother(s, cache, owner, 30, { path: "templates/cache.yaml" });
  return s;
}

// ---- a record deleted by hand ----

/**
 * notify revisions 1–4 were deployed in turn; revision 4's record was deleted by hand. `variant`: "top" (the
 * default: revisions 1–3 stored, 3 superseded), "hole" (1, 2 and 4 stored: 3 deleted), "pruned" (near miss:
 * revisions 1–2 pruned by --history-max, 3–4 stored), "pruned-deployed" (near miss: 1 deployed is kept, 2 pruned,
 * 3–4 failed), "all" (every record deleted: only the live objects' ownership says the release exists),
 * "uninstalled-kept" (near miss: `helm uninstall` deleted the records and every object but one annotated
 * helm.sh/resource-policy: keep), "label-only" (near miss: no records, objects that carry only the chart's own
 * app.kubernetes.io/instance label, not Helm's ownership).
 */
export function recordDeleted(
  variant: "top" | "hole" | "pruned" | "pruned-deployed" | "all" | "uninstalled-kept" | "label-only" = "top",
): Scenario {
  const s = new Scenario({ release: "notify", namespace: "shop", chart: "notify" });
  const d = (tag: string) => appDeployment("notify", { image: `registry.example.com/notify:${tag}` });
  const extra: Obj = configMap("notify-templates", { a: "b" });
  const statuses =
    variant === "pruned-deployed"
      ? ["deployed", "superseded", "failed", "failed"]
      : ["superseded", "superseded", "superseded", "deployed"];
  for (let i = 0; i < 4; i++)
    s.revision({
      status: statuses[i]!,
      at: i * 20,
      ...(statuses[i] === "failed"
        ? { description: 'Upgrade "notify" failed: context deadline exceeded' }
        : {}),
      templates: [
        { path: "templates/deployment.yaml", object: d(`1.${i}.0`) },
        ...(i === 3 ? [{ path: "templates/templates-configmap.yaml", object: extra }] : []),
      ],
    });
  const drop =
    variant === "top"
      ? [4]
      : variant === "hole"
        ? [3]
        : variant === "pruned"
          ? [1, 2]
          : variant === "pruned-deployed"
            ? [2]
            : [1, 2, 3, 4];
  s.releases.splice(0, s.releases.length, ...s.releases.filter((r) => !drop.includes(r.version)));
  if (variant === "uninstalled-kept") {
    const keep = s.owned(extra);
    keep.metadata.annotations["helm.sh/resource-policy"] = "keep";
    s.add(keep, 60);
    return s;
  }
  const liveTag = variant === "pruned-deployed" ? "1.0.0" : "1.3.0";
  const live = liveDeployment(s, d(liveTag), { newPods: [{ state: "running" }], newAt: 60 });
  if (variant === "label-only") {
    // What a chart's own labels look like without Helm's ownership (applied with `helm template | kubectl apply`).
    delete live.deploy.metadata.annotations;
    live.deploy.metadata.labels = { "app.kubernetes.io/instance": "notify" };
    s.add(
      {
        ...structuredClone(extra),
        metadata: { ...extra.metadata, labels: { "app.kubernetes.io/instance": "notify" } },
      },
      60,
    );
    return s;
  }
  if (variant !== "pruned-deployed") s.add(s.owned(extra), 60);
  return s;
}

/** How `laterRecordDeleted` varies the cluster: the finding, or a near miss that must stay quiet. */
export type LaterRecordVariant =
  | "chart"
  | "created-only"
  | "kubectl-edit"
  | "same-chart"
  | "other-namespace"
  | "kept-from-uninstall"
  | "pending-upgrade"
  | "no-chart-label"
  | "kubectl-apply"
  | "argocd-sync"
  | "in-flight"
  | "rollback-lost"
  | "failed-partial"
  | "subchart"
  | "rollout-restart"
  | "pruned-leftover";

/**
 * notify's records: revision 1 (chart notify-1.1.0, superseded) and revision 2 (notify-1.2.0, deployed). Revision 3
 * (notify-1.3.0, which added ConfigMap notify-templates and marked revision 2 superseded) was deployed at minute 60 and
 * its record then deleted by hand — whereupon revision 2's record was set back to deployed, as the usual "delete the
 * newest record" advice goes. The live Deployment carries notify-1.3.0's labels; the near misses change that.
 */
export function laterRecordDeleted(variant: LaterRecordVariant = "chart"): Scenario {
  const s = new Scenario({ release: "notify", namespace: "shop", chart: "notify" });
  const label =
    variant === "no-chart-label" ? () => ({}) : (v: string) => ({ "helm.sh/chart": `notify-${v}` });
  const d = (tag: string, chart: string) => {
    const o = appDeployment("notify", { image: `registry.example.com/notify:${tag}` });
    o.metadata.labels = { ...o.metadata.labels, ...label(chart) };
    return o;
  };
  const templates: Obj = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "notify-templates", labels: label("1.3.0") },
    data: { welcome: "Hello {{name}}" },
  };
  const redis = (): Obj => {
    const o = appDeployment("notify-redis", { image: "redis:7.2" });
    o.metadata.labels = { ...o.metadata.labels, "helm.sh/chart": "redis-17.0.0" };
    return o;
  };
  const sub =
    variant === "subchart" ? [{ path: "charts/redis/templates/deployment.yaml", object: redis() }] : [];
  s.revision({
    status: "superseded",
    at: 0,
    chartVersion: "1.1.0",
    templates: [{ path: "templates/deployment.yaml", object: d("1.1.0", "1.1.0") }, ...sub],
  });
  s.revision({
    // failed-partial: the upgrade to 1.2.0 failed before it reached the Deployment (still 1.1.0's).
    status: variant === "failed-partial" ? "failed" : "deployed",
    at: 20,
    chartVersion: "1.2.0",
    ...(variant === "failed-partial"
      ? { description: 'Upgrade "notify" failed: context deadline exceeded' }
      : {}),
    templates: [{ path: "templates/deployment.yaml", object: d("1.2.0", "1.2.0") }, ...sub],
  });
  if (variant === "pending-upgrade")
    s.revision({
      status: "pending-upgrade",
      at: 115,
      chartVersion: "1.3.0",
      templates: [
        { path: "templates/deployment.yaml", object: d("1.3.0", "1.3.0") },
        { path: "templates/templates-configmap.yaml", object: templates },
      ],
    });
  // What the cluster runs.
  const liveChart =
    variant === "created-only" ||
    variant === "kubectl-edit" ||
    variant === "same-chart" ||
    variant === "other-namespace" ||
    variant === "kept-from-uninstall" ||
    variant === "subchart" ||
    variant === "rollout-restart" ||
    variant === "pruned-leftover"
      ? "1.2.0"
      : // rollback-lost: a rollback to revision 1 (revision 3) ran and its record was deleted.
        variant === "rollback-lost" || variant === "failed-partial"
        ? "1.1.0"
        : "1.3.0";
  const running = d(variant === "kubectl-edit" ? "1.2.1-hotfix" : liveChart, liveChart);
  if (variant === "kubectl-edit") running.spec.replicas = 5;
  const live = liveDeployment(s, running, { newPods: [{ state: "running" }], newAt: 60 });
  if (variant === "kubectl-apply" || variant === "argocd-sync")
    // `helm template … | kubectl apply -f -` of chart 1.3.0 over Helm's objects (or Argo CD syncing the rendered
    // chart): that tool, not Helm, wrote the label.
    live.deploy.metadata.managedFields = [
      {
        manager: "helm",
        operation: "Update",
        apiVersion: "apps/v1",
        time: s.time(20),
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:annotations": { "f:meta.helm.sh/release-name": {} } } },
      },
      {
        manager: variant === "argocd-sync" ? "argocd-controller" : "kubectl-client-side-apply",
        operation: variant === "argocd-sync" ? "Apply" : "Update",
        apiVersion: "apps/v1",
        time: s.time(60),
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:labels": { "f:helm.sh/chart": {} } } },
      },
    ];
  if (variant === "subchart") {
    const r = s.add(s.owned(redis()), 0);
    r.status = { replicas: 1, readyReplicas: 1, updatedReplicas: 1 };
  }
  if (variant === "chart" || variant === "created-only" || variant === "no-chart-label")
    s.add(s.owned(templates), 60);
  if (variant === "in-flight") {
    // An upgrade that began after the records were read: Helm wrote chart 1.3.0's label and created the new
    // ConfigMap a minute ago (its pending record is newer than the read).
    live.deploy.metadata.managedFields = [
      {
        manager: "helm",
        operation: "Update",
        apiVersion: "apps/v1",
        time: s.time(119),
        fieldsType: "FieldsV1",
        fieldsV1: { "f:metadata": { "f:labels": { "f:helm.sh/chart": {} } } },
      },
    ];
    s.add(s.owned(templates), 119);
  }
  if (variant === "kept-from-uninstall") {
    // An earlier install of notify, uninstalled before revision 1, left this behind (resource-policy: keep).
    const kept = s.owned({ ...templates, metadata: { ...templates.metadata, labels: label("0.9.0") } });
    kept.metadata.annotations["helm.sh/resource-policy"] = "keep";
    s.add(kept, 60);
  }
  if (variant === "pruned-leftover")
    // Left by an upgrade that failed before revision 2, whose record --history-max pruned: older than revision 2.
    s.add(s.owned(templates), 10);
  if (variant === "rollout-restart") {
    // `kubectl rollout restart`: a new ReplicaSet, which inherits the Deployment's annotations (and Helm's labels
    // when the pod template carries them).
    const rs = s.live.find((o) => o.kind === "ReplicaSet")!;
    const again = structuredClone(rs);
    again.metadata.name = "notify-7d4b9c6f5";
    again.metadata.uid = s.uid();
    again.metadata.creationTimestamp = s.time(90);
    again.metadata.labels = { ...again.metadata.labels, "app.kubernetes.io/managed-by": "Helm" };
    again.metadata.annotations = { ...again.metadata.annotations, ...live.deploy.metadata.annotations };
    s.live.push(again);
  }
  if (variant === "other-namespace") {
    // notify in staging is at revision 3 (notify-1.3.0): its records and objects are another namespace's.
    const other = new Scenario({ release: "notify", namespace: "staging", chart: "notify" });
    for (const [i, v] of ["1.1.0", "1.2.0", "1.3.0"].entries())
      other.revision({
        status: i === 2 ? "deployed" : "superseded",
        at: i * 30,
        chartVersion: v,
        templates: [
          { path: "templates/deployment.yaml", object: d(v, v) },
          ...(i === 2 ? [{ path: "templates/templates-configmap.yaml", object: templates }] : []),
        ],
      });
    other.add(other.owned(d("1.3.0", "1.3.0")), 60);
    other.add(other.owned(templates), 60);
    s.live.push(...other.records(), ...other.live);
  }
  return s;
}

// ---- CRDs an upgrade never touched ----

function certificateCrdFile(versions: string[]): { name: string; data: string } {
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "certificates.certs.acme.io" },
    spec: {
      group: "certs.acme.io",
      scope: "Namespaced",
      names: {
        plural: "certificates",
        singular: "certificate",
        kind: "Certificate",
        listKind: "CertificateList",
      },
      versions: versions.map((v, i) => ({
        name: v,
        served: true,
        storage: i === versions.length - 1,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      })),
    },
  };
  return { name: "crds/certificates.yaml", data: Buffer.from(stringify(crd)).toString("base64") };
}

/**
 * acme-operator chart 1.4 (revision 1) shipped the Certificate CRD with v1alpha1 in crds/; chart 1.5 (revision 2)
 * adds v1 there and its operator watches v1. Helm installed crds/ at revision 1 and never again, so the live CRD
 * serves only v1alpha1 and the new operator crash-loops. `liveVersions` sets what the live CRD serves (["v1alpha1",
 * "v1"]: applied by hand — the near miss); `message` replaces the operator's last words.
 */
export function crdsNotUpgraded(
  o: { liveVersions?: string[]; message?: string; fromSubchart?: boolean } = {},
): Scenario {
  const s = new Scenario({ release: "acme", namespace: "certs", chart: "acme-operator" });
  const d1 = appDeployment("acme-operator", {
    image: "registry.example.com/acme-operator:1.4.2",
    replicas: 1,
  });
  const d2 = appDeployment("acme-operator", {
    image: "registry.example.com/acme-operator:1.5.0",
    replicas: 1,
  });
  const r1 = s.revision({
    status: "superseded",
    at: 0,
    chartVersion: "1.4.0",
    templates: [{ path: "templates/deployment.yaml", object: d1 }],
  });
  const r2 = s.revision({
    status: "deployed",
    at: 60,
    chartVersion: "1.5.0",
    templates: [{ path: "templates/deployment.yaml", object: d2 }],
  });
  // fromSubchart: the CRD comes with a dependency, whose files the release record does not keep.
  r1.chart!.files = o.fromSubchart ? [] : [certificateCrdFile(["v1alpha1"])];
  r2.chart!.files = o.fromSubchart ? [] : [certificateCrdFile(["v1alpha1", "v1"])];
  const crd = parseYaml(
    Buffer.from(certificateCrdFile(o.liveVersions ?? ["v1alpha1"]).data, "base64").toString(),
  );
  s.add(crd, 0);
  crd.metadata.namespace = undefined;
  crashLoopingRollout(s, d1, d2, {
    restarts: [11],
    newAt: 60,
    message:
      o.message ??
      '{"level":"error","msg":"problem running manager","error":"no matches for kind \\"Certificate\\" in version \\"certs.acme.io/v1\\""}',
  });
  return s;
}

// ---- neighbours: other releases of the namespace ----

/**
 * shop renders `kind` app-config (default a ConfigMap; a Secret holds the database password), mounted by Deployment
 * shop-web. Release shop-jobs in the same namespace renders a `pre-upgrade` hook of the same name with
 * `before-hook-creation,hook-succeeded`: its last upgrade deleted shop's copy, created its own and deleted that too.
 * `replaced`: the hook has only before-hook-creation, so its copy (shop-jobs' content, no ownership of shop's)
 * replaced shop's and stays. Near misses: `unrelated` (shop-jobs' failed hook is a Job of another name),
 * `theirKind` (their hook has the same name but another kind), `neighbourNamespace` (the release with that hook
 * lives in another namespace; `neighbourRelease` names it, e.g. "shop" for a same-named release).
 */
export function neighbourHookCollision(
  o: {
    unrelated?: boolean;
    kind?: "ConfigMap" | "Secret";
    replaced?: boolean;
    /** With `replaced`: the new pods read the neighbour's password and crash-loop, refused by the database. */
    refused?: boolean;
    theirKind?: "ConfigMap" | "Secret";
    neighbourNamespace?: string;
    neighbourRelease?: string;
  } = {},
): Scenario {
  const s = new Scenario({ release: "shop", namespace: "shop", chart: "shop" });
  const kind = o.kind ?? "ConfigMap";
  const secret = (k: string) => k === "Secret";
  const object = (k: string): Obj =>
    secret(k)
      ? {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "app-config" },
          type: "Opaque",
          data: { "db-password": Buffer.from("s3cret-shop").toString("base64") },
        }
      : configMap("app-config", { mode: "prod" });
  const cfg = object(kind);
  const web = appDeployment("shop-web", {
    image: "registry.example.com/shop-web:2.0.0",
    volumes: [
      secret(kind)
        ? { name: "config", secret: { secretName: "app-config" } }
        : { name: "config", configMap: { name: "app-config" } },
    ],
    volumeMounts: [{ name: "config", mountPath: "/etc/shop" }],
  });
  s.revision({
    status: "deployed",
    at: 0,
    templates: [
      { path: `templates/${kind.toLowerCase()}.yaml`, object: cfg },
      { path: "templates/deployment.yaml", object: web },
    ],
  });
  const nns = o.neighbourNamespace ?? "shop";
  const n = new Scenario({ release: o.neighbourRelease ?? "shop-jobs", namespace: nns, chart: "shop-jobs" });
  const theirObject = object(o.theirKind ?? kind);
  if (secret(o.theirKind ?? kind))
    theirObject.data = { "db-password": Buffer.from("s3cret-jobs").toString("base64") };
  else theirObject.data = { mode: "migrate" };
  const theirs = o.unrelated
    ? hook(
        {
          apiVersion: "batch/v1",
          kind: "Job",
          metadata: { name: "shop-jobs-migrate" },
          spec: {
            template: { spec: { restartPolicy: "Never", containers: [{ name: "m", image: "busybox" }] } },
          },
        },
        "pre-upgrade",
      )
    : hook(theirObject, "pre-upgrade", {
        "helm.sh/hook-delete-policy": o.replaced
          ? "before-hook-creation"
          : "before-hook-creation,hook-succeeded",
      });
  n.revision({ status: "superseded", at: 10, templates: [{ path: "templates/hook.yaml", object: theirs }] });
  n.revision({
    status: o.unrelated ? "failed" : "deployed",
    at: 70,
    ...(o.unrelated
      ? {
          description:
            'Upgrade "shop-jobs" failed: pre-upgrade hooks failed: job shop-jobs-migrate failed: BackoffLimitExceeded',
        }
      : {}),
    templates: [{ path: "templates/hook.yaml", object: theirs }],
    hookRuns: {
      [theirs.metadata.name]: { phase: o.unrelated ? "Failed" : "Succeeded", startedAt: 70, completedAt: 71 },
    },
  });
  for (const r of foreignRecords(n)) s.add(r, 70);
  // What the hook's last run left: nothing of ours (deleted), or its own copy (replaced). Its copy in another
  // namespace, or a hook of another kind or name, leaves ours alone.
  const collides = !o.unrelated && nns === "shop" && (o.theirKind ?? kind) === kind;
  if (!collides) s.add(s.owned(cfg), 0);
  else if (o.replaced) s.add(structuredClone(theirObject), 70);
  const broken = collides && !o.replaced;
  const live = liveDeployment(s, web, {
    oldTemplate: web,
    oldPods: [{ state: "running" }],
    newPods: broken
      ? [{ state: "container-creating" }]
      : o.refused
        ? [{ state: "crash-loop", restarts: 6 }]
        : [{ state: "running" }],
    oldAt: 0,
    newAt: 80,
  });
  if (o.refused) lastWords(live.newPods, AUTH_FAILED);
  if (broken)
    for (const p of live.newPods)
      s.event(
        p,
        "Warning",
        "FailedMount",
        `MountVolume.SetUp failed for volume "config" : ${kind.toLowerCase()} "app-config" not found`,
        20,
        81,
        NOW - 1,
      );
  return s;
}

/**
 * shop renders ConfigMap feature-flags; so does release legacy-shop, whose upgrade took it over (the live
 * annotations name legacy-shop). `legacyGone`: legacy-shop has no records here (renamed or uninstalled).
 */
export function sharedObject(o: { legacyGone?: boolean; sameNameFrom?: string } = {}): Scenario {
  const s = new Scenario({ release: "shop", namespace: "shop", chart: "shop" });
  const flags: Obj = configMap("feature-flags", { beta: "on" });
  s.revision({ status: "deployed", at: 0, templates: [{ path: "templates/flags.yaml", object: flags }] });
  // sameNameFrom: release shop of that namespace took it (--take-ownership there).
  ownedByAnother(
    s,
    flags,
    o.sameNameFrom ? "shop" : "legacy-shop",
    30,
    o.legacyGone || o.sameNameFrom ? undefined : { path: "templates/flags.yaml", chart: "shop" },
    o.sameNameFrom,
  );
  return s;
}

// ---- clocks ----

/**
 * The pending upgrade of shop-api (revision 2), written by a Helm client whose clock ran `minutes` ahead of the
 * cluster's: last_deployed, the hook's started_at and the createdAt label are in the cluster's future, while the
 * API server stamped the record and the hook Job with its own time. The hook Job completed 42 minutes before the
 * snapshot (cluster time) and nothing happened since.
 */
export function pendingWithClientClockAhead(minutes = 120): Scenario {
  const s = pendingUpgrade();
  const rel = s.releases[1]!;
  const real = rel.info.last_deployed;
  const shift = (t: string | undefined) => (t ? new Date(Date.parse(t) + minutes * 60_000).toISOString() : t);
  rel.info.last_deployed = shift(rel.info.last_deployed);
  for (const h of rel.hooks ?? [])
    if (h.last_run?.started_at) h.last_run.started_at = shift(h.last_run.started_at);
  const bundle = s.bundle.bind(s);
  s.bundle = () => {
    const b = bundle();
    for (const it of b.items as Obj[])
      if (it.metadata?.name === `sh.helm.release.v1.${s.release}.v2`) it.metadata.creationTimestamp = real;
    return b;
  };
  return s;
}

// ---- a CRD field the new chart needs ----

/** widgets.example.com, served as v1, with the given spec properties. */
function widgetCrd(fields: string[]): Obj {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "widgets.example.com" },
    spec: {
      group: "example.com",
      scope: "Namespaced",
      names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              properties: {
                spec: {
                  type: "object",
                  properties: Object.fromEntries(fields.map((f) => [f, { type: "integer" }])),
                },
              },
            },
          },
        },
      ],
    },
  };
}

/** The errors Helm prints for a custom resource field its CRD does not declare. */
export const FIELD_ERROR = {
  ssa: (field: string) =>
    `Upgrade "widget-operator" failed: server-side apply failed for object shop/default example.com/v1, Kind=Widget: failed to create typed patch object (shop/default; example.com/v1, Kind=Widget): .spec.${field}: field not declared in schema`,
  helm3: (field: string) =>
    `Error: UPGRADE FAILED: unable to build kubernetes objects from new release manifest: error validating "": error validating data: ValidationError(Widget.spec): unknown field "${field}" in com.example.v1.Widget.spec`,
};

/**
 * widget-operator 2.0.0 (revision 1, deployed) installed widgets.example.com with spec.size; chart 2.1.0 adds
 * spec.shards to crds/widgets.yaml and sets it on its Widget. `failed`: revision 2 (2.1.0, Helm 4 server-side apply)
 * is stored as failed; otherwise the upgrade failed before storing anything (give FIELD_ERROR.helm3 as output).
 * `typo`: the template sets spec.shrads, which no CRD declares (a near miss); `liveFields`: what the live CRD has.
 */
export function crdNewField(o: { failed?: boolean; typo?: boolean; liveFields?: string[] } = {}): Scenario {
  const s = new Scenario({ release: "widget-operator", namespace: "shop", chart: "widget-operator" });
  const op = appDeployment("widget-operator", {
    image: "registry.example.com/widget-operator:2.0.0",
    replicas: 1,
  });
  const widget = (field: string): Obj => ({
    apiVersion: "example.com/v1",
    kind: "Widget",
    metadata: { name: "default" },
    spec: { size: 3, [field]: 2 },
  });
  const crdFile = (fields: string[]) => ({
    name: "crds/widgets.yaml",
    data: Buffer.from(stringify(widgetCrd(fields))).toString("base64"),
  });
  const r1 = s.revision({
    status: o.failed ? "deployed" : "deployed",
    at: 0,
    chartVersion: "2.0.0",
    templates: [{ path: "templates/deployment.yaml", object: op }],
  });
  r1.chart!.files = [crdFile(["size"])];
  if (o.failed) {
    const r2 = s.revision({
      status: "failed",
      at: 100,
      chartVersion: "2.1.0",
      helm4: true,
      description: FIELD_ERROR.ssa(o.typo ? "shrads" : "shards"),
      templates: [
        { path: "templates/deployment.yaml", object: op },
        { path: "templates/widget.yaml", object: widget(o.typo ? "shrads" : "shards") },
      ],
    });
    r2.apply_method = "ssa";
    r2.chart!.files = [crdFile(["size", "shards"])];
  }
  const crd = s.add(widgetCrd(o.liveFields ?? ["size"]), 0);
  delete crd.metadata.namespace;
  liveDeployment(s, op, { newPods: [{ state: "running" }], newAt: 0 });
  return s;
}
