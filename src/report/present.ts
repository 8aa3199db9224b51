// What every presentation of a diagnosis shares: one time format, each fact once, fixes in the order a person
// should try them, and the label and command of each fix. Pure.
import { type Diagnosis, type Finding, isExecutableAction, type Remediation } from "../diagnosis/types.js";
import { utc } from "../diagnosis/workloads.js";
import type { PlanPrediction } from "../remediation/types.js";
import type { ReleaseListing } from "../snapshot/build.js";

// Analyzers quote Helm's and the API server's RFC 3339 times; reports show one format.
const ISO = /\b(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d))\b/g;

/** Every RFC 3339 time in a text, as "2026-11-24 11:28:01 UTC". */
export function oneTimeFormat(text: string): string {
  // A time has colons: most texts have none, and the scan is the cost on huge ones.
  return text.includes(":") ? text.replace(ISO, (m) => utc(m) ?? m) : text;
}

/** Least invasive first: one object < a leftover < a re-run < a rollback; advice last. */
const INVASIVENESS: Record<string, number> = {
  "restore-hook-resources": 0,
  "delete-leftover-hook": 1,
  "rerun-upgrade": 2,
  rollback: 3,
  manual: 4,
  "chart-fix": 5,
};

/** An action helm-doctor can carry out (the others are advice). */
export function isExecutable(r: Remediation): boolean {
  return isExecutableAction(r.action);
}

/** A fix to offer: executable, and not shown by its prediction to leave the finding (or worse). */
export function isOffered(r: Remediation): boolean {
  return isExecutable(r) && r.verified !== false;
}

/** Executable, but its prediction says it does not fix the finding: shown as "Not a fix", with the reason. */
export function isRejected(r: Remediation): boolean {
  return isExecutable(r) && r.verified === false;
}

/**
 * The fixes in the order to try them: among the ones helm-doctor can carry out, the proven ones first, least
 * invasive first (restore one object < delete a leftover hook < re-run the upgrade < roll back), the first proven
 * one marked `recommended`; the ones shown not to fix it after them. Advice keeps the place its analyzer gave it
 * (it may say "do this first").
 */
export function orderedRemediations(f: Finding): Remediation[] {
  const rank = (r: Remediation) => (isRejected(r) ? 1 : 0);
  const executable = f.remediations
    .map((r, i) => ({ r, i }))
    .filter((x) => isExecutable(x.r))
    .sort(
      (a, b) => rank(a.r) - rank(b.r) || INVASIVENESS[a.r.action]! - INVASIVENESS[b.r.action]! || a.i - b.i,
    )
    .map((x) => x.r);
  const first = executable.find((r) => r.verified === true);
  const marked = executable.map((r) => (r.verified === undefined ? r : { ...r, recommended: r === first }));
  let next = 0;
  return f.remediations.map((r) => (isExecutable(r) ? marked[next++]! : r));
}

/** The fixes a summary shows: the offered ones, and advice the analyzer put before them (or alone). */
export function summaryRemediations(f: Finding): Remediation[] {
  const ordered = orderedRemediations(f).filter((r) => !isRejected(r));
  const first = ordered.findIndex(isExecutable);
  if (first < 0) {
    const advice = ordered.find((r) => r.action === "manual") ?? ordered[0];
    return advice ? [advice] : [];
  }
  return ordered.filter((r, i) => isExecutable(r) || (i < first && r.action === "manual"));
}

/** "Not a fix: Roll back to revision 1 — rolling back re-runs the failing pre-rollback hook …" */
export function notAFix(r: Remediation): string {
  return `Not a fix: ${remediationLabel(r)} — ${r.reason ?? "its prediction leaves the finding"}`;
}

function objects(r: Remediation): string {
  const list = (r.resources ?? []).map((x) => `${x.kind} ${x.name}`);
  if (list.length === 0) return "";
  return list.length === 1 ? list[0]! : `${list.length} objects`;
}

/**
 * A fix in a few words, naming what it acts on: "Restore ConfigMap basic-app-config", "Roll back to revision 1";
 * a first step names the one that follows ("Delete the leftover Job x, then re-run the upgrade (revision 3)").
 */
export function remediationLabel(r: Remediation): string {
  const label = actionLabel(r);
  if (!r.followedBy) return label;
  const then = actionLabel({ ...r.followedBy, summary: "" });
  return `${label}, then ${then.charAt(0).toLowerCase()}${then.slice(1)}`;
}

function actionLabel(r: Remediation): string {
  switch (r.action) {
    case "rerun-upgrade":
      return r.revision !== undefined ? `Re-run the upgrade (revision ${r.revision})` : "Re-run the upgrade";
    case "rollback":
      return `Roll back to revision ${r.revision}`;
    case "restore-hook-resources":
      return `Restore ${objects(r) || "the hook objects"}`;
    case "delete-leftover-hook":
      return `Delete the leftover ${objects(r) || "hook objects"}`;
    case "chart-fix":
      return "Chart fix";
    default:
      return "What to do";
  }
}

/** The CLI command that carries out a fix, when helm-doctor can. */
export function remediationCommand(
  d: { release: string; namespace: string },
  r: Remediation,
): string | undefined {
  const ns = ` -n ${d.namespace}`;
  switch (r.action) {
    case "rerun-upgrade":
      return `helm-doctor rerun ${d.release}${ns}${r.revision !== undefined ? ` --revision ${r.revision}` : ""}`;
    case "rollback":
      return r.revision !== undefined ? `helm-doctor rollback ${d.release} ${r.revision}${ns}` : undefined;
    case "restore-hook-resources":
      return `helm-doctor restore-hooks ${d.release}${ns}${r.revision !== undefined ? ` --revision ${r.revision}` : ""}`;
    case "delete-leftover-hook": {
      // No helm-doctor command deletes a leftover hook: kubectl does, then the step that needed it gone.
      const del = (r.resources ?? []).map(
        (o) => `kubectl delete ${o.kind.toLowerCase()} -n ${o.namespace ?? d.namespace} ${o.name}`,
      );
      if (del.length === 0) return undefined;
      const then = r.followedBy ? remediationCommand(d, r.followedBy as Remediation) : undefined;
      return [...del, ...(then ? [then] : [])].join(" && ");
    }
    default:
      return undefined;
  }
}

/**
 * What a plan is expected to leave, for the person confirming it: "After this: no findings", or where it stops
 * and the findings that remain, then what the prediction had to assume.
 */
export function afterThis(p: PlanPrediction): { head: string; items: string[] } {
  const n = p.findings.length;
  const head = p.failure
    ? `After this: it stops where Helm stops — ${oneTimeFormat(p.why ?? p.failure.replace(/\s+/g, " ").trim())}`
    : n === 0
      ? "After this: no findings"
      : `After this: ${n} finding${n === 1 ? " remains" : "s remain"}`;
  return {
    head,
    items: [
      ...p.findings.map((f) => `${f.severity} ${f.code}: ${oneTimeFormat(f.title)}`),
      ...p.assumptions.map((a) => `assuming ${a}`),
    ],
  };
}

// A pod's UID in an event message ("…in pod web-5d8f_shop(0a1b…)") says nothing to a reader.
const POD_UID = /_[a-z0-9-]+\([0-9a-f]{8}-[0-9a-f-]{27}\)/g;

/**
 * The same fact said twice: the same detail, a detail another one contains (a record's description quoted again
 * with its status), or several pods in the same state (one line naming them all).
 */
function dedupe(evidence: Finding["evidence"]): Finding["evidence"] {
  const out: Finding["evidence"] = [];
  const pods = new Map<string, number>();
  for (const e of evidence) {
    const detail = (e.detail.includes("(") ? e.detail.replace(POD_UID, "") : e.detail).trim();
    const pod = /^pod ([a-z0-9.-]+)$/.exec(e.source)?.[1];
    if (pod) {
      const key = detail.split(pod).join("{pod}");
      const at = pods.get(key);
      if (at !== undefined) {
        const prev = out[at]!;
        out[at] = { ...prev, source: prev.source.replace(/^pods? /, "pods ").concat(`, ${pod}`) };
        continue;
      }
      pods.set(key, out.length);
    }
    if (out.some((o) => o.detail === detail)) continue;
    const inside = out.findIndex((o) => detail.length >= 25 && o.detail.includes(detail));
    if (inside >= 0) continue;
    const holds =
      detail.length > 40 ? out.findIndex((o) => o.detail.length >= 40 && detail.includes(o.detail)) : -1;
    if (holds >= 0) {
      out[holds] = { source: e.source, detail };
      continue;
    }
    out.push({ source: e.source, detail });
  }
  return out;
}

/**
 * At most `max` UTF-16 units, ending in "…" when cut (never inside a surrogate pair). Human reports never need a
 * quoted log or error longer than this, and every later step (time format, dedupe, layout) costs by length.
 */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** A diagnosis as every report shows it: one time format, each evidence line once, fixes in order. */
export function present(d: Diagnosis): Diagnosis {
  const t = oneTimeFormat;
  // Across findings too: evidence an earlier finding showed is pointed to, not repeated; the same
  // explanation (two findings of one cause) is told once.
  const shownBy = new Map<string, string>();
  const explainedBy = new Map<string, string>();
  return {
    ...d,
    findings: d.findings.map((f) => {
      const evidence = dedupe(
        f.evidence.map((e) => ({ source: t(clip(e.source, 300)), detail: t(clip(e.detail, 1500)) })),
      );
      const fresh = evidence.filter((e) => !shownBy.has(e.detail));
      const earlier = [
        ...new Set(evidence.filter((e) => shownBy.has(e.detail)).map((e) => shownBy.get(e.detail)!)),
      ];
      for (const e of fresh) shownBy.set(e.detail, f.code);
      const explanation = t(clip(f.explanation, 6000));
      const told = explainedBy.get(explanation);
      if (!told) explainedBy.set(explanation, f.code);
      return {
        ...f,
        title: t(clip(f.title, 500)),
        explanation: told ? `The same as explained above for ${told}.` : explanation,
        ...(f.impact ? { impact: t(clip(f.impact, 500)) } : {}),
        evidence: [
          ...fresh,
          ...earlier.map((code) => ({ source: "see above", detail: `the evidence shown for ${code}` })),
        ],
        remediations: orderedRemediations(f).map((r) => ({ ...r, summary: t(clip(r.summary, 1500)) })),
      };
    }),
  };
}

// Failed first, then stuck operations, then the rest; deployed last.
const STATUS_RANK: Record<string, number> = {
  failed: 0,
  "pending-install": 1,
  "pending-upgrade": 1,
  "pending-rollback": 1,
  uninstalling: 2,
  unknown: 3,
  superseded: 4,
  uninstalled: 5,
  deployed: 9,
};

/** A release whose latest revision is not deployed needs someone to look at it. */
export function needsAttention(r: ReleaseListing): boolean {
  return r.status !== "deployed";
}

/** `list`, in Slack and the terminal: the releases needing attention first, then by namespace and name. */
export function triage(listings: ReleaseListing[]): ReleaseListing[] {
  return [...listings].sort(
    (a, b) =>
      (STATUS_RANK[a.status] ?? 3) - (STATUS_RANK[b.status] ?? 3) ||
      a.namespace.localeCompare(b.namespace) ||
      a.name.localeCompare(b.name),
  );
}
