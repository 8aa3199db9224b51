// The Helm chart rendered for real (Go's text/template + sprig with Helm's engine semantics) for the default
// values and variants; every object validated against its kind's OpenAPI schema (unknown fields fail) and
// created in the fake API server through client-node; the Roles are exactly what `helm-doctor rbac` prints.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { KubernetesObjectApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { main } from "../../src/cli.js";
import { chartRulesYaml } from "../../src/rbac/manifests.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { CHART, type Manifest, manifests, renderChart, rendererUnavailable } from "../support/helm-render.js";
import { validateObject } from "../support/k8s-schema.js";

const unavailable = rendererUnavailable();
if (unavailable && process.env.CI) throw new Error(`the chart tests must run in CI: ${unavailable}`);
if (unavailable) console.warn(`skipping the Helm chart tests: ${unavailable}`);

const SLACK = { slack: { botToken: "xoxb-test-bot-token", signingSecret: "test-signing-secret" } };

interface Variant {
  name: string;
  values: Record<string, unknown>[];
  apiVersions?: string[];
  /** `helm-doctor rbac` arguments that print the same Roles; undefined: the variant has none. */
  rbacArgs?: string[];
}

const SHARED_REDIS = "rediss://:s3cret@redis.shared.example:6380/0";

const VARIANTS: Variant[] = [
  { name: "default values", values: [SLACK], rbacArgs: ["-n", "helm-doctor"] },
  {
    name: "external Redis",
    values: [
      SLACK,
      { redis: { url: "rediss://:s3cret@redis.example.internal:6380/2" }, namespaces: ["shop"] },
    ],
    rbacArgs: ["-n", "shop"],
  },
  {
    name: "remediation on",
    values: [
      { slack: { existingSecret: "helm-doctor-slack" } },
      {
        namespaces: ["shop", "team-a"],
        remediation: { enabled: true, extraResources: ["networking.k8s.io/ingresses", "services"] },
        policy: {
          version: 1,
          remediate: [{ usergroups: ["S0SRE00001"], actions: ["*"], namespaces: ["shop", "team-a"] }],
        },
        worker: { autoscaling: { enabled: true, maxReplicas: 4 } },
        ingress: {
          enabled: true,
          className: "nginx",
          host: "helm-doctor.example.com",
          tlsSecretName: "hd-tls",
        },
      },
    ],
    rbacArgs: [
      "-n",
      "shop,team-a",
      "--remediation",
      "--extra-resource",
      "networking.k8s.io/ingresses",
      "--extra-resource",
      "services",
    ],
  },
  {
    name: "all namespaces",
    values: [
      SLACK,
      {
        namespaces: ["*"],
        remediation: { enabled: true },
        metrics: { serviceMonitor: { enabled: true, labels: { release: "prometheus" } } },
        serve: { replicas: 2 },
      },
    ],
    apiVersions: ["monitoring.coreos.com/v1"],
    rbacArgs: ["-n", "*", "--remediation"],
  },
  {
    name: "one cluster, watching",
    values: [SLACK, { watch: { enabled: true, alertChannel: "C0ALERTS01" } }],
    rbacArgs: ["-n", "helm-doctor", "--watch"],
  },
  {
    name: "agent of a cluster (worker + watch)",
    values: [
      { slack: { existingSecret: "helm-doctor-slack" } },
      {
        role: "agent",
        cluster: "prod",
        redis: { url: SHARED_REDIS },
        namespaces: ["shop", "team-a"],
        remediation: { enabled: true },
        watch: { enabled: true, alertChannel: "C0ALERTS01" },
        routes: { version: 1, routes: [{ channel: "C0SHOPOPS1", namespaces: ["shop"] }] },
      },
    ],
    rbacArgs: ["-n", "shop,team-a", "--remediation", "--watch"],
  },
  {
    name: "front end of many clusters",
    values: [
      SLACK,
      {
        role: "frontend",
        cluster: "prod",
        redis: { url: SHARED_REDIS },
        routes: { version: 1, channels: { C0STAGING1: { cluster: "staging" } } },
        ingress: { enabled: true, host: "helm-doctor.example.com" },
      },
    ],
  },
];

const SERVICE_MONITOR_CRD = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "servicemonitors.monitoring.coreos.com" },
  spec: {
    group: "monitoring.coreos.com",
    scope: "Namespaced",
    names: {
      plural: "servicemonitors",
      singular: "servicemonitor",
      kind: "ServiceMonitor",
      listKind: "ServiceMonitorList",
    },
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

function render(v: Variant): Manifest[] {
  const r = renderChart({ values: v.values, ...(v.apiVersions ? { apiVersions: v.apiVersions } : {}) });
  if (!r.ok) throw new Error(r.error);
  return manifests(r.files).map((m) => m.object);
}

const kinds = (objs: Manifest[]) =>
  objs.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`).sort();
const podSpecs = (objs: Manifest[]) =>
  objs
    .filter((o) => ["Deployment", "StatefulSet"].includes(o.kind))
    .map((o) => ({ owner: o, spec: o.spec.template.spec }));

async function cliRbac(args: string[]): Promise<Manifest[]> {
  let out = "";
  const code = await main(["rbac", ...args, "--service-account-namespace", "helm-doctor"], {
    out: (s) => {
      out += s;
    },
    err: () => {},
    env: {},
    stdoutIsTTY: false,
  });
  expect(code).toBe(0);
  return parseAllDocuments(out).map((d) => d.toJSON() as Manifest);
}

const rbacView = (o: Manifest) => ({
  kind: o.kind,
  name: o.metadata.name,
  namespace: o.metadata.namespace,
  rules: o.rules,
  roleRef: o.roleRef,
  subjects: o.subjects,
});

describe.skipIf(!!unavailable)("Helm chart", () => {
  let srv: FakeApiServer;
  let api: KubernetesObjectApi;
  beforeAll(async () => {
    srv = await startFakeApiServer();
    api = KubernetesObjectApi.makeApiClient(srv.kubeConfig());
  });
  afterAll(async () => {
    await srv.close();
  });

  for (const v of VARIANTS) {
    describe(v.name, () => {
      let objs: Manifest[];
      beforeAll(() => {
        objs = render(v);
      });

      it("every object is valid for its kind's schema, with no unknown field", async () => {
        expect(objs.length).toBeGreaterThan(6);
        for (const o of objs) {
          const problems = await validateObject(o);
          expect(problems, `${o.kind} ${o.metadata.name}`).toEqual([]);
        }
      });

      it("every object is accepted by the API server", async () => {
        srv.seed([SERVICE_MONITOR_CRD]);
        const namespaces = new Set(objs.map((o) => o.metadata.namespace).filter(Boolean));
        for (const ns of namespaces)
          srv.seed([{ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } }]);
        for (const o of objs) {
          await api.delete(o).catch(() => {}); // the variants share names; each variant creates its own
          const created = await api.create(o);
          expect(created.metadata?.uid, `${o.kind} ${o.metadata.name}`).toBeTruthy();
        }
      });

      it("pods run non-root, read-only, without capabilities, seccomp RuntimeDefault, with requests", () => {
        const specs = podSpecs(objs);
        expect(specs.length).toBeGreaterThanOrEqual(1);
        for (const { owner, spec } of specs) {
          expect(spec.securityContext, owner.metadata.name).toMatchObject({
            runAsNonRoot: true,
            seccompProfile: { type: "RuntimeDefault" },
          });
          for (const c of spec.containers) {
            expect(c.securityContext, c.name).toMatchObject({
              allowPrivilegeEscalation: false,
              readOnlyRootFilesystem: true,
              capabilities: { drop: ["ALL"] },
              seccompProfile: { type: "RuntimeDefault" },
            });
            expect(Object.keys(c.resources?.requests ?? {}).sort(), c.name).toEqual(["cpu", "memory"]);
            // The only writable paths are mounted volumes.
            const mounts = (c.volumeMounts ?? []).map((m: { mountPath: string }) => m.mountPath);
            expect(mounts, c.name).toContain("/tmp");
          }
        }
        for (const { spec } of specs.filter((s) => s.owner.kind === "Deployment")) {
          const c = spec.containers[0];
          expect(c.livenessProbe.httpGet.path).toBe("/healthz");
          expect(c.readinessProbe.httpGet.path).toBe("/readyz");
        }
      });

      it("the Roles are exactly what `helm-doctor rbac` prints, with no wildcard", async () => {
        const chartRbac = objs.filter((o) => o.apiVersion.startsWith("rbac.authorization.k8s.io/"));
        const cli = v.rbacArgs ? await cliRbac(v.rbacArgs) : [];
        expect(chartRbac.map(rbacView)).toEqual(cli.map(rbacView));
        for (const o of chartRbac)
          for (const r of o.rules ?? []) {
            expect(r.verbs).not.toContain("*");
            expect(r.resources).not.toContain("*");
            expect(r.apiGroups).not.toContain("*");
          }
      });
    });
  }

  it("default values: serve, worker, bundled Redis with AOF on a PVC, namespace-scoped read Role only", () => {
    const objs = render(VARIANTS[0]!);
    expect(kinds(objs)).toEqual(
      [
        "Deployment/helm-doctor/helm-doctor",
        "Deployment/helm-doctor/helm-doctor-worker",
        "NetworkPolicy/helm-doctor/helm-doctor",
        "NetworkPolicy/helm-doctor/helm-doctor-redis",
        "PodDisruptionBudget/helm-doctor/helm-doctor",
        "PodDisruptionBudget/helm-doctor/helm-doctor-worker",
        "Role/helm-doctor/helm-doctor-read",
        "RoleBinding/helm-doctor/helm-doctor-read",
        "Secret/helm-doctor/helm-doctor-slack",
        "Service/helm-doctor/helm-doctor",
        "Service/helm-doctor/helm-doctor-redis",
        "Service/helm-doctor/helm-doctor-worker",
        "ServiceAccount/helm-doctor/helm-doctor",
        "StatefulSet/helm-doctor/helm-doctor-redis",
      ].sort(),
    );
    const redis = objs.find((o) => o.kind === "StatefulSet")!;
    expect(redis.spec.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(["--appendonly", "yes"]),
    );
    expect(redis.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("1Gi");
    const serve = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "helm-doctor")!;
    const env = Object.fromEntries(
      serve.spec.template.spec.containers[0].env.map((e: Manifest) => [e.name, e]),
    );
    expect(env.REDIS_URL.value).toBe("redis://helm-doctor-redis:6379");
    expect(env.SLACK_BOT_TOKEN.valueFrom.secretKeyRef).toEqual({
      name: "helm-doctor-slack",
      key: "SLACK_BOT_TOKEN",
    });
    expect(env.LOG_FORMAT.value).toBe("json");
    // The token is only in the Secret, never in a pod spec.
    expect(JSON.stringify(objs.filter((o) => o.kind !== "Secret"))).not.toContain("xoxb-test-bot-token");
  });

  it("external Redis: no StatefulSet, the URL (with its password) only in a Secret, egress to its port", () => {
    const objs = render(VARIANTS[1]!);
    expect(objs.some((o) => o.kind === "StatefulSet")).toBe(false);
    expect(JSON.stringify(objs.filter((o) => o.kind !== "Secret"))).not.toContain("s3cret");
    const np = objs.find((o) => o.kind === "NetworkPolicy")!;
    expect(JSON.stringify(np.spec.egress)).toContain('"port":6380');
    expect(objs.filter((o) => o.kind === "Role").map((o) => o.metadata.namespace)).toEqual(["shop"]);
  });

  it("remediation on: a read and a write Role per namespace, the policy mounted, HPA and Ingress", () => {
    const objs = render(VARIANTS[2]!);
    expect(
      objs.filter((o) => o.kind === "Role").map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ).toEqual([
      "shop/helm-doctor-read",
      "shop/helm-doctor-remediate",
      "team-a/helm-doctor-read",
      "team-a/helm-doctor-remediate",
    ]);
    expect(objs.some((o) => o.kind === "ClusterRole")).toBe(false);
    expect(objs.some((o) => o.kind === "Secret")).toBe(false); // existingSecret
    const cm = objs.find((o) => o.kind === "ConfigMap")!;
    expect(cm.data["policy.yaml"]).toContain("S0SRE00001");
    expect(objs.find((o) => o.kind === "HorizontalPodAutoscaler")!.spec.maxReplicas).toBe(4);
    const ing = objs.find((o) => o.kind === "Ingress")!;
    expect(ing.spec.rules[0].http.paths.map((p: Manifest) => p.path)).toEqual(["/slack/events"]);
    const worker = objs.find((o) => o.metadata.name === "helm-doctor-worker" && o.kind === "Deployment")!;
    expect(worker.spec.replicas).toBeUndefined(); // the HPA owns it
  });

  it("all namespaces: ClusterRoles and a ServiceMonitor, no namespaced Role", () => {
    const objs = render(VARIANTS[3]!);
    expect(objs.filter((o) => o.kind === "ClusterRole").map((o) => o.metadata.name)).toEqual([
      "helm-doctor-read",
      "helm-doctor-remediate",
    ]);
    expect(objs.some((o) => o.kind === "Role")).toBe(false);
    expect(objs.find((o) => o.kind === "ServiceMonitor")!.spec.endpoints[0].path).toBe("/metrics");
    expect(
      objs.find((o) => o.kind === "PodDisruptionBudget" && o.metadata.name === "helm-doctor")!.spec
        .minAvailable,
    ).toBe(1);
  });

  const envOf = (o: Manifest) =>
    Object.fromEntries(o.spec.template.spec.containers[0].env.map((e: Manifest) => [e.name, e]));
  const byName = (objs: Manifest[], kind: string, name: string) =>
    objs.find((o) => o.kind === kind && o.metadata.name === name)!;

  it("one cluster, watching: serve, worker and watch installed together, the watch Role beside the read Role", () => {
    const objs = render(VARIANTS[4]!);
    expect(objs.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name)).toEqual([
      "helm-doctor",
      "helm-doctor-watch",
      "helm-doctor-worker",
    ]);
    const watch = byName(objs, "Deployment", "helm-doctor-watch");
    expect(watch.spec.template.spec.containers[0].args).toEqual(["watch"]);
    const env = envOf(watch);
    expect(env.HELM_DOCTOR_WATCH_NAMESPACES.value).toBe("helm-doctor");
    expect(env.HELM_DOCTOR_ALERT_CHANNEL.value).toBe("C0ALERTS01");
    expect(env.HELM_DOCTOR_UNREADY_MINUTES.value).toBe("10");
    // A single-cluster install names no cluster: its queues keep their plain names.
    expect(env.HELM_DOCTOR_CLUSTER).toBeUndefined();
    expect(objs.filter((o) => o.kind === "Role").map((o) => o.metadata.name)).toEqual([
      "helm-doctor-read",
      "helm-doctor-watch",
    ]);
    // The network policy lets the watcher reach Redis and the API server like the others.
    const np = byName(objs, "NetworkPolicy", "helm-doctor");
    expect(JSON.stringify(np.spec.podSelector)).toContain("watch");
    expect(JSON.stringify(byName(objs, "NetworkPolicy", "helm-doctor-redis").spec.ingress)).toContain(
      "watch",
    );
  });

  it("agent of a cluster: worker and watch with the cluster's name and Roles, no front end, no Redis of its own", () => {
    const objs = render(VARIANTS[5]!);
    expect(objs.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name)).toEqual([
      "helm-doctor-watch",
      "helm-doctor-worker",
    ]);
    for (const kind of ["StatefulSet", "Ingress", "ConfigMap/helm-doctor-policy"])
      expect(kinds(objs).some((k) => k.startsWith(kind))).toBe(false);
    // Only the workers' headless metrics Service: nothing is reached from outside.
    expect(objs.filter((o) => o.kind === "Service").map((o) => o.metadata.name)).toEqual([
      "helm-doctor-worker",
    ]);
    for (const name of ["helm-doctor-worker", "helm-doctor-watch"]) {
      const env = envOf(byName(objs, "Deployment", name));
      expect(env.HELM_DOCTOR_CLUSTER.value, name).toBe("prod");
      expect(env.HELM_DOCTOR_HEARTBEAT_SECONDS.value, name).toBe("15");
      expect(env.REDIS_URL.valueFrom.secretKeyRef.key, name).toBe("REDIS_URL");
      expect(env.SLACK_SIGNING_SECRET, name).toBeUndefined();
    }
    const watch = byName(objs, "Deployment", "helm-doctor-watch");
    expect(envOf(watch).HELM_DOCTOR_WATCH_NAMESPACES.value).toBe("shop,team-a");
    expect(envOf(watch).HELM_DOCTOR_ROUTES.value).toBe("/etc/helm-doctor-routes/routes.yaml");
    expect(watch.spec.template.spec.volumes.map((v: Manifest) => v.name)).toContain("routes");
    expect(byName(objs, "ConfigMap", "helm-doctor-routes").data["routes.yaml"]).toContain("C0SHOPOPS1");
    expect(
      objs.filter((o) => o.kind === "Role").map((o) => `${o.metadata.namespace}/${o.metadata.name}`),
    ).toEqual([
      "shop/helm-doctor-read",
      "shop/helm-doctor-remediate",
      "shop/helm-doctor-watch",
      "team-a/helm-doctor-read",
      "team-a/helm-doctor-remediate",
      "team-a/helm-doctor-watch",
    ]);
    expect(JSON.stringify(objs.filter((o) => o.kind !== "Secret"))).not.toContain("s3cret");
  });

  it("front end of many clusters: serve --no-worker, no worker, no Role, the channels' clusters mounted", () => {
    const objs = render(VARIANTS[6]!);
    expect(objs.filter((o) => o.kind === "Deployment").map((o) => o.metadata.name)).toEqual(["helm-doctor"]);
    const serve = byName(objs, "Deployment", "helm-doctor");
    expect(serve.spec.template.spec.containers[0].args).toEqual(["serve", "--no-worker"]);
    expect(envOf(serve).HELM_DOCTOR_CLUSTER.value).toBe("prod");
    expect(envOf(serve).HELM_DOCTOR_ROUTES.value).toBe("/etc/helm-doctor-routes/routes.yaml");
    expect(byName(objs, "ConfigMap", "helm-doctor-routes").data["routes.yaml"]).toContain("cluster: staging");
    expect(objs.some((o) => o.apiVersion.startsWith("rbac.authorization.k8s.io/"))).toBe(false);
    expect(objs.some((o) => o.kind === "Ingress")).toBe(true);
  });

  it("watch.driver sets HELM_DRIVER of the watcher (releases kept in ConfigMaps); unset, Helm's default applies", () => {
    const watchOf = (driver?: string) =>
      envOf(
        byName(
          render({
            name: "driver",
            values: [
              SLACK,
              { watch: { enabled: true, alertChannel: "C0ALERTS01", ...(driver ? { driver } : {}) } },
            ],
          }),
          "Deployment",
          "helm-doctor-watch",
        ),
      );
    expect(watchOf("configmap").HELM_DRIVER.value).toBe("configmap");
    expect(watchOf("auto").HELM_DRIVER.value).toBe("auto");
    expect(watchOf().HELM_DRIVER).toBeUndefined();
    const typo = renderChart({
      values: [SLACK, { watch: { enabled: true, alertChannel: "C0A1", driver: "sql" } }],
    });
    expect(typo.ok).toBe(false);
  });

  it("a render fails with a clear message on missing or unknown values", () => {
    const agentNoRedis = renderChart({ values: [SLACK, { role: "agent", cluster: "prod" }] });
    expect(!agentNoRedis.ok && agentNoRedis.error).toMatch(
      /role agent connects out to the front end's Redis/,
    );
    const agentNoName = renderChart({ values: [SLACK, { role: "agent", redis: { url: SHARED_REDIS } }] });
    expect(!agentNoName.ok && agentNoName.error).toMatch(/role agent needs cluster/);
    const watchNowhere = renderChart({ values: [SLACK, { watch: { enabled: true } }] });
    expect(!watchNowhere.ok && watchNowhere.error).toMatch(/watch\.enabled needs watch\.alertChannel/);
    const badRole = renderChart({ values: [SLACK, { role: "both" }] });
    expect(badRole.ok).toBe(false);
    // An agent needs no signing secret: it receives no request from Slack.
    const agentToken = renderChart({
      values: [
        { slack: { botToken: "xoxb-test-bot-token" } },
        { role: "agent", cluster: "prod", redis: { url: SHARED_REDIS } },
      ],
    });
    expect(agentToken.ok).toBe(true);
    const noToken = renderChart({ values: [{ slack: { signingSecret: "x" } }] });
    expect(noToken).toMatchObject({ ok: false });
    expect(!noToken.ok && noToken.error).toMatch(/slack\.botToken \(xoxb-…\) is required/);
    const typo = renderChart({ values: [SLACK, { remediaton: { enabled: true } }] });
    expect(!typo.ok && typo.error).toMatch(
      /values don't meet the specifications of the schema.*\n.*remediaton/s,
    );
    const noMonitorCrd = renderChart({ values: [SLACK, { metrics: { serviceMonitor: { enabled: true } } }] });
    expect(!noMonitorCrd.ok && noMonitorCrd.error).toMatch(/monitoring\.coreos\.com\/v1 is not served/);
    const badNs = renderChart({ values: [SLACK, { namespaces: ["Shop"] }] });
    expect(!badNs.ok && badNs.error).toMatch(/namespaces\.0/);
  });

  it("the schema check rejects an unknown field and a wrong type (the validator is not vacuous)", async () => {
    const objs = render(VARIANTS[0]!);
    const d = structuredClone(objs.find((o) => o.kind === "Deployment")!);
    d.spec.template.spec.containers[0].readinessProbe.httpGet.paht = "/readyz";
    d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = "true";
    const problems = await validateObject(d);
    expect(problems.map((p) => p.path)).toContain(
      "/spec/template/spec/containers/0/readinessProbe/httpGet/paht",
    );
    expect(problems.map((p) => p.message).join()).toMatch(/readOnlyRootFilesystem must be boolean/);
  });

  it("the chart's rbac-rules.yaml is generated from src/rbac (npx helm-doctor rbac --chart-rules)", () => {
    expect(readFileSync(join(CHART, "rbac-rules.yaml"), "utf8")).toBe(chartRulesYaml());
  });
});
