// The founding case fixed three ways through remediate() against the fake API server: re-run the upgrade,
// roll back to revision 1, or restore the ConfigMap alone — plus the refusals that keep it safe.
import { afterEach, describe, expect, it } from "vitest";
import { encodeRecordObject } from "../../src/cluster/store-records.js";
import { recordName } from "../../src/helm/codec.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";
import { configMap, type Env, record, recordObj, revisions, run, setup, writes } from "./support.js";

let env: Env | undefined;
afterEach(async () => {
  await env?.srv.close();
  env = undefined;
});

const rev2Manifest = () => foundingCase().releases[1]!.manifest;
const rev1Manifest = () => foundingCase().releases[0]!.manifest;

describe("rerun-upgrade on the founding case", () => {
  for (const driver of ["secret", "configmap"] as const) {
    it(`recreates basic-app-config through the hook and writes revision 3 (${driver} driver)`, async () => {
      env = await setup(foundingCase({ driver }).bundle().items);
      const kind = driver === "secret" ? "Secret" : "ConfigMap";
      const r = await run(env, { action: "rerun-upgrade", expectedRevision: 2, operationId: "op-rerun" });
      expect(r.errors).toEqual([]);
      expect(r.outcome).toBe("succeeded");
      expect(r.revision).toBe(3);
      expect(r.description).toBe("Upgrade complete (helm-doctor, requested by @ana)");
      expect(r.historyLine).toMatch(
        /^3\t.+\tdeployed\tbasic-app-0\.1\.0\t1\.16\.0\tUpgrade complete \(helm-doctor/,
      );

      // The ConfigMap is back, as a hook object: no Helm ownership metadata.
      const cm = configMap(env.srv)!;
      expect(cm).toBeDefined();
      expect(cm.metadata.annotations?.["meta.helm.sh/release-name"]).toBeUndefined();
      expect(cm.metadata.labels?.["app.kubernetes.io/managed-by"]).toBeUndefined();
      expect(cm.metadata.annotations?.["helm.sh/hook"]).toBe("pre-install,pre-upgrade");

      const v3 = record(env.srv, 3, kind);
      expect(v3.error).toBeUndefined();
      expect(v3.release!.info.status).toBe("deployed");
      expect(v3.release!.manifest).toBe(rev2Manifest());
      expect(v3.release!.hooks![0]!.last_run!.phase).toBe("Succeeded");
      expect(Date.parse(v3.release!.hooks![0]!.last_run!.started_at!)).toBeGreaterThan(
        Date.parse(FOUNDING_NOW),
      );
      expect(v3.labels).toMatchObject({ name: "yahoo", owner: "helm", status: "deployed", version: "3" });
      expect(v3.labels.modifiedAt).toMatch(/^\d+$/);
      expect(record(env.srv, 2, kind).release!.info.status).toBe("superseded");
      expect(record(env.srv, 2, kind).labels.status).toBe("superseded");
      expect(record(env.srv, 1, kind).release!.info.status).toBe("superseded");

      const msgs = env.progress.map((p) => p.message);
      expect(msgs).toContain(
        "running pre-upgrade hook basic-app-config (ConfigMap, weight -5, before-hook-creation)",
      );
      expect(msgs.some((m) => /^applying 2 objects/.test(m))).toBe(true);
      const audit = JSON.parse(env.audit[0]!);
      expect(audit).toMatchObject({
        event: "helm-doctor.remediation",
        who: "@ana",
        what: "rerun-upgrade",
        release: "yahoo",
        namespace: "default",
        fromRevision: 2,
        toRevision: 3,
        outcome: "succeeded",
        operationId: "op-rerun",
      });
      expect(audit.durationMs).toBeTypeOf("number");
    });
  }

  it("locks before anything else and writes records in Helm's order", async () => {
    env = await setup(foundingCase().bundle().items);
    env.srv.resetCounters();
    await run(env, { action: "rerun-upgrade", expectedRevision: 2 });
    const w = writes(env.srv).map(
      (r) => `${r.method} ${r.resource}${r.name ? `/${r.name}` : ""} ${r.status}`,
    );
    expect(w).toEqual([
      "POST secrets 201", // pending-upgrade v3: the lock
      "DELETE configmaps/basic-app-config 404", // before-hook-creation (already gone)
      `PUT secrets/${recordName("yahoo", 3)} 200`, // last_run Running, persisted before the hook is created
      "POST configmaps 201", // the hook
      `PUT secrets/${recordName("yahoo", 2)} 200`, // superseded
      `PUT secrets/${recordName("yahoo", 3)} 200`, // deployed
    ]);
  });

  it("refuses on a pending release and offers the rollback", async () => {
    const sc = foundingCase();
    sc.revision({ status: "pending-upgrade", at: 70, templates: [] });
    env = await setup(sc.bundle().items);
    env.srv.resetCounters();
    const r = await run(env, { action: "rerun-upgrade", expectedRevision: 3 });
    expect(r.outcome).toBe("refused");
    expect(r.errors[0]).toMatch(/another operation \(install\/upgrade\/rollback\) is in progress/);
    expect(r.errors[0]).toMatch(/helm-doctor rollback yahoo 2 -n default/);
    expect(writes(env.srv)).toEqual([]);
  });

  it("is idempotent per operation id: a retried job reports the revision it wrote", async () => {
    env = await setup(foundingCase().bundle().items);
    const first = await run(env, { action: "rerun-upgrade", expectedRevision: 2, operationId: "job-42" });
    expect(first.outcome).toBe("succeeded");
    env.srv.resetCounters();
    const again = await run(env, { action: "rerun-upgrade", expectedRevision: 2, operationId: "job-42" });
    expect(again.outcome).toBe("already-done");
    expect(again.revision).toBe(3);
    expect(again.status).toBe("deployed");
    expect(writes(env.srv)).toEqual([]);
    expect(revisions(env.srv)).toEqual([1, 2, 3]);
  });

  it("resumes its own interrupted revision instead of writing another", async () => {
    const sc = foundingCase();
    env = await setup(sc.bundle().items);
    // An earlier run locked revision 3 and died before the hooks ran.
    const rev2 = sc.releases[1]!;
    const pending = structuredClone(rev2);
    pending.version = 3;
    pending.info = {
      ...pending.info,
      status: "pending-upgrade",
      description: "Preparing upgrade (helm-doctor)",
    };
    const obj = encodeRecordObject(pending, "secret", {
      dialect: "helm3",
      annotations: { "helm-doctor/operation-id": "job-7" },
      createdAt: 1,
    });
    env.srv.seed([obj]);
    const r = await run(env, { action: "rerun-upgrade", expectedRevision: 2, operationId: "job-7" });
    expect(r.errors).toEqual([]);
    expect(r.outcome).toBe("succeeded");
    expect(r.resumed).toBe(true);
    expect(r.revision).toBe(3);
    expect(revisions(env.srv)).toEqual([1, 2, 3]);
    expect(record(env.srv, 3).release!.info.status).toBe("deployed");
    expect(configMap(env.srv)).toBeDefined();
  });

  it("prunes history like --history-max, never the deployed revision", async () => {
    env = await setup(foundingCase().bundle().items);
    const r = await run(env, { action: "rerun-upgrade", historyMax: 2 });
    expect(r.outcome).toBe("succeeded");
    expect(revisions(env.srv)).toEqual([2, 3]);
    expect(env.progress.map((p) => p.message)).toContain("pruning revision 1 (--history-max 2)");
  });
});

describe("rollback to 1 on the founding case", () => {
  it("recreates basic-app-config with Helm ownership and writes revision 3 'Rollback to 1'", async () => {
    env = await setup(foundingCase().bundle().items);
    const r = await run(env, { action: "rollback", revision: 1, expectedRevision: 2 });
    expect(r.errors).toEqual([]);
    expect(r.outcome).toBe("succeeded");
    expect(r.description).toBe("Rollback to 1 (helm-doctor, requested by @ana)");
    const cm = configMap(env.srv)!;
    expect(cm.metadata.annotations).toMatchObject({
      "meta.helm.sh/release-name": "yahoo",
      "meta.helm.sh/release-namespace": "default",
    });
    expect(cm.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
    expect(cm.metadata.managedFields?.[0]?.manager).toBe("helm");
    const v3 = record(env.srv, 3).release!;
    expect(v3.info).toMatchObject({
      status: "deployed",
      description: "Rollback to 1 (helm-doctor, requested by @ana)",
    });
    expect(v3.manifest).toBe(rev1Manifest());
    expect(v3.hooks).toBeUndefined();
    expect(record(env.srv, 2).release!.info.status).toBe("superseded");
    // The Deployment's pod template is revision 1's again (the checksum annotation is gone).
    const dep = env.srv.get({
      kind: "Deployment",
      apiVersion: "apps/v1",
      namespace: "default",
      name: "yahoo-basic-app",
    })!;
    expect(
      (dep.spec as { template: { metadata: { annotations?: object } } }).template.metadata.annotations ?? {},
    ).toEqual({});
  });

  it("rollback 0 means the previous revision, as in Helm", async () => {
    env = await setup(foundingCase().bundle().items);
    const r = await run(env, { action: "rollback", revision: 0 });
    expect(r.plan.sourceRevision).toBe(1);
    expect(r.outcome).toBe("succeeded");
  });

  it("refuses a revision that is not in the history", async () => {
    env = await setup(foundingCase().bundle().items);
    const r = await run(env, { action: "rollback", revision: 7 });
    expect(r.outcome).toBe("refused");
    expect(r.errors).toEqual(["revision 7 does not exist; stored revisions: 1–2"]);
    expect(r.plan.refusalKind).toBe("no-such-revision");
  });
});

describe("restore-hook-resources on the founding case", () => {
  it("recreates basic-app-config from revision 2's hook manifest and writes no revision", async () => {
    env = await setup(foundingCase().bundle().items);
    env.srv.resetCounters();
    const r = await run(env, { action: "restore-hook-resources", expectedRevision: 2 });
    expect(r.errors).toEqual([]);
    expect(r.outcome).toBe("succeeded");
    expect(r.revision).toBeUndefined();
    const cm = configMap(env.srv)!;
    expect(cm.data).toEqual({ "app.properties": "greeting=hello\nlog.level=info\n" });
    expect(cm.metadata.annotations?.["meta.helm.sh/release-name"]).toBeUndefined();
    expect(revisions(env.srv)).toEqual([1, 2]);
    expect(writes(env.srv).map((w) => `${w.method} ${w.resource}`)).toEqual(["POST configmaps"]);
  });

  it("has nothing to do when the object is present", async () => {
    env = await setup(foundingCase({ configMapLive: true }).bundle().items);
    const r = await run(env, { action: "restore-hook-resources" });
    expect(r.outcome).toBe("refused");
    expect(r.errors[0]).toMatch(
      /nothing to restore from revision 2: ConfigMap default\/basic-app-config \(already present\)/,
    );
  });
});

describe("safety", () => {
  it("refuses when the release moved on since the diagnosis (stale expected revision)", async () => {
    env = await setup(foundingCase().bundle().items);
    env.srv.resetCounters();
    const r = await run(env, { action: "rollback", revision: 1, expectedRevision: 1 });
    expect(r.outcome).toBe("refused");
    expect(r.errors[0]).toMatch(
      /^release moved on: the diagnosis saw revision 1, the latest is now revision 2 \(deployed/,
    );
    expect(writes(env.srv)).toEqual([]);
    expect(JSON.parse(env.audit[0]!)).toMatchObject({ outcome: "refused", what: "rollback" });
  });

  it("refuses when another operation created the next revision first (409 on the lock)", async () => {
    env = await setup(foundingCase().bundle().items);
    const sc = foundingCase();
    const competing = structuredClone(sc.releases[1]!);
    competing.version = 3;
    competing.info = { ...competing.info, status: "pending-upgrade", description: "Preparing upgrade" };
    // The other operation creates revision 3 between our check and our create.
    const kube = env.writer.kube;
    const real = kube.create.bind(kube);
    kube.create = async (obj, opts) => {
      if (obj.kind === "Secret")
        env!.srv.seed([encodeRecordObject(competing, "secret", { dialect: "helm3", createdAt: 1 })]);
      return real(obj, opts);
    };
    const r = await run(env, { action: "rerun-upgrade", expectedRevision: 2 });
    expect(r.outcome).toBe("refused");
    expect(r.errors[0]).toMatch(
      /another operation \(install\/upgrade\/rollback\) is in progress: revision 3 already exists/,
    );
    // Nothing ran: no hook, and the competitor's record is untouched.
    expect(configMap(env.srv)).toBeUndefined();
    expect(record(env.srv, 3).release!.info.description).toBe("Preparing upgrade");
    expect(recordObj(env.srv, 3)!.metadata.annotations).toBeUndefined();
  });

  it("retries transient API faults on writes", async () => {
    env = await setup(foundingCase().bundle().items);
    env.srv.failNext(2, 503, { verb: "create", resource: "secrets" });
    env.srv.resetNext(1, { verb: "update", resource: "secrets" });
    env.srv.failNext(1, 429, { verb: "create", resource: "configmaps" });
    const r = await run(env, { action: "rerun-upgrade", expectedRevision: 2 });
    expect(r.errors).toEqual([]);
    expect(r.outcome).toBe("succeeded");
    expect(revisions(env.srv)).toEqual([1, 2, 3]);
    expect(configMap(env.srv)).toBeDefined();
  });

  it("--dry-run changes nothing", async () => {
    env = await setup(foundingCase().bundle().items);
    env.srv.resetCounters();
    for (const action of ["rerun-upgrade", "rollback", "restore-hook-resources"] as const) {
      const r = await run(env, { action, revision: action === "rollback" ? 1 : undefined, dryRun: true });
      expect(r.outcome).toBe("dry-run");
      expect(r.plan.refusal).toBeUndefined();
    }
    expect(writes(env.srv)).toEqual([]);
    expect(env.audit).toEqual([]);
  });
});
