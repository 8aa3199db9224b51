// Pods Pending because the scheduler finds no node (FailedScheduling: insufficient resources, taints,
// node selectors/affinity). Unbound PVCs are pod-pvc-unbound.
//
// Severity: critical when the pods belong to a Deployment's new ReplicaSet (the rollout is stuck) or no pod
// of the workload is ready; a warning when the workload still serves with fewer replicas than wanted.

import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  impact,
  type PodGroup,
  podAnalyzer,
  rollbackToGood,
  stuckOrDownSeverity,
  templateOriginParts,
  templatePath,
  verdict,
} from "../pod-analyzer.js";
import type { Remediation } from "../types.js";

const RELEVANT = ["resources", "scheduling"] as const;

/** The scheduler's reasons, e.g. ["3 Insufficient cpu", "1 node(s) had untolerated taint {…}"]. */
export function schedulerReasons(msg: string): string[] {
  const m = /nodes are available: (.*?)(?:\.\s*preemption:|$)/.exec(msg);
  if (!m) return [];
  return m[1]!
    .split(/,\s*(?=\d+ )/)
    .map((s) => s.trim().replace(/\.$/, ""))
    .filter(Boolean);
}

function advice(msg: string): string {
  const a: string[] = [];
  if (/Insufficient (cpu|memory|ephemeral-storage|nvidia|[\w./-]+)/.test(msg))
    a.push(
      "lower the pods' resource requests or add node capacity (the cluster autoscaler, if any, could not help)",
    );
  if (/taint/.test(msg)) a.push("add a toleration for the taint, or schedule onto untainted nodes");
  if (/node affinity|node selector|nodeSelector/i.test(msg))
    a.push("fix the nodeSelector/affinity so that it matches node labels (kubectl get nodes --show-labels)");
  if (/volume node affinity conflict/.test(msg))
    a.push(
      "the pod's volume lives in another zone than the nodes that fit: pin the pod to that zone or move the volume",
    );
  if (/didn't have free ports|port/.test(msg)) a.push("free the hostPort or drop it");
  if (/Too many pods/.test(msg)) a.push("the nodes are at their pod limit: add nodes");
  return a.length ? a.join("; ") : "compare the pod's requests, selectors and tolerations with the nodes";
}

function why(g: PodGroup): string {
  const p = g.problems[0]!;
  const o = g.ctx.origin;
  const wl = `${g.workload.kind} ${g.workload.name}`;
  const reasons = schedulerReasons(p.message);
  const parts = [
    `The scheduler cannot place ${g.problems.length} pod${g.problems.length > 1 ? "s" : ""} of ${wl}: ${reasons.length ? reasons.join("; ") : p.message || "no node fits"}.`,
  ];
  const rel = o.changes.filter((c) => (RELEVANT as readonly string[]).includes(c.field));
  if (o.introduced && o.before && rel.length)
    parts.push(
      `Revision ${o.introduced.rel.version} changed what the pods ask of a node: ${rel.map((c) => c.text).join("; ")}.`,
    );
  else if (o.introduced && o.before)
    parts.push(
      `Revision ${o.introduced.rel.version} did not change requests or placement (${o.changes.map((c) => c.text).join("; ") || "no compared field"}), but a rollout needs room for the new pods next to the old ones (maxSurge): the cluster is simply full.`,
    );
  parts.push(impact(g));
  parts.push(verdict(g));
  return parts.join(" ");
}

function remediations(g: PodGroup, ix: SnapshotIndex): Remediation[] {
  const out: Remediation[] = [];
  const o = g.ctx.origin;
  if (o.changes.some((c) => (RELEVANT as readonly string[]).includes(c.field))) {
    const rb = rollbackToGood(
      ix,
      g,
      `revision ${o.introduced?.rel.version} changed the pods' requests or placement`,
    );
    if (rb) out.push(rb);
  }
  out.push({
    action: "manual",
    summary: `${advice(g.problems[0]!.message)[0]!.toUpperCase()}${advice(g.problems[0]!.message).slice(1)}; requests and placement are set in ${templatePath(g)} or its values.`,
  });
  return out;
}

const analyzer: Analyzer = podAnalyzer({
  code: "pod-unschedulable",
  severity: stuckOrDownSeverity,
  what: "cannot be scheduled",
  title: (g) => {
    const n = g.problems.length;
    const reasons = schedulerReasons(g.problems[0]!.message);
    const o = g.ctx.origin;
    const since =
      o.introduced && o.before && o.changes.some((c) => (RELEVANT as readonly string[]).includes(c.field))
        ? ` since revision ${o.introduced.rel.version}`
        : "";
    return `${g.workload.kind} ${g.workload.name}: ${n} pod${n > 1 ? "s" : ""} cannot be scheduled${since} (${reasons.length ? reasons.join(", ") : g.problems[0]!.message || "no node fits"})`;
  },
  why,
  remediations,
  ...templateOriginParts(RELEVANT),
});

export default analyzer;
