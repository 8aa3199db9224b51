// Hook execution with Helm's semantics against the fake API server's job controller: ordering, last_run
// persisted as Running before each hook is created, hook-succeeded deletion, failures that end in a failed
// record with Helm's description; and the manifest diff's deletions with resource-policy: keep.
import { afterEach, describe, expect, it } from "vitest";
import { payloadJson } from "../../src/helm/gojson.js";
import { multiError } from "../../src/remediation/execute.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { foundingWithJobHook, rollbackWithExtras } from "../support/scenarios/remediation.js";
import { configMap, type Env, record, recordObj, run, setup, writes } from "./support.js";

let env: Env | undefined;
afterEach(async () => {
  await env?.srv.close();
  env = undefined;
});

const job = (e: Env) =>
  e.srv.get({ kind: "Job", apiVersion: "batch/v1", namespace: "default", name: "yahoo-migrate" });

describe("pre-upgrade hooks", () => {
  it("runs them by weight, persists Running before each create, deletes hook-succeeded ones after", async () => {
    env = await setup(foundingWithJobHook().bundle().items);
    env.srv.jobs.setOutcome("yahoo-migrate", "complete");
    env.srv.resetCounters();
    const r = await run(env, { action: "rerun-upgrade", expectedRevision: 2 });
    expect(r.errors).toEqual([]);
    expect(r.outcome).toBe("succeeded");
    expect(r.plan.hooks.map((h) => `${h.event} ${h.name} ${h.weight} ${h.policies.join(",")}`)).toEqual([
      "pre-upgrade basic-app-config -5 before-hook-creation",
      "pre-upgrade yahoo-migrate 0 before-hook-creation,hook-succeeded",
    ]);
    const w = writes(env.srv).map((q) => `${q.method} ${q.resource}${q.name ? `/${q.name}` : ""}`);
    const jobPost = w.indexOf("POST jobs");
    const cmPost = w.indexOf("POST configmaps");
    expect(cmPost).toBeGreaterThan(-1);
    expect(jobPost).toBeGreaterThan(cmPost);
    // The record is written (Running) right before each hook object is created.
    expect(w[cmPost - 1]).toBe("PUT secrets/sh.helm.release.v1.yahoo.v3");
    expect(w[jobPost - 1]).toBe("PUT secrets/sh.helm.release.v1.yahoo.v3");
    expect(w).toContain("DELETE jobs/yahoo-migrate");
    expect(job(env)).toBeUndefined();
    const hooks = record(env.srv, 3).release!.hooks!;
    expect(hooks.map((h) => `${h.name}:${h.last_run?.phase}`)).toEqual([
      "basic-app-config:Succeeded",
      "yahoo-migrate:Succeeded",
    ]);
    // Go's JSON escapes & in the stored hook manifest, as Helm's record does.
    const payload = payloadJson(
      Buffer.from(
        (recordObj(env.srv, 3) as unknown as { data: { release: string } }).data.release,
        "base64",
      ).toString("latin1"),
    );
    expect(payload).toContain("echo migrating \\u0026\\u0026 true");
    expect(configMap(env.srv)).toBeDefined();
  });

  it("a failing hook Job ends in a failed revision with Helm's description, the old one stays deployed", async () => {
    env = await setup(foundingWithJobHook({ policies: "before-hook-creation" }).bundle().items);
    env.srv.jobs.setOutcome("yahoo-migrate", "fail");
    const r = await run(env, { action: "rerun-upgrade", expectedRevision: 2 });
    expect(r.outcome).toBe("failed");
    expect(r.revision).toBe(3);
    expect(r.status).toBe("failed");
    expect(r.errors).toEqual([
      `pre-upgrade hooks failed: ${multiError(["job yahoo-migrate failed: BackoffLimitExceeded"])}`.trim(),
    ]);
    const helm = `Upgrade "yahoo" failed: pre-upgrade hooks failed: ${multiError(["job yahoo-migrate failed: BackoffLimitExceeded"])}`;
    expect(r.description).toBe(`${helm.trimEnd()} (helm-doctor, requested by @ana)`);
    const v3 = record(env.srv, 3);
    expect(v3.labels.status).toBe("failed");
    expect(v3.release!.info.description).toBe(r.description);
    expect(v3.release!.hooks!.find((h) => h.name === "yahoo-migrate")!.last_run!.phase).toBe("Failed");
    expect(v3.release!.hooks!.find((h) => h.name === "basic-app-config")!.last_run!.phase).toBe("Succeeded");
    expect(record(env.srv, 2).release!.info.status).toBe("deployed");
    // No hook-failed policy: the failed Job stays for its logs.
    expect(job(env)).toBeDefined();
    expect(JSON.parse(env.audit[0]!)).toMatchObject({ outcome: "failed", toRevision: 3, status: "failed" });
  });

  it("a hook that never finishes times out per hook", async () => {
    env = await setup(foundingWithJobHook({ policies: "before-hook-creation,hook-failed" }).bundle().items);
    env.srv.jobs.setOutcome("yahoo-migrate", "hang");
    const r = await run(env, { action: "rerun-upgrade", hookTimeoutMs: 300 });
    expect(r.outcome).toBe("failed");
    expect(r.description).toMatch(
      /^Upgrade "yahoo" failed: pre-upgrade hooks failed: 1 error occurred:\n\t\* timed out waiting for the condition \(helm-doctor/,
    );
    // hook-failed policy: the Job is deleted after the failure.
    expect(job(env)).toBeUndefined();
  });

  it("a leftover hook object without before-hook-creation makes the create fail like Helm's", async () => {
    const sc = foundingWithJobHook({ policies: "hook-succeeded" });
    env = await setup([
      ...sc.bundle().items,
      {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata: { name: "yahoo-migrate", namespace: "default" },
        spec: {},
      },
    ]);
    const r = await run(env, { action: "rerun-upgrade" });
    expect(r.outcome).toBe("failed");
    expect(r.description).toMatch(
      /^Upgrade "yahoo" failed: pre-upgrade hooks failed: warning: Hook pre-upgrade basic-app\/templates\/migrate-job\.yaml failed: 1 error occurred:\n\t\* jobs\.batch "yahoo-migrate" already exists/,
    );
  });

  it("delete-leftover-hook removes the failed Job; the re-run then succeeds", async () => {
    env = await setup(foundingWithJobHook({ policies: "hook-succeeded" }).bundle().items);
    env.srv.jobs.setOutcome("yahoo-migrate", "fail");
    const failed = await run(env, { action: "rerun-upgrade" });
    expect(failed.status).toBe("failed");
    expect(job(env)).toBeDefined();
    const del = await run(env, { action: "delete-leftover-hook", expectedRevision: 3 });
    expect(del.errors).toEqual([]);
    expect(del.outcome).toBe("succeeded");
    expect(del.changes).toContainEqual({
      op: "delete",
      ref: { kind: "Job", name: "yahoo-migrate", namespace: "default" },
      detail: "leftover hook object",
    });
    expect(job(env)).toBeUndefined();
    env.srv.jobs.setOutcome("yahoo-migrate", "complete");
    // A failed latest revision: the upgrade diffs against the deployed revision 2 and writes revision 4.
    const again = await run(env, { action: "rerun-upgrade", revision: 3, expectedRevision: 3 });
    expect(again.errors).toEqual([]);
    expect(again.revision).toBe(4);
    expect(record(env.srv, 4).release!.info.status).toBe("deployed");
    expect(record(env.srv, 2).release!.info.status).toBe("superseded");
    expect(record(env.srv, 3).release!.info.status).toBe("failed");
  });

  it("delete-leftover-hook refuses objects that are not hook objects of the release", async () => {
    env = await setup(foundingWithJobHook().bundle().items);
    const r = await run(env, {
      action: "delete-leftover-hook",
      resources: [{ kind: "Deployment", name: "yahoo-basic-app", namespace: "default" }],
    });
    expect(r.outcome).toBe("refused");
    expect(r.errors[0]).toMatch(/is not a hook object of release yahoo/);
  });
});

describe("manifest diff deletions", () => {
  it("deletes what revision 1 lacks, except live objects with resource-policy: keep", async () => {
    env = await setup(rollbackWithExtras().bundle().items);
    const r = await run(env, { action: "rollback", revision: 1 });
    expect(r.errors).toEqual([]);
    expect(r.plan.changes.map((c) => `${c.op} ${c.ref.kind}/${c.ref.name}`)).toEqual([
      "create ConfigMap/basic-app-config",
      "skip Service/yahoo-basic-app",
      "skip Deployment/yahoo-basic-app",
      "skip ConfigMap/yahoo-extra-kept",
      "delete ConfigMap/yahoo-extra",
    ]);
    expect(configMap(env.srv, "yahoo-extra")).toBeUndefined();
    expect(configMap(env.srv, "yahoo-extra-kept")).toBeDefined();
    expect(configMap(env.srv, "basic-app-config")).toBeDefined();
    expect(r.changes).toContainEqual({
      op: "skip",
      ref: { kind: "ConfigMap", name: "yahoo-extra-kept", namespace: "default" },
      detail: "helm.sh/resource-policy: keep",
    });
  });
});

describe("server-side apply releases", () => {
  it("applies with field manager helm when the records say apply_method ssa (Helm 4)", async () => {
    const sc = foundingCase({ helm4: true });
    for (const r of sc.releases) r.apply_method = "ssa";
    env = await setup(sc.bundle().items);
    env.srv.resetCounters();
    const r = await run(env, { action: "rollback", revision: 1 });
    expect(r.errors).toEqual([]);
    expect(r.plan.applyMethod).toBe("ssa");
    const applies = writes(env.srv).filter((q) => q.contentType === "application/apply-patch+yaml");
    expect(applies.map((q) => `${q.resource}/${q.name} ${q.query.fieldManager} ${q.status}`)).toEqual([
      "configmaps/basic-app-config helm 201",
      "services/yahoo-basic-app helm 200",
      "deployments/yahoo-basic-app helm 200",
    ]);
    expect(record(env.srv, 3).release!.apply_method).toBe("ssa");
    expect(configMap(env.srv)!.metadata.managedFields?.[0]).toMatchObject({
      manager: "helm",
      operation: "Apply",
    });
  });
});
