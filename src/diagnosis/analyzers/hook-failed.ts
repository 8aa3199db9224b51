// §2: a hook Job or Pod failed or timed out, and with it the install/upgrade. Helm blocks on each hook Job
// (Complete/Failed) or Pod (Succeeded/Failed) with the per-hook --timeout; a failed hook stops its phase and
// fails the whole operation. pre-* failures leave the manifest unapplied; post-* failures leave the new
// objects running under a release marked failed.
//
// This file also holds the small helpers the other hook-execution analyzers (group B) share: reading a
// hook's stored manifest, finding its live object and pods, and describing them as evidence.
import {
  describeLastRun,
  effectiveDeletePolicies,
  formatDuration,
  hasPolicy,
  hooksFor,
} from "../../helm/hooks.js";
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import { type KubeObjectLike, parseYamlObject } from "../../helm/manifest.js";
import type { Hook, Release } from "../../helm/types.js";
import type { Gap, KubeEvent, KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import { register } from "../registry.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { describeEvent, fmtAge } from "../workloads.js";

// ---------------------------------------------------------------------------------------------------------
// Shared helpers (group B)

const hookObjects = new WeakMap<Hook, KubeObjectLike | null>();

/** The object a hook's stored manifest describes (parsed once). */
export function hookObject(h: Hook): KubeObjectLike | undefined {
  let o = hookObjects.get(h);
  if (o === undefined) {
    o = parseYamlObject(h.manifest).object ?? null;
    hookObjects.set(h, o);
  }
  return o ?? undefined;
}

export function hookNamespace(ix: SnapshotIndex, rel: Release, h: Hook): string {
  return hookObject(h)?.metadata?.namespace || rel.namespace || ix.namespace;
}

export function hookKey(ix: SnapshotIndex, rel: Release, h: Hook): string {
  return kindKey(h.kind, hookNamespace(ix, rel, h), h.name);
}

export function hookRef(ix: SnapshotIndex, rel: Release, h: Hook): ResourceRef {
  return { kind: h.kind, name: h.name, namespace: hookNamespace(ix, rel, h) };
}

/** The live object a hook created: hooks carry no ownership metadata, so match by kind and name. */
export function liveHook(ix: SnapshotIndex, rel: Release, h: Hook): KubeObject | undefined {
  return ix.get(h.kind, hookNamespace(ix, rel, h), h.name);
}

/** Pods of a live hook Job (owner references), or the hook Pod itself. */
export function hookPods(ix: SnapshotIndex, live: KubeObject | undefined): KubeObject[] {
  if (!live) return [];
  if (live.kind === "Pod") return [live];
  return ix.podsOf(live);
}

export function podKeys(ix: SnapshotIndex, pods: KubeObject[]): string[] {
  return pods.map((p) => kindKey("Pod", p.metadata?.namespace ?? ix.namespace, p.metadata?.name ?? ""));
}

/**
 * Did this hook's last_run happen during revision `rel`? Rollback records copy their target's hooks together
 * with the target's old last_run, so a phase there may describe another revision's run.
 */
export function ranIn(h: Hook, rel: Release): boolean {
  if (!h.last_run?.phase) return false;
  const started = Date.parse(h.last_run.started_at ?? "");
  const begun = Date.parse(rel.info.last_deployed ?? "");
  if (!Number.isFinite(started) || !Number.isFinite(begun)) return true;
  return started >= begun - 1000;
}

/** "Job x (chart/templates/job.yaml): events pre-upgrade, weight -5, delete policy …, last run Failed after 5m at …" */
export function hookLine(h: Hook): string {
  const explicit = h.delete_policies && h.delete_policies.length > 0;
  const at = h.last_run?.started_at ? ` (started ${h.last_run.started_at})` : "";
  return (
    `${h.kind} ${h.name} (${h.path}): events ${h.events.join(",")}, weight ${h.weight ?? 0}${rawWeightNote(h)}, ` +
    `delete policy ${effectiveDeletePolicies(h).join(",")}${explicit ? "" : " (default)"}, last run ${describeLastRun(h)}${at}`
  );
}

/** A weight annotation Helm could not read as an integer (it then counts as 0). */
function rawWeightNote(h: Hook): string {
  const raw = hookObject(h)?.metadata?.annotations?.["helm.sh/hook-weight"];
  if (raw === undefined) return "";
  if (typeof raw === "string" && /^[+-]?\d+$/.test(raw)) return "";
  return ` (annotation ${JSON.stringify(raw)} is not an integer string, so Helm uses 0)`;
}

export function hookEvidence(rel: Release, h: Hook): Evidence {
  return { source: `revision ${rel.version} hooks`, detail: hookLine(h) };
}

export function revisionEvidence(rel: Release): Evidence {
  const desc = (rel.info.description ?? "").replace(/\s*\n\s*/g, " ");
  return {
    source: `revision ${rel.version}`,
    detail: `status ${rel.info.status}${desc ? `, description "${desc}"` : ""}${rel.info.last_deployed ? ` (${rel.info.last_deployed})` : ""}`,
  };
}

/** The hook event a failed revision's description names (`pre-upgrade hooks failed`, `failed pre-install`). */
export function failedHookEvent(desc: string | undefined): string | undefined {
  const m =
    /\b(pre|post)-(install|upgrade|rollback|delete) hooks failed|\bfailed (pre|post)-(install|upgrade|rollback|delete)\b/.exec(
      desc ?? "",
    );
  if (!m) return undefined;
  return m[1] ? `${m[1]}-${m[2]}` : `${m[3]}-${m[4]}`;
}

export function isTimeoutText(s: string | undefined): boolean {
  return /timed out waiting for the condition|context deadline exceeded/.test(s ?? "");
}

/** install / upgrade / rollback, from the record's description and history position. */
export function operationOf(ix: SnapshotIndex, rel: Release): "install" | "upgrade" | "rollback" {
  const d = rel.info.description ?? "";
  if (/^Rollback (to|")/.test(d)) return "rollback";
  if (/^Upgrade "/.test(d) || d === "Preparing upgrade" || d === "Upgrade complete") return "upgrade";
  if (rel.info.status === "pending-install" || d === "Initial install underway" || d === "Install complete")
    return "install";
  // `Release "x" failed: …` is written by install and by a failed rollback wait; a failed first revision
  // (or one after an uninstall) is an install.
  const prev = ix.previous(rel);
  if (!prev || prev.info.status === "uninstalled") return "install";
  return "upgrade";
}

/** A read gap that concerns `words` (e.g. "events", "jobs"). */
export function gapFor(ix: SnapshotIndex, ...words: string[]): Gap | undefined {
  return ix.snapshot.gaps.find((g) => words.some((w) => g.what.toLowerCase().includes(w.toLowerCase())));
}

export function hasHelmOwnership(o: KubeObject): boolean {
  const a = o.metadata?.annotations ?? {};
  return Object.keys(a).some((k) => k.startsWith("meta.helm.sh/"));
}

function ago(ix: SnapshotIndex, ts: string | undefined): string {
  const a = ix.ageMs(ts);
  return Number.isFinite(a) ? `${fmtAge(a)} ago` : "at an unknown time";
}

/** Warning events first, then the rest, most recent first. */
function sortedEvents(evs: KubeEvent[]): KubeEvent[] {
  const t = (e: KubeEvent) => Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? "") || 0;
  return [...evs].sort((a, b) => (a.type === b.type ? t(b) - t(a) : a.type === "Warning" ? -1 : 1));
}

/** Evidence lines for an object's events; Normal events only when `normal` is set. */
export function eventEvidence(
  ix: SnapshotIndex,
  o: KubeObject,
  opts: { normal?: boolean; max?: number; first?: (e: KubeEvent) => boolean } = {},
): Evidence[] {
  let evs = sortedEvents(ix.eventsFor(o)).filter((e) => opts.normal || e.type !== "Normal");
  if (opts.first) evs = [...evs.filter(opts.first), ...evs.filter((e) => !opts.first!(e))];
  const src = `${o.kind} ${o.metadata?.name ?? "?"} events`;
  return evs.slice(0, opts.max ?? 3).map((e) => ({ source: src, detail: describeEvent(ix, e) }));
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function containerLine(cs: any): string {
  const s = cs.state ?? {};
  if (s.terminated) {
    const t = s.terminated;
    const msg = t.message ? `: ${String(t.message).trim().split("\n").slice(-1)[0]}` : "";
    return `${cs.name} terminated${t.reason ? ` ${t.reason}` : ""} (exit code ${t.exitCode ?? "?"})${msg}`;
  }
  if (s.waiting)
    return `${cs.name} waiting: ${s.waiting.reason ?? "?"}${s.waiting.message ? ` (${s.waiting.message})` : ""}`;
  if (s.running) return `${cs.name} running${cs.ready === false ? ", not ready" : ""}`;
  return `${cs.name} in no known state`;
}

/** One line for a pod's phase and container states, and its warning events. */
export function podEvidence(ix: SnapshotIndex, pod: KubeObject, maxEvents = 2): Evidence[] {
  // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
  const st: any = pod.status ?? {};
  const cs = [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])];
  const states = cs.length ? `; containers: ${cs.map(containerLine).join("; ")}` : "";
  const out: Evidence[] = [
    {
      source: `pod ${pod.metadata?.name ?? "?"}`,
      detail: `phase ${st.phase ?? "unknown"}${states}; created ${ago(ix, pod.metadata?.creationTimestamp)}`,
    },
  ];
  out.push(...eventEvidence(ix, pod, { max: maxEvents }));
  return out;
}

/** Pods in the same state share one line ("pods a, b, c: phase Failed; …"); events of the first of each. */
export function podsEvidence(
  ix: SnapshotIndex,
  pods: KubeObject[],
  maxGroups = 3,
  maxEvents = 2,
): Evidence[] {
  const groups = new Map<string, { names: string[]; pod: KubeObject }>();
  for (const p of pods) {
    const [main] = podEvidence(ix, p, 0);
    const key = main!.detail.replace(/; created [^;]*$/, "");
    const g = groups.get(key) ?? { names: [], pod: p };
    g.names.push(p.metadata?.name ?? "?");
    groups.set(key, g);
  }
  const out: Evidence[] = [];
  for (const g of [...groups.values()].slice(0, maxGroups)) {
    const [main, ...events] = podEvidence(ix, g.pod, maxEvents);
    out.push(
      g.names.length > 1
        ? {
            source: `pods ${g.names.join(", ")}`,
            detail: main!.detail.replace(/; created ([^;]*)$/, "; first created $1"),
          }
        : main!,
      ...events,
    );
  }
  return out;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function jobCondition(job: KubeObject, type: string): any {
  // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
  return (job.status?.conditions ?? []).find((c: any) => c.type === type && c.status === "True");
}

/** What the live Job (or Pod) says about itself. */
export function liveHookEvidence(ix: SnapshotIndex, live: KubeObject): Evidence {
  const name = `${live.kind} ${live.metadata?.namespace ?? ix.namespace}/${live.metadata?.name}`;
  const created = `created ${ago(ix, live.metadata?.creationTimestamp)}`;
  if (live.kind !== "Job") {
    return {
      source: "live cluster",
      detail: `${name} exists (${created}), phase ${live.status?.phase ?? "?"}`,
    };
  }
  const st = live.status ?? {};
  const failed = jobCondition(live, "Failed");
  const complete = jobCondition(live, "Complete");
  const state = failed
    ? `condition Failed, reason ${failed.reason ?? "?"}${failed.message ? ` ("${failed.message}")` : ""}`
    : complete
      ? "condition Complete"
      : `no Complete or Failed condition, ${st.active ?? 0} active pod${st.active === 1 ? "" : "s"}`;
  const counts = `${st.succeeded ?? 0} succeeded, ${st.failed ?? 0} failed pods`;
  const limits = [
    live.spec?.backoffLimit !== undefined ? `backoffLimit ${live.spec.backoffLimit}` : "",
    live.spec?.activeDeadlineSeconds !== undefined
      ? `activeDeadlineSeconds ${live.spec.activeDeadlineSeconds}`
      : "",
  ].filter(Boolean);
  return {
    source: "live cluster",
    detail: `${name}: ${state}; ${counts}${limits.length ? `; ${limits.join(", ")}` : ""}; ${created}`,
  };
}

function durationMs(h: Hook): number {
  const s = Date.parse(h.last_run?.started_at ?? "");
  const c = Date.parse(h.last_run?.completed_at ?? "");
  return Number.isFinite(s) && Number.isFinite(c) ? c - s : Number.NaN;
}

/** The name a Helm error message gives to the failing hook object, if any. */
function nameInError(desc: string): { name?: string; path?: string } {
  const job = /\bjob (\S+) failed\b/.exec(desc);
  if (job) return { name: job[1]! };
  const pod = /\bpod (\S+) failed\b/.exec(desc);
  if (pod) return { name: pod[1]! };
  const h4 = /\bresource (?:Job|Pod)\/[^/\s]+\/(\S+?) not ready/.exec(desc);
  if (h4) return { name: h4[1]! };
  const create = /warning: Hook \S+ (\S+) failed/.exec(desc);
  if (create) return { path: create[1]! };
  return {};
}

// ---------------------------------------------------------------------------------------------------------
// hook-failed

const RUN_AGAIN: Record<string, string> = {
  "pre-install": "pre-upgrade",
  "post-install": "post-upgrade",
  "pre-upgrade": "pre-upgrade",
  "post-upgrade": "post-upgrade",
};

function failedHooksOf(ix: SnapshotIndex, rel: Release): { hook?: Hook; event: string }[] {
  const desc = rel.info.description ?? "";
  const named = failedHookEvent(desc);
  const op = operationOf(ix, rel);
  const hooks = rel.hooks ?? [];
  const eventOf = (h: Hook) =>
    named && h.events.includes(named)
      ? named
      : (h.events.find((e) => e.endsWith(`-${op}`)) ?? h.events[0] ?? "");
  const failed = hooks.filter((h) => h.last_run?.phase === "Failed" && ranIn(h, rel));
  if (failed.length > 0) return failed.map((h) => ({ hook: h, event: eventOf(h) }));
  if (!named) {
    // Old Helm 3 wording names no event: "job failed: BackoffLimitExceeded". Take the Job hook of this
    // operation whose live copy carries a Failed condition.
    if (!/\bjob failed: (BackoffLimitExceeded|DeadlineExceeded)\b/.test(desc)) return [];
    const cands = hooks.filter(
      (h) => h.kind === "Job" && h.events.some((e) => e === `pre-${op}` || e === `post-${op}`),
    );
    const h = cands.find((c) => {
      const live = liveHook(ix, rel, c);
      return live && jobCondition(live, "Failed");
    });
    return h ? [{ hook: h, event: eventOf(h) }] : [];
  }
  // The record says a hook phase failed but no hook is marked Failed: find it by the error's name or path,
  // or take the one that was still running.
  const { name, path } = nameInError(desc);
  const byErr = hooks.find((h) => (name && h.name === name) || (path && h.path === path));
  const running = hooksFor(hooks, named).find(
    (h) => (h.last_run?.phase === "Running" || h.last_run?.phase === "Unknown") && ranIn(h, rel),
  );
  const h = byErr ?? running;
  return [h ? { hook: h, event: named } : { event: named }];
}

function analyze(ix: SnapshotIndex, rel: Release, hook: Hook | undefined, event: string): Finding {
  const ns = hook ? hookNamespace(ix, rel, hook) : rel.namespace || ix.namespace;
  const desc = (rel.info.description ?? "").replace(/\s*\n\s*/g, " ");
  const deployed = ix.lastDeployed();
  const latest = ix.latest()!;
  const next = latest.version + 1;
  const pre = event.startsWith("pre-");
  const op = operationOf(ix, rel);
  const timedOut = isTimeoutText(desc);
  const createError = /warning: Hook \S+ \S+ failed: (.*)$/
    .exec(desc)?.[1]
    ?.replace(/^\d+ errors? occurred:\s*\*?\s*/, "");
  const live = hook ? liveHook(ix, rel, hook) : undefined;
  const pods = hookPods(ix, live);
  const isWorkload = hook && (hook.kind === "Job" || hook.kind === "Pod");
  const dur = hook ? durationMs(hook) : Number.NaN;
  const startedAt = Date.parse(hook?.last_run?.started_at ?? "");
  // A live copy older than this run is a leftover of an earlier run: its state says nothing about this one.
  const liveIsOlder =
    !!live &&
    Number.isFinite(startedAt) &&
    Date.parse(live.metadata?.creationTimestamp ?? "") < startedAt - 60_000;
  const failedCond = live?.kind === "Job" && !liveIsOlder ? jobCondition(live, "Failed") : undefined;
  const reason: string | undefined =
    failedCond?.reason ?? /\bfailed: (BackoffLimitExceeded|DeadlineExceeded)\b/.exec(desc)?.[1];
  const what = hook ? `${event} hook ${hook.kind} ${hook.name}` : `a ${event} hook`;

  // How it failed, in a few words for the title.
  let how: string;
  if (createError) how = `could not be created (${createError.slice(0, 100)})`;
  else if (timedOut) how = `timed out${Number.isFinite(dur) ? ` after ${formatDuration(dur)}` : ""}`;
  else if (reason) how = `failed (${reason})`;
  else how = "failed";
  const consequence = pre
    ? `revision ${rel.version} was never applied`
    : `revision ${rel.version} is applied but marked failed`;

  const evidence: Evidence[] = [revisionEvidence(rel)];
  if (hook) evidence.push(hookEvidence(rel, hook));
  const order = hooksFor(rel.hooks, event);
  if (order.length > 1) {
    evidence.push({
      source: `revision ${rel.version} hooks`,
      detail: `${event} hooks in run order: ${order.map((h) => `${h.kind} ${h.name} (weight ${h.weight ?? 0}): ${describeLastRun(h)}`).join("; ")}`,
    });
  }
  const gap = gapFor(ix, hook?.kind ?? "job", `${(hook?.kind ?? "job").toLowerCase()}s`);
  let gone = "";
  if (hook && live) {
    evidence.push(liveHookEvidence(ix, live));
    if (liveIsOlder)
      evidence.push({
        source: "live cluster",
        detail: `${hook.kind} ${hook.name} was created before this hook run started (${hook.last_run?.started_at}): it is an older copy, not the one that failed`,
      });
    evidence.push(...eventEvidence(ix, live, { max: 4 }));
    evidence.push(...podsEvidence(ix, pods));
    if (pods.length === 0 && hook.kind === "Job")
      evidence.push({
        source: "live cluster",
        detail: `Job ${hook.name} has no pods${gapFor(ix, "pods") ? " (pods could not be read)" : ""}`,
      });
    if (ix.eventsFor(live).length === 0 && pods.every((p) => ix.eventsFor(p).length === 0)) {
      const eg = gapFor(ix, "events");
      evidence.push({
        source: "events",
        detail: eg
          ? `events could not be read (${eg.reason}${eg.detail ? `: ${eg.detail}` : ""})`
          : `no events recorded for ${hook.kind} ${hook.name} or its pods (events expire after about an hour)`,
      });
    }
  } else if (hook) {
    if (gap) {
      gone = `helm-doctor could not read ${gap.what} (${gap.reason}), so the ${hook.kind}'s state is unknown.`;
      evidence.push({
        source: "live cluster",
        detail: `${hook.kind} ${ns}/${hook.name}: unknown, ${gap.what} could not be read (${gap.reason})`,
      });
    } else if (isWorkload && hasPolicy(hook, "hook-failed") && hook.last_run?.phase === "Failed") {
      gone = `Helm deleted the ${hook.kind} right after it failed (its delete policy includes hook-failed), so its pods and their logs are gone.`;
      evidence.push({
        source: "live cluster",
        detail: `${hook.kind} ${ns}/${hook.name} does not exist: deleted by its hook-failed delete policy; its logs are lost`,
      });
    } else if (isWorkload) {
      const ttl = hookObject(hook)?.spec as { ttlSecondsAfterFinished?: number } | undefined;
      gone =
        ttl?.ttlSecondsAfterFinished !== undefined
          ? `The ${hook.kind} is gone (ttlSecondsAfterFinished ${ttl.ttlSecondsAfterFinished} lets the TTL controller delete it), so its logs are lost.`
          : `The ${hook.kind} no longer exists (deleted by hand, by a later hook run's before-hook-creation, or by a cleanup), so its logs are lost.`;
      evidence.push({
        source: "live cluster",
        detail: `${hook.kind} ${ns}/${hook.name} does not exist; its logs are lost`,
      });
    }
  }
  // Earlier revisions that failed the same way since the last good one.
  for (const r of ix.releases) {
    if (r.version >= rel.version || (deployed && r.version <= deployed.version)) continue;
    if (r.info.status !== "failed") continue;
    const same =
      hook &&
      (r.hooks ?? []).some(
        (h) => h.name === hook.name && h.kind === hook.kind && h.last_run?.phase === "Failed",
      );
    if (same)
      evidence.push({
        source: `revision ${r.version}`,
        detail: `failed the same hook: "${(r.info.description ?? "").replace(/\s*\n\s*/g, " ")}"`,
      });
  }

  // The story, step by step.
  const from = deployed && deployed.version !== rel.version ? ` from revision ${deployed.version}` : "";
  const steps: string[] = [];
  steps.push(
    op === "install"
      ? `Helm started installing revision ${rel.version}`
      : op === "rollback"
        ? `Helm started the rollback recorded as revision ${rel.version}`
        : `Helm started the upgrade${from} to revision ${rel.version}`,
  );
  if (!pre)
    steps.push(
      `ran the pre-${op} hooks, applied revision ${rel.version}'s manifest and (if asked) waited for it`,
    );
  if (hook) {
    const before = order.slice(0, order.indexOf(hook));
    if (before.length > 0)
      steps.push(`ran the earlier ${event} hooks (${before.map((h) => h.name).join(", ")})`);
    if (createError)
      steps.push(`tried to create ${hook.kind} ${hook.name} and the API server refused: ${createError}`);
    else if (isWorkload) {
      steps.push(
        `created ${hook.kind} ${hook.name} and waited for it to ${hook.kind === "Job" ? "complete" : "succeed"}`,
      );
      if (timedOut)
        steps.push(
          `gave up after ${Number.isFinite(dur) ? formatDuration(dur) : "its --timeout"} (the per-hook --timeout, 5m by default) because the ${hook.kind} never finished`,
        );
      else if (reason === "BackoffLimitExceeded")
        steps.push(
          `saw it fail: its pods kept failing until the job controller hit the backoff limit (BackoffLimitExceeded)`,
        );
      else if (reason === "DeadlineExceeded")
        steps.push(`saw it fail: the Job ran longer than its activeDeadlineSeconds (DeadlineExceeded)`);
      else steps.push(`saw it fail${Number.isFinite(dur) ? ` after ${formatDuration(dur)}` : ""}`);
    } else steps.push(`created ${hook.kind} ${hook.name}, which failed`);
  } else steps.push(`ran the ${event} hooks, and one failed: ${desc}`);
  steps.push(`stopped the ${event} phase and marked revision ${rel.version} failed`);
  const applied = pre
    ? `Because a pre-* hook failed, revision ${rel.version}'s manifest was never applied: ${deployed ? `the cluster still runs revision ${deployed.version}'s objects and revision ${deployed.version} stays deployed` : "no release object was created"}.`
    : `Because the hook ran after the manifest was applied, revision ${rel.version}'s new workloads are running while the release is marked failed${deployed ? ` (revision ${deployed.version} is still recorded as deployed)` : ""}; the rest of the ${event} hooks never ran.`;
  const logs =
    live && isWorkload && !liveIsOlder
      ? ` Its logs are still there: \`kubectl logs -n ${ns} ${hook!.kind.toLowerCase()}/${hook!.name} --all-containers\`.`
      : "";
  const explanation = `${steps.map((s, i) => `(${i + 1}) ${s}`).join("; ")}. ${applied}${gone ? ` ${gone}` : ""}${logs}`;

  // Remediations.
  const remediations: Remediation[] = [];
  const refs = hook ? [hookRef(ix, rel, hook)] : [];
  if (hook && isWorkload && !createError) {
    remediations.push({
      action: "manual",
      summary: live
        ? `Find out why it failed first: \`kubectl logs -n ${ns} ${hook.kind.toLowerCase()}/${hook.name} --all-containers\` and \`kubectl describe ${hook.kind.toLowerCase()} -n ${ns} ${hook.name}\`${timedOut ? "; if it is just slow, re-run with a longer --timeout" : ""}.`
        : `The failed ${hook.kind}'s logs are gone; re-run it to see them (\`helm get hooks ${rel.name} --revision ${rel.version}\` shows its manifest), or keep the logs next time (see the chart fix).`,
      resources: refs,
    });
  }
  const rerunEvent = RUN_AGAIN[event];
  const canRerun = !hook || !rerunEvent || hook.events.includes(rerunEvent) || op !== "install";
  const leftoverBlocks = hook && live && !hasPolicy(hook, "before-hook-creation");
  if (op !== "rollback" && canRerun) {
    remediations.push({
      action: "rerun-upgrade",
      revision: rel.version,
      summary:
        `After fixing the cause, re-run the upgrade with revision ${rel.version}'s chart and values (writes revision ${next}); ` +
        (leftoverBlocks
          ? `delete the leftover ${hook!.kind} ${hook!.name} first — its delete policy lacks before-hook-creation, so the re-run would fail with "already exists".`
          : `Helm deletes the old ${hook?.kind ?? "hook"} and creates it again (before-hook-creation).`),
      resources: refs,
    });
  } else if (op === "install" && hook) {
    remediations.push({
      action: "manual",
      summary: `After fixing the cause, install again: \`helm uninstall ${rel.name} -n ${rel.namespace}\` then \`helm install\` (an upgrade of the failed revision ${rel.version} would run pre-upgrade hooks, and ${hook.name} is only a ${hook.events.join(",")} hook).`,
      resources: refs,
    });
  }
  if (deployed && deployed.version !== rel.version) {
    remediations.push({
      action: "rollback",
      revision: deployed.version,
      summary: pre
        ? `Roll back to revision ${deployed.version}, the last deployed one (writes revision ${next}): the cluster already runs its objects, so this only clears the failed state.`
        : `Roll back to revision ${deployed.version}, the last deployed one (writes revision ${next}): its manifest replaces revision ${rel.version}'s workloads — check first that the ${event} hook did not leave changes (e.g. a migration) the old version cannot use.`,
    });
  }
  if (hook) {
    const advice: string[] = [];
    if (timedOut)
      advice.push(
        "set the Job's activeDeadlineSeconds below Helm's --timeout so it fails with a reason instead of timing out, or raise --timeout for slow Jobs",
      );
    if (reason === "BackoffLimitExceeded")
      advice.push("keep a small backoffLimit and make the Job idempotent so a re-run is safe");
    if (hasPolicy(hook, "hook-failed") || !live)
      advice.push(
        "add `helm.sh/hook-output-log-policy: hook-failed` (Helm ≥ 3.18) so Helm prints the logs of a failed hook, or drop hook-failed from the delete policy so the failed Job stays for inspection",
      );
    if (advice.length === 0)
      advice.push(
        "make the hook idempotent and give it a sane backoffLimit and activeDeadlineSeconds below Helm's --timeout",
      );
    remediations.push({ action: "chart-fix", summary: `In ${hook.path}: ${advice.join("; ")}.` });
  }

  const revisions = [
    ...new Set([...(deployed && deployed.version !== rel.version ? [deployed.version] : []), rel.version]),
  ].sort((a, b) => a - b);
  const keys = hook ? [hookKey(ix, rel, hook), ...podKeys(ix, pods)] : [];
  return {
    code: "hook-failed",
    severity: "critical",
    role: "root",
    title: `${what.charAt(0).toUpperCase()}${what.slice(1)} ${how}: ${consequence}`,
    explanation,
    resources: refs,
    revisions,
    evidence,
    remediations,
    explains: keys,
    about: keys,
  };
}

export default register({
  code: "hook-failed",
  run(ix) {
    const latest = ix.latest();
    // Only the latest revision: a failure that a later revision fixed is history, not a problem. A pending
    // record (Helm died mid-hook) is release-pending-stuck; delete hooks are release-uninstall-stuck.
    if (latest?.info.status !== "failed") return [];
    return failedHooksOf(ix, latest)
      .filter((x) => !/-delete$/.test(x.event) && x.event !== "test")
      .map((x) => analyze(ix, latest, x.hook, x.event));
  },
});
