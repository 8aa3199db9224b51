// §1: the latest revision is pending-install/-upgrade/-rollback and nothing has touched it for longer than
// any default-timeout Helm operation takes. The pending record is Helm's lock: every later `helm upgrade`
// fails with "another operation (install/upgrade/rollback) is in progress" until someone clears it.
// The helpers exported here are shared by the other release-state analyzers (group A).
import { describeLastRun, effectiveDeletePolicies, formatDuration } from "../../helm/hooks.js";
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import { parseYamlObject } from "../../helm/manifest.js";
import { type Hook, isPending, type Release, type ReleaseRecord } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import { register } from "../registry.js";
import type { Evidence, Remediation, Severity } from "../types.js";
import { describeEvent, fmtAge } from "../workloads.js";

/**
 * A pending revision younger than this may belong to an operation that is still running: Helm's default
 * --timeout is 5m per hook and for --wait, so 10 minutes without any sign of progress means Helm is gone.
 */
export const PENDING_STUCK_AFTER_MS = 10 * 60_000;

/** Within this, a hook Job that is still running may be waited on by a helm with a long --timeout. */
export const LONG_TIMEOUT_MS = 30 * 60_000;

// ---- shared helpers (group A) ----

/** The stored record that holds revision `rel`. */
export function recordFor(ix: SnapshotIndex, rel: Release): ReleaseRecord | undefined {
  return ix.snapshot.records.find((r) => r.release === rel);
}

/** The Secret/ConfigMap that stores revision `rel`, as a resource reference. */
export function recordResource(ix: SnapshotIndex, rel: Release): ResourceRef {
  const rec = recordFor(ix, rel);
  return {
    kind: rec?.driver === "configmap" ? "ConfigMap" : "Secret",
    name: rec?.objectName ?? `sh.helm.release.v1.${rel.name}.v${rel.version}`,
    namespace: rec?.objectNamespace || rel.namespace || ix.namespace,
  };
}

export function recordKey(ix: SnapshotIndex, rel: Release): string {
  const r = recordResource(ix, rel);
  return kindKey(r.kind, r.namespace ?? ix.namespace, r.name);
}

/** First line of a (possibly multi-line, "1 error occurred:\n\t* …") Helm error, tidied for a title. */
export function oneLine(s: string, max = 160): string {
  const t = s
    .replace(/\d+ errors? occurred:\s*\*?\s*/g, "")
    .replace(/\s*\n\s*\*?\s*/g, "; ")
    .replace(/\s+/g, " ")
    .trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export function hookNamespace(h: Hook, rel: Release, ix: SnapshotIndex): string {
  const { object } = parseYamlObject(h.manifest);
  const ns = object?.metadata?.namespace;
  return typeof ns === "string" && ns ? ns : rel.namespace || ix.namespace;
}

/** Did this hook run during revision `rel` (rollback records carry their target's old last_run)? */
export function ranInRevision(h: Hook, rel: Release): boolean {
  if (!h.last_run?.phase) return false;
  const started = Date.parse(h.last_run.started_at ?? "");
  const begun = Date.parse(rel.info.last_deployed ?? "");
  if (!Number.isFinite(started) || !Number.isFinite(begun)) return true;
  return started >= begun - 1000;
}

/** "Job db-migrate (app/templates/migrate.yaml): events pre-upgrade, weight 5, delete policy …, last run …" */
export function hookLine(ix: SnapshotIndex, h: Hook): string {
  const explicit = h.delete_policies && h.delete_policies.length > 0;
  const lr = h.last_run;
  let when = "";
  if (lr?.started_at) {
    const age = ix.ageMs(lr.started_at);
    when = ` (started ${lr.started_at}${Number.isFinite(age) ? `, ${fmtAge(age)} before the snapshot` : ""})`;
  }
  return (
    `${h.kind} ${h.name} (${h.path}): events ${h.events.join(",")}, weight ${h.weight ?? 0}, ` +
    `delete policy ${effectiveDeletePolicies(h).join(",")}${explicit ? "" : " (default)"}, last run ${describeLastRun(h)}${when}`
  );
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function jobState(j: any): string {
  const conds: { type: string; status: string; reason?: string; message?: string }[] =
    j.status?.conditions ?? [];
  const failed = conds.find(
    (c) => (c.type === "Failed" || c.type === "FailureTarget") && c.status === "True",
  );
  if (failed) return `Failed (${failed.reason ?? "?"}${failed.message ? `: ${failed.message}` : ""})`;
  const done = conds.find((c) => c.type === "Complete" && c.status === "True");
  if (done) return `Complete${j.status?.completionTime ? ` at ${j.status.completionTime}` : ""}`;
  const active = j.status?.active ?? 0;
  return active > 0
    ? `still running (${active} active pod${active > 1 ? "s" : ""})`
    : "not finished, no active pod";
}

/** "Running (CrashLoopBackOff)" */
// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
export function podState(p: any): string {
  const phase = p.status?.phase ?? "?";
  const waiting = [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]
    .map((c) => c.state?.waiting?.reason ?? c.state?.terminated?.reason)
    .filter(Boolean);
  return waiting.length ? `${phase} (${[...new Set(waiting)].join(", ")})` : phase;
}

/** What the cluster shows for a hook object now: state, pods and recent warning events. */
export function liveHookEvidence(
  ix: SnapshotIndex,
  h: Hook,
  ns: string,
): { evidence: Evidence[]; live?: KubeObject } {
  const src = `live ${h.kind} ${ns}/${h.name}`;
  const obj = ix.get(h.kind, ns, h.name);
  if (!obj) {
    const gap = readGap(ix, h.kind);
    return {
      evidence: [
        {
          source: src,
          detail: gap
            ? `not found, but ${gap.what} could not be fully read (${gap.reason})`
            : "does not exist (a delete policy removed it, or it was never created); its logs are gone",
        },
      ],
    };
  }
  const ev: Evidence[] = [];
  const created = obj.metadata?.creationTimestamp;
  const age = ix.ageMs(created);
  const since = created ? `, created ${created}${Number.isFinite(age) ? ` (${fmtAge(age)} ago)` : ""}` : "";
  if (h.kind === "Job") ev.push({ source: src, detail: `${jobState(obj)}${since}` });
  else if (h.kind === "Pod") ev.push({ source: src, detail: `${podState(obj)}${since}` });
  else ev.push({ source: src, detail: `exists${since}` });
  const pods = h.kind === "Job" ? ix.children(obj).filter((c) => c.kind === "Pod") : [];
  for (const p of pods.slice(0, 3)) ev.push({ source: `pod ${p.metadata?.name}`, detail: podState(p) });
  const events = [obj, ...pods].flatMap((o) => ix.eventsFor(o)).filter((e) => e.type === "Warning");
  for (const e of events.slice(0, 3))
    ev.push({ source: `events of ${e.involved.kind} ${e.involved.name}`, detail: describeEvent(ix, e) });
  return { evidence: ev, live: obj };
}

/** Keys of a hook object and its pods (for `explains`). */
export function hookKeys(ix: SnapshotIndex, h: Hook, ns: string): string[] {
  const keys = [kindKey(h.kind, ns, h.name)];
  const obj = ix.get(h.kind, ns, h.name);
  if (obj && h.kind === "Job") {
    for (const p of ix.children(obj).filter((c) => c.kind === "Pod"))
      keys.push(kindKey("Pod", p.metadata?.namespace ?? ns, p.metadata?.name ?? ""));
  }
  return keys;
}

/** A read gap that concerns objects of `kind` (or everything). */
export function readGap(ix: SnapshotIndex, kind: string) {
  const k = kind.toLowerCase();
  return ix.snapshot.gaps.find((g) => {
    const w = g.what.toLowerCase();
    return w.includes(k) || w === "objects" || w === "all";
  });
}

export type Operation = "install" | "upgrade" | "rollback";

export function hookEventsOf(op: Operation): [string, string] {
  return [`pre-${op}`, `post-${op}`];
}

/** The revision a rollback should target: the last deployed, else the newest superseded. */
export function rollbackTarget(ix: SnapshotIndex, before: number): Release | undefined {
  const older = ix.releases.filter((r) => r.version < before);
  for (const st of ["deployed", "superseded"]) {
    for (let i = older.length - 1; i >= 0; i--) if (older[i]!.info.status === st) return older[i];
  }
  return undefined;
}

// ---- the analyzer ----

function operationOf(status: string): Operation {
  return status === "pending-install" ? "install" : status === "pending-rollback" ? "rollback" : "upgrade";
}

/** The newest sign of Helm working on `rel`: its start, hook starts/ends, the record's own timestamps. */
function lastActivity(ix: SnapshotIndex, rel: Release): { at: number; what: string } | undefined {
  const cands: { at: number; what: string }[] = [];
  const push = (ts: string | undefined, what: string) => {
    const t = Date.parse(ts ?? "");
    if (Number.isFinite(t)) cands.push({ at: t, what });
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
  push(rel.info.last_deployed, "the operation started (info.last_deployed)");
  for (const h of rel.hooks ?? []) {
    if (!ranInRevision(h, rel)) continue;
    push(h.last_run?.started_at, `hook ${h.name} started`);
    push(h.last_run?.completed_at, `hook ${h.name} finished`);
  }
  if (cands.length === 0) return undefined;
  // The newest; on a tie, the more specific sign (a hook over the operation's start).
  return cands.reduce((best, c) => (c.at >= best.at ? c : best));
}

function where(rel: Release, op: Operation): { stage: string; running?: Hook } {
  const [pre, post] = hookEventsOf(op);
  const hooks = rel.hooks ?? [];
  const ran = (h: Hook) => ranInRevision(h, rel);
  const running = hooks.find(
    (h) => ran(h) && (h.last_run?.phase === "Running" || h.last_run?.phase === "Unknown"),
  );
  if (running) {
    const ev = running.events.includes(pre) ? pre : running.events.includes(post) ? post : running.events[0];
    return {
      stage: `while running the ${ev} hook ${running.kind} ${running.name} (its last_run is still "${running.last_run?.phase}", which Helm writes before it creates the hook and overwrites only when the operation ends)`,
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

export default register({
  code: "release-pending-stuck",
  run(ix) {
    const rel = ix.latest();
    if (!rel || !isPending(rel.info.status)) return [];
    const status = rel.info.status;
    const op = operationOf(status);
    const n = rel.version;
    const ns = rel.namespace || ix.namespace;
    const name = rel.name || ix.snapshot.release;
    const act = lastActivity(ix, rel);
    const idle = act ? ix.now.getTime() - act.at : Number.NaN;
    const started = ix.ageMs(rel.info.last_deployed);
    const known = Number.isFinite(idle);
    const stuck = known && idle >= PENDING_STUCK_AFTER_MS;
    const rec = recordResource(ix, rel);
    const { stage, running } = where(rel, op);
    // A hook Job still working within half an hour may belong to a helm run with a long --timeout.
    const runningLive = running
      ? ix.get(running.kind, hookNamespace(running, rel, ix), running.name)
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
          `last_deployed ${rel.info.last_deployed || "(not set)"}${Number.isFinite(started) ? ` (${fmtAge(started)} before the snapshot clock ${ix.now.toISOString()})` : ""}`,
      },
    ];
    if (act) {
      evidence.push({
        source: "helm-doctor",
        detail: known
          ? `last sign of progress: ${act.what} at ${new Date(act.at).toISOString()}, ${formatDuration(idle)} ago; ` +
            `the threshold is ${PENDING_STUCK_AFTER_MS / 60_000}m (Helm's default --timeout is 5m per hook and for --wait)`
          : "cannot tell when the operation started",
      });
    } else {
      evidence.push({
        source: "helm-doctor",
        detail:
          "the record carries no usable time (no last_deployed, hook times or createdAt label): cannot tell how long it has been pending",
      });
    }
    const [pre, post] = hookEventsOf(op);
    const opHooks = (rel.hooks ?? []).filter((h) => h.events.includes(pre) || h.events.includes(post));
    for (const h of opHooks) evidence.push({ source: `revision ${n} hooks`, detail: hookLine(ix, h) });
    const explains: string[] = [];
    if (running) {
      const hns = hookNamespace(running, rel, ix);
      evidence.push(...liveHookEvidence(ix, running, hns).evidence);
      explains.push(...hookKeys(ix, running, hns));
    }
    if (target) {
      evidence.push({
        source: `revision ${target.version} record`,
        detail: `last good revision: status ${target.info.status}, description "${target.info.description ?? ""}", updated ${target.info.last_deployed ?? "?"}`,
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
          title: `Revision ${n} has been ${status} for ${formatDuration(idle)}: an ${opWord} is probably still running`,
          explanation:
            `Revision ${n} is ${status}, and the last sign of progress was ${formatDuration(idle)} ago — less than ${PENDING_STUCK_AFTER_MS / 60_000} minutes, ` +
            `which a Helm ${op} with default timeouts can legitimately take. Until it finishes, other upgrades of ${name} fail with ` +
            `"another operation (install/upgrade/rollback) is in progress". Diagnose again in a few minutes; if it is still pending then, Helm was interrupted.`,
          resources: [rec],
          revisions: [n],
          evidence,
          remediations: [],
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
    const started2 = rel.info.last_deployed ? ` at ${rel.info.last_deployed}` : "";
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
      },
    ];
  },
});
