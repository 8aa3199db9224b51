// What a finding means for the people using the release, in one line: how many pods of which workload are down
// and since when, or what the release's state blocks. Pure; computed once per finding after ranking, from the
// objects the finding (and the symptoms folded into it) name.
import { isPending } from "../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../snapshot/index.js";
import { clusterTime } from "./history.js";
import { isPodReady, rolloutOf } from "./pod-analyzer.js";
import { classifyPod, type PodProblemCode, READY_GRACE_MS } from "./pods.js";
import type { Finding } from "./types.js";
import { utc } from "./workloads.js";

const CONTROLLERS = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

const VERB: Record<PodProblemCode, string> = {
  "pod-image-pull": "cannot start",
  "pod-config-missing": "cannot start",
  "pod-mount-failed": "cannot start",
  "pod-unschedulable": "cannot be scheduled",
  "pod-pvc-unbound": "cannot start",
  "pod-crash-loop": "keep crashing",
  "pod-oom-killed": "keep being OOM-killed",
  "pod-not-ready": "are not Ready",
};

function podsOfWorkload(ix: SnapshotIndex, w: KubeObject): KubeObject[] {
  return ix.podsOf(w).filter((p) => p.status?.phase !== "Succeeded");
}

/** "2 of 4 pods of Deployment web cannot start since 2026-11-20 11:00:01 UTC" for the worst-hit workload. */
function workloadImpact(ix: SnapshotIndex, f: Finding): string | undefined {
  let best: { text: string; bad: number } | undefined;
  for (const r of f.resources) {
    if (!CONTROLLERS.has(r.kind)) continue;
    const w = ix.get(r.kind, r.namespace ?? ix.namespace, r.name);
    if (!w) continue;
    const pods = podsOfWorkload(ix, w);
    const want = typeof w.spec?.replicas === "number" ? (w.spec.replicas as number) : undefined;
    if (pods.length === 0 && want) {
      const text = `${r.kind} ${r.name} has no pods (0 of ${want})`;
      if (!best) best = { text, bad: want };
      continue;
    }
    // A Deployment whose new ReplicaSet cannot create its pods (quota, Pod Security, a missing ServiceAccount).
    if (r.kind === "Deployment") {
      const ro = rolloutOf(ix, w);
      const rsWant = ro.newRs?.spec?.replicas;
      if (ro.newRs && typeof rsWant === "number" && rsWant > 0 && ro.newPods.length === 0) {
        const text = `the new ReplicaSet ${ro.newRs.metadata?.name} of Deployment ${r.name} has 0 of ${rsWant} pods`;
        if (!best || rsWant > best.bad) best = { text, bad: rsWant };
        continue;
      }
    }
    // Pods with a known problem, and pods that are simply not ready past the start-up grace.
    const problems = pods
      .map((p) => ({ p, c: classifyPod(ix, p) }))
      .filter((x) => x.c || (!isPodReady(x.p) && ix.ageMs(x.p.metadata?.creationTimestamp) > READY_GRACE_MS));
    if (problems.length === 0) continue;
    const counts = new Map<PodProblemCode, number>();
    for (const x of problems) {
      const c = x.c?.code ?? "pod-not-ready";
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    const code = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
    const since = Math.min(
      ...problems.map((x) => Date.parse(x.p.metadata?.creationTimestamp ?? "")).filter(Number.isFinite),
    );
    const ready = pods.filter(isPodReady).length;
    const n = problems.length;
    const text =
      `${n} of ${pods.length} pod${pods.length === 1 ? "" : "s"} of ${r.kind} ${r.name} ${n === 1 ? VERB[code].replace(/^are /, "is ").replace(/^keep /, "keeps ") : VERB[code]}` +
      (Number.isFinite(since) ? ` since ${utc(since)}` : "") +
      (ready === 0 ? "; no pod is ready" : "");
    if (!best || n > best.bad) best = { text, bad: n };
  }
  return best?.text;
}

/** What the latest revision's state blocks, when the finding is about it. */
function releaseImpact(ix: SnapshotIndex, f: Finding): string | undefined {
  const latest = ix.latest();
  if (!latest || !f.revisions.includes(latest.version)) return undefined;
  const name = ix.snapshot.release;
  const s = latest.info.status;
  // The cluster's clock: the record's time is the Helm client's, read forward or back by its measured skew.
  const since = utc(clusterTime(ix, latest, latest.info.last_deployed));
  const at = since ? ` since ${since}` : "";
  if (isPending(s))
    return `every helm upgrade of ${name} fails while revision ${latest.version} stays ${s}${at}`;
  if (s === "uninstalling")
    return `${name} is half uninstalled${at}; helm upgrade fails with "has no deployed releases"`;
  if (s === "failed") {
    const good = [...ix.releases]
      .reverse()
      .find((r) => r.info.status === "deployed" && r.version < latest.version);
    return `revision ${latest.version} failed${since ? ` at ${since}` : ""}${good ? `; the release is still recorded at revision ${good.version}` : ""}`;
  }
  return undefined;
}

export function impactOf(ix: SnapshotIndex, f: Finding): string | undefined {
  return workloadImpact(ix, f) ?? releaseImpact(ix, f);
}
