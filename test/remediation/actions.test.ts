// The actions on the in-memory pair (MemoryReleaseStore / RecordStore over MemoryKubeClient, and
// FailingKubeClient for injected errors), as Helm's pkg/action tests run on driver.Memory and kubefake: the
// failure paths by record version, and Helm's patch semantics — in milliseconds, no HTTP.
import { describe, expect, it } from "vitest";
import { KubeError } from "../../src/cluster/kubeclient.js";
import { FailingKubeClient } from "../../src/cluster/kubeclient-failing.js";
import { MemoryKubeClient } from "../../src/cluster/kubeclient-memory.js";
import { openReleaseStore } from "../../src/cluster/store.js";
import { MemoryReleaseStore } from "../../src/cluster/store-memory.js";
import { type ClusterWriter, writerOf } from "../../src/cluster/writer.js";
import type { Release } from "../../src/helm/types.js";
import { execute } from "../../src/remediation/execute.js";
import { plan } from "../../src/remediation/plan.js";
import type { RemediationAction } from "../../src/remediation/types.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import type { KubeObject } from "../../src/snapshot/types.js";
import type { Obj, Scenario } from "../support/scenario.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";
import { foundingWithJobHook, rollbackWithExtras } from "../support/scenarios/remediation.js";

const NS = "default";

/** The scenario's cluster (records included) in a MemoryKubeClient, its releases in a MemoryReleaseStore. */
function memory(sc: Scenario, releases: Release[] = sc.releases) {
  const items = sc.bundle().items as Obj[];
  const kube = new MemoryKubeClient(sc.live as unknown as KubeObject[]);
  const store = new MemoryReleaseStore(releases);
  return { items, kube, store, writer: writerOf(kube, store) };
}

/** Helm 4's shape of the same releases: apply_method set, zero times omitted. */
function asHelm4(releases: Release[]): Release[] {
  return releases.map((r) => {
    const c = structuredClone(r);
    c.apply_method = "csa";
    delete c.info.deleted;
    return c;
  });
}

/** The planner on the scenario's objects, as a diagnosis snapshot shows them. */
function planOf(items: Obj[], action: RemediationAction) {
  const snap = buildSnapshot({
    release: "yahoo",
    namespace: NS,
    objects: items,
    now: new Date(FOUNDING_NOW),
    source: "test",
  });
  return plan(snap, action, { requestedBy: "@ana" });
}

function run(
  items: Obj[],
  writer: ClusterWriter,
  action: RemediationAction,
  opts: { historyMax?: number } = {},
) {
  const p = planOf(items, action);
  expect(p.refusal).toBeUndefined();
  return execute(p, writer, { operationId: "op-1", requestedBy: "@ana", hookTimeoutMs: 50, ...opts });
}

/** The containers of the scenario's live Deployment, to change before the cluster is built. */
const liveContainers = (sc: Scenario) =>
  (
    sc.live.find((o) => o.kind === "Deployment")!.spec as {
      template: { spec: { containers: Record<string, unknown>[] } };
    }
  ).template.spec.containers;

const deployment = (kube: MemoryKubeClient) =>
  kube.peek({ apiVersion: "apps/v1", kind: "Deployment", namespace: NS, name: "yahoo-basic-app" })!;
const containers = (o: KubeObject) =>
  (o.spec as { template: { spec: { containers: { name: string; env?: unknown[] }[] } } }).template.spec
    .containers;

describe("rerun-upgrade on the in-memory pair", () => {
  it("locks, runs the hook, supersedes and deploys: the records in Helm's order", async () => {
    const { items, kube, store, writer } = memory(foundingCase());
    const r = await run(items, writer, { action: "rerun-upgrade" });
    expect(r.errors).toEqual([]);
    expect(r.outcome).toBe("succeeded");
    expect(store.writes).toEqual([
      "create v3 pending-upgrade",
      "update v3 pending-upgrade", // the hook's last_run Running, before the hook is created
      "update v2 superseded",
      "update v3 deployed",
    ]);
    expect(kube.writes).toEqual(["create ConfigMap default/basic-app-config"]);
    expect(store.annotations("yahoo", 3)).toMatchObject({ "helm-doctor/operation-id": "op-1" });
    expect((await store.get("yahoo", 3)).info.description).toBe(
      "Upgrade complete (helm-doctor, requested by @ana)",
    );
  });

  it("an Update failure re-saves the release it upgraded from, then fails the new one, as Helm's upgrade does", async () => {
    const sc = foundingCase();
    liveContainers(sc)[0]!.image = "nginx:drifted"; // the Update has a patch to send
    const { items, kube, store } = memory(sc);
    const failing = new FailingKubeClient(kube, {
      patch: (ref) =>
        ref.kind === "Deployment"
          ? new KubeError('deployments.apps "yahoo-basic-app" is forbidden', 403, "Forbidden")
          : undefined,
    });
    const r = await run(items, writerOf(failing, store), { action: "rerun-upgrade" });
    expect(r.outcome).toBe("failed");
    expect(store.writes).toEqual([
      "create v3 pending-upgrade",
      "update v3 pending-upgrade",
      "update v2 deployed",
      "update v3 failed",
    ]);
    expect((await store.get("yahoo", 2)).info.status).toBe("deployed");
  });

  it("an unchanged Deployment with server defaults and webhook-injected env plans and sends no change", async () => {
    const sc = foundingCase();
    const live = sc.live.find((o) => o.kind === "Deployment")!;
    const spec = (live.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    spec.dnsPolicy = "ClusterFirst";
    spec.restartPolicy = "Always";
    const cs = spec.containers as Record<string, unknown>[];
    Object.assign(cs[0]!, {
      imagePullPolicy: "IfNotPresent",
      terminationMessagePath: "/dev/termination-log",
      resources: {},
      env: [{ name: "INJECTED", value: "by-a-webhook" }],
    });
    const { items, kube, writer } = memory(sc);
    const p = planOf(items, { action: "rerun-upgrade" });
    expect(p.changes.find((c) => c.ref.kind === "Deployment")).toMatchObject({
      op: "skip",
      reason: "unchanged",
    });
    const r = await execute(p, writer, { operationId: "op-2" });
    expect(r.outcome).toBe("succeeded");
    expect(r.changes).toContainEqual({
      op: "unchanged",
      ref: { kind: "Deployment", name: "yahoo-basic-app", namespace: NS },
    });
    expect(kube.writes.filter((w) => w.includes("Deployment"))).toEqual([]);
  });

  it("an injected sidecar makes Helm's patch a list-order directive only, which keeps the sidecar", async () => {
    const sc = foundingCase();
    const cs = liveContainers(sc);
    cs.push({ name: "istio-proxy", image: "istio/proxyv2:1.22.0" });
    const { items, kube, writer } = memory(sc);
    const r = await run(items, writer, { action: "rerun-upgrade" });
    expect(r.outcome).toBe("succeeded");
    expect(kube.writes).toContain("patch(strategic) Deployment default/yahoo-basic-app");
    expect(containers(deployment(kube)).map((c) => c.name)).toEqual(["basic-app", "istio-proxy"]);
  });

  it("a changed Deployment gets a strategic merge patch that keeps the sidecar and injected env", async () => {
    const sc = foundingCase();
    const cs = liveContainers(sc);
    cs[0]!.env = [{ name: "INJECTED", value: "by-a-webhook" }];
    cs.push({ name: "istio-proxy", image: "istio/proxyv2:1.22.0" });
    const { items, kube, writer } = memory(sc);
    // Rollback to 1 removes revision 2's checksum annotation from the pod template.
    const r = await run(items, writer, { action: "rollback", revision: 1 });
    expect(r.errors).toEqual([]);
    expect(kube.writes).toContain("patch(strategic) Deployment default/yahoo-basic-app");
    const after = deployment(kube);
    expect(containers(after).map((c) => c.name)).toEqual(["basic-app", "istio-proxy"]);
    expect(containers(after)[0]!.env).toEqual([{ name: "INJECTED", value: "by-a-webhook" }]);
    expect(
      (after.spec as { template: { metadata: { annotations?: object } } }).template.metadata.annotations ??
        {},
    ).toEqual({});
  });

  it("a pre-upgrade hook that never finishes fails the revision with Helm's text, quickly", async () => {
    const sc = foundingWithJobHook({ policies: "before-hook-creation" });
    const { items, kube, store, writer } = memory(sc);
    kube.setHookOutcome("yahoo-migrate", "hang");
    const r = await run(items, writer, { action: "rerun-upgrade" });
    expect(r.outcome).toBe("failed");
    expect(r.errors).toEqual([
      "pre-upgrade hooks failed: 1 error occurred:\n\t* timed out waiting for the condition",
    ]);
    expect((await store.get("yahoo", 3)).info.status).toBe("failed");
    expect((await store.get("yahoo", 2)).info.status).toBe("deployed");
  });
});

describe("failure behaviour by record version", () => {
  it("a pruning error stops before the lock: nothing new is written (Helm's Storage.Create)", async () => {
    const sc = foundingCase();
    const base = new MemoryKubeClient(sc.bundle().items as unknown as KubeObject[]);
    const kube = new FailingKubeClient(base, {
      delete: (ref) =>
        ref.kind === "Secret" ? new KubeError('secrets "x" is forbidden', 403, "Forbidden") : undefined,
    });
    const writer: ClusterWriter = {
      kube,
      releases: (ns, rel) => openReleaseStore(kube, ns, rel),
      describe: () => "",
    };
    const r = await run(sc.bundle().items as Obj[], writer, { action: "rerun-upgrade" }, { historyMax: 2 });
    expect(r.outcome).toBe("failed");
    expect(r.errors).toEqual(['nothing was written: secrets "x" is forbidden']);
    expect(base.writes).toEqual([]);
    expect((await base.list({ apiVersion: "v1", kind: "Secret", namespace: NS })).length).toBe(2);
  });

  const failDelete = (kube: MemoryKubeClient) =>
    new FailingKubeClient(kube, {
      delete: (ref) =>
        ref.name === "yahoo-extra"
          ? new KubeError('configmaps "yahoo-extra" is forbidden', 403, "Forbidden")
          : undefined,
    });

  it("Helm 3 records: a deletion error during the update is logged, the rollback succeeds", async () => {
    const { items, kube, store } = memory(rollbackWithExtras());
    const r = await run(items, writerOf(failDelete(kube), store), { action: "rollback", revision: 1 });
    expect(r.outcome).toBe("succeeded");
    expect(r.warnings).toContain(
      'failed to delete ConfigMap default/yahoo-extra: configmaps "yahoo-extra" is forbidden',
    );
    expect((await store.get("yahoo", 3)).info.status).toBe("deployed");
  });

  it("Helm 4 records: a deletion error fails the release, the latest is superseded (Helm 4's Update)", async () => {
    const sc = rollbackWithExtras();
    const { items, kube, store } = memory(sc, asHelm4(sc.releases));
    const r = await run(items, writerOf(failDelete(kube), store), { action: "rollback", revision: 1 });
    expect(r.outcome).toBe("failed");
    const err =
      'failed to delete resource namespace=default, name=yahoo-extra, kind=ConfigMap: configmaps "yahoo-extra" is forbidden';
    expect(r.errors).toEqual([err]);
    const v3 = await store.get("yahoo", 3);
    expect(v3.info).toMatchObject({
      status: "failed",
      description: `Rollback "yahoo" failed: ${err} (helm-doctor, requested by @ana)`,
    });
    expect(v3.apply_method).toBe("csa");
    expect((await store.get("yahoo", 2)).info.status).toBe("superseded");
  });

  it("a failed pre-rollback hook leaves the new revision pending-rollback, as Helm does", async () => {
    const sc = foundingWithJobHook({ policies: "before-hook-creation" });
    const rev1 = sc.releases[0]!;
    const hook = structuredClone(sc.releases[1]!.hooks!.find((h) => h.name === "yahoo-migrate")!);
    hook.events = ["pre-rollback"];
    hook.manifest = hook.manifest.replace("pre-upgrade", "pre-rollback");
    rev1.hooks = [...(rev1.hooks ?? []), hook];
    const { items, kube, store } = memory(sc);
    kube.setHookOutcome("yahoo-migrate", "fail");
    const r = await run(items, writerOf(kube, store), { action: "rollback", revision: 1 });
    expect(r.outcome).toBe("failed");
    expect(r.errors).toEqual(["1 error occurred:\n\t* job yahoo-migrate failed: BackoffLimitExceeded"]);
    const v3 = await store.get("yahoo", 3);
    expect(v3.info.status).toBe("pending-rollback");
    expect(v3.info.description).toBe("Rollback to 1 (helm-doctor, requested by @ana)");
    expect((await store.get("yahoo", 2)).info.status).toBe("deployed");
    expect(store.writes).toEqual(["create v3 pending-rollback", "update v3 pending-rollback"]);
  });
});

describe("patch kinds, locks and retries", () => {
  const widget = (spec: Record<string, unknown>) =>
    `---\n# Source: basic-app/templates/widget.yaml\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: yahoo-widget\nspec:\n${Object.entries(
      spec,
    )
      .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`)
      .join("\n")}\n`;

  it("a custom resource gets a two-way JSON merge patch from the old manifest; live-only fields stay", async () => {
    const sc = foundingCase();
    sc.releases[0]!.manifest += `\n${widget({ size: 1 })}`;
    sc.releases[1]!.manifest += `\n${widget({ size: 2, color: "red" })}`;
    sc.live.push(
      sc.owned({
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "yahoo-widget", namespace: NS },
        spec: { size: 2, color: "red", extra: "set by a controller" },
      }),
    );
    const { items, kube, writer } = memory(sc);
    const r = await run(items, writer, { action: "rollback", revision: 1 });
    expect(r.errors).toEqual([]);
    expect(kube.writes).toContain("patch(merge) Widget default/yahoo-widget");
    expect(r.plan.changes.find((c) => c.ref.kind === "Widget")?.reason).toBe(
      // The old manifest's object has no ownership metadata (Helm builds it without), so the patch sets it again.
      "JSON merge patch (old manifest → new) of metadata, spec",
    );
    const w = kube.peek({
      apiVersion: "example.com/v1",
      kind: "Widget",
      namespace: NS,
      name: "yahoo-widget",
    })!;
    expect(w.spec).toEqual({ size: 1, extra: "set by a controller" });
  });

  it("Helm 4 ssa records: objects and hooks go through server-side apply", async () => {
    const sc = foundingCase({ helm4: true });
    for (const r of sc.releases) r.apply_method = "ssa";
    const { items, kube, writer } = memory(sc);
    const r = await run(items, writer, { action: "rerun-upgrade" });
    expect(r.errors).toEqual([]);
    expect(kube.writes).toEqual([
      "apply ConfigMap default/basic-app-config",
      "apply Service default/yahoo-basic-app",
      "apply Deployment default/yahoo-basic-app",
    ]);
  });

  it("another operation's record in the way of the lock: refused, nothing else written", async () => {
    const sc = foundingCase();
    const { items, kube, store, writer } = memory(sc);
    const p = planOf(items, { action: "rerun-upgrade" });
    const competing = structuredClone(sc.releases[1]!);
    competing.version = 3;
    competing.info = { ...competing.info, status: "pending-upgrade", description: "Preparing upgrade" };
    // It lands between the plan's check and the lock: list() still saw revision 2 as the latest.
    const list = store.list.bind(store);
    let calls = 0;
    store.list = async (name) => {
      const heads = await list(name);
      if (++calls === 2) await store.create(competing);
      return heads;
    };
    const r = await execute(p, writer, { operationId: "op-3" });
    expect(r.outcome).toBe("refused");
    expect(r.errors[0]).toMatch(
      /another operation \(install\/upgrade\/rollback\) is in progress: revision 3 already exists/,
    );
    expect(kube.writes).toEqual([]);
    expect((await store.get("yahoo", 3)).info.description).toBe("Preparing upgrade");
  });

  it("a retried operation finds the revision it wrote and changes nothing", async () => {
    const { items, kube, store, writer } = memory(foundingCase());
    const first = await run(items, writer, { action: "rerun-upgrade" });
    expect(first.outcome).toBe("succeeded");
    const before = [...store.writes, ...kube.writes];
    const again = await run(items, writer, { action: "rerun-upgrade" });
    expect(again).toMatchObject({ outcome: "already-done", revision: 3, status: "deployed" });
    expect([...store.writes, ...kube.writes]).toEqual(before);
  });
});
