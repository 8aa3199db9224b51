// Hooks are *created*, not applied. An explicit delete policy that lacks before-hook-creation (only
// `hook-succeeded`, or `hook-failed`) drops Helm's default, so an object a failed or interrupted run left
// behind stays — and the next run of that hook fails with `… "<name>" already exists`.
import { effectiveDeletePolicies, hasPolicy } from "../../helm/hooks.js";
import type { Hook, Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyHelmError } from "../helm-errors.js";
import { failedHookEvent, failureKeys, gapFor, operationOf, revisionEvidence } from "../history.js";
import {
  eventEvidence,
  hasHelmOwnership,
  hookEvidence,
  hookKey,
  hookNamespace,
  hookPods,
  hookRef,
  lastRun,
  liveHook,
  liveHookEvidence,
  podKeys,
  podsEvidence,
  RERUN_EVENTS,
} from "../hook-helpers.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { ago } from "../workloads.js";

/**
 * The hook object a failed create (or, Helm 4, a failed server-side apply) collided with: `jobs.batch "x" already
 * exists` → resource "jobs", name "x"; Helm 4 applies hooks, so a leftover Job whose pod template differs fails
 * with `field is immutable` instead. Also the hook path of `warning: Hook … <path> failed`.
 */
export function alreadyExists(
  desc: string,
): { resource: string; name: string; path?: string; terminating: boolean; applied: boolean } | undefined {
  const path = /warning: Hook \S+ (\S+) failed/.exec(desc)?.[1];
  const m = /([a-z0-9]+)(?:\.[a-z0-9.-]+)? "([^"]+)" already exists/.exec(desc);
  if (m)
    return {
      resource: m[1]!,
      name: m[2]!,
      ...(path ? { path } : {}),
      terminating: /object is being deleted/.test(desc),
      applied: false,
    };
  const imm = classifyHelmError(desc).find(
    (e) => e.hookEvent && e.kind === "immutable" && (e.object?.kind === "Job" || e.object?.kind === "Pod"),
  );
  if (!imm) return undefined;
  return {
    resource: `${imm.object!.kind.toLowerCase()}s`,
    name: imm.object!.name,
    ...(path ? { path } : {}),
    terminating: false,
    applied: true,
  };
}

function pluralMatches(kind: string, resource: string): boolean {
  const k = kind.toLowerCase();
  return [`${k}s`, `${k}es`, k.replace(/y$/, "ies"), k].includes(resource);
}

function reactiveRerun(ix: SnapshotIndex, rel: Release): "upgrade" | "install" | undefined {
  const op = operationOf(ix, rel);
  return op === "rollback" ? undefined : op;
}

function nextOperation(events: string[]): string {
  if (events.some((e) => e.endsWith("-upgrade"))) return "upgrade";
  if (events.some((e) => e.endsWith("-rollback"))) return "rollback";
  if (events.includes("test")) return "helm test";
  return "uninstall";
}

/** The revision whose hook run created `o` (its creation time within that run), if any. */
function leftBy(ix: SnapshotIndex, o: KubeObject, h: Hook): { rel: Release; hook: Hook } | undefined {
  const created = Date.parse(o.metadata?.creationTimestamp ?? "");
  if (!Number.isFinite(created)) return undefined;
  let best: { rel: Release; hook: Hook } | undefined;
  for (const r of ix.releases) {
    const rh = (r.hooks ?? []).find((x) => x.kind === h.kind && x.name === h.name);
    const s = Date.parse(rh?.last_run?.started_at ?? "");
    if (!rh || !Number.isFinite(s)) continue;
    const c = Date.parse(rh.last_run?.completed_at ?? "");
    if (created >= s - 60_000 && (!Number.isFinite(c) || created <= c + 60_000)) best = { rel: r, hook: rh };
  }
  return best;
}

function liveEvidence(ix: SnapshotIndex, live: KubeObject, pods: KubeObject[]): Evidence[] {
  const name = `${live.kind} ${live.metadata?.name}`;
  const ev: Evidence[] = [];
  if (live.kind === "Job" || live.kind === "Pod") ev.push(liveHookEvidence(ix, live));
  const age = ix.ageMs(live.metadata?.creationTimestamp);
  ev.push({
    source: "live cluster",
    detail:
      `${name} exists, created ${ago(age)} (${live.metadata?.creationTimestamp ?? "?"}), ` +
      `with no meta.helm.sh/* ownership annotations: a hook object, not tracked by the release` +
      (live.metadata?.deletionTimestamp
        ? `; it is being deleted since ${live.metadata.deletionTimestamp}, held by finalizers ${(live.metadata.finalizers ?? []).join(", ") || "(none listed)"}`
        : ""),
  });
  ev.push(...eventEvidence(ix, live, { max: 2 }));
  ev.push(...podsEvidence(ix, pods, 2, 1));
  return ev;
}

function remediationsFor(
  ix: SnapshotIndex,
  rel: Release,
  hook: Hook,
  live: KubeObject | undefined,
  rerun: "upgrade" | "install" | undefined,
  duplicates: Hook[],
): Remediation[] {
  const ns = hookNamespace(ix, rel, hook);
  const next = ix.latest()!.version + 1;
  const out: Remediation[] = [];
  const logs =
    live && (hook.kind === "Job" || hook.kind === "Pod")
      ? ` Save its logs first: \`kubectl logs -n ${ns} ${hook.kind.toLowerCase()}/${hook.name} --all-containers\`.`
      : "";
  if (live) {
    out.push({
      action: "delete-leftover-hook",
      revision: rel.version,
      summary:
        `Delete the leftover ${hook.kind} ${ns}/${hook.name} (\`kubectl delete ${hook.kind.toLowerCase()} -n ${ns} ${hook.name}\`` +
        `${hook.kind === "Job" ? " — its pods go with it" : ""}); Helm creates it fresh on the next run.${logs}` +
        (live.metadata?.deletionTimestamp
          ? " It is already being deleted: find out which finalizer holds it."
          : ""),
      resources: [hookRef(ix, rel, hook)],
    });
  }
  if (rerun === "install") {
    out.push({
      action: "manual",
      summary: `Then install again: revision ${rel.version} was the install, so \`helm uninstall ${rel.name} -n ${rel.namespace}\` and \`helm install\` (or \`helm upgrade --install\`, which upgrades the failed revision and runs upgrade hooks instead of install hooks).`,
    });
  } else if (rerun === "upgrade") {
    out.push({
      action: "rerun-upgrade",
      revision: rel.version,
      summary: `Then re-run the upgrade with revision ${rel.version}'s chart and values (writes revision ${next}).`,
      resources: [hookRef(ix, rel, hook)],
    });
  }
  if (duplicates.length > 1) {
    out.push({
      action: "chart-fix",
      summary: `The chart renders ${duplicates.length} hooks named ${hook.kind} ${hook.name} (${duplicates.map((d) => d.path).join(", ")}): give each its own name (e.g. include the subchart or template name).`,
    });
  } else {
    out.push({
      action: "chart-fix",
      summary:
        `In ${hook.path}: set \`helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\` ` +
        `(now ${effectiveDeletePolicies(hook).join(",")}). An explicit policy replaces the before-hook-creation default, so whatever a failed run leaves behind blocks the next one.`,
    });
  }
  return out;
}

/** The latest revision failed because a hook object already existed. */
function reactive(ix: SnapshotIndex, rel: Release): Finding | undefined {
  const desc = (rel.info.description ?? "").replace(/\s*\n\s*/g, " ");
  const ae = alreadyExists(desc);
  if (!ae) return undefined;
  const hooks = rel.hooks ?? [];
  const dups = hooks.filter((h) => h.name === ae.name && pluralMatches(h.kind, ae.resource));
  const hook =
    dups.find((h) => h.path === ae.path) ?? dups[0] ?? hooks.find((h) => ae.path && h.path === ae.path);
  if (!hook) return undefined;
  const ns = hookNamespace(ix, rel, hook);
  const live = liveHook(ix, rel, hook);
  const pods = hookPods(ix, live);
  const deployed = ix.lastDeployed();
  const event = /warning: Hook (\S+)/.exec(desc)?.[1] ?? failedHookEvent(desc) ?? hook.events[0] ?? "";
  const from = live ? leftBy(ix, live, hook) : undefined;
  const gap = gapFor(ix, hook.kind, `${hook.kind.toLowerCase()}s`);

  const evidence: Evidence[] = [revisionEvidence(rel), hookEvidence(rel, hook)];
  if (dups.length > 1)
    evidence.push({
      source: `revision ${rel.version} hooks`,
      detail: `${dups.length} hooks share the name ${hook.kind} ${hook.name}: ${dups.map((d) => d.path).join(", ")}`,
    });
  if (live) {
    evidence.push(...liveEvidence(ix, live, pods));
    if (from)
      evidence.push({
        source: `revision ${from.rel.version} hooks`,
        detail: `the live ${hook.kind} was created by revision ${from.rel.version}'s run of the hook (${lastRun(from.hook, "started")})`,
      });
  } else {
    evidence.push({
      source: "live cluster",
      detail: gap
        ? `${hook.kind} ${ns}/${hook.name}: unknown, ${gap.what} could not be read (${gap.reason})`
        : `${hook.kind} ${ns}/${hook.name} no longer exists: it was removed after the failure, so a re-run will get past this point`,
    });
  }

  let cause: string;
  if (ae.terminating)
    cause = `The old ${hook.kind} was still being deleted (a finalizer held it) when Helm created the new one; Helm before 3.14 did not wait for the deletion to finish.`;
  else if (dups.length > 1)
    cause = `Two templates (${dups.map((d) => d.path).join(", ")}) render a hook with the same kind and name, so the second create collides with the first.`;
  else if (!hasPolicy(hook, "before-hook-creation"))
    cause =
      `Its delete policy is \`${effectiveDeletePolicies(hook).join(",")}\`: an explicit policy replaces the before-hook-creation default, so Helm does not delete an old copy before creating the hook, ` +
      `and the copy ${from ? `revision ${from.rel.version}'s run` : "an earlier run"} left behind${from?.hook.last_run?.phase === "Failed" ? " (it failed, so hook-succeeded did not remove it)" : ""} was still there.`;
  else
    cause = `An object with that name already existed (left behind by an earlier run, or created outside Helm).`;
  const explanation =
    (ae.applied
      ? `Helm 4 applies hook objects with server-side apply, which patches an object that is already there. During revision ${rel.version}'s ${event} phase it applied ${hook.kind} ${hook.name} (${hook.path}) over the leftover copy, whose pod template differs and is immutable, ` +
        `and the API server answered "field is immutable", so the hook failed at once and revision ${rel.version} was marked failed`
      : `Helm creates hook objects with a plain create, never an apply. During revision ${rel.version}'s ${event} phase it tried to create ${hook.kind} ${hook.name} (${hook.path}) ` +
        `and the API server answered "already exists", so the hook failed at once and revision ${rel.version} was marked failed`) +
    `${event.startsWith("pre-") ? ` before its manifest was applied${deployed ? ` (revision ${deployed.version} keeps running)` : ""}` : ""}. ${cause} ` +
    `Every re-run fails the same way until the leftover is deleted.`;
  const revisions = [...new Set([...(from ? [from.rel.version] : []), rel.version])].sort((a, b) => a - b);
  return {
    code: "hook-leftover-blocks",
    severity: "critical",
    role: "root",
    title: `Leftover hook ${hook.kind} ${hook.name} ${ae.applied ? "is in the way (its pod template is immutable)" : "already exists"}, so revision ${rel.version}'s ${event} hook failed`,
    explanation,
    resources: [hookRef(ix, rel, hook)],
    revisions,
    evidence,
    remediations: remediationsFor(ix, rel, hook, live, reactiveRerun(ix, rel), dups),
    explains: [hookKey(ix, rel, hook), ...podKeys(ix, pods), ...failureKeys(ix, rel)],
  };
}

/** Live leftovers of the latest revision's hooks that the next run of their event cannot get past. */
function predictive(ix: SnapshotIndex, rel: Release, skip: Set<string>): Finding[] {
  // Helm 4 with server-side apply patches an existing hook object instead of failing.
  if (rel.apply_method === "ssa") return [];
  const manifestKeys = new Set(ix.manifest(rel).map((d) => d.key));
  const out: Finding[] = [];
  for (const hook of rel.hooks ?? []) {
    const key = hookKey(ix, rel, hook);
    if (skip.has(key) || manifestKeys.has(key)) continue;
    if (hasPolicy(hook, "before-hook-creation")) continue;
    const events = hook.events.filter((e) => RERUN_EVENTS.has(e));
    if (events.length === 0) continue;
    const live = liveHook(ix, rel, hook);
    if (!live || hasHelmOwnership(live)) continue;
    // Still running in an operation that has not finished: not a leftover (yet).
    if (rel.info.status.startsWith("pending-") && ["Running", "Unknown"].includes(hook.last_run?.phase ?? ""))
      continue;
    const pods = hookPods(ix, live);
    const from = leftBy(ix, live, hook);
    const evidence: Evidence[] = [hookEvidence(rel, hook), ...liveEvidence(ix, live, pods)];
    if (from)
      evidence.push({
        source: `revision ${from.rel.version} hooks`,
        detail: `the live ${hook.kind} was created by revision ${from.rel.version}'s run of the hook (${lastRun(from.hook)})`,
      });
    const why =
      from?.hook.last_run?.phase === "Failed"
        ? `that run failed, and its policy \`${effectiveDeletePolicies(hook).join(",")}\` only removes successful hooks`
        : `its policy \`${effectiveDeletePolicies(hook).join(",")}\` did not remove it`;
    const op = nextOperation(events);
    const explanation =
      `${hook.kind} ${hook.name} is a ${hook.events.join(",")} hook of revision ${rel.version} (${hook.path}) and it still exists in the cluster: ` +
      `${from ? `revision ${from.rel.version} created it and ` : ""}${why}. Helm creates hook objects with a plain create and, because the policy is explicit, ` +
      `without the default before-hook-creation delete. So the next ${op} that runs this hook fails at once with ` +
      `\`${hook.kind === "Job" ? "jobs.batch" : `${hook.kind.toLowerCase()}s`} "${hook.name}" already exists\` (assuming the chart still renders it this way).`;
    out.push({
      code: "hook-leftover-blocks",
      severity: "warning",
      role: "root",
      title: `Leftover hook ${hook.kind} ${hook.name} will make the next ${op} fail with "already exists"`,
      explanation,
      resources: [hookRef(ix, rel, hook)],
      revisions: [...new Set([...(from ? [from.rel.version] : []), rel.version])].sort((a, b) => a - b),
      evidence,
      remediations: remediationsFor(ix, rel, hook, live, undefined, [hook]),
      // Nothing folds into a prediction: a failure it predicts for the next run is not this run's failure.
    });
  }
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    const latest = ix.latest();
    if (!latest) return [];
    const out: Finding[] = [];
    const skip = new Set<string>();
    if (latest.info.status === "failed") {
      const f = reactive(ix, latest);
      if (f) {
        out.push(f);
        for (const k of f.explains ?? []) skip.add(k);
      }
    }
    out.push(...predictive(ix, latest, skip));
    return out;
  },
};

export default analyzer;
