// Plain-text report for a person at a terminal: the verdict, the cause, the impact and the fixes (with their
// commands) first; then why, with the evidence; then the history. `--brief` prints only the summary, one finding
// per line.
import type { Diagnosis, Finding, RevisionSummary } from "../diagnosis/types.js";
import { utc } from "../diagnosis/workloads.js";
import {
  isExecutable,
  isOffered,
  isRejected,
  notAFix,
  present,
  remediationCommand,
  remediationLabel,
  summaryRemediations,
} from "./present.js";
import { type Style, wrapText } from "./style.js";

export { remediationCommand, remediationLabel as actionLabel } from "./present.js";

const WIDTH = 100;
/** History rows shown in a report (`helm-doctor history` shows them all). */
export const HISTORY_ROWS = 10;
/** Longest description shown in a history row of a report. */
const DESCRIPTION_MAX = 80;

/** Wrap with a hanging indent: the first line at `first`, the rest at `rest`. */
function hanging(text: string, first: string, rest: string): string {
  return first + wrapText(text, WIDTH - rest.length, rest).slice(rest.length);
}

function severityTag(f: Finding, st: Style): string {
  if (f.severity === "critical") return st.red(st.bold("CRITICAL"));
  if (f.severity === "warning") return st.yellow(st.bold("WARNING "));
  return st.cyan("INFO    ");
}

export interface HistoryOptions {
  /** Cut each description to this many characters (a report's table; `history` shows them whole). */
  descriptionMax?: number;
}

/** `helm history`'s table; records that could not be decoded are rows whose description says why. */
export function historyTable(rows: RevisionSummary[], o: HistoryOptions = {}): string {
  // Helm's multi-error descriptions span lines ("1 error occurred:\n\t* job … failed"): one row each.
  const oneLine = (t: string) => {
    const s = t.replace(/\s*\n\s*/g, " ").trim();
    return o.descriptionMax && s.length > o.descriptionMax ? `${s.slice(0, o.descriptionMax - 1)}…` : s;
  };
  const all = rows.map((r) => [
    String(r.revision || "-"),
    r.updated,
    r.status,
    r.chart,
    r.appVersion,
    oneLine(r.description),
  ]);
  const head = ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"];
  const widths = head.map((h, i) => Math.max(h.length, ...all.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [fmt(head), ...all.map(fmt)].join("\n");
}

/** The last HISTORY_ROWS revisions for a report, times in the report's format, and how many were left out. */
export function reportHistory(d: Diagnosis): { rows: RevisionSummary[]; earlier: number } {
  const rows = d.revisions.slice(-HISTORY_ROWS).map((r) => ({ ...r, updated: utc(r.updated) ?? r.updated }));
  return { rows, earlier: Math.max(0, d.revisions.length - rows.length) };
}

function headline(d: Diagnosis, st: Style): string {
  const facts =
    d.revision !== undefined
      ? `revision ${d.revision} ${d.status}, chart ${d.chart || "unknown"}${d.appVersion ? `, app ${d.appVersion}` : ""}`
      : "no readable revision";
  const worst = d.findings[0]?.severity;
  const mark = worst === "critical" ? st.red("✖") : worst === "warning" ? st.yellow("!") : st.green("✔");
  return `${mark} ${st.bold(`${d.namespace}/${d.release}`)} — ${facts}`;
}

/** "Label    value", the value wrapped under itself. */
function labelled(label: string, value: string): string {
  const pad = " ".repeat(11);
  return `  ${label.padEnd(9)}${wrapText(value, WIDTH - pad.length, pad).slice(pad.length)}`;
}

/** The decision: cause, impact, fixes with their commands, the other findings one line each. */
function summary(d: Diagnosis, st: Style): string[] {
  const out: string[] = [];
  const [top, ...rest] = d.findings;
  if (!top) {
    out.push(
      st.green(
        d.gaps.length > 0 ? "  No problems found in what could be read (see below)." : "  No problems found.",
      ),
    );
    return out;
  }
  out.push(
    `  ${severityTag(top, st)} ${st.bold(wrapText(top.title, WIDTH - 11, " ".repeat(11)).trimStart())}`,
  );
  if (top.impact) out.push(labelled("Impact", top.impact));
  const fixes = summaryRemediations(top);
  const labels = fixes.map(
    (r, i) =>
      `${fixes.length > 1 ? `${i + 1}. ` : ""}${isExecutable(r) ? remediationLabel(r) : firstSentence(r.summary)}`,
  );
  const width = Math.max(0, ...labels.filter((_, i) => isExecutable(fixes[i]!)).map((l) => l.length));
  fixes.forEach((r, i) => {
    const cmd = remediationCommand(d, r);
    const head = `  ${(i === 0 ? "Fix" : "").padEnd(9)}`;
    const indent = " ".repeat(11 + (fixes.length > 1 ? 3 : 0));
    if (!cmd) out.push(head + wrapText(labels[i]!, WIDTH - indent.length, indent).trimStart());
    else out.push(`${head}${labels[i]!.padEnd(width)}  ${st.cyan(`$ ${cmd}`)}`);
  });
  for (const f of rest) out.push(labelled("Also", `${f.severity} — ${f.title}`));
  return out;
}

/** The first sentence of advice; a long one is cut at a clause, never mid-word. */
export function firstSentence(s: string): string {
  const m = /^(.+?[.;])(\s|$)/.exec(s);
  const t = m ? m[1]! : s;
  if (t.length <= 320) return t;
  const cut = Math.max(t.lastIndexOf(", ", 300), t.lastIndexOf(" (", 300), t.lastIndexOf(" — ", 300));
  return `${t.slice(0, cut > 120 ? cut : t.lastIndexOf(" ", 300))} …`;
}

/** Why, for one finding: the story, the evidence, every fix in detail (the summary said the title already). */
function details(d: Diagnosis, f: Finding, i: number, st: Style): string[] {
  const out: string[] = [];
  out.push(st.bold(`Why (${d.findings.length > 1 ? `${i + 1} of ${d.findings.length}, ` : ""}${f.code}):`));
  out.push(wrapText(f.explanation, WIDTH, "  "));
  if (f.evidence.length > 0) {
    out.push(st.bold("  Evidence:"));
    for (const e of f.evidence) out.push(hanging(`• ${e.source}: ${e.detail}`, "    ", "      "));
  }
  const offered = f.remediations.filter((r) => !isRejected(r));
  if (offered.length > 0) {
    out.push(st.bold("  Fixes:"));
    for (const r of offered) {
      // An executable fix's summary says what it does; advice gets its label.
      out.push(
        hanging(
          `→ ${isExecutable(r) ? r.summary : `${remediationLabel(r)}: ${r.summary}`}`,
          "    ",
          "      ",
        ),
      );
      const cmd = remediationCommand(d, r);
      if (cmd) out.push(`      ${st.cyan(`$ ${cmd}`)}`);
    }
  }
  // Offered by the analysis, but the prediction shows it does not fix this: said once, with why.
  for (const r of f.remediations.filter(isRejected)) out.push(hanging(`✗ ${notAFix(r)}`, "    ", "      "));
  return out;
}

/** `--brief`: one line per finding (or one line saying it is healthy), for scripts and pagers. */
export function renderBrief(raw: Diagnosis): string {
  const d = present(raw);
  const rel = `${d.namespace}/${d.release}`;
  if (d.findings.length === 0)
    return `OK ${rel}: no problems found${d.gaps.length ? " in what could be read" : ""}\n`;
  return `${d.findings
    .map((f) => {
      const fix = f.remediations.find(isOffered);
      const cmd = fix ? remediationCommand(d, fix) : undefined;
      return `${f.severity.toUpperCase()} ${rel} ${f.code}: ${f.title}${cmd ? ` — fix: ${cmd}` : ""}`;
    })
    .join("\n")}\n`;
}

export function renderText(raw: Diagnosis, st: Style): string {
  const d = present(raw);
  const out: string[] = [headline(d, st), ...summary(d, st)];
  d.findings.forEach((f, i) => {
    out.push("");
    out.push(...details(d, f, i, st));
  });
  if (d.revisions.length > 0) {
    const { rows, earlier } = reportHistory(d);
    out.push("");
    out.push(
      st.bold(
        earlier > 0 ? `History (the last ${rows.length} of ${d.revisions.length} revisions):` : "History:",
      ),
    );
    out.push(
      historyTable(rows, { descriptionMax: DESCRIPTION_MAX })
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
    if (earlier > 0)
      out.push(
        `  ${earlier} earlier revision${earlier === 1 ? "" : "s"}: helm-doctor history ${d.release} -n ${d.namespace}`,
      );
  }
  if (d.gaps.length > 0) {
    out.push("");
    out.push(st.yellow(st.bold("Could not read:")));
    for (const g of d.gaps) out.push(`  • ${g.what}: ${g.reason}${g.detail ? ` — ${g.detail}` : ""}`);
  }
  return `${out.join("\n")}\n`;
}
