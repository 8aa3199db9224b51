// The latest revision is pending-install/-upgrade/-rollback and nothing has touched it for longer than
// any default-timeout Helm operation takes. The pending record is Helm's lock: every later `helm upgrade`
// fails with "another operation (install/upgrade/rollback) is in progress" until someone clears it.
import { formatDuration } from "../../helm/hooks.js";
import { type Hook, isPending, type Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  clientSkewMs,
  failureKeys,
  hookEventsOf,
  type Operation,
  outputKeys,
  ranIn,
  recordFor,
  recordResource,
  rollbackTarget,
} from "../history.js";
import { failedUnfinishedHook, hookKeys, hookLine, hookLiveState, hookNamespace } from "../hook-helpers.js";
import type { Evidence, Remediation, Severity } from "../types.js";
import { ago } from "../workloads.js";

/**
 * A pending revision younger than this may belong to an operation that is still running: Helm's default
 * --timeout is 5m per hook and for --wait, so 10 minutes without any sign of progress means Helm is gone.
 */
export const PENDING_STUCK_AFTER_MS = 10 * 60_000;

/** Within this, a hook Job that is still running may be waited on by a helm with a long --timeout. */
export const LONG_TIMEOUT_MS = 30 * 60_000;

// ---- the analyzer ----

export { clientSkewMs };

function operationOf(status: string): Operation {
  return status === "pending-install" ? "install" : status === "pending-rollback" ? "rollback" : "upgrade";
}

/**
 * The newest sign of Helm working on `rel`: its start, hook starts/ends and the record's own labels (the Helm
 * client's clock, corrected by `skew`), and what the cluster recorded about the hook objects Helm created (the
 * API server's clock).
 */
function lastActivity(
  ix: SnapshotIndex,
  rel: Release,
  skew: number,
): { at: number; what: string } | undefined {
  const cands: { at: number; what: string }[] = [];
  const push = (ts: string | undefined, what: string, client = true) => {
    const t = Date.parse(ts ?? "");
    if (Number.isFinite(t)) cands.push({ at: client ? t + skew : t, what });
  };
  const rec = recordFor(ix, rel);
  for (const l of ["createdAt", "modifiedAt"]) {
    const v = rec?.labels[l];
    if (v && /^\d+$/.test(v) && Number(v) > 1_000_000_000)
      push(
        new Date(Number(v) * 1000).toISOString(),
        l === "createdAt"
          ? "the record was created (label createdAt)"
          : "the record was last written (label modifiedAt)",
      );
  }
  push(rec?.creationTimestamp, "the API server stored the record", false);
  push(rel.info.last_deployed, "the operation started (the record's start time)");
  for (const h of rel.hooks ?? []) {
    if (!ranIn(h, rel)) continue;
    push(h.last_run?.started_at, `hook ${h.name} started`);
    push(h.last_run?.completed_at, `hook ${h.name} finished`);
    // The hook object Helm created: the cluster's own record of when it ran.
    const live = ix.get(h.kind, hookNamespace(ix, rel, h), h.name);
    if (live) {
      push(live.metadata?.creationTimestamp, `hook ${h.kind} ${h.name} was created (cluster time)`, false);
      push(live.status?.completionTime, `hook Job ${h.name} completed (cluster time)`, false);
      for (const c of (live.status?.conditions ?? []) as {
        type: string;
        status: string;
        lastTransitionTime?: string;
      }[])
        if ((c.type === "Failed" || c.type === "Complete") && c.status === "True")
          push(
            c.lastTransitionTime,
            `hook Job ${h.name} ${c.type === "Failed" ? "failed" : "completed"} (cluster time)`,
            false,
          );
    }
  }
  if (cands.length === 0) return undefined;
  // The newest; on a tie, the more specific sign (a hook over the operation's start).
  return cands.reduce((best, c) => (c.at >= best.at ? c : best));
}

function where(rel: Release, op: Operation): { stage: string; running?: Hook } {
  const [pre, post] = hookEventsOf(op);
  const hooks = rel.hooks ?? [];
  const ran = (h: Hook) => ranIn(h, rel);
  const running = hooks.find(
    (h) => ran(h) && (h.last_run?.phase === "Running" || h.last_run?.phase === "Unknown"),
  );
  if (running) {
    const ev = running.events.includes(pre) ? pre : running.events.includes(post) ? post : running.events[0];
    return {
      stage: `while running the ${ev} hook ${running.kind} ${running.name} (the record still says it is "${running.last_run?.phase}", the state Helm saves before it creates the hook and overwrites only when the operation ends)`,
      running,
    };
  }
  const preHooks = hooks.filter((h) => h.events.includes(pre));
  const postHooks = hooks.filter((h) => h.events.includes(post));
  if (postHooks.some(ran)) return { stage: `during the ${post} hooks, between two hooks` };
  if (preHooks.length > 0 && preHooks.every(ran))
    return {
      stage: `after the ${pre} hooks succeeded: while applying the manifest or waiting for resources (--wait)`,
    };
  if (preHooks.length > 0 && !preHooks.some(ran))
    return { stage: `before its first ${pre} hook started (or the ${op} ran with --no-hooks)` };
  if (preHooks.length > 0) return { stage: `during the ${pre} hooks, between two hooks` };
  return {
    stage: "while applying the manifest or waiting for resources (the chart has no hooks for this step)",
  };
}

/** "just now" for what happened in the last seconds, else "3m ago". */
function agoText(ms: number): string {
  return ms < 5000 ? "just now" : `${formatDuration(ms)} ago`;
}

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    if (!rel || !isPending(rel.info.status)) return [];
    const status = rel.info.status;
    const op = operationOf(status);
    const n = rel.version;
    const ns = rel.namespace || ix.namespace;
    const name = rel.name || ix.snapshot.release;
    const skew = clientSkewMs(ix, rel);
    const act = lastActivity(ix, rel, skew);
    const idle = act ? ix.now.getTime() - act.at : Number.NaN;
    const started = ix.ageMs(rel.info.last_deployed) - skew;
    const known = Number.isFinite(idle);
    const stuck = known && idle >= PENDING_STUCK_AFTER_MS;
    const rec = recordResource(ix, rel);
    const { stage, running } = where(rel, op);
    // A hook Job still working within half an hour may belong to a helm run with a long --timeout.
    const runningLive = running
      ? ix.get(running.kind, hookNamespace(ix, rel, running), running.name)
      : undefined;
    const hookAlive =
      running?.kind === "Job" &&
      (runningLive?.status?.active ?? 0) > 0 &&
      !(runningLive?.status?.conditions ?? []).some(
        (c: { type: string; status: string }) =>
          (c.type === "Complete" || c.type === "Failed") && c.status === "True",
      );
    const maybeAlive = hookAlive && idle < LONG_TIMEOUT_MS;
    const severity: Severity = !known || maybeAlive ? "warning" : stuck ? "critical" : "info";
    const target = rollbackTarget(ix, n);
    const rollbackTo = /^Rollback to (\d+)/.exec(rel.info.description ?? "")?.[1];

    const evidence: Evidence[] = [
      {
        source: `revision ${n} record`,
        detail:
          `${rec.kind} ${rec.name}: status ${status}, description "${rel.info.description ?? ""}", ` +
          `started ${rel.info.last_deployed || "(not recorded)"}${
            Number.isFinite(started)
              ? skew !== 0
                ? ` by the Helm client's clock, ${new Date(Date.parse(rel.info.last_deployed ?? "") + skew).toISOString()} by the cluster's (${ago(started)})`
                : ` (${ago(started)})`
              : ""
          }`,
      },
    ];
    if (skew !== 0)
      evidence.push({
        source: "clocks",
        detail: `the Helm client's clock was ${formatDuration(Math.abs(skew))} ${skew > 0 ? "behind" : "ahead of"} the API server's (the record object was created at ${recordFor(ix, rel)?.creationTimestamp}, its createdAt label says ${new Date(Date.parse(recordFor(ix, rel)?.creationTimestamp ?? "") - skew).toISOString()}): the record's times are read ${skew > 0 ? "forward" : "back"} by that much`,
      });
    if (act) {
      evidence.push({
        source: "helm-doctor",
        detail: known
          ? `last sign of progress: ${act.what} at ${new Date(act.at).toISOString()}, ${agoText(idle)}; ` +
            `the threshold is ${PENDING_STUCK_AFTER_MS / 60_000}m (Helm's default --timeout is 5m per hook and for --wait)`
          : "cannot tell when the operation started",
      });
    } else {
      evidence.push({
        source: "helm-doctor",
        detail:
          "the record carries no usable time (no start time, hook times or createdAt label): cannot tell how long it has been pending",
      });
    }
    const [pre, post] = hookEventsOf(op);
    const opHooks = (rel.hooks ?? []).filter((h) => h.events.includes(pre) || h.events.includes(post));
    for (const h of opHooks) evidence.push({ source: `revision ${n} hooks`, detail: hookLine(h, ix, skew) });
    // A hook that failed is the cause (hook-failed's finding); this one is then about the stuck revision only.
    const hookFailure = failedUnfinishedHook(ix, rel, opHooks);
    const explains: string[] = [
      ...(hookFailure ? [] : failureKeys(ix, rel)),
      // "another operation (install/upgrade/rollback) is in progress" is this lock.
      ...outputKeys(ix, (e) => e.kind === "pending-lock"),
    ];
    const about = hookFailure ? failureKeys(ix, rel) : [];
    if (running) {
      const hns = hookNamespace(ix, rel, running);
      evidence.push(...hookLiveState(ix, running, hns).evidence);
      if (!hookFailure) explains.push(...hookKeys(ix, running, hns));
    }
    if (target) {
      evidence.push({
        source: `revision ${target.version} record`,
        detail: `last good revision: status ${target.info.status}, description "${target.info.description ?? ""}", ${target.info.last_deployed ? `updated ${target.info.last_deployed}` : "no update time recorded"}`,
      });
    }
    if (maybeAlive) {
      evidence.push({
        source: "helm-doctor",
        detail: `${running!.kind} ${running!.name} is still running, and it is less than ${LONG_TIMEOUT_MS / 60_000}m since it started: a helm run with a longer --timeout may still be waiting for it, so this is a warning, not critical`,
      });
    }
    evidence.push({
      source: "not visible to helm-doctor",
      detail: "whether a helm process, CI job or controller (Flux, Argo CD) is still working on this release",
    });

    const opWord = op === "rollback" ? `rollback${rollbackTo ? ` to revision ${rollbackTo}` : ""}` : op;
    if (!stuck && known) {
      return [
        {
          code: "release-pending-stuck",
          severity: "info",
          role: "root",
          title: `Revision ${n} has been ${status} for ${formatDuration(Number.isFinite(started) && started > idle ? started : idle)}: an ${opWord} is probably still running`,
          explanation:
            `Revision ${n} is ${status}, and the last sign of progress was ${agoText(idle)} — less than ${PENDING_STUCK_AFTER_MS / 60_000} minutes, ` +
            `which a Helm ${op} with default timeouts can legitimately take. Until it finishes, other upgrades of ${name} fail with ` +
            `"another operation (install/upgrade/rollback) is in progress". Diagnose again in a few minutes; if it is still pending then, Helm was interrupted.`,
          resources: [rec],
          revisions: [n],
          evidence,
          remediations: [],
          explains,
        },
      ];
    }

    const remediations: Remediation[] = [];
    const del = `kubectl delete ${rec.kind.toLowerCase()} ${rec.name} -n ${rec.namespace}`;
    if (target) {
      const hookWarn =
        op === "rollback" && running
          ? ` Note that a rollback runs the target's pre/post-rollback hooks again; ${running.kind} ${running.name} is where the last rollback stopped.`
          : "";
      remediations.push({
        action: "rollback",
        revision: target.version,
        summary:
          `First make sure nothing is deploying ${name}. Then roll back to revision ${target.version} (${target.info.status}); this writes revision ${n + 1}. ` +
          `Helm's rollback does not check the pending lock, so it is the safe way out; revision ${n} stays in history as it is.${hookWarn}`,
        resources: [rec],
      });
    }
    if (op !== "install" || target) {
      remediations.push({
        action: "manual",
        summary:
          `Roll forward instead (when a rollback is unsafe, e.g. after migrations): back up and delete only the pending record (\`${del}\`), ` +
          `then run the ${op === "rollback" ? "rollback" : "upgrade"} again; revision ${n} is reused.`,
        resources: [rec],
      });
    } else {
      remediations.push({
        action: "manual",
        summary:
          `There is no earlier revision to roll back to: make sure nothing is installing ${name}, then \`helm uninstall ${name} -n ${ns}\` ` +
          `(add --no-hooks if a pre-delete hook cannot run) and install again. Objects that the interrupted install created are deleted by the uninstall.`,
        resources: [rec],
      });
    }
    remediations.push({
      action: "manual",
      summary:
        "Prevent it: give the CI job a timeout longer than Helm's --timeout plus hook time, never kill helm with SIGKILL, and serialise deployments of one release.",
    });

    const since = known ? `for ${formatDuration(idle)}` : "for an unknown time";
    const title =
      op === "install" && !target
        ? `Install of ${name} (revision ${n}) is stuck in ${status} ${since}: Helm stopped mid-install`
        : `Revision ${n} is stuck in ${status} ${since}: every helm upgrade fails with "another operation is in progress"`;
    // Judged by the cluster's clock: the client's time only as evidence of its skew.
    const started2 = rel.info.last_deployed
      ? skew !== 0
        ? ` at ${new Date(Date.parse(rel.info.last_deployed) + skew).toISOString()} by the cluster's clock (${rel.info.last_deployed} by the Helm client's, which was off)`
        : ` at ${rel.info.last_deployed}`
      : "";
    const explanation =
      `A helm ${opWord} of ${name} started${started2} and wrote revision ${n} as ${status} — Helm's lock for the release. ` +
      `It stopped ${stage}, and never wrote the final status (deployed or failed). ` +
      (!known
        ? "The record has no usable time, so helm-doctor cannot tell whether the operation is still alive. "
        : op === "rollback" && running
          ? `Nothing has touched the record for ${formatDuration(idle)}, far past Helm's default 5m timeout. A rollback whose pre- or post-rollback hook fails or times out returns the error without writing the record again, so a failed rollback hook leaves exactly this state — as does a killed helm. `
          : `Nothing has touched the record for ${formatDuration(idle)}, far past Helm's default 5m timeout, so the process is most likely gone: killed (SIGKILL, CI timeout, evicted runner) or cut off from the API server. ` +
            "Since Helm 3.7 an interrupted helm (SIGINT/SIGTERM) marks the revision failed, so a pending revision with nothing running usually means a hard kill or a lost connection. ") +
      `The lock never expires: every \`helm upgrade\` now fails with "another operation (install/upgrade/rollback) is in progress" and \`helm list\` hides the release without -a.` +
      (target
        ? ` Revision ${target.version} (${target.info.status}) is the last good state to return to.`
        : " There is no earlier good revision to return to.");

    return [
      {
        code: "release-pending-stuck",
        severity,
        role: "root",
        title,
        explanation,
        resources: [rec],
        revisions: target ? [target.version, n] : [n],
        evidence,
        remediations,
        explains,
        about,
      },
    ];
  },
};

export default analyzer;
