// Pods that run but never become Ready (readiness probe failing). Pods younger than two minutes without a
// failed probe are still starting and are left alone.
//
// Severity: critical when they are a Deployment's new ReplicaSet (the rollout is stuck, `--wait` times out,
// `--atomic` rolls back) or no pod of the workload is ready; a warning when the workload still serves.

import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  impact,
  type PodGroup,
  podAnalyzer,
  rollbackToGood,
  rolloutInProgress,
  stuckOrDownSeverity,
  templateOriginParts,
  verdict,
} from "../pod-analyzer.js";
import type { Remediation } from "../types.js";

const RELEVANT = ["probes", "image", "env", "command", "volumes"] as const;

function why(g: PodGroup, ix: SnapshotIndex): string {
  const p = g.problems[0]!;
  const until = rolloutInProgress(ix, g);
  const o = g.ctx.origin;
  const wl = `${g.workload.kind} ${g.workload.name}`;
  const parts = [
    `${g.problems.length} pod${g.problems.length > 1 ? "s" : ""} of ${wl} ${g.problems.length > 1 ? "are" : "is"} running but not Ready${p.events.length ? `: ${p.message}` : ""}, so Services send them no traffic and the Deployment does not count them as available.`,
  ];
  const rel = o.changes.filter((c) => (RELEVANT as readonly string[]).includes(c.field));
  if (o.introduced && o.before)
    parts.push(
      `Revision ${o.introduced.rel.version} changed the pod template: ${(rel.length ? rel : o.changes).map((c) => c.text).join("; ") || "no field helm-doctor compares"}.`,
    );
  if (until) {
    parts.push(
      `The rollout is still inside its progress deadline (until ${until.toISOString()}), and the old pods still serve the full replica count: nothing is down. If the new pods are not Ready by then, the Deployment reports ProgressDeadlineExceeded and \`helm upgrade --wait\` fails.`,
    );
    return parts.join(" ");
  }
  parts.push(impact(g));
  parts.push(verdict(g));
  return parts.join(" ");
}

function remediations(g: PodGroup, ix: SnapshotIndex): Remediation[] {
  const out: Remediation[] = [];
  const until = rolloutInProgress(ix, g);
  if (until) {
    // Inside its deadline with the old pods serving: undoing it now would roll back a deploy that may yet finish.
    const p = g.problems[0]!;
    out.push({
      action: "manual",
      summary: `Wait: the rollout has until ${until.toISOString()} (its progressDeadlineSeconds) and nothing is down meanwhile. Watch it with \`kubectl rollout status ${g.workload.kind.toLowerCase()}/${g.workload.name} -n ${g.workload.namespace}\`; if the new pods are still not Ready then, diagnose again — a rollback is offered once the rollout has failed. Meanwhile \`kubectl describe pod -n ${g.workload.namespace} ${p.pod.metadata?.name}\` shows why the readiness check fails.`,
    });
    return out;
  }
  const rb = rollbackToGood(
    ix,
    g,
    `revision ${g.ctx.origin.introduced?.rel.version} changed the pod template`,
  );
  if (rb) out.push(rb);
  const p = g.problems[0]!;
  out.push({
    action: "manual",
    summary: `Find out why the readiness check fails: kubectl describe pod -n ${g.workload.namespace} ${p.pod.metadata?.name} (probe target and failures) and kubectl logs ${p.pod.metadata?.name}${p.container ? ` -c ${p.container}` : ""}; a dependency it checks (database, another service) may be down, or the probe path/port is wrong.`,
  });
  return out;
}

const analyzer: Analyzer = podAnalyzer({
  code: "pod-not-ready",
  // In progress within its deadline, the old pods serving: a warning to watch, not an outage.
  severity: (g, ix) => (rolloutInProgress(ix, g) ? "warning" : stuckOrDownSeverity(g)),
  what: "are running but not Ready",
  title: (g, ix) => {
    const n = g.problems.length;
    const p = g.problems[0]!;
    const o = g.ctx.origin;
    const since = o.introduced && o.before ? ` since revision ${o.introduced.rel.version}` : "";
    return `${g.workload.kind} ${g.workload.name}: ${n} pod${n > 1 ? "s" : ""} running but not Ready${since}${p.message ? ` — ${p.message}` : ""}${rolloutInProgress(ix, g) ? " (rollout in progress)" : ""}`;
  },
  why,
  remediations,
  ...templateOriginParts(RELEVANT),
});

export default analyzer;
