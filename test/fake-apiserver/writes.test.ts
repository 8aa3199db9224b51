// Writes through client-node: the patch types, server-side apply, dry runs, finalizers, garbage collection.
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  type V1Namespace,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { apiError, type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";

let server: FakeApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let batch: BatchV1Api;
let ns = 0;
let namespace: string;

beforeAll(async () => {
  server = await startFakeApiServer({ controllerDelayMs: 5 });
  kc = server.kubeConfig();
  core = kc.makeApiClient(CoreV1Api);
  apps = kc.makeApiClient(AppsV1Api);
  batch = kc.makeApiClient(BatchV1Api);
});
afterAll(() => server.close());
beforeEach(async () => {
  namespace = `w${++ns}`;
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

const configMap = (name: string, data: Record<string, string>): V1ConfigMap => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name },
  data,
});

describe("patches", () => {
  it("applies merge, JSON and strategic merge patches with the matching Content-Type", async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("cm", { a: "1", b: "2" }) });
    const merged = await core.patchNamespacedConfigMap(
      { name: "cm", namespace, body: { data: { a: null, c: "3" } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(merged.data).toEqual({ b: "2", c: "3" });

    const jsonPatched = await core.patchNamespacedConfigMap({
      name: "cm",
      namespace,
      body: [
        { op: "test", path: "/data/b", value: "2" },
        { op: "replace", path: "/data/b", value: "22" },
      ],
    });
    expect(jsonPatched.data).toEqual({ b: "22", c: "3" });

    // client-node 1.x sends application/json-patch+json by default: an object body is refused.
    const wrongType = await apiError(() =>
      core.patchNamespacedConfigMap({ name: "cm", namespace, body: { data: {} } }),
    );
    expect(wrongType.status).toMatchObject({
      code: 400,
      message: "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
    });
    const failedTest = await apiError(() =>
      core.patchNamespacedConfigMap({
        name: "cm",
        namespace,
        body: [{ op: "test", path: "/data/b", value: "x" }],
      }),
    );
    expect(failedTest.status).toMatchObject({
      code: 422,
      reason: "Invalid",
      message: "the server rejected our request due to an error in our request",
    });

    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: "web" },
        spec: {
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: {
              containers: [
                { name: "app", image: "app:1" },
                { name: "sidecar", image: "proxy:1" },
              ],
            },
          },
        },
      },
    });
    const smp = await apps.patchNamespacedDeployment(
      {
        name: "web",
        namespace,
        body: {
          spec: {
            template: {
              metadata: { annotations: { rollme: "2" } },
              spec: { containers: [{ name: "app", image: "app:2" }] },
            },
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    // Containers are merged by name (patchMergeKey), not replaced.
    expect(smp.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      "app=app:2",
      "sidecar=proxy:1",
    ]);
    expect(smp.metadata?.generation).toBe(2);
  });

  it("keeps spec and status apart (/status subresource) and bumps generation on spec changes only", async () => {
    const job = await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: "j" },
        spec: {
          suspend: true,
          template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } },
        },
        status: { succeeded: 5 },
      },
    });
    expect(job.status).toEqual({});
    expect(job.spec?.selector?.matchLabels).toEqual({
      "batch.kubernetes.io/controller-uid": job.metadata?.uid,
    });
    const status = await batch.patchNamespacedJobStatus(
      { name: "j", namespace, body: { status: { active: 1 }, spec: { parallelism: 9 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(status.status?.active).toBe(1);
    expect(status.spec?.parallelism).toBe(1);
    expect(status.metadata?.generation).toBe(1);
    const labelled = await batch.patchNamespacedJob(
      { name: "j", namespace, body: { metadata: { labels: { x: "y" } }, status: { active: 0 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(labelled.status?.active).toBe(1);
    expect(labelled.metadata?.generation).toBe(1);
    // The template of a Job is immutable: Helm's classic "field is immutable".
    const immutable = await apiError(() =>
      batch.patchNamespacedJob(
        {
          name: "j",
          namespace,
          body: { spec: { template: { spec: { containers: [{ name: "c", image: "busybox:2" }] } } } },
        },
        setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(immutable.status).toMatchObject({
      code: 422,
      reason: "Invalid",
      details: { kind: "Job", group: "batch", name: "j" },
    });
    expect(immutable.status?.message).toMatch(
      /^Job\.batch "j" is invalid: spec\.template: Invalid value: .*: field is immutable$/,
    );
  });

  it("makes an identical update a no-op (no new resourceVersion)", async () => {
    const cm = await core.createNamespacedConfigMap({ namespace, body: configMap("same", { a: "1" }) });
    const again = await core.replaceNamespacedConfigMap({ name: "same", namespace, body: cm });
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });
});

describe("server-side apply", () => {
  const apply = (body: object, fieldManager?: string, force?: boolean) =>
    core.patchNamespacedConfigMap(
      { name: "applied", namespace, body, fieldManager, force },
      setHeaderOptions("Content-Type", PatchStrategy.ServerSideApply),
    );

  it("requires a fieldManager (422 Invalid, as the real server)", async () => {
    const err = await apiError(() => apply(configMap("applied", { a: "1" })));
    expect(err.status).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      reason: "Invalid",
      details: {
        group: "meta.k8s.io",
        kind: "PatchOptions",
        causes: [
          {
            reason: "FieldValueRequired",
            message: "Required value: is required for apply patch",
            field: "fieldManager",
          },
        ],
      },
      code: 422,
    });
  });

  it("creates when absent, records the manager, owns fields and reports conflicts", async () => {
    const created = await apply(configMap("applied", { a: "1", b: "2" }), "helm-doctor");
    expect(created.data).toEqual({ a: "1", b: "2" });
    expect(created.metadata?.managedFields).toEqual([
      expect.objectContaining({
        manager: "helm-doctor",
        operation: "Apply",
        apiVersion: "v1",
        fieldsType: "FieldsV1",
        fieldsV1: { "f:data": { "f:a": {}, "f:b": {} } },
      }),
    ]);
    // Same config again: nothing changes.
    const same = await apply(configMap("applied", { a: "1", b: "2" }), "helm-doctor");
    expect(same.metadata?.resourceVersion).toBe(created.metadata?.resourceVersion);
    // Dropping a field from the applied config removes it.
    const pruned = await apply(configMap("applied", { a: "1" }), "helm-doctor");
    expect(pruned.data).toEqual({ a: "1" });
    // Another manager changing an owned field conflicts unless it forces.
    const conflict = await apiError(() => apply(configMap("applied", { a: "9" }), "kubectl"));
    expect(conflict.status).toMatchObject({
      code: 409,
      reason: "Conflict",
      message: 'Apply failed with 1 conflict: conflict with "helm-doctor" using v1: .data.a',
    });
    const forced = await apply(configMap("applied", { a: "9" }), "kubectl", true);
    expect(forced.data).toEqual({ a: "9" });
    expect(forced.metadata?.managedFields?.map((m) => m.manager)).toEqual(["kubectl"]);
  });

  it("refuses force on other patch types and strategic merge on custom resources", async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("forced", {}) });
    const force = await apiError(() =>
      core.patchNamespacedConfigMap(
        { name: "forced", namespace, body: { data: { a: "1" } }, force: true },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      ),
    );
    expect(force.status?.message).toBe(
      'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch',
    );
    server.seed({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "gadgets.example.com" },
      spec: {
        group: "example.com",
        scope: "Namespaced",
        names: { plural: "gadgets", singular: "gadget", kind: "Gadget" },
        versions: [{ name: "v1", served: true, storage: true }],
      },
    });
    server.seed({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g", namespace } });
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const smp = await apiError(() =>
      objects.patch({ apiVersion: "example.com/v1", kind: "Gadget", metadata: { name: "g", namespace } }),
    );
    expect(smp.code).toBe(415);
  });

  it("works through KubernetesObjectApi.patch with the apply strategy", async () => {
    const objects = KubernetesObjectApi.makeApiClient(kc);
    const spec: V1ConfigMap = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "via-object-api", namespace },
      data: { k: "v" },
    };
    const res = await objects.patch(
      spec,
      undefined,
      undefined,
      "helm-doctor",
      true,
      PatchStrategy.ServerSideApply,
    );
    expect(res.metadata?.managedFields?.[0]?.manager).toBe("helm-doctor");
  });
});

describe("dry run, finalizers, deletion", () => {
  it("validates but does not store with dryRun=All", async () => {
    const dry = await core.createNamespacedConfigMap({
      namespace,
      body: configMap("dry", { a: "1" }),
      dryRun: "All",
    });
    expect(dry.metadata?.uid).toBeDefined();
    expect((await apiError(() => core.readNamespacedConfigMap({ name: "dry", namespace }))).code).toBe(404);
    const invalid = await apiError(() =>
      core.createNamespacedConfigMap({ namespace, body: configMap("Dry", {}), dryRun: "All" }),
    );
    expect(invalid.code).toBe(422);
  });

  it("keeps an object with finalizers until they are removed", async () => {
    await core.createNamespacedConfigMap({
      namespace,
      body: { ...configMap("fin", {}), metadata: { name: "fin", finalizers: ["example.com/hold"] } },
    });
    const deleting = await core.deleteNamespacedConfigMap({ name: "fin", namespace });
    expect(deleting).toBeDefined();
    const held = await core.readNamespacedConfigMap({ name: "fin", namespace });
    expect(held.metadata?.deletionTimestamp).toBeDefined();
    await core.patchNamespacedConfigMap(
      { name: "fin", namespace, body: { metadata: { finalizers: null } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect((await apiError(() => core.readNamespacedConfigMap({ name: "fin", namespace }))).code).toBe(404);
  });

  it("garbage-collects a Job's pods with Background propagation and orphans them by default", async () => {
    server.jobs.setOutcome("hang", "hang");
    server.jobs.setOutcome("hang2", "hang");
    const job = (name: string) => ({
      metadata: { name },
      spec: { template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } } },
    });
    await batch.createNamespacedJob({ namespace, body: job("hang") });
    await batch.createNamespacedJob({ namespace, body: job("hang2") });
    await server.settle();
    const pods = async (jobName: string) =>
      (await core.listNamespacedPod({ namespace, labelSelector: `job-name=${jobName}` })).items;
    expect(await pods("hang")).toHaveLength(1);

    await batch.deleteNamespacedJob({ name: "hang", namespace, propagationPolicy: "Background" });
    await server.settle();
    expect(await pods("hang")).toHaveLength(0);

    // batch/v1 still orphans by default (with the real server's Warning header).
    const del = await fetch(`${server.url}/apis/batch/v1/namespaces/${namespace}/jobs/hang2`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(del.headers.get("warning")).toBe(
      '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"',
    );
    expect(((await del.json()) as { metadata: { finalizers: string[] } }).metadata.finalizers).toEqual([
      "orphan",
    ]);
    await server.settle();
    const orphans = await pods("hang2");
    expect(orphans).toHaveLength(1);
    expect(orphans[0]?.metadata?.ownerReferences).toBeUndefined();
  });

  it("deletes dependents first with Foreground propagation", async () => {
    server.jobs.setOutcome("fg", "hang");
    await batch.createNamespacedJob({
      namespace,
      body: {
        metadata: { name: "fg" },
        spec: {
          template: { spec: { restartPolicy: "Never", containers: [{ name: "c", image: "busybox" }] } },
        },
      },
    });
    await server.settle();
    const release = server.holdControllers();
    await batch.deleteNamespacedJob({ name: "fg", namespace, propagationPolicy: "Foreground" });
    const deleting = await batch.readNamespacedJob({ name: "fg", namespace });
    expect(deleting.metadata?.finalizers).toEqual(["foregroundDeletion"]);
    expect(deleting.metadata?.deletionTimestamp).toBeDefined();
    release();
    await server.settle();
    expect((await apiError(() => batch.readNamespacedJob({ name: "fg", namespace }))).code).toBe(404);
    expect((await core.listNamespacedPod({ namespace, labelSelector: "job-name=fg" })).items).toEqual([]);
  });

  it("terminates a namespace: contents first, then the namespace", async () => {
    await core.createNamespacedConfigMap({ namespace, body: configMap("c1", {}) });
    const release = server.holdControllers();
    // The body is the Namespace (client-node types it as V1Status).
    const terminating = (await core.deleteNamespace({ name: namespace })) as unknown as V1Namespace;
    expect(terminating.status?.phase).toBe("Terminating");
    const refused = await apiError(() =>
      core.createNamespacedConfigMap({ namespace, body: configMap("c2", {}) }),
    );
    expect(refused.status?.message).toBe(
      `configmaps "c2" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
    );
    release();
    await server.settle();
    expect((await apiError(() => core.readNamespace({ name: namespace }))).code).toBe(404);
    expect(server.list({ kind: "ConfigMap", namespace })).toEqual([]);
  });
});
