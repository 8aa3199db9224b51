// `--atomic` (Helm 4: `--rollback-on-failure`) rolls a failed upgrade back at once. History then shows
// revision N failed (`Upgrade "x" failed: …`) and N+1 `Rollback to M`; the cluster looks healthy again and the
// CLI printed only the first error. The cause is still in the records: N's description and its hooks'
// last_run, and (for about an hour) N's ReplicaSet, left at 0 replicas, and its events. When another finding
// explains N's error itself (the object Helm could not take over, the field it could not change), that is the
// cause and the rollback folds under it.
import { formatDuration } from "../../helm/hooks.js";
import { kindKey } from "../../helm/keys.js";
import type { Hook, Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { oneLine, ranIn, revisionKey } from "../history.js";
import { hookKeys, hookLine, hookLiveState, hookNamespace, podState } from "../hook-helpers.js";
import type { Evidence, Remediation, Severity } from "../types.js";
import { ago, describeEvent } from "../workloads.js";

const UPGRADE_FAILED = /^Upgrade "([^"]*)" failed: ([\s\S]*)$/;
const ROLLBACK_TO = /^Rollback to (\d+)/;
/** Helm's default --timeout; a hook that ran about this long timed out. */
const DEFAULT_TIMEOUT_MS = 5 * 60_000;
/** Events live about an hour (kube-apiserver --event-ttl). */
const EVENT_TTL_MS = 60 * 60_000;

const isEmpty = (v: unknown) =>
  v === null ||
  v === undefined ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === "object" && !Array.isArray(v) && Object.keys(v as object).length === 0);

/** Is every field of the stored template present, with the same value, in the live one (which has defaults)? */
function subset(a: unknown, b: unknown): boolean {
  if (isEmpty(a)) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => subset(x, b[i]));
  if (typeof a === "object") {
    if (typeof b !== "object" || b === null || Array.isArray(b)) return false;
    const bo = b as Record<string, unknown>;
    return Object.entries(a as Record<string, unknown>).every(([k, v]) => subset(v, bo[k]));
  }
  return a === b || String(a) === String(b);
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function templateOf(rel: Release, ix: SnapshotIndex, name: string): any {
  const o = ix.manifest(rel).find((d) => d.kind === "Deployment" && d.name === name)?.object as
    | KubeObject
    | undefined;
  return o?.spec?.template;
}

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function stripHash(t: any): any {
  const c = structuredClone(t ?? {});
  if (c.metadata?.labels) delete c.metadata.labels["pod-template-hash"];
  return c;
}

interface Leftover {
  deployment: string;
  rs: KubeObject;
  how: string;
}

/** ReplicaSets that revision `failed` rolled out and the rollback scaled down. */
function leftoverReplicaSets(
  ix: SnapshotIndex,
  failed: Release,
  target: Release | undefined,
  rollback: Release,
): Leftover[] {
  const out: Leftover[] = [];
  const from = Date.parse(failed.info.last_deployed ?? "");
  const to = Date.parse(rollback.info.last_deployed ?? "");
  for (const d of ix.manifest(failed)) {
    if (d.kind !== "Deployment") continue;
    const live = ix.get("Deployment", d.namespace, d.name);
    if (!live) continue;
    const mine = templateOf(failed, ix, d.name);
    const theirs = target ? templateOf(target, ix, d.name) : undefined;
    for (const rs of ix.children(live).filter((c) => c.kind === "ReplicaSet")) {
      const t = stripHash(rs.spec?.template);
      const created = Date.parse(rs.metadata?.creationTimestamp ?? "");
      if (mine && subset(mine, t) && !(theirs && subset(theirs, t))) {
        out.push({ deployment: d.name, rs, how: `its pod template is revision ${failed.version}'s` });
      } else if (
        Number.isFinite(from) &&
        Number.isFinite(to) &&
        created >= from - 1000 &&
        created <= to + 60_000 &&
        !(theirs && subset(theirs, t))
      ) {
        out.push({ deployment: d.name, rs, how: `created during the upgrade to revision ${failed.version}` });
      }
    }
  }
  return out;
}

function hookVerdict(h: Hook): string {
  const s = Date.parse(h.last_run?.started_at ?? "");
  const c = Date.parse(h.last_run?.completed_at ?? "");
  if (
    h.last_run?.phase === "Failed" &&
    Number.isFinite(s) &&
    Number.isFinite(c) &&
    c - s >= DEFAULT_TIMEOUT_MS - 10_000
  )
    return ` — ${formatDuration(c - s)} is about Helm's --timeout, so it most likely timed out`;
  return "";
}

const analyzer: Analyzer = {
  run(ix) {
    const rb = ix.latest();
    if (!rb) return [];
    const m = ROLLBACK_TO.exec(rb.info.description ?? "");
    if (!m) return [];
    const failed = ix.previous(rb);
    if (failed?.info.status !== "failed") return [];
    const um = UPGRADE_FAILED.exec(failed.info.description ?? "");
    if (!um) return [];
    const mRev = Number(m[1]);
    const target = ix.revision(mRev);
    const n = failed.version;
    const name = rb.name || ix.snapshot.release;
    const ns = rb.namespace || ix.namespace;
    const cause = um[2]!.trim();
    const short = oneLine(cause, 140);

    const evidence: Evidence[] = [
      {
        source: `revision ${n} record`,
        detail: `status failed, started ${failed.info.last_deployed ?? "?"}, description: ${oneLine(failed.info.description ?? "", 600)}`,
      },
    ];
    const gapMs = Date.parse(rb.info.last_deployed ?? "") - Date.parse(failed.info.last_deployed ?? "");
    const atomicLike = Number.isFinite(gapMs) && gapMs >= 0 && gapMs <= 30 * 60_000;
    evidence.push({
      source: `revision ${rb.version} record`,
      detail:
        `status ${rb.info.status}, description "${oneLine(rb.info.description ?? "")}", started ${rb.info.last_deployed ?? "?"}` +
        (Number.isFinite(gapMs)
          ? ` — ${formatDuration(gapMs)} after revision ${n}'s upgrade began${atomicLike ? ", as --atomic does" : ", so probably a rollback by hand"}`
          : ""),
    });

    // Hooks of the failed upgrade that failed or never finished.
    const explains: string[] = [];
    const badHooks = (failed.hooks ?? []).filter(
      (h) =>
        ranIn(h, failed) &&
        (h.events.includes("pre-upgrade") || h.events.includes("post-upgrade")) &&
        h.last_run?.phase !== "Succeeded",
    );
    for (const h of badHooks) {
      evidence.push({ source: `revision ${n} hooks`, detail: `${hookLine(h, ix)}${hookVerdict(h)}` });
      const hns = hookNamespace(ix, failed, h);
      const live = hookLiveState(ix, h, hns);
      evidence.push(...live.evidence);
      explains.push(...hookKeys(ix, h, hns));
    }

    // N's ReplicaSet, scaled to 0 by the rollback, and whatever events survive.
    const leftovers = leftoverReplicaSets(ix, failed, target, rb);
    const rbAge = ix.ageMs(rb.info.last_deployed);
    for (const l of leftovers) {
      const rsName = l.rs.metadata?.name ?? "?";
      const replicas = l.rs.spec?.replicas ?? 0;
      explains.push(kindKey("ReplicaSet", l.rs.metadata?.namespace ?? ns, rsName));
      evidence.push({
        source: `live ReplicaSet ${rsName}`,
        detail: `Deployment ${l.deployment}'s ReplicaSet from revision ${n} (${l.how}), now at ${replicas} replica${replicas === 1 ? "" : "s"}${replicas === 0 ? ": the rollback scaled it down" : ""}`,
      });
      const pods = ix.children(l.rs).filter((c) => c.kind === "Pod");
      for (const p of pods.slice(0, 3)) {
        explains.push(kindKey("Pod", p.metadata?.namespace ?? ns, p.metadata?.name ?? ""));
        evidence.push({ source: `pod ${p.metadata?.name}`, detail: podState(p) });
      }
      const events = [l.rs, ...pods].flatMap((o) => ix.eventsFor(o));
      const warn = events.filter((e) => e.type === "Warning");
      for (const e of (warn.length ? warn : events).slice(0, 4))
        evidence.push({
          source: `events of ${e.involved.kind} ${e.involved.name}`,
          detail: describeEvent(ix, e),
        });
      if (events.length === 0 || pods.length === 0) {
        evidence.push({
          source: `events of ReplicaSet ${rsName}`,
          detail:
            (pods.length === 0
              ? "its pods are deleted, so their events (why they failed) are not in the snapshot; "
              : "") +
            (events.length === 0 && Number.isFinite(rbAge) && rbAge > EVENT_TTL_MS
              ? `no events left: events expire after about an hour and the rollback was ${ago(rbAge)}`
              : events.length === 0
                ? "no events recorded for it"
                : "only the ReplicaSet's own events remain"),
        });
      }
    }
    const preHookFailed = /pre-upgrade hooks failed/.test(cause);
    if (preHookFailed) {
      evidence.push({
        source: `revision ${n} record`,
        detail: `a pre-upgrade hook failed, so Helm never applied revision ${n}'s manifest: its workloads never changed`,
      });
    } else if (leftovers.length === 0 && ix.manifest(failed).some((d) => d.kind === "Deployment")) {
      evidence.push({
        source: "live cluster",
        detail: `no ReplicaSet from revision ${n} found (its pod templates did not change, or the Deployment's revisionHistoryLimit removed it)`,
      });
    }
    const gaps = ix.snapshot.gaps.filter((g) => /event|pod|replicaset|job/i.test(g.what));
    for (const g of gaps)
      evidence.push({
        source: "read gap",
        detail: `${g.what} could not be read (${g.reason}): evidence may be missing`,
      });

    const deployed = rb.info.status === "deployed";
    const severity: Severity = deployed ? "warning" : "critical";
    const timeout = /timed out waiting for the condition|context deadline exceeded/.test(cause);
    const hookFail = /hooks failed|failed (pre|post)-(install|upgrade)|Hook (pre|post)-/.test(cause);
    const why = hookFail
      ? "a hook failed"
      : timeout
        ? "Helm timed out waiting for the new resources to become ready (--wait, implied by --atomic)"
        : "Kubernetes rejected part of the change";
    const explanation =
      `At ${failed.info.last_deployed ?? "?"}, \`helm upgrade\` started revision ${n}${failed.chart?.metadata?.version ? ` (chart ${failed.chart.metadata.name}-${failed.chart.metadata.version})` : ""}. ` +
      `It failed because ${why}: "${short}". Helm marked revision ${n} failed and, ${atomicLike ? "because --atomic (Helm 4: --rollback-on-failure) was set," : "after that,"} rolled back to revision ${mRev}, writing revision ${rb.version} ("Rollback to ${mRev}"). ` +
      (deployed
        ? `The release now runs revision ${mRev}'s manifest again, so the cluster looks healthy and the upgrade error only said "…has been rolled back due to atomic being set". The next upgrade with the same chart and values will fail the same way.`
        : `The rollback itself did not complete (revision ${rb.version} is ${rb.info.status}), so the release is left broken.`) +
      (leftovers.length
        ? ` Revision ${n}'s ReplicaSet ${leftovers[0]!.rs.metadata?.name} is still there, scaled down${timeout ? ": its pods are the ones that did not become ready in time" : ""}.`
        : "");

    const remediations: Remediation[] = [];
    if (!deployed && target && !rb.info.status.startsWith("pending-")) {
      remediations.push({
        action: "rollback",
        revision: mRev,
        summary: `Roll back to revision ${mRev} again (writes revision ${rb.version + 1}).`,
      });
    }
    remediations.push({
      action: "manual",
      summary:
        `Reproduce without --atomic/--rollback-on-failure and with --debug (\`helm upgrade ${name} <chart> -n ${ns} --debug\` with revision ${n}'s values), ` +
        `then at once collect \`kubectl get events -n ${ns}\`${badHooks.length ? `, \`kubectl logs -n ${ns} ${badHooks[0]!.kind.toLowerCase()}/${badHooks[0]!.name}\`` : ""} and \`kubectl describe pods\` of the new ReplicaSet: events expire after about an hour.`,
    });
    const hookPaths = [...new Set(badHooks.map((h) => h.path))];
    remediations.push({
      action: "chart-fix",
      summary: hookFail
        ? `In ${hookPaths.join(", ") || "the failing hook's template"}: add \`helm.sh/hook-output-log-policy: hook-failed\` (Helm ≥3.18) so a failed hook prints its logs, and make the hook succeed with revision ${n}'s values.`
        : "Give workloads honest readiness probes and a progressDeadlineSeconds below Helm's --timeout so a bad rollout fails fast with a clear reason.",
    });

    const rsRes = leftovers.map((l) => ({
      kind: "ReplicaSet",
      name: l.rs.metadata?.name ?? "",
      namespace: l.rs.metadata?.namespace ?? ns,
    }));
    const hookRes = badHooks.map((h) => ({
      kind: h.kind,
      name: h.name,
      namespace: hookNamespace(ix, failed, h),
    }));
    return [
      {
        code: "atomic-rollback-masked-failure",
        severity,
        role: "root",
        title: `Upgrade to revision ${n} failed and was rolled back to revision ${mRev}: ${short}`,
        explanation,
        resources: [...hookRes, ...rsRes],
        revisions: [mRev, n, rb.version],
        evidence,
        remediations,
        explains,
        // A finding that explains why revision N failed (an ownership conflict, an immutable field, an admission
        // webhook) is the cause; the rollback that hid it is then its evidence.
        about: [revisionKey(ix, n)],
      },
    ];
  },
};

export default analyzer;
