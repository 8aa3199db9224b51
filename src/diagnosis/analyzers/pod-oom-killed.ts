// Containers killed by the kernel for exceeding their memory limit (OOMKilled, exit code 137).
//
// Severity: critical while a container is crash-looping or not ready after the kill; a warning when every
// affected container is running and ready again (it will be killed again under the same load).

import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  attributeOrigin,
  eventGapEvidence,
  impact,
  originRevisions,
  type PodGroup,
  podAnalyzer,
  rollbackToGood,
  rolloutEvidence,
  templatePath,
  verdict,
} from "../pod-analyzer.js";
import type { Remediation } from "../types.js";

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function container(t: any, name: string | undefined): any {
  return [...(t?.spec?.initContainers ?? []), ...(t?.spec?.containers ?? [])].find(
    (c: { name?: string }) => c.name === name,
  );
}

function limitOf(g: PodGroup): string | undefined {
  const p = g.problems[0]!;
  const v = container({ spec: p.pod.spec }, p.container)?.resources?.limits?.memory;
  return v === undefined ? undefined : String(v);
}

function limitHistory(g: PodGroup) {
  const name = g.problems[0]!.container;
  return attributeOrigin(g.ctx.origin, (t) => {
    const v = container(t, name)?.resources?.limits?.memory;
    return v === undefined ? undefined : String(v);
  });
}

function why(g: PodGroup): string {
  const p = g.problems[0]!;
  const wl = `${g.workload.kind} ${g.workload.name}`;
  const limit = limitOf(g);
  const h = limitHistory(g);
  const restarts = g.problems.reduce((n, x) => n + (x.restarts ?? 0), 0);
  const parts = [
    `The kernel killed container ${p.container ?? "?"} of ${wl} for using more memory than its limit (${limit ?? "no limit set: the node ran out of memory"}), exit code ${p.lastTermination?.exitCode ?? 137}; it has restarted ${restarts} time${restarts === 1 ? "" : "s"} across ${g.problems.length} pod${g.problems.length > 1 ? "s" : ""}.`,
  ];
  if (h.introduced && h.before)
    parts.push(
      `Revision ${h.introduced.rel.version} changed the memory limit from ${h.previous ?? "unset"} (revision ${h.before.rel.version}) to ${h.value ?? "unset"}.`,
    );
  else if (g.ctx.origin.introduced && g.ctx.origin.before)
    parts.push(
      `The memory limit is unchanged, but revision ${g.ctx.origin.introduced.rel.version} changed the pod template: ${g.ctx.origin.changes.map((c) => c.text).join("; ")} — the new version may need more memory.`,
    );
  else if (h.introduced)
    parts.push(
      `The limit has been ${h.value ?? "unset"} since revision ${h.introduced.rel.version}: the workload's memory use grew (load, data size, a leak).`,
    );
  parts.push(
    g.problems.every((x) => x.recovered)
      ? "The containers run again for now, but the next peak kills them again."
      : impact(g),
  );
  parts.push(verdict(g));
  return parts.join(" ");
}

function remediations(g: PodGroup, ix: SnapshotIndex): Remediation[] {
  const out: Remediation[] = [];
  const h = limitHistory(g);
  const lowered = h.introduced && h.before ? h.introduced.rel.version : undefined;
  const rb =
    rollbackToGood(ix, g, `revision ${lowered} changed the memory limit`, lowered) ??
    rollbackToGood(ix, g, `revision ${g.ctx.origin.introduced?.rel.version} changed the pod template`);
  if (rb) out.push(rb);
  out.push({
    action: "manual",
    summary: `Raise the memory limit of container ${g.problems[0]!.container ?? "?"} (resources.limits.memory, set in ${templatePath(g)} or its values) above its peak use — kubectl top pod shows current use — then upgrade.`,
  });
  return out;
}

const analyzer: Analyzer = podAnalyzer({
  code: "pod-oom-killed",
  severity: (g) => (g.problems.every((p) => p.recovered) ? "warning" : "critical"),
  what: "are OOMKilled",
  title: (g) => {
    const p = g.problems[0]!;
    const limit = limitOf(g);
    const h = limitHistory(g);
    const changed =
      h.introduced && h.before
        ? ` (changed from ${h.previous ?? "unset"} in revision ${h.introduced.rel.version})`
        : "";
    const n = g.problems.length;
    return `${g.workload.kind} ${g.workload.name} is OOMKilled: container ${p.container ?? "?"} exceeds its memory limit ${limit ?? "(none set)"}${changed}; ${n} pod${n > 1 ? "s" : ""} ${p.recovered ? "restarted" : `in ${p.state}`}`;
  },
  why,
  remediations,
  revisions: (g, ix) => {
    const h = limitHistory(g);
    if (h.introduced && h.before) return originRevisions(ix, g, h.introduced.rel.version, true);
    return originRevisions(ix, g);
  },
  evidence: (g, ix) => {
    const h = limitHistory(g);
    const lead = h.introduced
      ? [
          {
            source: `revision ${h.introduced.rel.version} manifest`,
            detail: h.before
              ? `${g.workload.kind} ${g.workload.name} container ${g.problems[0]!.container} memory limit ${h.value ?? "unset"}; revision ${h.before.rel.version} had ${h.previous ?? "unset"}`
              : `${g.workload.kind} ${g.workload.name} container ${g.problems[0]!.container} memory limit ${h.value ?? "unset"} since revision ${h.introduced.rel.version}`,
          },
        ]
      : [];
    return { lead, tail: [...rolloutEvidence(g), ...eventGapEvidence(ix, g)] };
  },
});

export default analyzer;
