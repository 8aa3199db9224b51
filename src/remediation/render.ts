// Plain-text rendering of plans and results, for the CLI (and anything else that wants text).
import { refString } from "../helm/keys.js";
import { afterThis } from "../report/present.js";
import { wrapText } from "../report/style.js";
import type { Plan, ProgressEvent, RemediationResult } from "./types.js";

const TITLES: Record<Plan["action"], string> = {
  "rerun-upgrade": "Re-run upgrade",
  rollback: "Roll back",
  "restore-hook-resources": "Restore hook objects",
  "delete-leftover-hook": "Delete leftover hook objects",
};

export function planTitle(p: Plan): string {
  const what =
    p.action === "rollback"
      ? `${TITLES.rollback} ${p.namespace}/${p.release}${p.sourceRevision !== undefined ? ` to revision ${p.sourceRevision}` : ""}`
      : p.action === "rerun-upgrade"
        ? `${TITLES[p.action]} of ${p.namespace}/${p.release}${p.sourceRevision !== undefined ? ` with revision ${p.sourceRevision}'s chart and values` : ""}`
        : `${TITLES[p.action]} of ${p.namespace}/${p.release}${p.sourceRevision !== undefined ? ` (revision ${p.sourceRevision})` : ""}`;
  return what;
}

export function renderPlan(p: Plan): string {
  const out: string[] = [];
  out.push(`Plan: ${planTitle(p)}`);
  out.push(`  latest revision: ${p.expectedRevision}`);
  if (p.refusal) {
    out.push(`  refused: ${p.refusal}`);
    return `${out.join("\n")}\n`;
  }
  if (p.newRevision !== undefined) {
    out.push(`  writes revision ${p.newRevision}${p.applyMethod === "ssa" ? " (server-side apply)" : ""}`);
  }
  if (p.transitions.length > 0) {
    out.push("  Revisions:");
    for (const t of p.transitions) {
      out.push(
        `    ${t.revision}: ${t.from} → ${t.to.join(" → ")}${t.description ? `  "${t.description}"` : ""}`,
      );
    }
  }
  if (p.hooks.length > 0) {
    out.push("  Hooks, in order:");
    for (const h of p.hooks) {
      out.push(
        `    ${h.event}  ${h.kind} ${h.name}  weight ${h.weight}  policies ${h.policies.join(",")}${h.waits ? "  (waits for completion)" : ""}`,
      );
    }
  } else if (p.newRevision !== undefined) {
    out.push("  Hooks: none");
  }
  if (p.changes.length > 0) {
    out.push("  Objects:");
    for (const c of p.changes) out.push(`    ${c.op.padEnd(6)} ${refString(c.ref)}: ${c.reason}`);
  }
  // Long warnings and notes wrap under themselves, as the diagnosis report's prose does.
  const hang = (mark: string, text: string) => `  ${mark} ${wrapText(text, 96, "    ").trimStart()}`;
  for (const w of p.warnings) out.push(hang("!", w));
  for (const n of p.notes) out.push(hang("·", n));
  if (p.prediction) {
    const a = afterThis(p.prediction);
    out.push(`  ${a.head}`);
    for (const i of a.items) out.push(`    ${i}`);
  }
  return `${out.join("\n")}\n`;
}

export function renderProgress(e: ProgressEvent): string {
  return `[${(e.elapsedMs / 1000).toFixed(1)}s] ${e.message}\n`;
}

export function renderResult(r: RemediationResult): string {
  const out: string[] = [];
  switch (r.outcome) {
    case "succeeded":
      out.push(
        r.revision !== undefined
          ? `Done: revision ${r.revision} ${r.status}${r.resumed ? " (continued an interrupted run)" : ""}.`
          : "Done.",
      );
      break;
    case "already-done":
      out.push(`Already done: operation ${r.operationId} wrote revision ${r.revision} (${r.status}).`);
      break;
    case "failed":
      out.push(`Failed${r.revision !== undefined ? `: revision ${r.revision} ${r.status}` : ""}.`);
      break;
    case "refused":
      out.push("Refused; nothing was changed.");
      break;
    case "dry-run":
      out.push("Dry run: nothing was changed.");
      break;
  }
  for (const e of r.errors) out.push(`  error: ${e.trim().replace(/\n\s*/g, " ")}`);
  if (r.check) out.push(r.check.text);
  // The plan (printed before) already shows its own warnings.
  for (const w of r.warnings.filter((x) => !r.plan.warnings.includes(x))) out.push(`  warning: ${w}`);
  if (r.historyLine) {
    out.push("");
    out.push("REVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\tDESCRIPTION");
    out.push(r.historyLine);
  }
  return `${out.join("\n")}\n`;
}
