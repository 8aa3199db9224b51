// Containers that start and exit again (CrashLoopBackOff), not for memory (that is pod-oom-killed).
// Usually bad values or config in the latest upgrade, a skipped migration or a rotated secret.
//
// Severity: always critical — a crash-looping container serves nothing, and when it is the new ReplicaSet's
// the rollout is stuck.

import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  impact,
  type PodGroup,
  podAnalyzer,
  rollbackToGood,
  templateOriginParts,
  verdict,
} from "../pod-analyzer.js";
import type { Remediation } from "../types.js";

function exitText(g: PodGroup): string {
  const p = g.problems[0]!;
  const t = p.lastTermination;
  if (!t) return "keeps exiting";
  return `exits with code ${t.exitCode ?? "?"}${t.reason && t.reason !== "Error" ? ` (${t.reason})` : ""}`;
}

function why(g: PodGroup): string {
  const p = g.problems[0]!;
  const o = g.ctx.origin;
  const wl = `${g.workload.kind} ${g.workload.name}`;
  const restarts = g.problems.reduce((n, x) => n + (x.restarts ?? 0), 0);
  const words = p.lastTermination?.message;
  const parts = [
    `Container ${p.container ?? "?"} of ${wl} starts and ${exitText(g)}; the kubelet restarts it with a growing back-off (${restarts} restart${restarts === 1 ? "" : "s"} across ${g.problems.length} pod${g.problems.length > 1 ? "s" : ""}).`,
  ];
  if (words) parts.push(`Its last words (termination message): "${words}".`);
  if (o.introduced && o.before)
    parts.push(
      `These pods run the pod template of revision ${o.introduced.rel.version}, which changed since revision ${o.before.rel.version}: ${o.changes.map((c) => c.text).join("; ") || "nothing helm-doctor compares (perhaps a ConfigMap/Secret it reads)"}. The crash most likely comes from that change; the container log says why.`,
    );
  else if (o.introduced)
    parts.push(
      `The pod template is unchanged since revision ${o.introduced.rel.version}, so no upgrade changed the container itself: look at what it reads at start-up (ConfigMaps, Secrets — a hook-generated password rotated by an upgrade — a database schema whose migration hook was skipped) and at its dependencies.`,
    );
  parts.push(impact(g));
  parts.push(verdict(g));
  return parts.join(" ");
}

function remediations(g: PodGroup, ix: SnapshotIndex): Remediation[] {
  const p = g.problems[0]!;
  const out: Remediation[] = [];
  const v = g.ctx.origin.introduced?.rel.version;
  const rb = rollbackToGood(ix, g, `revision ${v} changed the pod template`);
  if (rb) out.push(rb);
  out.push({
    action: "manual",
    summary: `Read why it exits: kubectl logs -n ${g.workload.namespace} ${p.pod.metadata?.name} -c ${p.container ?? "<container>"} --previous; fix the values or config it complains about and upgrade again.`,
  });
  return out;
}

const analyzer: Analyzer = podAnalyzer({
  code: "pod-crash-loop",
  severity: "critical",
  what: "crash-loop",
  title: (g) => {
    const p = g.problems[0]!;
    const o = g.ctx.origin;
    const n = g.problems.length;
    const since = o.introduced && o.before ? ` since revision ${o.introduced.rel.version}` : "";
    const words = p.lastTermination?.message;
    const quote = words ? ` ("${words.length > 100 ? `${words.slice(0, 99)}…` : words}")` : "";
    return `${g.workload.kind} ${g.workload.name} is crash-looping${since}: container ${p.container ?? "?"} ${exitText(g)}${quote} (${n} pod${n > 1 ? "s" : ""} in ${p.state})`;
  },
  why,
  remediations,
  ...templateOriginParts(),
});

export default analyzer;
