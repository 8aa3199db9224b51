// Within one hook event Helm runs hooks one by one, sorted by weight and then by name — kind does not
// matter. A hook Job/Pod that uses a ServiceAccount, ConfigMap, Secret or PVC which another hook of the same
// event creates *later* starts before its dependency exists (FailedCreate / FailedMount) and times out.
import { describeLastRun, hasPolicy, hooksFor } from "../../helm/hooks.js";
import { kindKey } from "../../helm/keys.js";
import { HOOK_EVENTS, type Hook, type Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { failedHookEvent, failureKeys, operationOf, ranIn, revisionEvidence } from "../history.js";
import {
  eventEvidence,
  eventNamesMissing,
  hookDependencies,
  hookEvidence,
  hookKey,
  hookNamespace,
  hookPods,
  hookRef,
  liveHook,
  liveHookEvidence,
  podKeys,
  podsEvidence,
  RERUN_EVENTS,
  usesEvidence,
} from "../hook-helpers.js";
import { type Evidence, type Finding, type Remediation, SEVERITY_RANK, type Severity } from "../types.js";

function whyLater(user: Hook, dep: Hook): string {
  const wu = user.weight ?? 0;
  const wd = dep.weight ?? 0;
  if (wd > wu) return `its weight ${wd} is higher than ${user.name}'s ${wu}`;
  return `both have weight ${wu}, and Helm then sorts by name: "${user.name}" < "${dep.name}" (kind does not count)`;
}

function analyze(ix: SnapshotIndex, rel: Release, event: string, user: Hook, dep: Hook): Finding {
  const order = hooksFor(rel.hooks, event);
  const failedEvent = failedHookEvent(rel.info.description);
  const live = liveHook(ix, rel, user);
  const pods = hookPods(ix, live);
  const depLive = ix.get(dep.kind, hookNamespace(ix, rel, dep), dep.name);
  const phase = ranIn(user, rel) ? (user.last_run?.phase ?? "") : "";
  const failedHere =
    rel.info.status === "failed" && phase === "Failed" && (!failedEvent || failedEvent === event);
  const runningHere = rel.info.status.startsWith("pending-") && (phase === "Running" || phase === "Unknown");
  // Will the dependency be there the next time this event runs? Its before-hook-creation delete happens at its
  // own turn (after the user), so a live copy from the last run carries the user through; hook-succeeded does not.
  const depSurvives = !!depLive && !hasPolicy(dep, "hook-succeeded");
  let severity: Severity;
  if (failedHere || runningHere) severity = "critical";
  else if (RERUN_EVENTS.has(event) && !depSurvives) severity = "warning";
  else severity = "info";

  const evidence: Evidence[] = [revisionEvidence(rel), hookEvidence(rel, user), hookEvidence(rel, dep)];
  evidence.push({
    source: `revision ${rel.version} hooks`,
    detail: `${event} run order (weight, then name): ${order.map((h, i) => `${i + 1}. ${h.kind} ${h.name} (weight ${h.weight ?? 0})`).join(", ")}`,
  });
  evidence.push(usesEvidence(user, dep));
  const ds = Date.parse(dep.last_run?.started_at ?? "");
  const us = Date.parse(user.last_run?.started_at ?? "");
  if (!dep.last_run?.phase && user.last_run?.phase)
    evidence.push({
      source: `revision ${rel.version} hooks`,
      detail: `${dep.name} never ran in this revision: the phase stopped at ${user.name}`,
    });
  else if (Number.isFinite(ds) && Number.isFinite(us) && ds > us)
    evidence.push({
      source: `revision ${rel.version} hooks`,
      detail: `${dep.name} started at ${dep.last_run?.started_at}, after ${user.name} (${user.last_run?.started_at})`,
    });
  evidence.push({
    source: "live cluster",
    detail: depLive
      ? `${dep.kind} ${dep.name} exists (created ${depLive.metadata?.creationTimestamp ?? "?"})`
      : `${dep.kind} ${dep.name} does not exist`,
  });
  if (live && (failedHere || runningHere)) {
    evidence.push(liveHookEvidence(ix, live));
    evidence.push(...eventEvidence(ix, live, { max: 2, first: (e) => eventNamesMissing(e, [dep]) }));
    evidence.push(...podsEvidence(ix, pods, 2));
  }

  const cause = whyLater(user, dep);
  const now =
    failedHere || runningHere
      ? `In revision ${rel.version}, Helm created ${user.kind} ${user.name} while ${dep.kind} ${dep.name} did not exist yet, so ${dep.kind === "ServiceAccount" ? "the job controller could not create its pods (service account not found)" : "its pods could not start"}; ` +
        (failedHere
          ? `Helm waited until the hook failed, stopped the ${event} phase — ${dep.name} never ran — and marked revision ${rel.version} failed.`
          : `Helm is waiting for it now (revision ${rel.version} is ${rel.info.status}) and will time out.`)
      : severity === "warning"
        ? `${user.name} ${phase ? `last ${describeLastRun(user).toLowerCase()}` : "has not run yet"}${depLive ? "" : `; ${dep.kind} ${dep.name} does not exist now`}` +
          `${depLive && hasPolicy(dep, "hook-succeeded") ? `; ${dep.name}'s hook-succeeded policy deletes it after every run` : ""}, so the next ${event} (with this chart) starts ${user.name} without it and times out.`
        : `It has worked so far only because ${dep.kind} ${dep.name} already existed from an earlier run${phase ? ` (${user.name} last ${describeLastRun(user).toLowerCase()})` : ""}; a fresh install or a cleaned-up namespace will fail.`;
  const explanation =
    `Within the ${event} event Helm runs hooks one at a time in (weight, name) order, and waits only for Jobs and Pods; a ${dep.kind} hook counts as ready the moment it is created. ` +
    `${user.kind} ${user.name} (${user.path}) uses ${dep.kind} ${dep.name}, which is itself a ${event} hook (${dep.path}) that runs after it: ${cause}. ${now}`;

  const next = ix.latest()!.version + 1;
  const deployed = ix.lastDeployed();
  const remediations: Remediation[] = [
    {
      action: "chart-fix",
      summary:
        `In ${dep.path}: give ${dep.kind} ${dep.name} a lower weight than ${user.name} (e.g. \`helm.sh/hook-weight: "${(user.weight ?? 0) - 10}"\`, quoted) so Helm creates it first; ` +
        `weights, not kinds, order hooks, and they only order hooks of the same event.`,
    },
  ];
  if (failedHere && operationOf(ix, rel) === "upgrade") {
    remediations.push({
      action: "rerun-upgrade",
      revision: rel.version,
      summary: `After fixing the weights in the chart, upgrade again; a plain re-run of revision ${rel.version} (writes revision ${next}) only works if ${dep.kind} ${dep.name} exists beforehand, since the stored hooks keep their order.`,
      resources: [hookRef(ix, rel, user), hookRef(ix, rel, dep)],
    });
  }
  if (failedHere && deployed && deployed.version !== rel.version) {
    remediations.push({
      action: "rollback",
      revision: deployed.version,
      summary: `Roll back to revision ${deployed.version}, the last deployed one (writes revision ${next}).`,
    });
  }
  if (failedHere || runningHere || severity === "warning") {
    remediations.push({
      action: "manual",
      summary: `To get past it with the stored chart, create ${dep.kind} ${dep.name} first from its hook manifest (\`helm get hooks ${rel.name} -n ${rel.namespace} --revision ${rel.version}\`), then run the operation again.`,
      resources: [hookRef(ix, rel, dep)],
    });
  }

  const revisions = [
    ...new Set([
      ...(failedHere && deployed && deployed.version < rel.version ? [deployed.version] : []),
      rel.version,
    ]),
  ].sort((a, b) => a - b);
  return {
    code: "hook-order-dependency",
    severity,
    role: "root",
    title: `Hook ${user.kind} ${user.name} runs before the ${dep.kind} ${dep.name} it needs (${event}: weight ${user.weight ?? 0} vs ${dep.weight ?? 0})`,
    explanation,
    resources: [hookRef(ix, rel, user), hookRef(ix, rel, dep)],
    revisions,
    evidence,
    remediations,
    explains:
      failedHere || runningHere
        ? [
            hookKey(ix, rel, user),
            ...podKeys(ix, pods),
            kindKey(dep.kind, hookNamespace(ix, rel, dep), dep.name),
            ...failureKeys(ix, rel),
          ]
        : [],
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    if (!rel) return [];
    const out: Finding[] = [];
    const seen = new Set<string>();
    for (const event of HOOK_EVENTS) {
      const order = hooksFor(rel.hooks, event);
      order.forEach((user, i) => {
        const ns = hookNamespace(ix, rel, user);
        for (const d of hookDependencies(user)) {
          const j = order.findIndex(
            (h) => h.kind === d.kind && h.name === d.name && hookNamespace(ix, rel, h) === ns,
          );
          if (j <= i) continue;
          const dep = order[j]!;
          // Install events never run again: only report them while they are the failure at hand.
          const f = analyze(ix, rel, event, user, dep);
          if (!RERUN_EVENTS.has(event) && f.severity === "info" && rel.info.status === "deployed") continue;
          const k = `${user.kind}/${user.name}>${dep.kind}/${dep.name}`;
          // One finding per pair: the event that is failing, else the first that shows it.
          if (seen.has(k)) {
            const idx = out.findIndex(
              (x) =>
                x.code === f.code && x.resources[0]?.name === user.name && x.resources[1]?.name === dep.name,
            );
            if (idx >= 0 && SEVERITY_RANK[f.severity] < SEVERITY_RANK[out[idx]!.severity]) out[idx] = f;
            continue;
          }
          seen.add(k);
          out.push(f);
        }
      });
    }
    return out;
  },
};

export default analyzer;
