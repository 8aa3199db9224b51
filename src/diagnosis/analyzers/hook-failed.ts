// A hook Job or Pod failed or timed out, and with it the install/upgrade. Helm blocks on each hook Job
// (Complete/Failed) or Pod (Succeeded/Failed) with the per-hook --timeout; a failed hook stops its phase and
// fails the whole operation. pre-* failures leave the manifest unapplied; post-* failures leave the new
// objects running under a release marked failed.
import { describeLastRun, formatDuration, hasPolicy, hooksFor } from "../../helm/hooks.js";
import type { Hook, Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  failedHookEvent,
  failureKeys,
  gapFor,
  isTimeoutText,
  operationOf,
  ranIn,
  recordKey,
  revisionEvidence,
  rollbackTarget,
} from "../history.js";
import {
  durationMs,
  eventEvidence,
  failedUnfinishedHook,
  hookEvidence,
  hookKey,
  hookNamespace,
  hookObject,
  hookPods,
  hookRef,
  jobCondition,
  liveHook,
  liveHookEvidence,
  nameInError,
  podKeys,
  podsEvidence,
} from "../hook-helpers.js";
import type { Evidence, Finding, Remediation } from "../types.js";

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
    explains: [...keys, ...failureKeys(ix, rel)],
    about: keys,
  };
}

/** Events whose hooks run in the operation that wrote a pending or uninstalling revision. */
function unfinishedEvents(ix: SnapshotIndex, rel: Release): string[] {
  if (rel.info.status === "uninstalling") return ["pre-delete"];
  const op = operationOf(ix, rel);
  return [`pre-${op}`, `post-${op}`];
}

/**
 * A hook failed in an operation Helm never finished: a pending-* revision (a failed pre/post-rollback hook
 * returns without writing the record again; a killed helm leaves the same) or an uninstalling one (uninstall
 * persists "uninstalling" before its pre-delete hooks and returns on their failure).
 */
function analyzeUnfinished(
  ix: SnapshotIndex,
  rel: Release,
  hook: Hook,
  event: string,
  live?: KubeObject,
): Finding {
  const n = rel.version;
  const name = rel.name || ix.snapshot.release;
  const relNs = rel.namespace || ix.namespace;
  const ns = hookNamespace(ix, rel, hook);
  const status = rel.info.status;
  const uninstall = status === "uninstalling";
  const target = /^Rollback to (\d+)/.exec(rel.info.description ?? "")?.[1];
  const pods = hookPods(ix, live);
  const failedCond = live?.kind === "Job" ? jobCondition(live, "Failed") : undefined;
  const reason: string | undefined = failedCond?.reason;
  const op = operationOf(ix, rel);
  const opText = uninstall
    ? `the uninstall of ${name} (revision ${n})`
    : target
      ? `the rollback to revision ${target}`
      : op === "install"
        ? `the install of ${name} (revision ${n})`
        : `the upgrade to revision ${n}`;

  const evidence: Evidence[] = [revisionEvidence(rel), hookEvidence(rel, hook)];
  if (live) {
    evidence.push(liveHookEvidence(ix, live));
    evidence.push(...eventEvidence(ix, live, { max: 3 }));
    evidence.push(...podsEvidence(ix, pods));
  } else
    evidence.push({
      source: "live cluster",
      detail: `${hook.kind} ${ns}/${hook.name} does not exist (a delete policy or a cleanup removed it); its logs are gone`,
    });

  const explanation =
    `${uninstall ? `\`helm uninstall\` marked revision ${n} "uninstalling" and ran its ${event} hooks` : `Helm wrote revision ${n} as ${status} ("${rel.info.description ?? ""}") and ran the ${event} hooks${target ? ` of revision ${target}, the rollback's target` : ""}`}. ` +
    `${hook.kind} ${hook.name} failed${reason ? ` (${reason})` : ""}${hook.last_run?.phase === "Failed" ? "" : `; the record still says "${hook.last_run?.phase}", the state Helm saves before it waits`}. ` +
    (uninstall
      ? 'A failed pre-delete hook makes uninstall return before it deletes anything, and it never writes the record again: the release is left uninstalling, hidden from `helm ls`, its objects still running, and `helm upgrade` fails with "has no deployed releases". '
      : `A failed ${event} hook makes Helm return the error without writing the record again, so revision ${n} stays ${status} — Helm's lock: every \`helm upgrade\` of ${name} fails with "another operation (install/upgrade/rollback) is in progress". `) +
    (uninstall || target
      ? `Running ${uninstall ? "the uninstall" : "the rollback"} again runs ${hook.name} again, so it fails the same way until what the hook needs is fixed.`
      : `Every retry of the ${op} runs ${hook.name} again, so it fails the same way until what the hook needs is fixed.`) +
    (live
      ? ` Its logs are still there: \`kubectl logs -n ${ns} ${hook.kind.toLowerCase()}/${hook.name} --all-containers\`.`
      : "");

  const remediations: Remediation[] = [];
  const ref = hookRef(ix, rel, hook);
  const good = rollbackTarget(ix, n);
  // What runs the hook again once it is fixed: the same command for an uninstall or a rollback; a pending
  // install is cleared by uninstalling, a pending upgrade by a rollback (which ignores the lock), then upgrade.
  const cmd = uninstall
    ? `helm uninstall ${name} -n ${relNs}`
    : target
      ? `helm rollback ${name} ${target} -n ${relNs}`
      : op === "install" || !good
        ? `helm uninstall ${name} -n ${relNs}`
        : `helm rollback ${name} ${good.version} -n ${relNs}`;
  const retry =
    uninstall || target
      ? `then run \`${cmd}\` again: it runs the hook again and finishes`
      : op === "install" || !good
        ? `then clear the stuck install with \`${cmd}\` (add --no-hooks if a pre-delete hook cannot run) and install again`
        : `then clear the lock with \`${cmd}\` (a rollback ignores it) and upgrade again`;
  remediations.push({
    action: "manual",
    summary: `Fix what ${hook.name} needs first (\`kubectl logs -n ${ns} ${hook.kind.toLowerCase()}/${hook.name} --all-containers\`${live ? "" : ", or run it again to see them"}), ${retry}.`,
    resources: [ref],
  });
  if (live && !hasPolicy(hook, "before-hook-creation"))
    remediations.push({
      action: "delete-leftover-hook",
      revision: n,
      summary: `Delete the failed ${hook.kind} ${hook.name} before the retry: its delete policy lacks before-hook-creation, so the next run would fail with "already exists".`,
      resources: [ref],
    });
  // A rollback to a revision whose rollback hooks do not include this one gets past it.
  if (target) {
    const other = [...ix.releases]
      .reverse()
      .find(
        (r) =>
          r.version < n &&
          (r.info.status === "deployed" || r.info.status === "superseded") &&
          !(r.hooks ?? []).some(
            (h) =>
              h.kind === hook.kind && h.name === hook.name && h.events.some((e) => e.endsWith("-rollback")),
          ),
      );
    if (other)
      remediations.push({
        action: "rollback",
        revision: other.version,
        summary: `Roll back to revision ${other.version} instead (writes revision ${(ix.latest()?.version ?? n) + 1}): its rollback hooks do not include ${hook.name}, so Helm gets past this failure.`,
      });
  }
  if (uninstall || target)
    remediations.push({
      action: "manual",
      summary: `Risky: \`${cmd} --no-hooks\` skips ${hook.name} — and whatever it does (${/backup/i.test(hook.name) ? "the backup" : uninstall ? "its cleanup" : "its work"}) must then be done by hand.`,
    });
  else if (good)
    remediations.push({
      action: "rollback",
      revision: good.version,
      summary: `Clear the stuck revision now: roll back to revision ${good.version} (${good.info.status}), the last good one (writes revision ${n + 1}); Helm's rollback does not check the pending lock, and it runs no ${event} hook.`,
    });
  if (uninstall)
    remediations.push({
      action: "rollback",
      revision: n,
      summary: `To keep the release instead, roll back to revision ${n} itself: Helm writes revision ${n + 1} as deployed from revision ${n}'s manifest (recreating anything already deleted).`,
    });
  remediations.push({
    action: "chart-fix",
    summary: `In ${hook.path}: make the ${event} hook best-effort (tolerate dependencies that are gone, exit 0 when there is nothing to do), keep activeDeadlineSeconds below Helm's --timeout, and add \`helm.sh/hook-output-log-policy: hook-failed\` (Helm ≥ 3.18) so Helm prints its logs when it fails.`,
  });

  const keys = [hookKey(ix, rel, hook), ...podKeys(ix, pods)];
  return {
    code: "hook-failed",
    severity: "critical",
    role: "root",
    title: `${event.charAt(0).toUpperCase()}${event.slice(1)} hook ${hook.kind} ${hook.name} failed${reason ? ` (${reason})` : ""}: ${opText} is stuck ${uninstall ? "uninstalling" : `in ${status}`}`,
    explanation,
    resources: [ref],
    revisions: target ? [Number(target), n] : [n],
    evidence,
    remediations,
    explains: [...keys, ...failureKeys(ix, rel), ...(uninstall ? [recordKey(ix, rel)] : [])],
    about: keys,
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const latest = ix.latest();
    // Only the latest revision: a failure that a later revision fixed is history, not a problem.
    if (!latest) return [];
    const st = latest.info.status;
    if (st.startsWith("pending-") || st === "uninstalling") {
      const events = unfinishedEvents(ix, latest);
      for (const event of events) {
        const f = failedUnfinishedHook(ix, latest, hooksFor(latest.hooks, event));
        if (f) return [analyzeUnfinished(ix, latest, f.hook, event, f.live)];
      }
      return [];
    }
    if (st !== "failed") return [];
    return failedHooksOf(ix, latest)
      .filter((x) => !/-delete$/.test(x.event) && x.event !== "test")
      .map((x) => analyze(ix, latest, x.hook, x.event));
  },
};

export default analyzer;
