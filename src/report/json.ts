// The JSON report: internal folding fields (role, explains, about, lends) are left out. Remediations come in the
// order to try them, each with the label and command the text report prints and, once proven on the snapshot,
// `verified`, `predicted` (the codes left after it), `recommended` and `reason`.
import type { Diagnosis, Finding, Remediation } from "../diagnosis/types.js";
import { orderedRemediations, remediationCommand, remediationLabel } from "./present.js";

function remediationJson(d: { release: string; namespace: string }, r: Remediation) {
  const command = remediationCommand(d, r);
  return { ...r, label: remediationLabel(r), ...(command ? { command } : {}) };
}

export function findingJson(f: Finding, d: { release: string; namespace: string }) {
  return {
    code: f.code,
    severity: f.severity,
    title: f.title,
    ...(f.impact ? { impact: f.impact } : {}),
    explanation: f.explanation,
    resources: f.resources,
    revisions: f.revisions,
    evidence: f.evidence,
    remediations: orderedRemediations(f).map((r) => remediationJson(d, r)),
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
    findings: d.findings.map((f) => findingJson(f, d)),
    gaps: d.gaps,
    now: d.now,
    source: d.source,
  };
}
