// The fake API server through client-node, as the product uses it: kubeconfig and auth, discovery, CRUD
// with Status errors, selectors, pagination, metadata-only lists and fault injection.
import {
  AuthorizationV1Api,
  CoreV1Api,
  EventsV1Api,
  KubeConfig,
  KubernetesObjectApi,
  setHeaderOptions,
  type V1Secret,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  apiError,
  type FakeApiServer,
  METADATA_LIST_ACCEPT,
  startFakeApiServer,
} from "../support/fake-apiserver/index.js";

let server: FakeApiServer;
let kc: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  server = await startFakeApiServer({ token: "s3cret" });
  kc = server.kubeConfig("default");
  core = kc.makeApiClient(CoreV1Api);
});
afterAll(() => server.close());
beforeEach(() => {
  server.clearFaults();
  server.resetCounters();
});

/** A raw request with the bearer token. */
function raw(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${server.token}`);
  return fetch(`${server.url}${path}`, { ...init, headers });
}

function secret(
  name: string,
  labels: Record<string, string> = {},
  data: Record<string, string> = {},
): V1Secret {
  return { apiVersion: "v1", kind: "Secret", metadata: { name, labels }, type: "Opaque", data };
}

describe("kubeconfig and authentication", () => {
  it("needs insecure-skip-tls-verify for a plain-http server (client-node 1.x)", async () => {
    const strict = new KubeConfig();
    strict.loadFromString(
      server.kubeconfigYaml().replace("insecure-skip-tls-verify: true", "insecure-skip-tls-verify: false"),
    );
    await expect(strict.makeApiClient(CoreV1Api).listNamespace()).rejects.toThrow(
      "HTTP protocol is not allowed when skipTLSVerify is not set or false",
    );
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toEqual(
      expect.arrayContaining(["default", "kube-system", "kube-public", "kube-node-lease"]),
    );
  });

  it("answers 401 Unauthorized without the right bearer token", async () => {
    const wrong = new KubeConfig();
    wrong.loadFromString(server.kubeconfigYaml().replace("token: s3cret", "token: nope"));
    expect((await apiError(() => wrong.makeApiClient(CoreV1Api).listNamespace())).code).toBe(401);
    const res = await fetch(`${server.url}/api/v1/namespaces`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "Unauthorized",
      reason: "Unauthorized",
      code: 401,
    });
  });
});

describe("discovery", () => {
  it("serves /api, /apis, APIResourceLists and /version", async () => {
    const get = async (path: string) => (await raw(path)).json();
    expect(await get("/api")).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    const groups = (await get("/apis")) as { groups: Array<{ name: string }> };
    expect(groups.groups.map((g) => g.name)).toEqual(
      expect.arrayContaining([
        "apps",
        "batch",
        "events.k8s.io",
        "rbac.authorization.k8s.io",
        "policy",
        "networking.k8s.io",
        "apiextensions.k8s.io",
      ]),
    );
    const batch = (await get("/apis/batch/v1")) as {
      groupVersion: string;
      resources: Array<Record<string, unknown>>;
    };
    expect(batch.groupVersion).toBe("batch/v1");
    expect(batch.resources).toContainEqual(
      expect.objectContaining({ name: "jobs", singularName: "job", namespaced: true, kind: "Job" }),
    );
    expect(batch.resources).toContainEqual(expect.objectContaining({ name: "jobs/status", kind: "Job" }));
    expect(await get("/version")).toMatchObject({ major: "1", minor: "31", gitVersion: "v1.31.0" });
    const missing = await fetch(`${server.url}/nope`, { headers: { authorization: "Bearer s3cret" } });
    expect([missing.status, await missing.text()]).toEqual([404, "404 page not found\n"]);
  });

  it("lets KubernetesObjectApi resolve kinds through discovery", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "c", image: "nginx:1.27" }] },
        },
      },
    });
    const read = await objects.read({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "default" },
    });
    expect(read.metadata?.generation).toBe(1);
    expect(read).toMatchObject({ spec: { replicas: 1, strategy: { type: "RollingUpdate" } } });
    const crb = await objects.list("rbac.authorization.k8s.io/v1", "ClusterRoleBinding");
    expect(crb.items).toEqual([]);
    expect(server.requestsMatching({ path: "/apis/apps/v1" })).toHaveLength(1);
  });

  it("serves custom resources once their CRD exists", async () => {
    server.seed({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
        versions: [
          { name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object" } } },
        ],
      },
    });
    const objects = KubernetesObjectApi.makeApiClient(kc);
    await objects.create({
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w1", namespace: "default" },
    });
    const res = await raw("/apis/example.com/v1/namespaces/default/widgets");
    const list = (await res.json()) as { kind: string; items: Array<Record<string, unknown>> };
    // Custom resources are unstructured: their list items keep kind and apiVersion.
    expect(list.kind).toBe("WidgetList");
    expect(list.items[0]).toMatchObject({ apiVersion: "example.com/v1", kind: "Widget" });
  });
});

describe("CRUD with real Status errors", () => {
  it("creates, conflicts, replaces, deletes and 404s a Secret", async () => {
    const created = await core.createNamespacedSecret({
      namespace: "default",
      body: { ...secret("db"), stringData: { password: "hunter2" } },
    });
    // stringData is folded into data (base64) and never stored.
    expect(created.data).toEqual({ password: Buffer.from("hunter2").toString("base64") });
    expect(created.stringData).toBeUndefined();
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.managedFields?.[0]).toMatchObject({
      manager: "node-fetch",
      operation: "Update",
    });

    const dup = await apiError(() =>
      core.createNamespacedSecret({ namespace: "default", body: secret("db") }),
    );
    expect(dup.code).toBe(409);
    expect(dup.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'secrets "db" already exists',
      reason: "AlreadyExists",
      details: { name: "db", kind: "secrets" },
      code: 409,
    });

    const stale = { ...created, metadata: { ...created.metadata, resourceVersion: "1" } };
    const conflict = await apiError(() =>
      core.replaceNamespacedSecret({ name: "db", namespace: "default", body: stale }),
    );
    expect(conflict.code).toBe(409);
    expect(conflict.status?.reason).toBe("Conflict");
    expect(conflict.status?.message).toBe(
      'Operation cannot be fulfilled on secrets "db": the object has been modified; please apply your changes to the latest version and try again',
    );

    // Without resourceVersion a PUT is unconditional.
    const replaced = await core.replaceNamespacedSecret({
      name: "db",
      namespace: "default",
      body: secret("db", { tier: "db" }, { password: "eA==" }),
    });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);

    const deleted = await core.deleteNamespacedSecret({ name: "db", namespace: "default" });
    expect(deleted).toMatchObject({
      kind: "Status",
      status: "Success",
      details: { name: "db", kind: "secrets" },
    });

    const gone = await apiError(() => core.readNamespacedSecret({ name: "db", namespace: "default" }));
    expect(gone.code).toBe(404);
    expect(gone.status).toMatchObject({
      reason: "NotFound",
      message: 'secrets "db" not found',
      details: { name: "db", kind: "secrets" },
    });
  });

  it("refuses what the real server refuses", async () => {
    const rv = await apiError(() =>
      core.createNamespacedSecret({
        namespace: "default",
        body: { ...secret("x"), metadata: { name: "x", resourceVersion: "7" } },
      }),
    );
    expect(rv).toMatchObject({
      code: 500,
      status: {
        message: "Internal error occurred: resourceVersion should not be set on objects to be created",
      },
    });
    const badName = await apiError(() =>
      core.createNamespacedSecret({ namespace: "default", body: secret("Bad_Name") }),
    );
    expect(badName.code).toBe(422);
    expect(badName.status?.message).toMatch(
      /^Secret "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
    const noNs = await apiError(() =>
      core.createNamespacedSecret({ namespace: "nowhere", body: secret("x") }),
    );
    expect(noNs.status).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    const b64 = await apiError(() =>
      core.createNamespacedSecret({ namespace: "default", body: secret("x", {}, { k: "not base64!" }) }),
    );
    expect(b64.status).toMatchObject({
      code: 400,
      message: 'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3',
    });
  });

  it("lists without kind/apiVersion on items, as the API server encodes built-in lists", async () => {
    server.seed(
      [secret("a", { app: "x" }), secret("b", { app: "y" })].map((s) => ({
        ...s,
        metadata: { ...s.metadata, namespace: "items" },
      })),
    );
    const res = await raw("/api/v1/namespaces/items/secrets");
    const wire = (await res.json()) as {
      kind: string;
      apiVersion: string;
      metadata: { resourceVersion: string };
      items: object[];
    };
    expect(wire.kind).toBe("SecretList");
    expect(wire.apiVersion).toBe("v1");
    expect(wire.metadata.resourceVersion).toBe(server.resourceVersion);
    expect(wire.items).toHaveLength(2);
    for (const item of wire.items) {
      expect(item).not.toHaveProperty("kind");
      expect(item).not.toHaveProperty("apiVersion");
    }
    const typed = await core.listNamespacedSecret({ namespace: "items" });
    expect(typed.items.map((s) => [s.metadata?.name, s.kind])).toEqual([
      ["a", undefined],
      ["b", undefined],
    ]);
  });
});

describe("selectors and pagination", () => {
  beforeAll(() => {
    server.seed([
      {
        ...secret("s1", { app: "web", tier: "front", owner: "helm" }),
        metadata: { name: "s1", namespace: "sel", labels: { app: "web", tier: "front", owner: "helm" } },
      },
      { ...secret("s2"), metadata: { name: "s2", namespace: "sel", labels: { app: "db", owner: "helm" } } },
      {
        ...secret("s3"),
        metadata: { name: "s3", namespace: "sel", labels: { app: "cache" } },
        type: "kubernetes.io/tls",
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p1", namespace: "sel" },
        spec: { nodeName: "n1", containers: [] },
        status: { phase: "Running" },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "p2", namespace: "sel" },
        spec: { containers: [] },
        status: { phase: "Pending" },
      },
      {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: "p2.1", namespace: "sel" },
        involvedObject: { kind: "Pod", name: "p2", namespace: "sel", uid: "u-p2" },
        reason: "FailedMount",
        message: 'MountVolume.SetUp failed for volume "foo" : configmap "basic-app-config" not found',
        type: "Warning",
        count: 3,
      },
      {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name: "p1.1", namespace: "sel" },
        involvedObject: { kind: "Pod", name: "p1", namespace: "sel" },
        reason: "Started",
        type: "Normal",
      },
    ]);
  });
  const names = (l: { items: Array<{ metadata?: { name?: string } }> }) =>
    l.items.map((i) => i.metadata?.name);

  it("filters by label selectors", async () => {
    const sel = (labelSelector: string) => core.listNamespacedSecret({ namespace: "sel", labelSelector });
    expect(names(await sel("app=web"))).toEqual(["s1"]);
    expect(names(await sel("app==db"))).toEqual(["s2"]);
    expect(names(await sel("app!=web"))).toEqual(["s2", "s3"]);
    expect(names(await sel("app in (web, db)"))).toEqual(["s1", "s2"]);
    expect(names(await sel("app notin (web,db)"))).toEqual(["s3"]);
    expect(names(await sel("tier"))).toEqual(["s1"]);
    expect(names(await sel("!tier"))).toEqual(["s2", "s3"]);
    expect(names(await sel("owner=helm,app!=web"))).toEqual(["s2"]);
    const bad = await apiError(() => sel("app in web"));
    expect(bad.status).toMatchObject({ code: 400, reason: "BadRequest" });
  });

  it("filters by field selectors, with the real error for unknown fields", async () => {
    expect(
      names(await core.listNamespacedSecret({ namespace: "sel", fieldSelector: "metadata.name=s2" })),
    ).toEqual(["s2"]);
    expect(
      names(await core.listNamespacedSecret({ namespace: "sel", fieldSelector: "type!=Opaque" })),
    ).toEqual(["s3"]);
    expect(
      names(await core.listNamespacedPod({ namespace: "sel", fieldSelector: "status.phase=Running" })),
    ).toEqual(["p1"]);
    expect(names(await core.listPodForAllNamespaces({ fieldSelector: "spec.nodeName=n1" }))).toEqual(["p1"]);
    const ev = await core.listNamespacedEvent({
      namespace: "sel",
      fieldSelector: "involvedObject.kind=Pod,involvedObject.name=p2",
    });
    expect(ev.items.map((e) => e.reason)).toEqual(["FailedMount"]);
    const bad = await apiError(() =>
      core.listNamespacedPod({ namespace: "sel", fieldSelector: "status.hostIP=1.2.3.4" }),
    );
    expect(bad.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: "field label not supported: status.hostIP",
      reason: "BadRequest",
      code: 400,
    });
    const cm = await apiError(() =>
      core.listNamespacedConfigMap({ namespace: "sel", fieldSelector: "data.x=1" }),
    );
    expect(cm.status?.message).toBe(
      '"data.x" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it("serves core events through events.k8s.io/v1 too (one storage, converted fields)", async () => {
    const events = kc.makeApiClient(EventsV1Api);
    const list = await events.listNamespacedEvent({ namespace: "sel", fieldSelector: "regarding.name=p2" });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({
      reason: "FailedMount",
      note: 'MountVolume.SetUp failed for volume "foo" : configmap "basic-app-config" not found',
      regarding: { kind: "Pod", name: "p2" },
      deprecatedCount: 3,
      type: "Warning",
    });
  });

  it("pages with limit and continue", async () => {
    const first = await core.listNamespacedSecret({ namespace: "sel", limit: 2 });
    expect(names(first)).toEqual(["s1", "s2"]);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const next = await core.listNamespacedSecret({
      namespace: "sel",
      limit: 2,
      _continue: first.metadata?._continue,
    });
    expect(names(next)).toEqual(["s3"]);
    expect(next.metadata?._continue).toBeUndefined();
    expect(next.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    server.compact();
    const old = await apiError(() =>
      core.listNamespacedSecret({ namespace: "sel", limit: 2, _continue: first.metadata?._continue }),
    );
    expect(old.status).toMatchObject({ code: 410, reason: "Expired" });
  });
});

describe("metadata-only lists", () => {
  beforeAll(() => {
    const big = Buffer.alloc(20_000, 7).toString("base64");
    server.seed(
      ["r1", "r2", "r3"].map((n) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: `sh.helm.release.v1.app.${n}`,
          namespace: "meta",
          labels: { owner: "helm", name: "app" },
        },
        type: "helm.sh/release.v1",
        data: { release: big },
      })),
    );
  });

  it("answers a PartialObjectMetadataList to the typed client with a per-call Accept header", async () => {
    const list = await core.listNamespacedSecret(
      { namespace: "meta", labelSelector: "owner=helm" },
      setHeaderOptions("Accept", METADATA_LIST_ACCEPT),
    );
    expect(list.kind).toBe("PartialObjectMetadataList");
    expect(list.apiVersion).toBe("meta.k8s.io/v1");
    expect(list.items).toHaveLength(3);
    expect(list.items[0]).toMatchObject({ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1" });
    expect(list.items[0]?.data).toBeUndefined();
    expect(list.items[0]?.metadata?.labels).toEqual({ owner: "helm", name: "app" });

    const full = await core.listNamespacedSecret({ namespace: "meta", labelSelector: "owner=helm" });
    const [metaReq, fullReq] = server.requestsMatching({
      verb: "list",
      resource: "secrets",
      namespace: "meta",
    });
    expect(metaReq?.metadataOnly).toBe(true);
    expect(fullReq?.metadataOnly).toBe(false);
    expect(metaReq!.bytes * 20).toBeLessThan(fullReq!.bytes);
    expect(full.items[0]?.data?.release).toBeDefined();
  });

  it("answers a raw fetch with the KubeConfig's auth (applyToFetchOptions)", async () => {
    // applyToFetchOptions gives node-fetch options: the auth headers (and an https agent, which the
    // global fetch would ignore; fine for this plain-http server).
    const init = await kc.applyToFetchOptions({});
    const headers = new Headers();
    (init.headers as unknown as { forEach(cb: (value: string, key: string) => void): void }).forEach(
      (v, k) => {
        headers.set(k, v);
      },
    );
    headers.set("Accept", METADATA_LIST_ACCEPT);
    const res = await fetch(`${server.url}/api/v1/namespaces/meta/secrets?labelSelector=owner%3Dhelm`, {
      headers,
    });
    expect(res.headers.get("content-type")).toBe(
      "application/json;g=meta.k8s.io;v=v1;as=PartialObjectMetadataList",
    );
    const body = (await res.json()) as {
      kind: string;
      items: Array<{ kind: string; metadata: { name: string } }>;
    };
    expect(body.kind).toBe("PartialObjectMetadataList");
    expect(body.items.map((i) => [i.kind, i.metadata.name])).toEqual([
      ["PartialObjectMetadata", "sh.helm.release.v1.app.r1"],
      ["PartialObjectMetadata", "sh.helm.release.v1.app.r2"],
      ["PartialObjectMetadata", "sh.helm.release.v1.app.r3"],
    ]);
    // Asking for a list representation of a single object is refused, as the real server does.
    headers.set("Accept", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io");
    const one = await fetch(`${server.url}/api/v1/namespaces/meta/secrets/sh.helm.release.v1.app.r1`, {
      headers,
    });
    expect(one.status).toBe(406);
    // The full list was never requested in this test.
    expect(server.requestsMatching({ verb: "list", resource: "secrets" }).every((r) => r.metadataOnly)).toBe(
      true,
    );
  });
});

describe("fault injection", () => {
  it("refuses with the RBAC 403 Status, and SelfSubjectAccessReview agrees", async () => {
    server.forbid({ verb: "list", resource: "secrets", namespace: "default" });
    const err = await apiError(() => core.listNamespacedSecret({ namespace: "default" }));
    expect(err.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'secrets is forbidden: User "system:serviceaccount:helm-doctor:helm-doctor" cannot list resource "secrets" in API group "" in the namespace "default"',
      reason: "Forbidden",
      details: { kind: "secrets" },
      code: 403,
    });
    // Other verbs and namespaces are unaffected.
    await core.listNamespacedSecret({ namespace: "kube-system" });
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const review = (ns: string) =>
      authz.createSelfSubjectAccessReview({
        body: { spec: { resourceAttributes: { namespace: ns, verb: "list", resource: "secrets" } } },
      });
    expect((await review("default")).status?.allowed).toBe(false);
    expect((await review("other")).status?.allowed).toBe(true);
    expect(server.requestsMatching({ resource: "secrets" }).map((r) => r.status)).toEqual([403, 200]);
  });

  it("fails the next requests with 5xx, every Nth, and resets connections", async () => {
    server.failNext(2, 503, { resource: "namespaces" });
    expect((await apiError(() => core.listNamespace())).status).toMatchObject({
      code: 503,
      reason: "ServiceUnavailable",
    });
    expect((await apiError(() => core.listNamespace())).code).toBe(503);
    await core.listNamespace();

    server.clearFaults();
    server.failEvery(3, 500);
    const codes: number[] = [];
    for (let i = 0; i < 6; i++) {
      codes.push(
        await core.readNamespace({ name: "default" }).then(
          () => 200,
          (e: { code: number }) => e.code,
        ),
      );
    }
    expect(codes).toEqual([200, 200, 500, 200, 200, 500]);

    server.clearFaults();
    server.failNext(1, 429);
    const tooMany = await apiError(() => core.listNamespace());
    expect(tooMany.status).toMatchObject({ code: 429, reason: "TooManyRequests" });

    server.resetNext(1);
    await expect(core.listNamespace()).rejects.toThrow(/socket hang up|ECONNRESET/);
    await core.listNamespace();
    expect(server.requests.map((r) => r.fault ?? "")).toContain("reset");
  });

  it("adds latency per request", async () => {
    server.setLatency(60);
    const t0 = Date.now();
    await core.readNamespace({ name: "default" });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    expect(server.requests[0]?.durationMs).toBeGreaterThanOrEqual(55);
  });
});

describe("edges of the REST surface", () => {
  it("answers unknown resources, wrong methods and patch types like the real server", async () => {
    expect((await raw("/api/v1/namespaces/default/widgets")).status).toBe(404);
    expect(await (await raw("/api/v1/namespaces/default/widgets")).json()).toMatchObject({
      reason: "NotFound",
      message: "the server could not find the requested resource",
    });
    // Authentication is checked before the path.
    expect((await fetch(`${server.url}/api/v1/namespaces/default/widgets`)).status).toBe(401);
    expect((await raw("/api/v1/namespaces/default/secrets/x", { method: "POST", body: "{}" })).status).toBe(
      405,
    );
    const patch = await raw("/api/v1/namespaces/default/configmaps/x", {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(patch.status).toBe(415);
    expect(((await patch.json()) as { message: string }).message).toMatch(
      /^the body of the request was in an unknown format/,
    );
  });

  it("writes events through events.k8s.io/v1 and reads them through core/v1", async () => {
    const events = kc.makeApiClient(EventsV1Api);
    await events.createNamespacedEvent({
      namespace: "default",
      body: {
        metadata: { name: "web.1" },
        eventTime: new Date(),
        reportingController: "helm-doctor",
        reportingInstance: "helm-doctor-0",
        action: "Diagnose",
        reason: "Diagnosed",
        note: "release shop/yahoo diagnosed",
        type: "Normal",
        regarding: { kind: "Secret", name: "sh.helm.release.v1.yahoo.v2", namespace: "default" },
      },
    });
    const list = await core.listNamespacedEvent({
      namespace: "default",
      fieldSelector: "reportingComponent=helm-doctor",
    });
    expect(list.items[0]).toMatchObject({
      message: "release shop/yahoo diagnosed",
      involvedObject: { kind: "Secret", name: "sh.helm.release.v1.yahoo.v2" },
      reportingComponent: "helm-doctor",
    });
  });

  it("serves pod logs and the kubelet's refusals", async () => {
    server.seed([
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "one", namespace: "logs" },
        spec: { containers: [{ name: "app", image: "app:1" }] },
        status: { phase: "Running", containerStatuses: [{ name: "app", state: { running: {} } }] },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "two", namespace: "logs" },
        spec: {
          containers: [
            { name: "app", image: "app:1" },
            { name: "proxy", image: "proxy:1" },
          ],
        },
        status: {
          phase: "Pending",
          containerStatuses: [
            { name: "app", state: { waiting: { reason: "ContainerCreating" } } },
            { name: "proxy", state: { waiting: { reason: "ContainerCreating" } } },
          ],
        },
      },
    ]);
    server.setPodLog("logs", "one", "line 1\nline 2\nline 3\n");
    expect(await core.readNamespacedPodLog({ name: "one", namespace: "logs", tailLines: 2 })).toBe(
      "line 2\nline 3\n",
    );
    const which = await apiError(() => core.readNamespacedPodLog({ name: "two", namespace: "logs" }));
    expect(which.status?.message).toBe(
      "a container name must be specified for pod two, choose one of: [app proxy]",
    );
    const waiting = await apiError(() =>
      core.readNamespacedPodLog({ name: "two", namespace: "logs", container: "app" }),
    );
    expect(waiting.status?.message).toBe(
      'container "app" in pod "two" is waiting to start: ContainerCreating',
    );
  });

  it("seeds a kubectl List, and exposes the store to tests", async () => {
    const seen: string[] = [];
    const off = server.onChange((c) => seen.push(`${c.type} ${c.object.kind} ${c.object.metadata.name}`));
    server.seed({
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "basic-app-config", namespace: "shop" },
          data: { a: "1" },
        },
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "s", namespace: "shop" },
          stringData: { k: "v" },
        },
      ],
    });
    off();
    expect(seen).toEqual(["ADDED Namespace shop", "ADDED ConfigMap basic-app-config", "ADDED Secret s"]);
    expect(server.get({ kind: "Secret", namespace: "shop", name: "s" })?.data).toEqual({ k: "dg==" });
    const before = server.get({ kind: "ConfigMap", namespace: "shop", name: "basic-app-config" })!;
    const after = server.update({ kind: "ConfigMap", namespace: "shop", name: "basic-app-config" }, (o) => {
      o.data = { a: "2" };
    });
    expect(Number(after.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    expect(server.delete({ kind: "ConfigMap", namespace: "shop", name: "basic-app-config" })).toBe(true);
    expect(
      (await apiError(() => core.readNamespacedConfigMap({ name: "basic-app-config", namespace: "shop" })))
        .code,
    ).toBe(404);
    expect(server.list({ kind: "Namespace" }).map((n) => n.metadata.name)).toContain("shop");
  });
});
