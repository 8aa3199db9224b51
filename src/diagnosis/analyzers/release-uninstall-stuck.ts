// `helm uninstall` sets the status to uninstalling ("Deletion in progress (or silently failed)"), then runs
// the pre-delete hooks; execHook persists the record before each hook. When a pre-delete hook fails (or Helm
// dies), uninstall returns before deleting anything and never writes the record again: the release is left
// "uninstalling", hidden from `helm ls`, its objects still running, and upgrades fail with "has no deployed
// releases".
import { hasPolicy, hooksFor } from "../../helm/hooks.js";
import type { Hook, Release } from "../../helm/types.js";
import type { Analyzer } from "../analyzer.js";
import { failureKeys, oneLine, ranIn, readGap, recordKey, recordResource } from "../history.js";
import { failedUnfinishedHook, hookKeys, hookLine, hookLiveState, hookNamespace } from "../hook-helpers.js";
import type { Evidence, Remediation } from "../types.js";
import { ago } from "../workloads.js";

/** The pre-delete hook where the uninstall stopped: Failed, or still Running/Unknown (the last persisted state). */
function blockingHook(rel: Release, hooks: Hook[]): Hook | undefined {
  const ran = hooks.filter((h) => ranIn(h, rel));
  return (
    ran.find((h) => h.last_run?.phase === "Failed") ??
    ran.find((h) => h.last_run?.phase === "Running" || h.last_run?.phase === "Unknown")
  );
}

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    if (rel?.info.status !== "uninstalling") return [];
    const n = rel.version;
    const name = rel.name || ix.snapshot.release;
    const ns = rel.namespace || ix.namespace;
    const rec = recordResource(ix, rel);
    const preDelete = hooksFor(rel.hooks, "pre-delete");
    const postDelete = hooksFor(rel.hooks, "post-delete");
    const blocker = blockingHook(rel, preDelete);
    const since = rel.info.deleted || rel.info.last_deployed;
    const age = ix.ageMs(since);

    const evidence: Evidence[] = [
      {
        source: `revision ${n} record`,
        detail: `${rec.kind} ${rec.name}: status uninstalling, description "${rel.info.description ?? ""}"${rel.info.deleted ? `, uninstall started ${rel.info.deleted}${Number.isFinite(age) ? ` (${ago(age)})` : ""}` : ""}`,
      },
    ];
    for (const h of [...preDelete, ...postDelete])
      evidence.push({ source: `revision ${n} hooks`, detail: hookLine(h, ix) });
    // A pre-delete hook that failed is the cause (hook-failed's finding); this one is then about the stuck
    // revision only.
    const hookFailure = failedUnfinishedHook(ix, rel, preDelete);
    const explains = [recordKey(ix, rel), ...(hookFailure ? [] : failureKeys(ix, rel))];
    const about = hookFailure ? failureKeys(ix, rel) : [];
    let hookState = "";
    if (blocker) {
      const hns = hookNamespace(ix, rel, blocker);
      const live = hookLiveState(ix, blocker, hns);
      evidence.push(...live.evidence);
      if (!hookFailure) explains.push(...hookKeys(ix, blocker, hns));
      hookState = live.evidence[0]?.detail ?? "";
    }

    // Which of the manifest's objects are still there.
    const docs = ix.manifest(rel).filter((d) => d.kind && d.name);
    const live = docs.filter((d) => ix.get(d.kind, d.namespace, d.name));
    const gone = docs.filter((d) => !ix.get(d.kind, d.namespace, d.name));
    const gap = readGap(ix, "");
    if (docs.length > 0) {
      evidence.push({
        source: "live cluster",
        detail:
          (docs.length === 1
            ? `the only manifest object ${live.length ? "still exists" : "is gone"}`
            : `${live.length} of ${docs.length} manifest objects still exist${live.length === 1 ? "s" : ""}`) +
          (live.length
            ? `: ${live
                .slice(0, 8)
                .map((d) => `${d.kind} ${d.name}`)
                .join(", ")}${live.length > 8 ? ", …" : ""}`
            : "") +
          (gone.length && live.length
            ? `; missing: ${gone
                .slice(0, 5)
                .map((d) => `${d.kind} ${d.name}`)
                .join(", ")}${gone.length > 5 ? ", …" : ""}`
            : ""),
      });
    }
    if (gap) {
      evidence.push({
        source: "read gap",
        detail: `${gap.what} could not be fully read (${gap.reason}): the live object count may be incomplete`,
      });
    }

    const hookDesc = blocker ? `${blocker.kind} ${blocker.name} (${blocker.path})` : "";
    const hookFailed = blocker?.last_run?.phase === "Failed" || /^Failed/.test(hookState);
    let how: string;
    if (blocker) {
      how =
        `It then ran the pre-delete hook ${hookDesc}, persisting the record as it started it. ` +
        (hookFailed
          ? `The hook failed${/^Failed/.test(hookState) ? ` (its ${blocker.kind} is ${hookState.replace(/, created .*$/, "")})` : ""}, so uninstall returned the error before deleting anything and never wrote the record again. `
          : `The record still shows the hook as "${blocker.last_run?.phase}", the state Helm saves before it waits; Helm returned (hook failure or timeout) or was killed while waiting, and never wrote the record again. `);
    } else if (preDelete.length > 0) {
      how =
        "Its pre-delete hooks show no failure, so Helm stopped later: while deleting the release's objects or running post-delete hooks, and never wrote the final status. ";
    } else {
      how =
        "The chart has no pre-delete hook, so Helm stopped while deleting the release's objects or waiting for them (killed, or it lost the API connection), and never wrote the final status. ";
    }
    const explanation =
      `\`helm uninstall ${name}\` marked revision ${n} "uninstalling" ("Deletion in progress (or silently failed)"). ${how}` +
      (live.length === 0
        ? ""
        : docs.length === 1
          ? "The release's only object still exists. "
          : `${live.length} of the release's ${docs.length} objects still exist${live.length === 1 ? "s" : ""}. `) +
      `In this state the release is hidden from \`helm ls\`, and \`helm upgrade\` (with or without --install) fails with "has no deployed releases".` +
      (rel.info.description && rel.info.description !== "Deletion in progress (or silently failed)"
        ? ` The record's description: ${oneLine(rel.info.description)}.`
        : "");

    const remediations: Remediation[] = [];
    if (blocker) {
      remediations.push({
        action: "manual",
        summary: `Fix what the pre-delete hook ${blocker.name} needs (read its logs: \`kubectl logs -n ${hookNamespace(ix, rel, blocker)} ${blocker.kind.toLowerCase()}/${blocker.name}\`), then run \`helm uninstall ${name} -n ${ns}\` again; the hook runs again and the uninstall completes.`,
      });
      if (
        !hasPolicy(blocker, "before-hook-creation") &&
        ix.get(blocker.kind, hookNamespace(ix, rel, blocker), blocker.name)
      ) {
        remediations.push({
          action: "delete-leftover-hook",
          revision: n,
          summary: `Delete the leftover ${blocker.kind} ${blocker.name} first: its delete policy lacks before-hook-creation, so the next uninstall would fail with "already exists".`,
          resources: [{ kind: blocker.kind, name: blocker.name, namespace: hookNamespace(ix, rel, blocker) }],
        });
      }
    } else {
      remediations.push({
        action: "manual",
        summary: `Run \`helm uninstall ${name} -n ${ns}\` again; it starts over and deletes what is left.`,
      });
    }
    remediations.push(
      {
        action: "manual",
        summary: `Risky: \`helm uninstall ${name} -n ${ns} --no-hooks\` skips the pre-delete hook — and whatever cleanup it does (custom resources, finalizers, external state) must then be done by hand.`,
      },
      {
        action: "rollback",
        revision: n,
        summary: `To keep the release instead, roll back to revision ${n} itself: Helm writes revision ${n + 1} as deployed from revision ${n}'s manifest (recreating anything already deleted).`,
        resources: [rec],
      },
    );
    if (blocker) {
      remediations.push({
        action: "chart-fix",
        summary: `In ${blocker.path}: make the pre-delete hook best-effort (tolerate missing dependencies such as an operator or ServiceAccount that is already gone, exit 0 when there is nothing to clean), and keep activeDeadlineSeconds below Helm's --timeout.`,
      });
    }

    return [
      {
        code: "release-uninstall-stuck",
        severity: "critical",
        role: "root",
        title: blocker
          ? `Uninstall of ${name} is stuck at revision ${n}: pre-delete hook ${blocker.kind} ${blocker.name} ${hookFailed ? "failed" : "never finished"}`
          : `Uninstall of ${name} is stuck at revision ${n}: the release is left "uninstalling"`,
        explanation,
        resources: [
          rec,
          ...(blocker
            ? [{ kind: blocker.kind, name: blocker.name, namespace: hookNamespace(ix, rel, blocker) }]
            : []),
        ],
        revisions: [n],
        evidence,
        remediations,
        explains,
        about,
      },
    ];
  },
};

export default analyzer;
