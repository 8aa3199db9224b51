// Ranking and folding: root causes first, most severe first. A finding whose subject (`about`) another
// finding explains (`explains`) becomes evidence of that finding — a stuck pod of a deleted ConfigMap, or a
// failed hook Job whose ServiceAccount only the manifest creates — instead of a finding of its own.
import { type Finding, SEVERITY_RANK } from "./types.js";

function explainer(f: Finding, all: Finding[]): Finding | undefined {
  const about = new Set(f.about ?? []);
  if (about.size === 0) return undefined;
  const mine = new Set(f.explains ?? []);
  const candidates = all.filter(
    (g) =>
      g !== f &&
      (g.explains ?? []).some((k) => about.has(k)) &&
      // Two findings that explain each other stay separate.
      !(g.about ?? []).some((k) => mine.has(k)) &&
      // A symptom never absorbs a root cause, and a root cause absorbs another only if at least as severe.
      !(g.role === "symptom" && f.role === "root") &&
      !(f.role === "root" && SEVERITY_RANK[g.severity] > SEVERITY_RANK[f.severity]),
  );
  return candidates.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity])[0];
}

export function rankAndFold(findings: Finding[]): Finding[] {
  const cause = new Map<Finding, Finding>();
  for (const f of findings) {
    const g = explainer(f, findings);
    if (g) cause.set(f, g);
  }
  const top = (f: Finding): Finding => {
    const seen = new Set<Finding>([f]);
    let cur = f;
    while (cause.has(cur)) {
      const next = cause.get(cur)!;
      if (seen.has(next)) return f; // a cycle: keep it where it is
      seen.add(next);
      cur = next;
    }
    return cur;
  };
  const kept: Finding[] = [];
  for (const f of findings) {
    const root = top(f);
    if (root === f) {
      kept.push(f);
      continue;
    }
    if (f.role === "root") {
      root.evidence.push({ source: `also (${f.code})`, detail: f.title });
    }
    // What a root cause explains is as bad as its worst symptom.
    const lent = f.lends ?? f.severity;
    if (SEVERITY_RANK[lent] < SEVERITY_RANK[root.severity]) root.severity = lent;
    for (const e of f.evidence) {
      if (!root.evidence.some((x) => x.source === e.source && x.detail === e.detail)) root.evidence.push(e);
    }
    for (const r of f.resources) {
      if (!root.resources.some((x) => x.kind === r.kind && x.name === r.name)) root.resources.push(r);
    }
  }
  return kept
    .map((f, i) => ({ f, i }))
    .sort(
      (a, b) =>
        SEVERITY_RANK[a.f.severity] - SEVERITY_RANK[b.f.severity] ||
        (a.f.role === b.f.role ? 0 : a.f.role === "root" ? -1 : 1) ||
        a.i - b.i,
    )
    .map((x) => x.f);
}
