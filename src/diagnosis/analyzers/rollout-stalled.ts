// A Deployment whose rollout passed its progressDeadlineSeconds (Progressing=False,
// ProgressDeadlineExceeded: `ReplicaSet "<rs>" has timed out progressing.`). When a pod finding explains why
// (image pull, crash loop, …) this folds into it (through the rollout key); on its own it says what is known.
//
// Severity: always critical — the controller has given up on the revision's template (it does not roll back by
// itself), the release does not run what Helm recorded, and `helm upgrade --wait` / `--atomic` fail on it.
import { kindKey } from "../../helm/keys.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { lastGoodBefore } from "../history.js";
import {
  helmVerdict,
  isPodReady,
  rolloutKey,
  rolloutOf,
  rolloutSummary,
  templateOrigin,
} from "../pod-analyzer.js";
import { classifyPod } from "../pods.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { ago, describeEvent, releaseWorkloads } from "../workloads.js";

function podLine(ix: SnapshotIndex, p: KubeObject): string {
  const prob = classifyPod(ix, p);
  if (prob) return `${p.metadata?.name}: ${prob.state}${prob.message ? ` — ${prob.message}` : ""}`;
  const waiting = (p.status?.containerStatuses ?? [])
    .map((c: { state?: { waiting?: { reason?: string } } }) => c.state?.waiting?.reason)
    .find(Boolean);
  const phase = `${p.status?.phase ?? "?"}${waiting ? ` (${waiting})` : ""}`;
  return `${p.metadata?.name}: ${phase}${isPodReady(p) ? ", ready" : ", not ready"}`;
}

const analyzer: Analyzer = {
  run(ix) {
    const out: Finding[] = [];
    for (const w of releaseWorkloads(ix)) {
      if (w.kind !== "Deployment" || !w.live) continue;
      const r = rolloutOf(ix, w.live);
      const cond = r.progressing;
      if (cond?.status !== "False" || cond.reason !== "ProgressDeadlineExceeded") continue;
      const ns = w.namespace;
      const rsName = /ReplicaSet "([^"]+)"/.exec(cond.message ?? "")?.[1];
      const rs = (rsName ? ix.get("ReplicaSet", ns, rsName) : undefined) ?? r.newRs;
      const pods = rs ? ix.children(rs).filter((p) => p.kind === "Pod") : [];
      const origin = templateOrigin(ix, w, rs?.spec?.template?.spec, rs?.metadata?.creationTimestamp);
      const intro = origin.introduced;
      const good = intro && origin.before ? lastGoodBefore(ix, intro.rel.version) : undefined;
      const latest = ix.latest();
      const deadline = w.live.spec?.progressDeadlineSeconds ?? 600;
      const since = ix.ageMs(cond.lastUpdateTime);

      // Pods with a recognised problem have their own finding, which this one folds into: list the others.
      const explained = pods.some((p) => classifyPod(ix, p));
      const evidence: Evidence[] = [
        {
          source: `Deployment ${w.name}`,
          detail: `condition Progressing=False (ProgressDeadlineExceeded): ${cond.message ?? ""}`,
        },
        {
          source: `Deployment ${w.name}`,
          detail: `progressDeadlineSeconds ${deadline}${Number.isFinite(since) ? `; gave up ${ago(since)}` : ""}`,
        },
        { source: `Deployment ${w.name}`, detail: rolloutSummary(r) },
      ];
      for (const p of pods.filter((x) => !classifyPod(ix, x)).slice(0, 5))
        evidence.push({ source: `ReplicaSet ${rs?.metadata?.name}`, detail: `pod ${podLine(ix, p)}` });
      if (rs && pods.length === 0) {
        const fc = ix.eventsFor(rs).filter((e) => e.type === "Warning");
        evidence.push({
          source: `ReplicaSet ${rs.metadata?.name}`,
          detail: fc.length
            ? `no pods; event ${describeEvent(ix, fc[fc.length - 1]!)}`
            : "no pods, and no events explain why",
        });
      }
      if (intro && origin.before && !explained)
        evidence.push({
          source: `revision ${intro.rel.version} manifest`,
          detail: `${w.kind} ${w.name}${intro.source ? ` (${intro.source})` : ""} pod template changed since revision ${origin.before.rel.version}: ${origin.changes.map((c) => c.text).join("; ") || "no compared field"}`,
        });
      const gap = ix.snapshot.gaps.find((g) => /event|pod/i.test(g.what));
      if (gap)
        evidence.push({
          source: gap.what,
          detail: `could not be read (${gap.reason}): the cause may be hidden there`,
        });
      else if (!explained && pods.length > 0 && pods.every((p) => ix.eventsFor(p).length === 0))
        evidence.push({
          source: "events",
          detail: `none for the new pods${Number.isFinite(since) && since > 3_600_000 ? " — the API server keeps events for about an hour, and this rollout gave up longer ago" : ""}`,
        });

      const oldReady = r.oldPods.filter(isPodReady).length;
      const parts = [
        intro && origin.before
          ? `Revision ${intro.rel.version} changed the pod template of Deployment ${w.name} (${origin.changes.map((c) => c.text).join("; ") || "no compared field"}), so the Deployment started rolling out ReplicaSet ${rs?.metadata?.name ?? "?"}.`
          : `Deployment ${w.name} is rolling out ReplicaSet ${rs?.metadata?.name ?? "?"}.`,
        `Its pods did not become available within progressDeadlineSeconds (${deadline}s), so the controller marked the rollout failed (Progressing=False, ProgressDeadlineExceeded). It does not roll back by itself: the new ReplicaSet stays as it is.`,
        oldReady > 0
          ? `The old ReplicaSet still serves ${oldReady} ready pod${oldReady === 1 ? "" : "s"}.`
          : "No older pod serves: the Deployment is down.",
        explained
          ? "The new pods' own state (in the evidence) says why they are not available."
          : pods.length
            ? "The new pods show no recognisable error: look at readiness, start-up time and logs."
            : "The new ReplicaSet has no pods at all.",
      ];
      if (origin.from) parts.push(helmVerdict(origin.from.rel));

      const remediations: Remediation[] = [];
      if (good && intro && latest)
        remediations.push({
          action: "rollback",
          revision: good.version,
          summary: `Roll back to revision ${good.version}, the last successful revision before revision ${intro.rel.version} changed the pod template (writes revision ${latest.version + 1}).`,
          resources: [{ kind: "Deployment", name: w.name, namespace: ns }],
        });
      remediations.push({
        action: "manual",
        summary: `kubectl describe replicaset -n ${ns} ${rs?.metadata?.name ?? ""} and its pods to see why they are not available; after fixing, upgrade again (kubectl rollout undo would leave the release record out of step).`,
      });

      const f: Finding = {
        code: "rollout-stalled",
        severity: "critical",
        role: "symptom",
        title: `Deployment ${w.name} rollout timed out: ${cond.message ?? "no progress"}${intro && origin.before ? ` (pod template of revision ${intro.rel.version})` : ""}`,
        explanation: parts.join(" "),
        resources: [
          { kind: "Deployment", name: w.name, namespace: ns },
          ...(rs ? [{ kind: "ReplicaSet", name: rs.metadata?.name ?? "", namespace: ns }] : []),
        ],
        revisions: intro
          ? [...(good ? [good.version] : []), intro.rel.version]
          : latest
            ? [latest.version]
            : [],
        evidence,
        remediations,
        about: [rolloutKey(ns, w.name), kindKey("Deployment", ns, w.name)],
      };
      out.push(f);
    }
    return out;
  },
};

export default analyzer;
