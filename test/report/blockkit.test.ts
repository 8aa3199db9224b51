// Block Kit limits by construction: the founding report, a huge synthetic diagnosis, lists and notices all
// pass the fake Slack's validator (the same rules Slack applies).
import { describe, expect, it } from "vitest";
import { BundleSource } from "../../src/cluster/bundle.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis, Finding } from "../../src/diagnosis/types.js";
import {
  buttonValue,
  clipMrkdwn,
  confirmText,
  esc,
  MAX_BUTTONS,
  parseButtonValue,
  remediationOptions,
  renderError,
  renderHelp,
  renderProgress,
  renderReleaseList,
  renderReport,
  renderUsageError,
  type SlackMessage,
} from "../../src/report/blockkit.js";
import { validateBlocks } from "../support/fake-slack/index.js";
import { FOUNDING_BUNDLE } from "../support/slack-app.js";

function valid(m: SlackMessage): void {
  expect(validateBlocks(m.blocks, "message")).toEqual([]);
  expect([...m.text].length).toBeLessThanOrEqual(3000);
  expect(m.text.length).toBeGreaterThan(0);
}

// Longer than any Block Kit text limit (3000 per section, 2000 per button value) in code points, with entities
// and astral characters.
const huge = "é🙂<&>".repeat(700);

function hugeDiagnosis(): Diagnosis {
  const finding = (i: number): Finding => ({
    code: "hook-failed",
    severity: i % 3 === 0 ? "critical" : i % 3 === 1 ? "warning" : "info",
    title: `${i} ${huge}`,
    explanation: huge,
    resources: Array.from({ length: 50 }, (_, j) => ({
      kind: "ConfigMap",
      name: `cm-${j}-${"x".repeat(200)}`,
    })),
    revisions: [1, 2],
    evidence: Array.from({ length: 30 }, (_, j) => ({ source: `source ${j} ${huge}`, detail: huge })),
    remediations: [
      { action: "rerun-upgrade", revision: i + 1, summary: huge },
      { action: "rollback", revision: i, summary: huge },
      {
        action: "restore-hook-resources",
        revision: i,
        summary: huge,
        resources: Array.from({ length: 20 }, (_, j) => ({ kind: "Secret", name: `s-${j}` })),
      },
      { action: "delete-leftover-hook", summary: huge },
      { action: "chart-fix", summary: huge },
      { action: "manual", summary: huge },
    ],
    role: "root",
  });
  return {
    release: "r".repeat(53),
    namespace: "n".repeat(63),
    revision: 123456,
    status: "failed",
    chart: huge,
    appVersion: huge,
    revisions: Array.from({ length: 300 }, (_, i) => ({
      revision: i + 1,
      status: "superseded",
      chart: huge.slice(0, 300),
      appVersion: "1",
      description: huge,
      updated: "2026-11-20T10:00:00Z",
    })),
    findings: Array.from({ length: 60 }, (_, i) => finding(i)),
    gaps: Array.from({ length: 80 }, (_, i) => ({
      what: `thing ${i} ${huge}`,
      reason: "forbidden",
      detail: huge,
    })),
    now: "2026-11-24T10:00:00Z",
    source: huge,
  };
}

describe("Block Kit rendering", () => {
  it("keeps a huge synthetic diagnosis within every limit, main message and thread", () => {
    const d = hugeDiagnosis();
    const r = renderReport(d, { diagnosisId: "Abc123_-xyzXYZ0987" });
    valid(r.main);
    expect(r.main.blocks.length).toBeLessThanOrEqual(50);
    expect(r.thread.length).toBeGreaterThan(1);
    for (const t of r.thread) valid(t);
    const actions = r.main.blocks.filter((b) => b.type === "actions");
    expect(actions).toHaveLength(1);
    expect((actions[0] as { elements: unknown[] }).elements.length).toBe(MAX_BUTTONS);
    // Without a stored diagnosis there are no buttons.
    const plain = renderReport(d);
    valid(plain.main);
    expect(plain.main.blocks.some((b) => b.type === "actions")).toBe(false);
  });

  it("renders the founding case with the verdict, facts, evidence, chart fix and three buttons", async () => {
    const snap = await new BundleSource(FOUNDING_BUNDLE).load(
      "yahoo",
      "default",
      new Date("2026-11-20T11:10:00Z"),
    );
    const d = diagnose(snap);
    const r = renderReport(d, { diagnosisId: "Abc123_-xyz" });
    valid(r.main);
    const json = JSON.stringify(r.main.blocks);
    expect(json).toContain("default/yahoo: ConfigMap basic-app-config became a pre-install,pre-upgrade hook");
    expect(json).toContain("basic-app-0.1.0");
    expect(json).toContain(
      "*Impact:* 1 of 2 pods of Deployment yahoo-basic-app cannot start since 2026-11-20 11:00:00 UTC",
    );
    // The story, evidence and chart fix are in the thread, not the channel message.
    const thread = JSON.stringify(r.thread.map((t) => t.blocks));
    expect(json).not.toContain("*Chart fix:*");
    expect(thread).toContain("*Chart fix:*");
    expect(thread).toContain('MountVolume.SetUp failed for volume \\"foo\\"');
    const opts = remediationOptions(d);
    // Least invasive first: one object, then a re-run, then a rollback.
    expect(opts.map((o) => o.action)).toEqual(["restore-hook-resources", "rerun-upgrade", "rollback"]);
    expect(opts[0]!.label).toBe("Restore ConfigMap basic-app-config");
    expect(confirmText(d, opts[2]!)).toMatch(
      /^Rolls default\/yahoo back to revision 1 and writes revision 3/,
    );
    expect(confirmText(d, opts[0]!)).toContain("No new revision is written");
    expect(parseButtonValue("Abc123_-xyz.1")).toEqual({ diagnosisId: "Abc123_-xyz", index: 1 });
    expect(parseButtonValue("helm rollback yahoo 1")).toBeUndefined();
    for (const t of r.thread) valid(t);
  });

  it("escapes mrkdwn control characters and never cuts an entity in half", () => {
    expect(esc("<!channel> a&b")).toBe("&lt;!channel&gt; a&amp;b");
    const cut = clipMrkdwn(esc(`${"x".repeat(9)}<<<<`), 12);
    expect(cut).not.toMatch(/&[a-z]*…$/);
    expect([...cut].length).toBeLessThanOrEqual(12);
  });

  it("keeps lists, progress, errors and help within limits", () => {
    const many = Array.from({ length: 2000 }, (_, i) => ({
      name: `release-${i}-${"y".repeat(40)}`,
      namespace: "shop",
      revisions: 10,
      latestRevision: i,
      status: i % 7 === 0 ? "failed" : i % 5 === 0 ? "pending-upgrade" : "deployed",
      driver: "secret",
    }));
    const list = renderReleaseList("shop", many);
    valid(list);
    const first = JSON.stringify(list.blocks).indexOf(":red_circle:");
    const firstGreen = JSON.stringify(list.blocks).indexOf(":large_green_circle:");
    expect(first).toBeLessThan(firstGreen);
    expect(JSON.stringify(list.blocks)).toContain("more not shown");
    valid(renderReleaseList("empty", []));
    valid(
      renderProgress(
        { release: "yahoo", namespace: "default" },
        huge,
        Array.from({ length: 30 }, (_, i) => `U0${i}XX`),
      ),
    );
    valid(renderError({ namespace: "shop" }, huge, huge));
    valid(renderHelp());
    valid(renderUsageError(huge));
  });

  it("names a cluster in lists, progress, errors and buttons, except the default one", () => {
    const failed = [
      {
        name: "yahoo",
        namespace: "shop",
        revisions: 2,
        latestRevision: 2,
        status: "failed",
        driver: "secret",
      },
    ];
    const prod = JSON.stringify(renderReleaseList("shop", failed, "/helm-doctor", "prod"));
    expect(prod).toContain("Helm releases in prod · shop");
    expect(prod).toContain("/helm-doctor prod/shop/<release>");
    // Near miss: the default cluster of a single-cluster install is never named.
    const plain = JSON.stringify(renderReleaseList("shop", failed, "/helm-doctor", "default"));
    expect(plain).not.toContain("default ·");
    expect(plain).toContain("/helm-doctor shop/<release>");
    expect(renderProgress({ release: "yahoo", namespace: "shop", cluster: "prod" }, "reading").text).toMatch(
      /^Diagnosing prod · shop\/yahoo/,
    );
    expect(renderError({ namespace: "shop", cluster: "prod" }, "boom").text).toMatch(
      /^Could not list releases in prod · shop/,
    );
    // The report's thread pages name a named cluster in their notification text too; never `default`.
    const d = hugeDiagnosis();
    const named = renderReport(d, { cluster: "prod" });
    expect(named.thread.length).toBeGreaterThan(0);
    for (const t of named.thread) expect(t.text).toMatch(/^Details for prod · /);
    for (const t of renderReport(d, { cluster: "default" }).thread) expect(t.text).not.toContain("default ·");
    expect(buttonValue("AbCdEfGh12", 1, "prod")).toBe("AbCdEfGh12.1.prod");
    expect(parseButtonValue("AbCdEfGh12.1.prod")).toEqual({
      diagnosisId: "AbCdEfGh12",
      index: 1,
      cluster: "prod",
    });
    expect(parseButtonValue("AbCdEfGh12.1")).toEqual({ diagnosisId: "AbCdEfGh12", index: 1 });
    expect(parseButtonValue("AbCdEfGh12.1.Prod")).toBeUndefined();
  });
});
