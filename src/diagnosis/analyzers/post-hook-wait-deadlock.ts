// With --wait (or --atomic, Flux, Argo CD PostSync), Helm waits for the workloads to be ready before it
// runs the post-install/post-upgrade hooks. If the workloads need an object that only such a hook creates,
// they can never become ready: the wait times out, the post hooks never run, and the revision fails.
import { describeLastRun, hooksFor } from "../../helm/hooks.js";
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { Hook, Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  absentEvidence,
  baseOf,
  failedHookEvent,
  failureKeys,
  gapFor,
  isTimeoutText,
  operationOf,
  revisionEvidence,
} from "../history.js";
import {
  eventEvidence,
  hookEvidence,
  hookKey,
  hookNamespace,
  hookRef,
  podKeys,
  podsEvidence,
} from "../hook-helpers.js";
import { classifyPod } from "../pods.js";
import type { Evidence, Finding, Remediation, Severity } from "../types.js";
import { podSpecOf, type ReleaseWorkload, specUses, workloadsOf } from "../workloads.js";

const USABLE = new Set(["ConfigMap", "Secret", "PersistentVolumeClaim", "ServiceAccount"]);

/** A failure of Helm's wait for the workloads (not of a hook): `context deadline exceeded` / `timed out …`. */
function waitTimedOut(rel: Release): boolean {
  const d = rel.info.description ?? "";
  return rel.info.status === "failed" && isTimeoutText(d) && !failedHookEvent(d);
}

function analyze(ix: SnapshotIndex, rel: Release, severity: Severity, masked?: Release): Finding[] {
  const op = operationOf(ix, rel);
  if (op === "rollback") return [];
  const postEvent = `post-${op}`;
  const preEvent = `pre-${op}`;
  const hooks = rel.hooks ?? [];
  const post = hooksFor(hooks, postEvent);
  // The post hooks ran (or started): whatever happened, it was not this deadlock.
  if (post.length === 0 || post.some((h) => h.last_run?.phase)) return [];
  if (hooksFor(hooks, preEvent).some((h) => h.last_run?.phase && h.last_run.phase !== "Succeeded")) return [];
  const manifestKeys = new Set(ix.manifest(rel).map((d) => d.key));
  const base = baseOf(ix, rel);
  const workloads = workloadsOf(ix, rel);
  const out: Finding[] = [];
  for (const hook of hooks) {
    if (!USABLE.has(hook.kind) || !hook.events.every((e) => e.startsWith("post-"))) continue;
    const key = hookKey(ix, rel, hook);
    if (manifestKeys.has(key)) continue;
    // A regular resource of the revision the upgrade started from: the upgrade itself deleted it, which is
    // resource-moved-into-hook's finding (it tells the deadlock too).
    if (base && ix.manifest(base).some((d) => d.key === key)) continue;
    const ns = hookNamespace(ix, rel, hook);
    if (ix.get(hook.kind, ns, hook.name)) continue;
    const users = workloads.filter(
      (w) => w.namespace === ns && specUses(podSpecOf(w.template), hook.kind, hook.name),
    );
    if (users.length === 0) continue;
    out.push(finding(ix, rel, hook, users, post, severity, masked));
  }
  return out;
}

function finding(
  ix: SnapshotIndex,
  rel: Release,
  hook: Hook,
  users: ReleaseWorkload[],
  post: Hook[],
  severity: Severity,
  masked?: Release,
): Finding {
  const op = operationOf(ix, rel);
  const ns = hookNamespace(ix, rel, hook);
  const latest = ix.latest()!;
  const next = latest.version + 1;
  const deployed = ix.lastDeployed();
  const gap = gapFor(ix, hook.kind, `${hook.kind.toLowerCase()}s`);
  const userNames = users.map((w) => `${w.kind} ${w.name}`).join(" and ");
  const pending = rel.info.status.startsWith("pending-");

  const evidence: Evidence[] = [revisionEvidence(rel)];
  if (masked) evidence.push(revisionEvidence(masked));
  evidence.push({
    source: `revision ${rel.version} hooks`,
    detail: `post-${op} hooks never ran: ${post.map((h) => `${h.kind} ${h.name}${h.last_run?.phase ? ` (${describeLastRun(h)})` : ""}`).join("; ")}`,
  });
  evidence.push(hookEvidence(rel, hook));
  for (const w of users)
    evidence.push({
      source: `revision ${rel.version} manifest`,
      detail: `${w.kind} ${w.name} uses ${hook.kind} ${hook.name}, which is not in the manifest: only the post-* hook creates it`,
    });
  evidence.push(absentEvidence(hook.kind, ns, hook.name, gap));
  const allPods = users.flatMap((w) => w.pods);
  if (!masked) {
    for (const w of users) {
      if (w.live) {
        const st = w.live.status ?? {};
        if (w.kind !== "Pod")
          evidence.push({
            source: "live cluster",
            detail: `${w.kind} ${w.name}: ${st.readyReplicas ?? 0} of ${w.live.spec?.replicas ?? st.replicas ?? 1} ready`,
          });
        evidence.push(...eventEvidence(ix, w.live, { max: 1 }));
      }
      const stuck = w.pods.filter((p) => classifyPod(ix, p));
      evidence.push(...podsEvidence(ix, stuck.length ? stuck : w.pods, 2));
    }
  }

  const explanation =
    `${userNames} ${users.length > 1 ? "need" : "needs"} ${hook.kind} ${hook.name}, but the chart creates it only as a \`${hook.events.join(",")}\` hook (${hook.path}). ` +
    `Helm runs post-${op} hooks only after the ${op} has finished — with --wait (or --atomic, or under Flux/Argo CD), only after every workload is ready. ` +
    `During revision ${rel.version}'s ${op} Helm applied the manifest and waited; the pods could not start without ${hook.name}, so they never became ready` +
    (pending
      ? `; Helm is still waiting (revision ${rel.version} is ${rel.info.status}) and will time out, and the post-${op} hooks will never run.`
      : `; the wait ran out ("${(rel.info.description ?? "").replace(/^\S+ "[^"]+" failed: /, "")}"), revision ${rel.version} was marked failed, and the post-${op} hooks — the only thing that would have created ${hook.name} — never ran.`) +
    (masked
      ? ` Revision ${masked.version} then rolled the release back (--atomic), which hides the cause: the next ${op} with this chart deadlocks the same way.`
      : "");

  const ref: ResourceRef = hookRef(ix, rel, hook);
  const remediations: Remediation[] = [];
  if (!masked && hook.kind !== "Job" && hook.kind !== "Pod") {
    remediations.push({
      action: "restore-hook-resources",
      revision: rel.version,
      summary: `Create ${hook.kind} ${hook.name} now from revision ${rel.version}'s stored hook manifest (no new revision): ${userNames} can then start.`,
      resources: [ref],
    });
  }
  if (!pending) {
    const rerunsHook = hook.events.includes("post-upgrade");
    remediations.push({
      action: "rerun-upgrade",
      revision: rel.version,
      summary:
        `Re-run the upgrade with revision ${rel.version}'s chart and values (writes revision ${next}); helm-doctor does not wait for readiness before the post-upgrade hooks` +
        (rerunsHook
          ? `, so the hook creates ${hook.name}.`
          : `; ${hook.name} is only a ${hook.events.join(",")} hook, so restore it first.`),
      resources: [ref],
    });
  }
  if (deployed && deployed.version !== rel.version && !masked) {
    remediations.push({
      action: "rollback",
      revision: deployed.version,
      summary: `Roll back to revision ${deployed.version}, the last deployed one (writes revision ${next}).`,
    });
  }
  remediations.push({
    action: "chart-fix",
    summary:
      `In ${hook.path}: create ${hook.name} before the workloads need it — make it a \`pre-install,pre-upgrade\` hook (weight below any hook Job using it) or a regular resource, ` +
      `or move the bootstrap into an initContainer or a plain Job; or deploy this chart without --wait/--atomic.`,
  });

  const revisions = [
    ...new Set([
      ...(deployed && deployed.version < rel.version ? [deployed.version] : []),
      rel.version,
      ...(masked ? [masked.version] : []),
    ]),
  ].sort((a, b) => a - b);
  return {
    code: "post-hook-wait-deadlock",
    severity,
    role: "root",
    title: masked
      ? `Revision ${rel.version} deadlocked: ${userNames} waited for ${hook.kind} ${hook.name}, which only a post-${op} hook creates (rolled back in revision ${masked.version})`
      : `${userNames} cannot become ready: ${hook.kind} ${hook.name} is only created by a post-${op} hook, which runs after the wait`,
    explanation,
    resources: [ref, ...users.map((w) => ({ kind: w.kind, name: w.name, namespace: w.namespace }))],
    revisions,
    evidence,
    remediations,
    explains: masked
      ? []
      : [
          kindKey(hook.kind, ns, hook.name),
          ...users.map((w) => kindKey(w.kind, w.namespace, w.name)),
          ...podKeys(ix, allPods),
          ...failureKeys(ix, rel),
        ],
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const latest = ix.latest();
    if (!latest) return [];
    if (waitTimedOut(latest)) return analyze(ix, latest, "critical");
    if (latest.info.status === "pending-install" || latest.info.status === "pending-upgrade")
      return analyze(ix, latest, "critical");
    // --atomic: the failed revision was rolled back right away; the cause is masked but will recur.
    const prev = ix.previous(latest);
    if (
      latest.info.status === "deployed" &&
      /^Rollback to \d+/.test(latest.info.description ?? "") &&
      prev &&
      waitTimedOut(prev)
    )
      return analyze(ix, prev, "warning", latest);
    return [];
  },
};

export default analyzer;
