// Every scenario through every presentation — terminal text, --brief, JSON and Slack Block Kit — checked for
// what makes a report hard to read at 3 a.m.: the answer not first, the same fact twice, placeholders and
// internal names leaking into prose, mixed time formats, and messages over their budgets.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Diagnosis } from "../../src/diagnosis/types.js";
import { CHANNEL_BUDGET, renderReport, visibleText } from "../../src/report/blockkit.js";
import { diagnosisJson } from "../../src/report/json.js";
import { makeStyle } from "../../src/report/style.js";
import { HISTORY_ROWS, renderBrief, renderText } from "../../src/report/text.js";
import { validateBlocks } from "../support/fake-slack/block-kit.js";
import { ALL_SCENARIOS, snapshotOf } from "../support/scenarios/all.js";

function run(c: (typeof ALL_SCENARIOS)[number]): Diagnosis {
  return diagnose(snapshotOf(c));
}

/** What no report may say, in any format. */
const NEVER: [string, RegExp][] = [
  ["a document section reference (the section sign)", /\u00a7/],
  ["a placeholder", /\bundefined\b|\bNaN\b|\[object Object\]/],
  ["an unknown age or revision", /(^|[\s(])\?($|[\s,;.)])|revision \?/m],
  ["a zero duration", /\b(after|for|in|took) 0s\b/],
  ["Helm's internal field names in prose", /\blast_run\b|info\.last_deployed|\.Release\.IsUpgrade/],
  ["a project named as an example", /\bas [\w.-]+\/[\w.-]+ did\b/],
  [
    "a plural after one",
    /(?<![Rr]evision )\b1 (pods|revisions|objects|hooks|findings|things|containers|events|times|errors)\b/,
  ],
];

/** Human-facing text shows one time format (2026-11-24 11:28:01 UTC), never RFC 3339. */
const ISO = /\b\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?/;

function clean(where: string, text: string): void {
  for (const [what, re] of NEVER) expect(re.exec(text)?.[0], `${where}: ${what}`).toBeUndefined();
}

/**
 * The items of a text — an evidence bullet, a fix, a paragraph — with wrapped lines joined back, so that the same
 * fact said twice is caught however it wrapped.
 */
function items(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim();
    if (t === "") continue;
    const starts = /^(•|→|\$|[A-Z*_]|\d+\.)/.test(t) || !out.length;
    if (starts) out.push(t);
    else out[out.length - 1] += ` ${t}`;
  }
  return out;
}

/** Items said twice (short ones, like table headers, aside). */
function repeated(text: string): string[] {
  const seen = new Set<string>();
  const dup: string[] = [];
  for (const l of items(text)) {
    if (l.length < 25) continue;
    if (seen.has(l)) dup.push(l);
    seen.add(l);
  }
  return dup;
}

const plain = makeStyle(false);

describe("every scenario, every presentation", () => {
  for (const c of ALL_SCENARIOS) {
    it(c.name, () => {
      const d = run(c);

      // The terminal: the verdict, cause, impact and fixes before any explanation.
      const text = renderText(d, plain);
      clean("text", text);
      expect(ISO.exec(text)?.[0], "text: an RFC 3339 time").toBeUndefined();
      const lines = text.split("\n");
      expect(repeated(text), "text: a fact said twice").toEqual([]);
      const top = d.findings[0];
      if (top) {
        const why = lines.findIndex((l) => l.startsWith("Why"));
        expect(why).toBeGreaterThan(1);
        expect(lines.slice(0, why).join(" ")).toContain(top.title.split(" ").slice(0, 4).join(" "));
        expect(why, "text: the summary is short").toBeLessThanOrEqual(4 + 2 * d.findings.length + 6);
      }
      const history = lines.findIndex((l) => l.startsWith("History"));
      if (history >= 0) {
        const rows = lines.slice(history + 2).findIndex((l) => !/^\s+\d+\s/.test(l));
        expect(rows === -1 ? lines.length - history - 2 : rows).toBeLessThanOrEqual(HISTORY_ROWS);
      }

      // --brief: one line per finding.
      const brief = renderBrief(d).trimEnd().split("\n");
      expect(brief).toHaveLength(Math.max(1, d.findings.length));
      clean("brief", brief.join("\n"));

      // JSON: the same findings, no placeholders.
      const json = JSON.stringify(diagnosisJson(d));
      clean("json", json.replace(/\\n/g, "\n"));
      expect(JSON.parse(json).findings.map((f: { code: string }) => f.code)).toEqual(
        d.findings.map((f) => f.code),
      );

      // Slack: the channel message is the decision, within budget; the thread has the rest, each fact once.
      const r = renderReport(d, { diagnosisId: "Abc123_-xyzXYZ0987", requestedBy: "U0ANA00001" });
      expect(validateBlocks(r.main.blocks, "message")).toEqual([]);
      for (const t of r.thread) expect(validateBlocks(t.blocks, "message")).toEqual([]);
      expect(r.main.blocks.length).toBeLessThanOrEqual(CHANNEL_BUDGET.blocks);
      const main = visibleText(r.main.blocks);
      expect([...main].length, main).toBeLessThanOrEqual(CHANNEL_BUDGET.chars);
      const thread = r.thread.map((t) => visibleText(t.blocks)).join("\n");
      for (const [where, t] of [
        ["slack channel", main],
        ["slack thread", thread],
      ] as const) {
        clean(where, t);
        expect(ISO.exec(t)?.[0], `${where}: an RFC 3339 time`).toBeUndefined();
      }
      expect(repeated(thread), "slack thread: a fact said twice").toEqual([]);
      if (top) {
        // The cause in the header, and the thread does not tell it again.
        expect(main).toContain(top.title.slice(0, 40));
        expect(thread).not.toContain(top.title);
        if (top.impact) expect(main).toContain(top.impact.slice(0, 40));
      }
      // Every fix with a command is in the thread with it.
      const buttons = r.main.blocks
        .filter((b) => b.type === "actions")
        .flatMap((b) => (b as { elements: unknown[] }).elements);
      expect(buttons.length).toBeLessThanOrEqual(5);
    });
  }
});
