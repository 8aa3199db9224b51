// The founding case end to end through the CLI (in process; help and version through the built binary), from
// bundles the scenario builders write.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli, spawnCli } from "../support/cli.js";
import { FIXTURE_DIR, GENERATED, render } from "../support/fixtures.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";

const tmp = mkdtempSync(join(tmpdir(), "hd-cli-"));
function bundleFile(name: string, v: unknown): string {
  const f = join(tmp, name);
  writeFileSync(f, JSON.stringify(v));
  return f;
}

function brokenFile(): string {
  const f = join(tmp, "broken.json");
  writeFileSync(f, "{not json");
  return f;
}

describe("committed fixtures", () => {
  for (const [name, make] of Object.entries(GENERATED)) {
    it(`${name} is exactly what the scenario builder writes`, () => {
      expect(readFileSync(FIXTURE_DIR + name, "utf8")).toBe(render(make()));
    });
  }
});

describe("diagnose: the founding case", () => {
  for (const driver of ["secret", "configmap"] as const) {
    it(`names the deleted ConfigMap and offers rerun/rollback (${driver} driver, JSON)`, async () => {
      const f = bundleFile(`founding-${driver}.json`, foundingCase({ driver }).bundle());
      const r = await runCli([
        "diagnose",
        "yahoo",
        "-n",
        "default",
        "--bundle",
        f,
        "--output",
        "json",
        "--now",
        FOUNDING_NOW,
      ]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const rep = JSON.parse(r.stdout);
      expect(rep).toMatchObject({
        release: "yahoo",
        namespace: "default",
        revision: 2,
        status: "deployed",
        chart: "basic-app-0.1.0",
        appVersion: "1.16.0",
      });
      expect(rep.revisions.map((x: { revision: number; status: string }) => [x.revision, x.status])).toEqual([
        [1, "superseded"],
        [2, "deployed"],
      ]);
      const first = rep.findings[0];
      expect(first.code).toBe("resource-moved-into-hook");
      expect(first.severity).toBe("critical");
      expect(first.resources[0]).toEqual({
        kind: "ConfigMap",
        name: "basic-app-config",
        namespace: "default",
      });
      expect(first.revisions).toEqual([1, 2]);
      const actions = first.remediations.map((m: { action: string; revision?: number }) => [
        m.action,
        m.revision,
      ]);
      expect(actions).toContainEqual(["rerun-upgrade", 2]);
      expect(actions).toContainEqual(["rollback", 1]);
      expect(actions).toContainEqual(["restore-hook-resources", 2]);
      expect(actions.map((a: unknown[]) => a[0])).toContain("chart-fix");
      // The stuck pod is evidence of the root cause, not a finding of its own.
      expect(rep.findings.map((x: { code: string }) => x.code)).not.toContain("pod-mount-failed");
      const evidence = first.evidence
        .map((e: { source: string; detail: string }) => `${e.source}: ${e.detail}`)
        .join("\n");
      expect(evidence).toMatch(
        /revision 1 manifest: ConfigMap basic-app-config is a regular release resource/,
      );
      expect(evidence).toMatch(
        /revision 2 hooks: .*pre-install,pre-upgrade, weight -5, delete policy before-hook-creation, last run Succeeded/,
      );
      expect(evidence).toMatch(/ConfigMap default\/basic-app-config does not exist/);
      expect(evidence).toMatch(/FailedMount ×9.*configmap "basic-app-config" not found/);
      expect(rep.gaps).toEqual([]);
    });
  }

  it("prints a readable text report, without colour when NO_COLOR is set", async () => {
    const r = await runCli([
      "diagnose",
      "default/yahoo",
      "--bundle",
      `${FIXTURE_DIR}founding-case.json`,
      "--now",
      FOUNDING_NOW,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("\u001b[");
    expect(r.stdout).toMatch(
      /CRITICAL ConfigMap basic-app-config became a pre-install,pre-upgrade hook in revision 2/,
    );
    expect(r.stdout).toMatch(/\$ helm-doctor rollback yahoo 1 -n default/);
    expect(r.stdout).toMatch(/REVISION\s+UPDATED\s+STATUS/);
  });

  it("uses colour when forced and NO_COLOR is unset", async () => {
    const r = await runCli(["diagnose", "yahoo", "--bundle", `${FIXTURE_DIR}founding-case.json`], {
      NO_COLOR: "",
      FORCE_COLOR: "1",
    });
    expect(r.stdout).toContain("\u001b[31m");
  });

  it("--fail-on critical exits 4; a near miss with the ConfigMap present exits 0", async () => {
    const bad = await runCli([
      "diagnose",
      "yahoo",
      "--bundle",
      `${FIXTURE_DIR}founding-case.json`,
      "--fail-on",
      "critical",
      "-o",
      "json",
    ]);
    expect(bad.code).toBe(4);
    const f = bundleFile("kept.json", foundingCase({ configMapLive: true }).bundle());
    const ok = await runCli([
      "diagnose",
      "yahoo",
      "--bundle",
      f,
      "--fail-on",
      "critical",
      "-o",
      "json",
      "--now",
      FOUNDING_NOW,
    ]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).findings.map((x: { code: string }) => x.code)).not.toContain(
      "resource-moved-into-hook",
    );
  });
});

describe("CLI errors", () => {
  it("an unknown release exits 3, listing the releases present and close names", async () => {
    const r = await runCli([
      "diagnose",
      "yahooo",
      "-n",
      "default",
      "--bundle",
      `${FIXTURE_DIR}founding-case.json`,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/release "yahooo" not found in namespace "default"/);
    expect(r.stderr).toMatch(/did you mean: yahoo\?/);
    expect(r.stderr).toMatch(/releases in "default": yahoo \(deployed, revision 2\)/);
  });
  it("the right name in the wrong namespace says where it is", async () => {
    const r = await runCli([
      "diagnose",
      "yahoo",
      "-n",
      "shop",
      "--bundle",
      `${FIXTURE_DIR}founding-case.json`,
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/exists in namespace "default": try -n default/);
  });
  it("usage errors exit 2 with a message", async () => {
    for (const args of [
      ["diagnose"],
      ["diagnose", "Bad_Name", "--bundle", "x"],
      ["diagnose", "yahoo", "--output", "xml", "--bundle", "x"],
      ["diagnose", "yahoo", "--now", "yesterday", "--bundle", `${FIXTURE_DIR}founding-case.json`],
      ["diagnose", "yahoo", "--fail-on", "info", "--bundle", `${FIXTURE_DIR}founding-case.json`],
      ["diagnose", "yahoo", "--bogus"],
      ["frobnicate"],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/^helm-doctor: /);
    }
  });
  it("a missing or broken bundle exits 1 with a clear message", async () => {
    const missing = await runCli(["diagnose", "yahoo", "--bundle", "/nonexistent/b.json"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/bundle file not found: \/nonexistent\/b.json/);
    const broken = await runCli(["diagnose", "yahoo", "--bundle", brokenFile()]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/not valid JSON/);
    const notList = await runCli(["diagnose", "yahoo", "--bundle", bundleFile("str.json", "just a string")]);
    expect(notList.code).toBe(1);
    expect(notList.stderr).toMatch(/not a Kubernetes object or List/);
  });
  it("help and version, from the built binary", async () => {
    const h = await spawnCli(["help"]);
    expect(h.code).toBe(0);
    expect(h.stdout).toMatch(/helm-doctor diagnose <release>/);
    const v = await spawnCli(["--version"]);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
