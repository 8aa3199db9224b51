// Ranking and folding: root causes first, most severe first. A finding whose subject (`about`) another
// finding explains (`explains`) becomes evidence of that finding — a stuck pod of a deleted ConfigMap, or a
// failed hook Job whose ServiceAccount only the manifest creates — instead of a finding of its own.
import { type Evidence, type Finding, SEVERITY_RANK } from "./types.js";

// What an evidence line is about: its kind of source (a revision's record or hooks, the live cluster, a pod, a
// manifest) and the objects it names. Two analyzers describing the same hook or pod say the same thing twice.
const KIND_WORDS =
  /\b(Job|Pod|ConfigMap|Secret|ServiceAccount|Deployment|StatefulSet|DaemonSet|ReplicaSet|PersistentVolumeClaim|Service|Ingress|CustomResourceDefinition) (?:[a-z0-9][\w.-]*\/)?([a-z0-9][\w.-]*)/g;

function category(source: string): string {
  const s = source.toLowerCase();
  if (/^revision \d+ hooks$/.test(s)) return `hooks ${s}`;
  if (/^revision \d+( record)?$/.test(s)) return `record ${/\d+/.exec(s)![0]}`;
  if (s.startsWith("live")) return "live";
  if (/^pods? /.test(s)) return "pod";
  if (/ events$/.test(s)) return "events";
  return s;
}

function subjects(e: Evidence): Set<string> {
  const text = `${e.source}: ${e.detail}`;
  const out = new Set<string>();
  for (const m of text.matchAll(KIND_WORDS)) out.add(`${m[1]}/${m[2]}`);
  // "pod a", "pods a, b" name pods without their kind word.
  const pods = /^pods? ([\w.,\s-]+)$/.exec(e.source);
  if (pods) for (const n of pods[1]!.split(/,\s*/)) out.add(`Pod/${n.trim()}`);
  return out;
}

/** Does `a` already state what `b` says: the same line, or the same kind of source about the same object? */
function sameFact(a: Evidence, b: Evidence): boolean {
  if (a.source === b.source && a.detail === b.detail) return true;
  const ca = category(a.source);
  if (ca !== category(b.source)) return false;
  if (ca.startsWith("record ")) return true;
  const sa = subjects(a);
  const sb = subjects(b);
  if (sa.size === 0 || sb.size === 0) return false;
  for (const x of sb) if (sa.has(x)) return true;
  return false;
}

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
      if (!root.evidence.some((x) => sameFact(x, e))) root.evidence.push(e);
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
