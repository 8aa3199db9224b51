// The JSON report: internal folding fields (role, explains, about, lends) are left out.
import type { Diagnosis, Finding } from "../diagnosis/types.js";

export function findingJson(f: Finding) {
  return {
    code: f.code,
    severity: f.severity,
    title: f.title,
    ...(f.impact ? { impact: f.impact } : {}),
    explanation: f.explanation,
    resources: f.resources,
    revisions: f.revisions,
    evidence: f.evidence,
    remediations: f.remediations,
  };
}

export function diagnosisJson(d: Diagnosis) {
  return {
    release: d.release,
    namespace: d.namespace,
    revision: d.revision ?? null,
    status: d.status ?? null,
    chart: d.chart ?? null,
    appVersion: d.appVersion ?? null,
    revisions: d.revisions,
    findings: d.findings.map(findingJson),
    gaps: d.gaps,
    now: d.now,
    source: d.source,
  };
}
