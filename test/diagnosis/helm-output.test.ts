// --helm-output: failures Helm prints without storing a revision (its ownership check, rendering, values schema,
// object building, the pending lock) diagnosed from the failed command's output against the cluster state, through
// the CLI from a file and from standard input.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Diagnosis } from "../../src/diagnosis/types.js";
import type { KubeObject } from "../../src/snapshot/types.js";
import { runMain } from "../support/cli.js";
import { startFakeApiServer } from "../support/fake-apiserver/index.js";
import { type Obj, Scenario } from "../support/scenario.js";
import {
  CAUSES_NOW,
  laterRecordDeleted,
  neighbourRecords,
  OWNERSHIP_OUTPUT,
  ownershipFromOutput,
  recordDeleted,
} from "../support/scenarios/causes.js";
import { HOOKS_NOW, leftoverHook } from "../support/scenarios/hooks.js";
import { noise, PENDING_NOW, pendingUpgrade } from "../support/scenarios/release-state.js";
import { codes, diagnoseScenario, evidenceText, only, summaries } from "./support.js";

const OUT = OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web");

function run(s: Scenario, helmOutput: string, extra: Obj[] = [], now = CAUSES_NOW): Diagnosis {
  return diagnoseScenario(s, now, { helmOutput, extra: extra as KubeObject[] });
}

describe("failures only the helm output shows", () => {
  it("our own leftover hook copy: resource-moved-out-of-hook, with the annotate/label commands", () => {
    const d = run(ownershipFromOutput(), OUT);
    const f = only(d, "resource-moved-out-of-hook");
    expect(codes(d)).toEqual(["resource-moved-out-of-hook"]);
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /ConfigMap web-settings was a hook in revision 1 and the new chart makes it a regular resource/,
    );
    expect(f.explanation).toMatch(/`helm history` still ends at revision 1/);
    expect(evidenceText(f)).toMatch(/helm output: Unable to continue with update: ConfigMap "web-settings"/);
    expect(summaries(f, "manual")).toMatch(/annotate configmap\/web-settings meta.helm.sh\/release-name=web/);
  });

  it("an object nobody owns (kubectl): resource-ownership-conflict with the exact adoption commands", () => {
    const d = run(ownershipFromOutput({ owner: "kubectl" }), OUT);
    const f = only(d, "resource-ownership-conflict");
    expect(codes(d)).toEqual(["resource-ownership-conflict"]);
    expect(f.title).toBe(
      "ConfigMap web-settings exists without Helm ownership, so the upgrade to revision 2 cannot adopt it",
    );
    expect(f.explanation).toMatch(/before storing a revision/);
    expect(summaries(f, "manual")).toContain(
      "kubectl annotate configmap web-settings -n shop meta.helm.sh/release-name=web meta.helm.sh/release-namespace=shop --overwrite",
    );
  });

  it("an object another release of the namespace owns: names it and its state, no adoption", () => {
    const d = run(ownershipFromOutput({ owner: "search" }), OUT, neighbourRecords("search"));
    const f = only(d, "resource-ownership-conflict");
    expect(f.title).toBe(
      "ConfigMap web-settings belongs to release search, so web's upgrade cannot take it over",
    );
    expect(f.explanation).toMatch(/its latest revision 1 is deployed/);
    expect(f.explanation).not.toMatch(/no longer exists/);
  });

  it("an object kept from an uninstalled release (no records of it here): nobody's, with the adoption commands", () => {
    const d = run(ownershipFromOutput({ owner: "search", keep: true }), OUT);
    expect(codes(d)).toEqual(["resource-ownership-conflict"]);
    const f = d.findings[0]!;
    expect(f.severity).toBe("critical");
    expect(f.title).toBe(
      "ConfigMap web-settings was left behind by release search, which no longer exists, so the upgrade to revision 2 cannot adopt it",
    );
    expect(f.explanation).toMatch(
      /no records of release search are in namespace shop: that release no longer exists/,
    );
    expect(f.explanation).toMatch(/`helm.sh\/resource-policy: keep`.*and this one carries that annotation/);
    expect(f.explanation).not.toMatch(/belongs to release search/);
    const fix = summaries(f, "manual");
    expect(fix).toContain(
      "`kubectl label configmap web-settings -n shop app.kubernetes.io/managed-by=Helm --overwrite` and `kubectl annotate configmap web-settings -n shop meta.helm.sh/release-name=web meta.helm.sh/release-namespace=shop --overwrite`",
    );
    expect(fix).toMatch(/Helm ≥ 3.17: `helm upgrade --take-ownership`/);
    expect(evidenceText(f)).toMatch(
      /live cluster: ConfigMap shop\/web-settings carries release search's ownership .*helm.sh\/resource-policy: keep\), but no records of release search are in namespace shop/,
    );
  });

  it("a release of that name in another namespace does not make the object anyone's here", () => {
    const d = run(ownershipFromOutput({ owner: "search" }), OUT, neighbourRecords("search", "other"));
    expect(only(d, "resource-ownership-conflict").title).toMatch(
      /left behind by release search, which no longer exists/,
    );
  });

  it("near miss: ownership that names a release of another namespace is that release's (its records are not read)", () => {
    const d = run(ownershipFromOutput({ owner: "search", ownerNamespace: "other" }), OUT);
    const f = only(d, "resource-ownership-conflict");
    expect(f.title).toBe(
      "ConfigMap web-settings belongs to release other/search, so shop/web's upgrade cannot take it over",
    );
    expect(f.explanation).toMatch(/its records are in namespace other, which this diagnosis does not read/);
  });

  it("a cluster-scoped object owned by the release of the same name in another namespace: named with its namespace, commands without -n for the object", () => {
    const role = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: {
        name: "web-reader",
        uid: "00000000-0000-4000-8000-00000000a7a7",
        creationTimestamp: "2026-11-19T10:00:00Z",
        labels: { "app.kubernetes.io/managed-by": "Helm" },
        annotations: { "meta.helm.sh/release-name": "web", "meta.helm.sh/release-namespace": "staging" },
      },
      rules: [],
    };
    const out =
      'Error: UPGRADE FAILED: Unable to continue with update: ClusterRole "web-reader" in namespace "" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: key "meta.helm.sh/release-namespace" must equal "shop": current value is "staging"';
    const f = only(
      run(ownershipFromOutput({ owner: "kubectl" }), out, [role]),
      "resource-ownership-conflict",
    );
    expect(f.title).toBe(
      "ClusterRole web-reader belongs to release staging/web, so shop/web's upgrade cannot take it over",
    );
    expect(f.resources).toEqual([{ kind: "ClusterRole", name: "web-reader" }]);
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /ClusterRole web-reader belongs to release staging\/web: .*meta.helm.sh\/release-namespace=staging/,
    );
    expect(ev).not.toMatch(/ClusterRole shop\//);
    const fix = summaries(f, "manual");
    expect(fix).toMatch(/drop it from staging\/web \(`helm upgrade web -n staging` without it/);
    expect(fix).toMatch(
      /`kubectl label clusterrole web-reader app.kubernetes.io\/managed-by=Helm --overwrite`/,
    );
  });

  it("near miss: when the namespace's records could not all be read, a missing owner is not called gone", () => {
    const d = diagnoseScenario(ownershipFromOutput({ owner: "search" }), CAUSES_NOW, {
      gaps: [{ what: "configmaps", reason: "forbidden" }],
      helmOutput: OUT,
    });

    expect(only(d, "resource-ownership-conflict").title).toMatch(/belongs to release search/);
  });

  it("a render error: release-failed quoting it, with the helm template hint", () => {
    const d = run(
      ownershipFromOutput({ owner: "kubectl" }),
      'Error: UPGRADE FAILED: template: web/templates/deployment.yaml:12:20: executing "web/templates/deployment.yaml" at <.Values.image.tag>: nil pointer evaluating interface {}.tag',
    );
    const f = only(d, "release-failed");
    expect(f.title).toMatch(
      /^The helm upgrade of web failed before it stored a revision: template: web\/templates\/deployment.yaml:12:20/,
    );
    expect(summaries(f, "manual")).toMatch(/helm template/);
  });

  it("'another operation is in progress' is the stuck pending revision, not a finding of its own", () => {
    const d = run(
      pendingUpgrade(),
      "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress",
      [],
      PENDING_NOW,
    );
    expect(codes(d)).toContain("release-pending-stuck");
    expect(codes(d)).not.toContain("release-failed");
  });

  it("nobody's by its metadata but a neighbour release's hook by its name: that release is named, adoption is not offered", () => {
    // Release migrator's pre-install,pre-upgrade hook ConfigMap web-settings (before-hook-creation) is what is live.
    const m = new Scenario({ release: "migrator", namespace: "shop", chart: "db-migrator" });
    const hookCm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "web-settings",
        annotations: {
          "helm.sh/hook": "pre-install,pre-upgrade",
          "helm.sh/hook-delete-policy": "before-hook-creation",
        },
      },
      data: { theme: "light" },
    };
    m.revision({
      status: "deployed",
      at: 30,
      templates: [{ path: "templates/hook-config.yaml", object: hookCm }],
      hookRuns: { "web-settings": { phase: "Succeeded", startedAt: 30, completedAt: 30 } },
    });
    const f = only(
      run(ownershipFromOutput({ owner: "kubectl" }), OUT, m.records()),
      "resource-ownership-conflict",
    );
    expect(f.title).toBe(
      "ConfigMap web-settings is release migrator's pre-install,pre-upgrade hook, so web's upgrade to revision 2 cannot take it",
    );
    expect(f.explanation).toMatch(
      /its before-hook-creation policy deletes whatever ConfigMap web-settings exists — web's — and creates migrator's copy \(pkg\/action\/hooks.go\)/,
    );
    expect(evidenceText(f)).toMatch(
      /ConfigMap web-settings is a hook of release migrator \(db-migrator\/templates\/hook-config.yaml\)/,
    );
    const fix = summaries(f, "manual");
    expect(fix).toMatch(/^Rename ConfigMap web-settings in web's chart/);
    expect(fix).not.toMatch(/kubectl annotate|Helm ≥ 3.17/);
  });

  it("near miss: a neighbour's hook of another name leaves the adoption advice as it is", () => {
    const m = new Scenario({ release: "migrator", namespace: "shop", chart: "db-migrator" });
    m.revision({
      status: "deployed",
      at: 30,
      templates: [
        {
          path: "templates/hook-config.yaml",
          object: {
            apiVersion: "v1",
            kind: "ConfigMap",
            metadata: { name: "migrator-flags", annotations: { "helm.sh/hook": "pre-upgrade" } },
            data: {},
          },
        },
      ],
    });
    const f = only(
      run(ownershipFromOutput({ owner: "kubectl" }), OUT, m.records()),
      "resource-ownership-conflict",
    );
    expect(f.title).toMatch(/exists without Helm ownership/);
    expect(summaries(f, "manual")).toMatch(/--take-ownership/);
  });

  it("values that break values.schema.json: the fix names the value, not the template", () => {
    const f = only(
      run(
        laterRecordDeleted("same-chart"),
        "Error: UPGRADE FAILED: values don't meet the specifications of the schema(s) in the following chart(s):\nnotify:\n- replicaCount: Invalid type. Expected: integer, given: string\n",
      ),
      "release-failed",
    );
    expect(f.remediations[0]!.summary).toBe(
      "The values break the chart's values.schema.json: replicaCount (Invalid type, Expected: integer, given: string). Fix the value (--set, -f values file) and run the command again; `helm lint --values <file>` checks them without the cluster.",
    );
  });

  it("objects that fail to build: nothing was applied, the field to fix is named (no --debug re-run)", () => {
    const f = only(
      run(
        laterRecordDeleted("same-chart"),
        'Error: UPGRADE FAILED: unable to build kubernetes objects from new release manifest: error validating "": error validating data: ValidationError(Deployment.spec.template.spec.containers[0]): unknown field "imagePullPolice" in io.k8s.api.core.v1.Container',
      ),
      "release-failed",
    );
    expect(f.remediations[0]!.summary).toMatch(
      /^Helm could not build the chart's objects, so nothing was applied: Deployment.spec.template.spec.containers\[0\] — unknown field "imagePullPolice"\. Fix that field/,
    );
    expect(f.remediations[0]!.summary).not.toMatch(/--debug/);
  });

  describe("a log that holds another release's error (helmfile, a CI job of several releases)", () => {
    const helmfile = [
      "Upgrading release=web, chart=./charts/web",
      'Release "web" has been upgraded. Happy Helming!',
      "Upgrading release=api, chart=./charts/api",
      "",
      "UPDATED RELEASES:",
      "NAME   CHART          VERSION",
      "web    ./charts/web   1.2.0",
      "",
      "FAILED RELEASES:",
      "NAME   CHART          VERSION",
      "api    ./charts/api   0.4.0",
      'in ./helmfile.yaml: failed processing release api: command "/usr/local/bin/helm" exited with non-zero status:',
      "",
      "STDERR:",
      `  ${OWNERSHIP_OUTPUT("ConfigMap", "api-cfg", "shop", "api")}`,
      "",
    ].join("\n");

    it("is not applied to the diagnosed release: no finding from it, a gap that names the release it is about", () => {
      const d = run(ownershipFromOutput({ owner: "kubectl" }), helmfile);
      expect(codes(d)).toEqual([]);
      expect(d.gaps).toContainEqual({
        what: "helm output",
        reason: "another release",
        detail:
          "its Helm error is about release api, not web (Helm names the release it checks), so the cluster was diagnosed without it",
      });
    });

    it("through the CLI: said on stderr, exit 0", async () => {
      const dir = mkdtempSync(join(tmpdir(), "hd-helmfile-"));
      const bundle = join(dir, "web.json");
      writeFileSync(bundle, JSON.stringify(ownershipFromOutput({ owner: "kubectl" }).bundle()));
      const r = await runMain(
        [
          "diagnose",
          "shop/web",
          "--bundle",
          bundle,
          "--now",
          CAUSES_NOW,
          "-o",
          "json",
          "--helm-output",
          "-",
          "--fail-on",
          "warning",
        ],
        {},
        { stdin: helmfile },
      );
      expect(r.stderr).toBe(
        "helm-doctor: the Helm error in --helm-output is about release api, not web; diagnosing the cluster without it\n",
      );
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).findings).toEqual([]);
    });

    it("near miss: the same log's error about our own release is used", () => {
      const ours = helmfile.replace(/"api"/g, '"web"').replace("api-cfg", "web-settings");
      expect(codes(run(ownershipFromOutput({ owner: "kubectl" }), ours))[0]).toBe(
        "resource-ownership-conflict",
      );
    });
  });

  it("'has no deployed releases' when every record was deleted: folded under release-record-missing, its evidence", () => {
    const d = run(recordDeleted("all"), 'Error: UPGRADE FAILED: "notify" has no deployed releases\n');
    expect(codes(d)).toEqual(["release-record-missing"]);
    expect(summaries(d.findings[0]!, "manual")).toMatch(/`helm upgrade --install notify <chart> -n shop`/);
  });

  it("'release: already exists' with an undecodable newest record: folded under release-record-corrupt", () => {
    const s = laterRecordDeleted("same-chart");
    const v2 = s.records().find((r) => r.metadata.name === "sh.helm.release.v1.notify.v2")!;
    const v3 = structuredClone(v2);
    v3.metadata.name = "sh.helm.release.v1.notify.v3";
    v3.metadata.uid = "11111111-0000-4000-8000-0000000000f3";
    v3.metadata.labels = { ...v3.metadata.labels, version: "3" };
    v3.data = { release: Buffer.from("not a release").toString("base64") };
    const d = run(s, "Error: UPGRADE FAILED: release: already exists\n", [v3]);
    expect(codes(d)).toEqual(["release-record-corrupt"]);
  });

  it("a record too large because of the user-supplied values: the value named, the fix moves it out of the values", () => {
    const s = laterRecordDeleted("same-chart");
    // 700 KiB of a dashboard given with --set-file: incompressible enough to fill the record.
    s.releases[1]!.config = {
      dashboards: { overview: noise(700 * 1024).toString("base64") },
      replicaCount: 2,
    };
    const d = run(
      s,
      'Error: UPGRADE FAILED: create: failed to create: Secret "sh.helm.release.v1.notify.v3" is invalid: data: Too long: must have at most 1048576 bytes\n',
    );
    const f = only(d, "release-record-size");
    expect(f.explanation).toMatch(/The cause is the user-supplied values: .* most of it dashboards.overview/);
    expect(f.remediations[0]!.summary).toMatch(
      /^Move the data out of the values \(dashboards.overview holds most of it\)/,
    );
    expect(summaries(f, "chart-fix")).toBe("");
  });

  describe("an object the chart puts in another namespace", () => {
    const dns = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "web-dns",
        namespace: "kube-system",
        uid: "00000000-0000-4000-8000-0000000a10a1",
        creationTimestamp: "2026-08-28T12:00:00Z",
      },
      data: { corefile: "." },
    };
    // Helm requires the release's namespace (shop) in the annotation, whatever namespace the object is in.
    const out = OWNERSHIP_OUTPUT("ConfigMap", "web-dns", "kube-system", "web").replace(
      'must be set to "kube-system"',
      'must be set to "shop"',
    );

    it("is read where Helm's message says it is: adoption commands with -n kube-system", () => {
      const f = only(
        run(ownershipFromOutput({ owner: "kubectl" }), out, [dns]),
        "resource-ownership-conflict",
      );
      expect(f.title).toBe(
        "ConfigMap web-dns exists without Helm ownership, so the upgrade to revision 2 cannot adopt it",
      );
      expect(evidenceText(f)).toMatch(/ConfigMap kube-system\/web-dns has no Helm ownership/);
      expect(summaries(f, "manual")).toMatch(
        /`kubectl annotate configmap web-dns -n kube-system meta.helm.sh\/release-name=web meta.helm.sh\/release-namespace=shop --overwrite`/,
      );
    });

    it("when it could not be read, that is said — never 'deleted since, a retry may pass'", () => {
      const f = only(run(ownershipFromOutput({ owner: "kubectl" }), out), "resource-ownership-conflict");
      expect(f.severity).toBe("critical");
      expect(f.title).toBe(
        "ConfigMap web-dns in namespace kube-system blocked the upgrade to revision 2; helm-doctor could not read it there",
      );
      expect(evidenceText(f)).toMatch(/namespace kube-system was not read/);
      expect(evidenceText(f)).not.toMatch(/deleted since/);
      expect(summaries(f, "manual")).toMatch(/kubectl get configmap web-dns -n kube-system -o yaml/);
    });

    it("through a live cluster: read in kube-system by the CLI", async () => {
      const api = await startFakeApiServer();
      try {
        api.seed([...(ownershipFromOutput({ owner: "kubectl" }).bundle().items as Obj[]), dns]);
        const dir = mkdtempSync(join(tmpdir(), "hd-other-ns-"));
        const log = join(dir, "upgrade.log");
        writeFileSync(log, `${out}\n`);
        const env = { KUBECONFIG: api.writeKubeconfig(dir) };
        const r = await runMain(
          ["diagnose", "web", "-n", "shop", "--now", CAUSES_NOW, "-o", "json", "--helm-output", log],
          env,
        );
        expect(r.stderr).toBe("");
        const f = JSON.parse(r.stdout).findings[0];
        expect(f.code).toBe("resource-ownership-conflict");
        expect(f.title).toBe(
          "ConfigMap web-dns exists without Helm ownership, so the upgrade to revision 2 cannot adopt it",
        );
      } finally {
        await api.close();
      }
    });

    it("near miss: the same name in our namespace is not that object", () => {
      const ours = {
        ...dns,
        metadata: { ...dns.metadata, namespace: "shop", uid: "00000000-0000-4000-8000-0000000a10a2" },
      };
      const f = only(
        run(ownershipFromOutput({ owner: "kubectl" }), out, [ours]),
        "resource-ownership-conflict",
      );
      expect(f.title).toMatch(/could not read it there/);
    });
  });

  it("'another operation is in progress' when no revision is pending any more: a warning to run it again, no rollback", () => {
    // The command collided with an upgrade that has since finished (revision 2 deployed, healthy).
    const d = run(
      laterRecordDeleted("same-chart"),
      "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress",
    );
    expect(codes(d)).toEqual(["release-failed"]);
    const f = d.findings[0]!;
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "The helm upgrade of notify collided with another operation that has finished since: revision 2 is deployed now",
    );
    expect(f.explanation).toMatch(/Nothing is stuck and nothing needs clearing: run the upgrade again/);
    expect(f.remediations.map((r) => r.action)).toEqual(["manual"]);
    expect(summaries(f, "manual")).toMatch(/^Run the upgrade again: no revision holds the lock now/);
  });

  it("near miss: output of a failure the latest revision already records is not counted twice", () => {
    const s = ownershipFromOutput({ owner: "kubectl" });
    const d = run(s, "Error: UPGRADE FAILED: something the cluster said");
    // The release's latest revision is deployed, so the output is the only evidence: one finding.
    expect(codes(d)).toEqual(["release-failed"]);
  });
});

describe("helm-doctor diagnose --helm-output", () => {
  const dir = mkdtempSync(join(tmpdir(), "hd-helm-output-"));
  const bundle = join(dir, "web.json");
  writeFileSync(bundle, JSON.stringify(ownershipFromOutput({ owner: "kubectl" }).bundle()));
  const log = join(dir, "upgrade.log");
  writeFileSync(log, `Release "web" has been upgraded?\nWARNING: something\n${OUT}\n`);
  const args = [
    "diagnose",
    "shop/web",
    "--bundle",
    bundle,
    "--now",
    CAUSES_NOW,
    "-o",
    "json",
    "--fail-on",
    "warning",
  ];

  it("from a file: the conflict first, exit 4 for a CI gate", async () => {
    const r = await runMain([...args, "--helm-output", log]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).findings[0].code).toBe("resource-ownership-conflict");
  });

  it("from standard input ('-')", async () => {
    const r = await runMain([...args, "--helm-output", "-"], {}, { stdin: OUT });
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).findings[0].code).toBe("resource-ownership-conflict");
  });

  it("an object kept from an uninstalled release, from a file and from standard input", async () => {
    const kept = join(dir, "kept.json");
    writeFileSync(kept, JSON.stringify(ownershipFromOutput({ owner: "search", keep: true }).bundle()));
    const base = ["diagnose", "shop/web", "--bundle", kept, "--now", CAUSES_NOW, "-o", "json"];
    for (const r of [
      await runMain([...base, "--helm-output", log]),
      await runMain([...base, "--helm-output", "-"], {}, { stdin: OUT }),
    ]) {
      expect(r.code).toBe(0);
      const first = JSON.parse(r.stdout).findings[0];
      expect(first.code).toBe("resource-ownership-conflict");
      expect(first.title).toMatch(/left behind by release search, which no longer exists/);
      expect(first.remediations[0].summary).toMatch(/--take-ownership/);
    }
  });

  it("the output is about the attempt before a fix: with it, the fixes are proven as without it", async () => {
    // Helm 4's leftover hook Job refused by server-side apply; the failed upgrade's output says the same. Deleting the
    // leftover and re-running is proven without the output, and Helm would not print that error after it.
    const leftover = join(dir, "leftover.json");
    writeFileSync(
      leftover,
      JSON.stringify(leftoverHook({ mode: "already-exists", helm4ssa: true }).bundle()),
    );
    const base = ["diagnose", "lakefs/example", "--bundle", leftover, "--now", HOOKS_NOW, "-o", "json"];
    const ssa =
      'Error: UPGRADE FAILED: pre-upgrade hooks failed: warning: Hook pre-upgrade lakefs/templates/job.yaml failed: server-side apply failed for object lakefs/example-lakefs-migrate batch/v1, Kind=Job: Job.batch "example-lakefs-migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{ObjectMeta:v1.ObjectMeta{}}: field is immutable\n';
    const fixes = (stdout: string) =>
      JSON.parse(stdout).findings[0].remediations.map(
        (x: { action: string; verified?: boolean; recommended?: boolean }) =>
          `${x.action} ${x.verified ? "verified" : "unproven"}${x.recommended ? " recommended" : ""}`,
      );
    const without = await runMain(base);
    const withOutput = await runMain([...base, "--helm-output", "-"], {}, { stdin: ssa });
    expect(fixes(without.stdout)).toContain("delete-leftover-hook verified recommended");
    expect(fixes(withOutput.stdout)).toEqual(fixes(without.stdout));
  });

  it("a failed first install that stored nothing is still diagnosed (no 'release not found')", async () => {
    const empty = join(dir, "empty.json");
    const s = ownershipFromOutput({ owner: "kubectl" });
    writeFileSync(empty, JSON.stringify({ apiVersion: "v1", kind: "List", items: s.live }));
    const install = join(dir, "install.log");
    writeFileSync(
      install,
      OUT.replace("UPGRADE FAILED", "INSTALLATION FAILED").replace(
        "Unable to continue with update",
        "rendered manifests contain a resource that already exists. Unable to continue with install",
      ),
    );
    const r = await runMain([
      "diagnose",
      "shop/web",
      "--bundle",
      empty,
      "--now",
      CAUSES_NOW,
      "-o",
      "json",
      "--helm-output",
      install,
    ]);
    expect(r.code).toBe(0);
    const first = JSON.parse(r.stdout).findings[0];
    expect(first.code).toBe("resource-ownership-conflict");
    expect(first.title).toMatch(/the install to revision 1 cannot adopt it/);
  });
});
