// --helm-output as people hand it over: a CI job's log, where the runner decorates every line (GitHub Actions'
// timestamps and workflow commands, GitLab's section markers and colours, CRLF line ends), parses the same as
// helm's bare output; and output that holds no Helm error (a successful upgrade, another tool's failure) is said
// to hold none, and the cluster is diagnosed as usual — nothing is made up from it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { outputFailure } from "../../src/diagnosis/history.js";
import type { Diagnosis } from "../../src/diagnosis/types.js";
import { cleanOutput, helmErrorText } from "../../src/helm/output.js";
import { buildSnapshot } from "../../src/snapshot/build.js";
import { SnapshotIndex } from "../../src/snapshot/index.js";
import { runMain } from "../support/cli.js";
import type { Scenario } from "../support/scenario.js";
import { CAUSES_NOW, OWNERSHIP_OUTPUT, ownershipFromOutput } from "../support/scenarios/causes.js";
import { crashLoopCase, TRANSITIONS_NOW } from "../support/scenarios/transitions.js";
import { codes, diagnoseScenario } from "./support.js";

const OUT = OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web");
const HOOK_OUT =
  "Error: UPGRADE FAILED: pre-upgrade hooks failed: 1 error occurred:\n\t* job web-migrate failed: BackoffLimitExceeded\n\n";

const ESC = "\u001b";

/** GitHub Actions' raw log: a timestamp on every line, its own commands, the step's end. */
function github(helm: string): string {
  const lines = [
    "##[group]Run helm upgrade --install web ./chart -n shop --wait",
    "helm upgrade --install web ./chart -n shop --wait",
    "shell: /usr/bin/bash -e {0}",
    "##[endgroup]",
    ...helm.trimEnd().split("\n"),
    "##[error]Process completed with exit code 1.",
  ];
  return `${lines.map((l, i) => `2026-11-20T11:10:0${i % 10}.${String(1234567 + i)}Z ${l}`).join("\n")}\n`;
}

/** GitLab's job log: section markers, ANSI colours, CRLF line ends, its own failure line. */
function gitlab(helm: string): string {
  const red = (l: string) => `${ESC}[31m${l}${ESC}[0m`;
  return [
    `section_start:1763636400:step_script\r${ESC}[0K${ESC}[0K${ESC}[36;1mExecuting "step_script" stage of the job script${ESC}[0;m`,
    `${ESC}[32;1m$ helm upgrade --install web ./chart -n shop${ESC}[0;m`,
    ...helm.trimEnd().split("\n").map(red),
    `section_end:1763636460:step_script\r${ESC}[0K`,
    `${ESC}[31;1mERROR: Job failed: exit code 1`,
    "",
  ].join("\r\n");
}

/** A CI step that re-posts helm's error as an annotation (`::error::`, newlines escaped as %0A). */
function annotation(helm: string): string {
  return `Run helm upgrade web ./chart\n::error title=helm upgrade failed::${helm.trimEnd().replace(/%/g, "%25").replace(/\n/g, "%0A")}\n`;
}

function run(s: Scenario, helmOutput: string | undefined, now = CAUSES_NOW): Diagnosis {
  return diagnoseScenario(s, now, helmOutput !== undefined ? { helmOutput } : {});
}

const shape = (d: Diagnosis) =>
  d.findings.map((f) => ({ code: f.code, severity: f.severity, title: f.title, evidence: f.evidence }));

describe("a CI runner's log parses as helm's bare output", () => {
  const wrappers = {
    "GitHub Actions (timestamps, ##[error])": github,
    "GitLab (section markers, ANSI colours, CRLF)": gitlab,
    "a ::error:: annotation (%0A for newlines)": annotation,
    "Windows line ends": (h: string) => `${h.replace(/\n/g, "\r\n")}\r\n`,
    "##[error] on the error line itself": (h: string) => `##[error]${h}`,
  };
  for (const [name, wrap] of Object.entries(wrappers)) {
    it(`${name}: the same error, the same findings`, () => {
      expect(helmErrorText(wrap(OUT))).toBe(helmErrorText(OUT));
      expect(helmErrorText(wrap(HOOK_OUT))).toBe(helmErrorText(HOOK_OUT));
      const s = ownershipFromOutput({ owner: "kubectl" });
      const bare = run(s, OUT);
      expect(codes(bare)).toEqual(["resource-ownership-conflict"]);
      expect(shape(run(s, wrap(OUT)))).toEqual(shape(bare));
    });
  }

  it("the error ends where helm's ends: the runner's lines after it are not quoted", () => {
    const text = helmErrorText(github(OUT))!;
    expect(text).toBe(OUT);
    expect(text).not.toMatch(/Process completed|2026-11-20T/);
    const ix = new SnapshotIndex(
      buildSnapshot({
        release: "web",
        namespace: "shop",
        objects: [],
        now: new Date(CAUSES_NOW),
        source: "test",
        helmOutput: gitlab(HOOK_OUT),
      }),
    );
    const f = outputFailure(ix)!;
    expect(f.errors.map((e) => [e.kind, e.hookEvent])).toEqual([["hook", "pre-upgrade"]]);
    expect(f.text).not.toMatch(/ERROR: Job failed/);
    expect(f.text).not.toContain(ESC);
  });

  it("escape sequences and runner prefixes go, the words stay", () => {
    expect(cleanOutput(`${ESC}[31;1mError:${ESC}[0m a\r\nb\r\n`)).toBe("Error: a\nb\n");
    expect(cleanOutput("2026-11-20T11:10:00.1234567Z ##[error]Error: x")).toBe("Error: x");
    expect(cleanOutput("[2026-11-20T11:10:00.123Z] Error: x")).toBe("Error: x");
    expect(cleanOutput("2026-11-20T11:10:00.123456Z 01E+Error: x")).toBe("Error: x");
    // A line of helm's that merely starts with a date is not a runner's prefix unless it is one.
    expect(cleanOutput("2026-11-20 is the date")).toBe("2026-11-20 is the date");
  });

  describe("through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-helm-logs-"));
    const bundle = join(dir, "web.json");
    writeFileSync(bundle, JSON.stringify(ownershipFromOutput({ owner: "kubectl" }).bundle()));
    const args = ["diagnose", "shop/web", "--bundle", bundle, "--now", CAUSES_NOW, "-o", "json"];

    it("a GitHub Actions log from a file and a GitLab log from standard input give the bare output's report", async () => {
      const bareFile = join(dir, "bare.log");
      writeFileSync(bareFile, OUT);
      const ghFile = join(dir, "github.log");
      writeFileSync(ghFile, github(OUT));
      const bare = await runMain([...args, "--helm-output", bareFile]);
      const gh = await runMain([...args, "--helm-output", ghFile]);
      const gl = await runMain([...args, "--helm-output", "-"], {}, { stdin: gitlab(OUT) });
      expect(bare.code).toBe(0);
      expect(JSON.parse(bare.stdout).findings[0].code).toBe("resource-ownership-conflict");
      for (const r of [gh, gl]) {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(JSON.parse(r.stdout).findings).toEqual(JSON.parse(bare.stdout).findings);
      }
    });
  });
});

describe("a log with several attempts (a retry loop, `retry`, GitLab's retry:)", () => {
  const log = [
    "+ helm upgrade --install web ./chart -n shop",
    "Error: UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress",
    "+ sleep 60",
    "+ helm upgrade --install web ./chart -n shop",
    OUT,
    "",
  ].join("\n");

  it("the last attempt's error is the one read: the job failed on it, the earlier ones are stale", () => {
    expect(helmErrorText(log)).toBe(OUT);
    expect(codes(run(ownershipFromOutput({ owner: "kubectl" }), log))[0]).toBe("resource-ownership-conflict");
  });

  it("near miss: one attempt with helm --debug's stack after it is one error", () => {
    const debug = `${OUT}\nhelm.go:84: [debug] Unable to continue with update: ConfigMap "web-settings" in namespace "shop" exists\n`;
    expect(helmErrorText(debug)).toBe(OUT);
  });
});

describe("output that holds no Helm error", () => {
  const SUCCESS = [
    'Release "web" has been upgraded. Happy Helming!',
    "NAME: web",
    "LAST DEPLOYED: Fri Nov 20 11:10:00 2026",
    "NAMESPACE: shop",
    "STATUS: deployed",
    "REVISION: 2",
    "TEST SUITE: None",
  ].join("\n");
  const UNRELATED = github(
    [
      "npm ERR! code ELIFECYCLE",
      "Error: Cannot find module 'webpack'",
      "Require stack:",
      "- /home/runner/work/shop/node_modules/webpack-cli/bin/cli.js",
      "the deploy step failed",
    ].join("\n"),
  );

  it("a successful upgrade's log: no finding made up, the output said to hold no error", () => {
    const s = ownershipFromOutput({ owner: "kubectl" });
    const d = run(s, SUCCESS);
    expect(codes(d)).toEqual(codes(run(s, undefined)));
    expect(d.findings.filter((f) => f.severity !== "info")).toEqual([]);
    expect(d.gaps).toEqual([expect.objectContaining({ what: "helm output", reason: "no helm error" })]);
  });

  it("another tool's failure in a CI log: the cluster's own problem is found, nothing from the log", () => {
    const s = crashLoopCase();
    const plain = run(s, undefined, TRANSITIONS_NOW);
    const d = run(s, UNRELATED, TRANSITIONS_NOW);
    expect(codes(d)).toEqual(codes(plain));
    expect(codes(d)).not.toContain("release-failed");
    expect(d.findings[0]!.title).toBe(plain.findings[0]!.title);
    expect(JSON.stringify(d.findings)).not.toMatch(/webpack|Cannot find module/);
  });

  describe("through the CLI", () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-helm-none-"));
    const bundle = join(dir, "web.json");
    writeFileSync(bundle, JSON.stringify(ownershipFromOutput({ owner: "kubectl" }).bundle()));
    const ok = join(dir, "ok.log");
    writeFileSync(ok, SUCCESS);
    const base = ["diagnose", "shop/web", "--bundle", bundle, "--now", CAUSES_NOW];

    it("from a file: says so on stderr, diagnoses the cluster, exits as the cluster warrants", async () => {
      const r = await runMain([...base, "--helm-output", ok, "--fail-on", "warning"]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(
        /no Helm error found in --helm-output .*ok\.log.*diagnosing the cluster without it/,
      );
      expect(r.stdout).toMatch(/helm output: no helm error/);
      expect(r.stdout).not.toMatch(/failed before it stored a revision/);
    });

    it("from standard input, as JSON: the gap says it", async () => {
      const r = await runMain([...base, "-o", "json", "--helm-output", "-"], {}, { stdin: UNRELATED });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/no Helm error found in --helm-output \(standard input\)/);
      const j = JSON.parse(r.stdout);
      expect(j.findings.map((f: { code: string }) => f.code)).not.toContain("release-failed");
      expect(j.gaps).toEqual([expect.objectContaining({ what: "helm output", reason: "no helm error" })]);
    });

    it("an empty file does not crash", async () => {
      const empty = join(dir, "empty.log");
      writeFileSync(empty, "");
      const r = await runMain([...base, "--helm-output", empty]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/no Helm error found/);
    });

    it("a release that is not there is still 'not found' (exit 3): the output is no evidence of it", async () => {
      const r = await runMain(["diagnose", "shop/nothere", "--bundle", bundle, "--helm-output", ok]);
      expect(r.code).toBe(3);
    });
  });
});
