// A service mesh injected its proxy into a hook Job's pod. The Job's own container finishes (exit 0) but
// the proxy keeps running, so the pod never completes, the Job stays active, and Helm times out waiting.
import { formatDuration } from "../../helm/hooks.js";
import type { Hook, Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { failureKeys, isTimeoutText, operationOf, ranIn, revisionEvidence } from "../history.js";
import {
  eventEvidence,
  hookEvidence,
  hookKey,
  hookNamespace,
  hookPods,
  hookRef,
  jobCondition,
  liveHook,
  liveHookEvidence,
  podKeys,
  podsEvidence,
} from "../hook-helpers.js";
import type { Evidence, Finding, Remediation } from "../types.js";

const MESH: Record<string, { mesh: string; optOut: string; quit: string }> = {
  "istio-proxy": {
    mesh: "Istio",
    optOut: '`sidecar.istio.io/inject: "false"`',
    quit: "curl -fsS -X POST http://localhost:15020/quitquitquit",
  },
  "linkerd-proxy": {
    mesh: "Linkerd",
    optOut: "`linkerd.io/inject: disabled`",
    quit: "curl -fsS -X POST http://localhost:4191/shutdown",
  },
};

interface Stuck {
  pod: KubeObject;
  proxy: string;
  main: { name: string; exitCode: number }[];
}

/** A pod whose app containers all exited 0 while a mesh proxy (a regular container, not a native sidecar) runs. */
function stuckPod(pod: KubeObject): Stuck | undefined {
  // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
  const statuses: any[] = pod.status?.containerStatuses ?? [];
  const proxy = statuses.find((c) => MESH[c.name] && c.state?.running);
  if (!proxy) return undefined;
  const others = statuses.filter((c) => !MESH[c.name]);
  if (others.length === 0) return undefined;
  if (!others.every((c) => c.state?.terminated && c.state.terminated.exitCode === 0)) return undefined;
  return { pod, proxy: proxy.name, main: others.map((c) => ({ name: c.name, exitCode: 0 })) };
}

function analyze(ix: SnapshotIndex, rel: Release, hook: Hook): Finding | undefined {
  const live = liveHook(ix, rel, hook);
  if (live?.kind !== "Job") return undefined;
  if (jobCondition(live, "Complete") || jobCondition(live, "Failed")) return undefined;
  const pods = hookPods(ix, live);
  const stuck = pods.map(stuckPod).filter((s): s is Stuck => !!s);
  const first = stuck[0];
  if (!first) return undefined;
  const m = MESH[first.proxy]!;
  const ns = hookNamespace(ix, rel, hook);
  const podName = first.pod.metadata?.name ?? "?";
  const pending = rel.info.status.startsWith("pending-");
  const timedOut = isTimeoutText(rel.info.description);
  const s = Date.parse(hook.last_run?.started_at ?? "");
  const c = Date.parse(hook.last_run?.completed_at ?? "");
  const dur = Number.isFinite(s) && Number.isFinite(c) ? formatDuration(c - s) : undefined;
  const event = hook.events.find((e) => e.endsWith(`-${operationOf(ix, rel)}`)) ?? hook.events[0] ?? "";
  const deployed = ix.lastDeployed();
  const next = ix.latest()!.version + 1;

  const evidence: Evidence[] = [revisionEvidence(rel), hookEvidence(rel, hook), liveHookEvidence(ix, live)];
  evidence.push(
    ...podsEvidence(
      ix,
      stuck.map((x) => x.pod),
      2,
      1,
    ),
  );
  evidence.push({
    source: `pod ${podName}`,
    detail: `container ${first.main.map((x) => x.name).join(", ")} exited 0, but ${first.proxy} (the ${m.mesh} proxy, injected as a regular container) is still running, so the pod never reaches Succeeded`,
  });
  evidence.push(...eventEvidence(ix, live, { max: 2 }));

  const explanation =
    `${m.mesh} injects its proxy (${first.proxy}) into pods in namespace ${ns}, including the pods of the ${event} hook Job ${hook.name} (${hook.path}). ` +
    `A Job completes only when every container of its pod has exited; the Job's own work finished (${first.main.map((x) => x.name).join(", ")} exited 0), ` +
    `but the proxy does not know that and keeps running, so the pod stays Running, the Job stays active and never gets its Complete condition. ` +
    (pending
      ? `Helm is waiting for that condition now (revision ${rel.version} is ${rel.info.status}) and will fail with "timed out waiting for the condition" when its --timeout runs out.`
      : `Helm waited for that condition${dur ? ` for ${dur}` : ""} (its --timeout), gave up${timedOut ? ' with "timed out waiting for the condition"' : ""} and marked revision ${rel.version} failed` +
        `${event.startsWith("pre-") ? `; its manifest was never applied` : ""}.`);

  const remediations: Remediation[] = [
    {
      action: "chart-fix",
      summary:
        `In ${hook.path}: add ${m.optOut} to the Job's pod template annotations (the Job needs no mesh), ` +
        `or use native sidecars where the mesh supports them (the proxy as an init container with restartPolicy: Always, which does not block completion); ` +
        `or have the job stop the proxy when it is done (\`${m.quit}\`).`,
    },
    {
      action: "manual",
      summary: `To let this run finish: \`kubectl exec -n ${ns} ${podName} -c ${first.proxy} -- ${m.quit}\` (if the proxy image has curl), or \`kubectl delete job -n ${ns} ${hook.name}\` to stop it.`,
      resources: [hookRef(ix, rel, hook)],
    },
  ];
  if (!pending && operationOf(ix, rel) !== "rollback") {
    remediations.push({
      action: "rerun-upgrade",
      revision: rel.version,
      summary: `After the chart fix (or with the hook's pods excluded from injection), re-run the upgrade with revision ${rel.version}'s chart and values (writes revision ${next}).`,
      resources: [hookRef(ix, rel, hook)],
    });
  }
  if (!pending && deployed && deployed.version !== rel.version) {
    remediations.push({
      action: "rollback",
      revision: deployed.version,
      summary: `Roll back to revision ${deployed.version}, the last deployed one (writes revision ${next}).`,
    });
  }

  return {
    code: "hook-sidecar-blocks-completion",
    severity: "critical",
    role: "root",
    title: `Hook Job ${hook.name} never completes: its work finished but the injected ${first.proxy} sidecar keeps the pod running`,
    explanation,
    resources: [
      hookRef(ix, rel, hook),
      ...stuck.map((x) => ({ kind: "Pod", name: x.pod.metadata?.name ?? "", namespace: ns })),
    ],
    revisions: [
      ...new Set([...(deployed && deployed.version !== rel.version ? [deployed.version] : []), rel.version]),
    ].sort((a, b) => a - b),
    evidence,
    remediations,
    explains: [hookKey(ix, rel, hook), ...podKeys(ix, pods), ...failureKeys(ix, rel)],
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    // A deployed release got past its hooks; only a failed or still-running operation is blocked by one.
    if (!rel || !(rel.info.status === "failed" || rel.info.status.startsWith("pending-"))) return [];
    const out: Finding[] = [];
    for (const hook of rel.hooks ?? []) {
      if (hook.kind !== "Job") continue;
      if (!["Failed", "Running", "Unknown"].includes(hook.last_run?.phase ?? "") || !ranIn(hook, rel))
        continue;
      const f = analyze(ix, rel, hook);
      if (f) out.push(f);
    }
    return out;
  },
};

export default analyzer;
