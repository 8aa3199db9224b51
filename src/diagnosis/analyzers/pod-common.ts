// Shared shape of the live-workload analyzers (catalogue §20): group a release's problem pods by workload.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import { classifyPod, type PodProblem, type PodProblemCode, podRefKey } from "../pods.js";
import type { Analyzer } from "../registry.js";
import type { Finding, Remediation, Severity } from "../types.js";
import { describeEvent, fmtAge, releaseWorkloads } from "../workloads.js";

export interface PodGroup {
  workload: { kind: string; name: string; namespace: string };
  problems: PodProblem[];
}

/** Problems of one code among the release's workload pods, grouped by the workload that owns them. */
export function podProblems(ix: SnapshotIndex, code: PodProblemCode): PodGroup[] {
  const groups: PodGroup[] = [];
  const seenPods = new Set<string>();
  for (const w of releaseWorkloads(ix)) {
    const problems: PodProblem[] = [];
    for (const pod of w.pods) {
      const k = podRefKey(ix, pod);
      if (seenPods.has(k)) continue;
      seenPods.add(k);
      const p = classifyPod(ix, pod);
      if (p?.code === code) problems.push(p);
    }
    if (problems.length > 0)
      groups.push({ workload: { kind: w.kind, name: w.name, namespace: w.namespace }, problems });
  }
  return groups;
}

export function podEvidence(ix: SnapshotIndex, p: PodProblem): { source: string; detail: string }[] {
  const name = p.pod.metadata?.name ?? "?";
  const age = ix.ageMs(p.pod.metadata?.creationTimestamp);
  const state = `${p.state}${p.container ? ` (container ${p.container})` : ""}${Number.isFinite(age) ? `, created ${fmtAge(age)} ago` : ""}`;
  const [first, ...rest] = p.events;
  // The kubelet's event usually carries the same message as the status: say it once, with its count.
  if (first) {
    const ev = [{ source: `pod ${name}`, detail: `${state}; event ${describeEvent(ix, first)}` }];
    for (const e of rest.slice(0, 2))
      ev.push({ source: `pod ${name}`, detail: `event ${describeEvent(ix, e)}` });
    return ev;
  }
  return [{ source: `pod ${name}`, detail: `${state}${p.message ? `: ${p.message}` : ""}` }];
}

export interface PodAnalyzerSpec {
  code: PodProblemCode;
  severity: Severity;
  /** Short state words for the title, e.g. "stuck in ContainerCreating". */
  what: string;
  why: (g: PodGroup) => string;
  remediations: (g: PodGroup, ix: SnapshotIndex) => Remediation[];
}

export function podAnalyzer(spec: PodAnalyzerSpec): Analyzer {
  return {
    code: spec.code,
    run(ix: SnapshotIndex): Finding[] {
      return podProblems(ix, spec.code).map((g) => {
        const n = g.problems.length;
        const first = g.problems[0]!;
        const missing = g.problems.find((p) => p.missing)?.missing;
        const about = [
          kindKey(g.workload.kind, g.workload.namespace, g.workload.name),
          ...g.problems.map((p) => podRefKey(ix, p.pod)),
        ];
        if (missing) about.push(kindKey(missing.kind, g.workload.namespace, missing.name));
        const resources: ResourceRef[] = [
          { kind: g.workload.kind, name: g.workload.name, namespace: g.workload.namespace },
          ...g.problems.map((p) => ({
            kind: "Pod",
            name: p.pod.metadata?.name ?? "",
            namespace: g.workload.namespace,
          })),
        ];
        const latest = ix.latest();
        return {
          code: spec.code,
          severity: spec.severity,
          role: "symptom",
          title:
            `${n} pod${n > 1 ? "s" : ""} of ${g.workload.kind} ${g.workload.name} ${spec.what}${first.message ? `: ${first.message}` : ""}`.slice(
              0,
              300,
            ),
          explanation: spec.why(g),
          resources,
          revisions: latest ? [latest.version] : [],
          evidence: g.problems.slice(0, 5).flatMap((p) => podEvidence(ix, p)),
          remediations: spec.remediations(g, ix),
          about,
        };
      });
    },
  };
}
