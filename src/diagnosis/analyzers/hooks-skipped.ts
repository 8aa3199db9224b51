// A deployed revision whose hooks for its own operation never ran (empty last_run). Helm writes
// "deployed" only after the post-* hooks, so empty hooks mean hooks were disabled (--no-hooks, an SDK caller
// with DisableHooks) or the record was written by a tool that renders and applies charts itself. Migrations
// did not run; objects that only hooks create do not exist.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { Hook, Release } from "../../helm/types.js";
import type { Analyzer } from "../analyzer.js";
import { type Operation, ranIn } from "../history.js";
import { hookLine, hookNamespace } from "../hook-helpers.js";
import { podsSaying } from "../signals.js";
import type { Evidence, Remediation, Severity } from "../types.js";
import { podKey, podSpecOf, specUses, workloadsOf } from "../workloads.js";

type Op = Operation | "dry-run";

/** Which operation wrote revision `rel`, from Helm's own description texts. */
function operationOf(rel: Release): Op | undefined {
  const d = (rel.info.description ?? "").trim();
  if (d === "Dry run complete") return "dry-run";
  if (d.startsWith("Install complete")) return "install";
  if (d.startsWith("Upgrade complete")) return "upgrade";
  if (/^Rollback to \d+/.test(d)) return "rollback";
  // A custom --description: the first revision can only be an install.
  if (rel.version === 1) return "install";
  return undefined;
}

interface Skipped {
  hook: Hook;
  ns: string;
  live: boolean;
  /** A Job or Pod of an earlier run is live (created then). */
  staleSince?: string;
  users: { kind: string; name: string; keys: string[] }[];
}

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.lastDeployed();
    if (!rel) return [];
    const op = operationOf(rel);
    if (!op) return [];
    const n = rel.version;
    const name = rel.name || ix.snapshot.release;
    const ns = rel.namespace || ix.namespace;
    const events =
      op === "dry-run"
        ? ["pre-install", "post-install", "pre-upgrade", "post-upgrade"]
        : [`pre-${op}`, `post-${op}`];
    // Test hooks never run as part of an operation.
    const relevant = (rel.hooks ?? []).filter((h) => h.events.some((e) => events.includes(e)));
    if (relevant.length === 0) return [];
    const skippedHooks = relevant.filter((h) => !ranIn(h, rel));
    if (skippedHooks.length === 0) return [];
    const ranHooks = relevant.filter((h) => ranIn(h, rel));
    const workloads = workloadsOf(ix, rel);

    const begun = Date.parse(rel.info.last_deployed ?? "");
    const skipped: Skipped[] = skippedHooks.map((h) => {
      const hns = hookNamespace(ix, rel, h);
      const obj = ix.get(h.kind, hns, h.name);
      // A Job or Pod left from an earlier run (before-hook-creation only deletes it when the hook runs again)
      // says nothing about this revision: its work was done for another one.
      const created = Date.parse(obj?.metadata?.creationTimestamp ?? "");
      const stale =
        (h.kind === "Job" || h.kind === "Pod") &&
        Number.isFinite(created) &&
        Number.isFinite(begun) &&
        created < begun - 60_000;
      const live = !!obj && !stale;
      const staleSince = stale ? obj?.metadata?.creationTimestamp : undefined;
      const users = workloads
        .filter((w) => specUses(podSpecOf(w.template), h.kind, h.name))
        .map((w) => ({
          kind: w.kind,
          name: w.name,
          keys: [kindKey(w.kind, w.namespace, w.name), ...w.pods.map((p) => podKey(p, w.namespace))],
        }));
      return { hook: h, ns: hns, live, users, ...(staleSince ? { staleSince } : {}) };
    });

    const missingUsed = skipped.filter(
      (s) => !s.live && s.users.length > 0 && s.hook.kind !== "Job" && s.hook.kind !== "Pod",
    );
    const allLive = skipped.every((s) => s.live);
    // A skipped migration shows as pods that crash on the schema it would have created.
    const jobsSkipped = skipped.some((s) => s.hook.kind === "Job" || s.hook.kind === "Pod");
    const unmigrated = jobsSkipped ? podsSaying(ix, workloads, (sig) => sig.type === "schema", begun) : [];
    const severity: Severity =
      op === "dry-run" || allLive
        ? "info"
        : missingUsed.length > 0 || unmigrated.length > 0
          ? "critical"
          : "warning";

    const evidence: Evidence[] = [
      {
        source: `revision ${n} record`,
        detail: `status ${rel.info.status}, description "${rel.info.description ?? ""}"${op === "dry-run" ? "" : ` (${/^[aeiou]/.test(op) ? "an" : "a"} ${op})`}, updated ${rel.info.last_deployed || "(no time recorded)"}`,
      },
    ];
    for (const s of skipped) {
      const state = s.live
        ? "exists live (created by something other than this Helm run, e.g. `kubectl apply` of `helm template` output, or an earlier run)"
        : s.hook.kind === "Job" || s.hook.kind === "Pod"
          ? s.staleSince
            ? `the live ${s.hook.kind} is from an earlier run (created ${s.staleSince}): its work for revision ${n} was never done`
            : "not live: its work was never done"
          : `does not exist${s.users.length ? `, and ${s.users.map((u) => `${u.kind} ${u.name}`).join(", ")} use${s.users.length === 1 ? "s" : ""} it` : ""}`;
      evidence.push({ source: `revision ${n} hooks`, detail: `${hookLine(s.hook, ix)}; ${state}` });
    }
    for (const h of ranHooks) evidence.push({ source: `revision ${n} hooks`, detail: hookLine(h, ix) });
    if (unmigrated.length) {
      const wl = [...new Set(unmigrated.map((m) => `${m.workload.kind} ${m.workload.name}`))];
      evidence.push({
        source: `pod ${unmigrated[0]!.pod.metadata?.name}`,
        detail: `${unmigrated.length} pod${unmigrated.length === 1 ? "" : "s"} of ${wl.join(", ")}, started after revision ${n} was deployed, fail on the database schema: "${unmigrated[0]!.signal.text}"`,
      });
    }
    const gaps = ix.snapshot.gaps;
    if (gaps.length) {
      evidence.push({
        source: "read gap",
        detail: `${gaps.map((g) => `${g.what} (${g.reason})`).join(", ")} could not be read: "does not exist" may be wrong`,
      });
    }

    const list = skipped.map((s) => `${s.hook.kind} ${s.hook.name}`);
    const listText =
      list.length > 3 ? `${list.slice(0, 3).join(", ")} and ${list.length - 3} more` : list.join(", ");
    const explains = [
      ...missingUsed.flatMap((s) => [
        kindKey(s.hook.kind, s.ns, s.hook.name),
        ...s.users.flatMap((u) => u.keys),
      ]),
      ...unmigrated.flatMap((m) => [
        kindKey(m.workload.kind, m.workload.namespace, m.workload.name),
        podKey(m.pod, m.workload.namespace),
      ]),
    ];
    const resources: ResourceRef[] = skipped.map((s) => ({
      kind: s.hook.kind,
      name: s.hook.name,
      namespace: s.ns,
    }));

    if (op === "dry-run") {
      return [
        {
          code: "hooks-skipped",
          severity: "info",
          role: "root",
          title: `Revision ${n} is a stored dry run ("Dry run complete"): Helm never ran its hooks (${listText})`,
          explanation:
            `Revision ${n} says "Dry run complete". The helm CLI never stores a dry run; records like this are written by tools that use Helm's SDK to render a chart ` +
            "and then apply it themselves (KOTS, some operators). Helm did not run the chart's install/upgrade hooks for it, so their work was done by that tool or not at all — helm-doctor cannot tell which.",
          resources,
          revisions: [n],
          evidence,
          remediations: [
            {
              action: "manual",
              summary: `Check with the tool that deployed ${name} whether it runs Helm hooks; if not, run the hook Jobs from \`helm get hooks ${name} -n ${ns}\` by hand.`,
            },
          ],
        },
      ];
    }

    const none = ranHooks.length === 0;
    const remediations: Remediation[] = [];
    const restorable = skipped.filter((s) => !s.live && s.hook.kind !== "Job" && s.hook.kind !== "Pod");
    if (restorable.length) {
      remediations.push({
        action: "restore-hook-resources",
        revision: n,
        summary: `Create ${restorable.map((s) => `${s.hook.kind} ${s.hook.name}`).join(", ")} from revision ${n}'s stored hook manifests, without a new revision.`,
        resources: restorable.map((s) => ({ kind: s.hook.kind, name: s.hook.name, namespace: s.ns })),
      });
    }
    const jobs = skipped.filter((s) => s.hook.kind === "Job" || s.hook.kind === "Pod");
    if (jobs.length) {
      remediations.push({
        action: "manual",
        summary: `Run the skipped ${jobs.map((s) => `${s.hook.kind} ${s.hook.name}`).join(", ")} by hand: take ${jobs.length === 1 ? "it" : "them"} from \`helm get hooks ${name} --revision ${n} -n ${ns}\`, delete any stale copy, and \`kubectl create -f\` ${jobs.length === 1 ? "it" : "them"} in weight order.`,
      });
    }
    const upgradeHooks = skipped.filter(
      (s) => s.hook.events.includes("pre-upgrade") || s.hook.events.includes("post-upgrade"),
    );
    if (upgradeHooks.length) {
      remediations.push({
        action: "rerun-upgrade",
        revision: n,
        summary: `Re-run revision ${n} as an upgrade with hooks enabled (writes revision ${(ix.latest()?.version ?? n) + 1}): it runs ${upgradeHooks.map((s) => s.hook.name).join(", ")}${upgradeHooks.length < skipped.length ? " — the other hooks are install-only and do not run on an upgrade" : ""}.`,
      });
    }
    const paths = [...new Set(skipped.map((s) => s.hook.path))];
    remediations.push({
      action: "chart-fix",
      summary: `Do not keep objects the application needs behind hooks (${paths.join(", ")}): hooks do not run under --no-hooks, \`helm template | kubectl apply\` or GitOps tools; under Argo CD set \`argocd.argoproj.io/hook\` explicitly.`,
    });

    const explanation =
      `Revision ${n} is deployed by a helm ${op}, which runs the chart's ${events.join(" and ")} hooks around applying the manifest and writes "deployed" only after the last one. ` +
      `Yet ${none ? "none of its hooks ran" : `${list.length} of its ${relevant.length} ${op} hooks did not run`}: ${listText} ${skipped.length === 1 ? "has" : "have"} no recorded run. ` +
      (none
        ? `So the ${op} ran with hooks disabled (--no-hooks, or an SDK caller with DisableHooks), or the record was written by a tool that applies charts itself. `
        : "Helm runs all hooks of an event, so something outside Helm wrote or edited this record. ") +
      (missingUsed.length
        ? `${missingUsed.map((s) => `${s.hook.kind} ${s.hook.name}`).join(", ")} only exist${missingUsed.length === 1 ? "s" : ""} as ${missingUsed.length === 1 ? "a hook" : "hooks"}, so ${missingUsed.flatMap((s) => s.users.map((u) => `${u.kind} ${u.name}`)).join(", ")} cannot start pods that need it.`
        : unmigrated.length
          ? `So ${jobs.map((s) => s.hook.name).join(", ")} never migrated the database for revision ${n}, and the new pods crash on the missing schema ("${unmigrated[0]!.signal.text}"). A rollback does not help: it runs pre-rollback hooks, not the migration, and brings back the old code without touching the database.`
          : jobs.length
            ? `Whatever ${jobs.map((s) => s.hook.name).join(", ")} should do (a migration, a bootstrap) was not done; an application that needs it crash-loops or misbehaves.`
            : allLive
              ? "The hook objects exist anyway, so something else created them; check that they match this revision."
              : "");

    return [
      {
        code: "hooks-skipped",
        severity,
        role: "root",
        title: `Revision ${n} is deployed but its ${op} hooks never ran: ${listText}`,
        explanation,
        resources,
        revisions: [n],
        evidence,
        remediations,
        explains,
      },
    ];
  },
};

export default analyzer;
