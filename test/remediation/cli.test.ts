// The remediation commands through the CLI, with KUBECONFIG pointing at the fake API server: what an on-call
// engineer without Slack runs. Each test has its own server.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../support/cli.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { configMap, record, recordObj, revisions, writes } from "./support.js";

async function withCluster(fn: (srv: FakeApiServer, env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> {
  const srv = await startFakeApiServer();
  try {
    srv.seed(foundingCase().bundle().items);
    const env = { KUBECONFIG: srv.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-cli-rem-"))), USER: "ana" };
    srv.resetCounters();
    await fn(srv, env);
  } finally {
    await srv.close();
  }
}

describe.concurrent("helm-doctor rerun / rollback / restore-hooks", () => {
  it("rerun yahoo -n default --yes: revision 3 deployed with revision 2's manifest, ConfigMap back", () =>
    withCluster(async (srv, env) => {
      const r = await runCli(["rerun", "yahoo", "-n", "default", "--yes"], env);
      expect(r.stderr).not.toMatch(/helm-doctor: /);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("Plan: Re-run upgrade of default/yahoo with revision 2's chart and values");
      expect(r.stdout).toContain("running pre-upgrade hook basic-app-config");
      expect(r.stdout).toMatch(
        /^3\t.+\tdeployed\tbasic-app-0\.1\.0\t1\.16\.0\tUpgrade complete \(helm-doctor, requested by ana\)$/m,
      );
      const v3 = recordObj(srv, 3)!;
      expect(v3.type).toBe("helm.sh/release.v1");
      expect(v3.metadata.labels).toMatchObject({
        name: "yahoo",
        owner: "helm",
        status: "deployed",
        version: "3",
      });
      expect(v3.metadata.labels?.modifiedAt).toMatch(/^\d+$/);
      const dec = record(srv, 3);
      expect(dec.error).toBeUndefined();
      expect(dec.release!.info.status).toBe("deployed");
      expect(dec.release!.manifest).toBe(foundingCase().releases[1]!.manifest);
      expect(record(srv, 2).release!.info.status).toBe("superseded");
      expect(record(srv, 2).labels.status).toBe("superseded");
      expect(configMap(srv)).toBeDefined();
      // The plan said what would be true afterwards; after the run the release is diagnosed again.
      expect(r.stdout).toContain(
        "After this: 1 finding remains\n    warning hook-object-needed-by-workload:",
      );
      expect(r.stdout).toMatch(/^As predicted: hook-object-needed-by-workload/m);
      // The structured audit line, last on stderr.
      const audit = JSON.parse(r.stderr.trim().split("\n").pop()!);
      expect(audit).toMatchObject({
        who: "ana",
        what: "rerun-upgrade",
        fromRevision: 2,
        toRevision: 3,
        outcome: "succeeded",
      });
    }));

  it("rollback yahoo 1 --yes: revision 3 'Rollback to 1…' deployed, ConfigMap owned by the release", () =>
    withCluster(async (srv, env) => {
      const r = await runCli(["rollback", "yahoo", "1", "--yes"], env);
      expect(r.code).toBe(0);
      expect(record(srv, 3).release!.info).toMatchObject({
        status: "deployed",
        description: "Rollback to 1 (helm-doctor, requested by ana)",
      });
      expect(record(srv, 2).release!.info.status).toBe("superseded");
      expect(configMap(srv)!.metadata.annotations?.["meta.helm.sh/release-name"]).toBe("yahoo");
      expect(r.stdout).toMatch(/^3\t.+\tdeployed\t.+\tRollback to 1 \(helm-doctor, requested by ana\)$/m);
      expect(r.stdout).toContain("  After this: no findings\n");
      expect(r.stdout).toMatch(/^As predicted: no findings/m);
    }));

  it("--dry-run prints the plan; without --yes and no terminal it refuses with exit 2; nothing is written", () =>
    withCluster(async (srv, env) => {
      const dry = await runCli(["rollback", "yahoo", "1", "-n", "default", "--dry-run"], env);
      expect(dry.code).toBe(0);
      expect(dry.stdout).toContain("Plan: Roll back default/yahoo to revision 1");
      expect(dry.stdout).toContain("create ConfigMap default/basic-app-config");
      expect(dry.stdout).toContain("Dry run: nothing was changed.");
      // The plan ends with what is expected afterwards.
      expect(dry.stdout).toMatch(/ {2}After this: no findings\nDry run: nothing was changed\.\n$/);
      // The built binary, whose standard input is a pipe: nobody can answer.
      const noYes = await spawnCli(["restore-hooks", "yahoo", "-n", "default"], env);
      expect(noYes.code).toBe(2);
      expect(noYes.stdout).toContain("Plan: Restore hook objects of default/yahoo (revision 2)");
      expect(noYes.stderr).toMatch(/stdin is not a terminal.*pass --yes/);
      const usage = await runCli(["rollback", "yahoo"], env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toMatch(/missing <revision>/);
      expect(writes(srv)).toEqual([]);
      expect(revisions(srv)).toEqual([1, 2]);
      expect(configMap(srv)).toBeUndefined();
    }));

  it("a revision the release does not have: one line naming the stored ones, exit 2, no audit line, nothing written", () =>
    withCluster(async (srv, env) => {
      for (const argv of [
        ["rollback", "yahoo", "7", "--dry-run"],
        ["rollback", "yahoo", "7", "--yes"],
        ["rerun", "yahoo", "--revision", "9", "--yes"],
        ["restore-hooks", "yahoo", "--revision", "9", "--dry-run"],
      ]) {
        const r = await runCli(argv, env);
        const n = argv.includes("7") ? 7 : 9;
        expect(r.code, argv.join(" ")).toBe(2);
        expect(r.stdout, argv.join(" ")).toBe("");
        expect(r.stderr.trim(), argv.join(" ")).toBe(
          `helm-doctor: revision ${n} does not exist; stored revisions: 1–2`,
        );
      }
      expect(writes(srv)).toEqual([]);
    }));

  it("honours HELM_MAX_HISTORY like helm, and --history-max over it", () =>
    withCluster(async (srv, env) => {
      const r = await runCli(["rerun", "yahoo", "-n", "default", "--yes"], { ...env, HELM_MAX_HISTORY: "2" });
      expect(r.code).toBe(0);
      expect(revisions(srv)).toEqual([2, 3]);
      const bad = await runCli(["rerun", "yahoo", "-n", "default", "--yes"], {
        ...env,
        HELM_MAX_HISTORY: "x",
      });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('HELM_MAX_HISTORY must be a whole number ≥ 0, not "x"');
      const flag = await runCli(["rerun", "yahoo", "-n", "default", "--yes", "--history-max", "0"], {
        ...env,
        HELM_MAX_HISTORY: "2",
      });
      expect(flag.code).toBe(0);
      expect(revisions(srv)).toEqual([2, 3, 4]);
    }));

  it("a refused re-run says why without inventing a revision", () =>
    withCluster(async (srv, env) => {
      // Another operation holds the release: its pending record is the latest.
      srv.update({ kind: "Secret", namespace: "default", name: "sh.helm.release.v1.yahoo.v2" }, (o) => {
        o.metadata.labels = { ...o.metadata.labels, status: "pending-upgrade" };
      });
      const r = await runCli(["rerun", "yahoo", "-n", "default", "--yes"], env);
      expect(r.stdout).not.toContain("undefined");
      expect(`${r.stdout}${r.stderr}`).toMatch(
        /another operation \(install\/upgrade\/rollback\) is in progress/,
      );
      expect(writes(srv)).toEqual([]);
    }));
});
