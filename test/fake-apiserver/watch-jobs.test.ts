// Watches (client-node's Watch and informers) and the job controller: Jobs reach Complete or Failed, with
// their pods, events and MODIFIED events as a cluster produces them.
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  type V1Job,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apiError,
  eventually,
  type FakeApiServer,
  startFakeApiServer,
} from "../support/fake-apiserver/index.js";

let server: FakeApiServer;
let kc: KubeConfig;
let core: CoreV1Api;
let batch: BatchV1Api;

beforeAll(async () => {
  server = await startFakeApiServer({ controllerDelayMs: 5 });
  kc = server.kubeConfig("hooks");
  core = kc.makeApiClient(CoreV1Api);
  batch = kc.makeApiClient(BatchV1Api);
  await core.createNamespace({ body: { metadata: { name: "hooks" } } });
});
afterAll(() => server.close());

const hookJob = (name: string, backoffLimit?: number): V1Job => ({
  apiVersion: "batch/v1",
  kind: "Job",
  metadata: { name, annotations: { "helm.sh/hook": "pre-upgrade" } },
  spec: {
    ...(backoffLimit === undefined ? {} : { backoffLimit }),
    template: { spec: { restartPolicy: "Never", containers: [{ name: "migrate", image: "migrate:1" }] } },
  },
});

interface Seen {
  type: string;
  job: V1Job;
}

const finished = (job: V1Job) =>
  job.status?.conditions?.some(
    (c) => (c.type === "Complete" || c.type === "Failed") && c.status === "True",
  ) ?? false;

/**
 * Waits for one job the way Helm waits for a hook: get it (done already?), then watch it from that
 * resourceVersion until a Complete or Failed condition appears.
 */
async function watchJobUntilDone(
  name: string,
  fromResourceVersion?: string,
): Promise<{ events: Seen[]; final: V1Job }> {
  const events: Seen[] = [];
  let resourceVersion = fromResourceVersion;
  if (resourceVersion === undefined) {
    const current = await batch.readNamespacedJob({ name, namespace: "hooks" });
    if (finished(current)) return { events, final: current };
    resourceVersion = current.metadata?.resourceVersion;
  }
  let stop: AbortController | undefined;
  const final = await new Promise<V1Job>((resolve, reject) => {
    new Watch(kc)
      .watch(
        "/apis/batch/v1/namespaces/hooks/jobs",
        { fieldSelector: `metadata.name=${name}`, resourceVersion },
        (type, job: V1Job) => {
          events.push({ type, job });
          if (finished(job)) resolve(job);
        },
        (err) => (err ? reject(err) : undefined),
      )
      .then((c) => {
        stop = c;
      }, reject);
  });
  stop?.abort();
  return { events, final };
}

describe("job controller + watch", () => {
  it("runs a Job to Complete, visible as MODIFIED events", async () => {
    // Watching from the list's resourceVersion replays everything after it, however fast the job runs.
    const before = await batch.listNamespacedJob({ namespace: "hooks" });
    await batch.createNamespacedJob({ namespace: "hooks", body: hookJob("migrate-ok") });
    const { events, final } = await watchJobUntilDone("migrate-ok", before.metadata?.resourceVersion);
    expect(events[0]?.type).toBe("ADDED");
    expect(events.slice(1).every((e) => e.type === "MODIFIED")).toBe(true);
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(final.kind).toBe("Job");
    expect(final.status).toMatchObject({ succeeded: 1, ready: 0 });
    expect(final.status?.completionTime).toBeDefined();
    expect(final.status?.conditions?.map((c) => [c.type, c.status])).toEqual([
      ["SuccessCriteriaMet", "True"],
      ["Complete", "True"],
    ]);
    await server.settle();
    const pods = await core.listNamespacedPod({ namespace: "hooks", labelSelector: "job-name=migrate-ok" });
    expect(pods.items).toHaveLength(1);
    const pod = pods.items[0] as V1Pod;
    expect(pod.metadata?.name).toMatch(/^migrate-ok-[a-z0-9]{5}$/);
    expect(pod.metadata?.labels).toMatchObject({
      "batch.kubernetes.io/job-name": "migrate-ok",
      "controller-uid": final.metadata?.uid,
      "batch.kubernetes.io/controller-uid": final.metadata?.uid,
    });
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "Job",
      name: "migrate-ok",
      controller: true,
    });
    expect(pod.status?.phase).toBe("Succeeded");
    expect(pod.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });
    const jobEvents = await core.listNamespacedEvent({
      namespace: "hooks",
      fieldSelector: `involvedObject.kind=Job,involvedObject.name=migrate-ok`,
    });
    expect(jobEvents.items.map((e) => e.reason)).toEqual(
      expect.arrayContaining(["SuccessfulCreate", "Completed"]),
    );
  });

  it("fails a Job after backoffLimit+1 pods with BackoffLimitExceeded, and serves their logs", async () => {
    server.jobs.setOutcome("migrate-bad", "fail", { log: 'Error: relation "users" already exists\n' });
    await batch.createNamespacedJob({ namespace: "hooks", body: hookJob("migrate-bad", 1) });
    const { final } = await watchJobUntilDone("migrate-bad");
    const failed = final.status?.conditions?.find((c) => c.type === "Failed");
    expect(failed).toMatchObject({
      status: "True",
      reason: "BackoffLimitExceeded",
      message: "Job has reached the specified backoff limit",
    });
    expect(final.status?.failed).toBe(2);
    await server.settle();
    const pods = (await core.listNamespacedPod({ namespace: "hooks", labelSelector: "job-name=migrate-bad" }))
      .items;
    expect(pods.map((p) => p.status?.phase)).toEqual(["Failed", "Failed"]);
    const log = await core.readNamespacedPodLog({ name: pods[0]!.metadata!.name!, namespace: "hooks" });
    expect(log).toBe('Error: relation "users" already exists\n');
    const warning = await core.listNamespacedEvent({
      namespace: "hooks",
      fieldSelector: "type=Warning,involvedObject.name=migrate-bad",
    });
    expect(warning.items.map((e) => e.reason)).toEqual(["BackoffLimitExceeded"]);
  });

  it("ends a Job with DeadlineExceeded, or leaves it hanging", async () => {
    server.jobs.setOutcome((job) => (job.metadata.name.startsWith("slow-") ? "deadline" : undefined));
    server.jobs.setOutcome("stuck", "hang");
    await batch.createNamespacedJob({ namespace: "hooks", body: hookJob("slow-1") });
    await batch.createNamespacedJob({ namespace: "hooks", body: hookJob("stuck") });
    const { final } = await watchJobUntilDone("slow-1");
    expect(final.status?.conditions?.find((c) => c.type === "Failed")?.reason).toBe("DeadlineExceeded");
    await server.settle();
    const stuck = await batch.readNamespacedJob({ name: "stuck", namespace: "hooks" });
    expect(stuck.status).toMatchObject({ active: 1, ready: 1 });
    expect(stuck.status?.conditions).toBeUndefined();
    const pods = (await core.listNamespacedPod({ namespace: "hooks", labelSelector: "job-name=stuck" }))
      .items;
    expect(pods.map((p) => p.status?.phase)).toEqual(["Running"]);
  });
});

describe("watch semantics", () => {
  it("starts with ADDED events without resourceVersion and follows objects in and out of the selection", async () => {
    await core.createNamespacedConfigMap({
      namespace: "hooks",
      body: { metadata: { name: "w-a", labels: { w: "1" } } },
    });
    await core.createNamespacedConfigMap({ namespace: "hooks", body: { metadata: { name: "w-b" } } });
    const seen: string[] = [];
    const watching = new Watch(kc).watch(
      "/api/v1/namespaces/hooks/configmaps",
      { labelSelector: "w=1" },
      (type, obj: { metadata: { name: string } }) => seen.push(`${type} ${obj.metadata.name}`),
      () => {},
    );
    await eventually(() => (seen.length > 0 ? true : undefined));
    // Leaving the selection is a DELETED event, entering it an ADDED one.
    const patch = (name: string, labels: Record<string, string | null>) =>
      fetch(`${server.url}/api/v1/namespaces/hooks/configmaps/${name}`, {
        method: "PATCH",
        headers: { authorization: `Bearer ${server.token}`, "content-type": "application/merge-patch+json" },
        body: JSON.stringify({ metadata: { labels } }),
      });
    await patch("w-a", { w: null });
    await patch("w-b", { w: "1" });
    await eventually(() => (seen.length >= 3 ? true : undefined));
    (await watching).abort();
    expect(seen).toEqual(["ADDED w-a", "DELETED w-a", "ADDED w-b"]);
    const rec = server.requestsMatching({ verb: "watch", resource: "configmaps" });
    expect(rec[0]?.bytes).toBeGreaterThan(0);
  });

  it("serves the legacy /watch/ paths, sendInitialEvents bookmarks, and ends at timeoutSeconds", async () => {
    const res = await fetch(
      `${server.url}/api/v1/watch/namespaces/hooks/configmaps?sendInitialEvents=true&timeoutSeconds=1`,
      {
        headers: { authorization: `Bearer ${server.token}` },
      },
    );
    const lines = (await res.text())
      .trim()
      .split("\n")
      .map(
        (l) =>
          JSON.parse(l) as { type: string; object: { metadata: { annotations?: Record<string, string> } } },
      );
    expect(lines.at(-1)).toMatchObject({
      type: "BOOKMARK",
      object: { metadata: { annotations: { "k8s.io/initial-events-end": "true" } } },
    });
    expect(lines.slice(0, -1).every((l) => l.type === "ADDED")).toBe(true);
  });

  it("sends a 410 ERROR event for a compacted resourceVersion", async () => {
    const old = server.resourceVersion;
    await core.createNamespacedConfigMap({ namespace: "hooks", body: { metadata: { name: "compacted" } } });
    server.compact();
    const events: Array<{ type: string; obj: { code?: number; reason?: string } }> = [];
    await new Promise<unknown>((resolve) => {
      void new Watch(kc).watch(
        "/api/v1/namespaces/hooks/configmaps",
        { resourceVersion: old },
        (type, obj: { code?: number; reason?: string }) => events.push({ type, obj }),
        resolve,
      );
    });
    expect(events).toEqual([
      { type: "ERROR", obj: expect.objectContaining({ code: 410, reason: "Expired" }) },
    ]);
  });

  it("feeds a client-node informer (list + watch)", async () => {
    const informer = makeInformer(kc, "/api/v1/namespaces/hooks/secrets", () =>
      core.listNamespacedSecret({ namespace: "hooks" }),
    );
    const added: string[] = [];
    informer.on("add", (o) => added.push(o.metadata?.name ?? ""));
    await informer.start();
    await core.createNamespacedSecret({ namespace: "hooks", body: { metadata: { name: "late" } } });
    await eventually(() => (added.includes("late") ? true : undefined));
    await informer.stop();
  });

  it("refuses a watch the forbid rules cover", async () => {
    const undo = server.forbid({ verb: "watch", resource: "jobs", group: "batch" });
    const err = await new Promise<{ statusCode?: number }>((resolve) => {
      void new Watch(kc).watch("/apis/batch/v1/namespaces/hooks/jobs", {}, () => {}, resolve);
    });
    expect(err.statusCode).toBe(403);
    undo();
    expect(
      (await apiError(() => batch.readNamespacedJob({ name: "nope", namespace: "hooks" }))).status?.message,
    ).toBe('jobs.batch "nope" not found');
  });
});
