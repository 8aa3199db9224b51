// Plain-text report for a person at a terminal.
import type { Diagnosis, Finding, Remediation, RevisionSummary } from "../diagnosis/types.js";
import { type Style, wrapText } from "./style.js";

const WIDTH = 100;

/** Wrap with a hanging indent: the first line at `first`, the rest at `rest`. */
function hanging(text: string, first: string, rest: string): string {
  return first + wrapText(text, WIDTH - rest.length, rest).slice(rest.length);
}

/** The CLI command that carries out a remediation, when there is one. */
export function remediationCommand(
  d: { release: string; namespace: string },
  r: Remediation,
): string | undefined {
  const ns = ` -n ${d.namespace}`;
  switch (r.action) {
    case "rerun-upgrade":
      return `helm-doctor rerun ${d.release}${ns}`;
    case "rollback":
      return r.revision !== undefined ? `helm-doctor rollback ${d.release} ${r.revision}${ns}` : undefined;
    case "restore-hook-resources":
      return `helm-doctor restore-hooks ${d.release}${ns}`;
    default:
      return undefined;
  }
}

export function actionLabel(r: Remediation): string {
  switch (r.action) {
    case "rerun-upgrade":
      return `Re-run upgrade (revision ${r.revision})`;
    case "rollback":
      return `Roll back to revision ${r.revision}`;
    case "restore-hook-resources":
      return "Restore hook objects";
    case "delete-leftover-hook":
      return "Delete leftover hook objects";
    case "chart-fix":
      return "Chart fix";
    default:
      return "What to do";
  }
}

function severityTag(f: Finding, st: Style): string {
  if (f.severity === "critical") return st.red(st.bold("CRITICAL"));
  if (f.severity === "warning") return st.yellow(st.bold("WARNING "));
  return st.cyan("INFO    ");
}

export function historyTable(
  rows: RevisionSummary[],
  extra: { revision: number; status: string; error: string }[] = [],
): string {
  // Helm's multi-error descriptions span lines ("1 error occurred:\n\t* job … failed"): one row each.
  const oneLine = (t: string) => t.replace(/\s*\n\s*/g, " ").trim();
  const all = [
    ...rows.map((r) => [
      String(r.revision),
      r.updated,
      r.status,
      r.chart,
      r.appVersion,
      oneLine(r.description),
    ]),
    ...extra.map((e) => [String(e.revision || "?"), "", e.status, "", "", `undecodable record: ${e.error}`]),
  ].sort((a, b) => Number(a[0]) - Number(b[0]));
  const head = ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"];
  const widths = head.map((h, i) => Math.max(h.length, ...all.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [fmt(head), ...all.map(fmt)].join("\n");
}

export function renderText(d: Diagnosis, st: Style): string {
  const out: string[] = [];
  const facts =
    d.revision !== undefined
      ? `revision ${d.revision} ${d.status}, chart ${d.chart || "?"}${d.appVersion ? `, app ${d.appVersion}` : ""}`
      : "no readable revision";
  const worst = d.findings[0]?.severity;
  const mark = worst === "critical" ? st.red("✖") : worst === "warning" ? st.yellow("!") : st.green("✔");
  out.push(`${mark} ${st.bold(`${d.namespace}/${d.release}`)} — ${facts}`);
  if (d.findings.length === 0) out.push(st.green("  No problems found."));
  for (const f of d.findings) {
    out.push("");
    out.push(`${severityTag(f, st)} ${st.bold(f.title)} ${st.dim(`[${f.code}]`)}`);
    out.push(wrapText(f.explanation, WIDTH, "  "));
    if (f.evidence.length > 0) {
      out.push(st.bold("  Evidence:"));
      for (const e of f.evidence) out.push(hanging(`• ${e.source}: ${e.detail}`, "    ", "      "));
    }
    if (f.remediations.length > 0) {
      out.push(st.bold("  Fix:"));
      for (const r of f.remediations) {
        out.push(hanging(`→ ${actionLabel(r)}: ${r.summary}`, "    ", "      "));
        const cmd = remediationCommand(d, r);
        if (cmd) out.push(`      ${st.cyan(`$ ${cmd}`)}`);
      }
    }
  }
  if (d.revisions.length > 0) {
    out.push("");
    out.push(st.bold("History:"));
    out.push(
      historyTable(d.revisions)
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
    );
  }
  if (d.gaps.length > 0) {
    out.push("");
    out.push(st.yellow(st.bold("Could not read:")));
    for (const g of d.gaps) out.push(`  • ${g.what}: ${g.reason}${g.detail ? ` — ${g.detail}` : ""}`);
  }
  return `${out.join("\n")}\n`;
}
