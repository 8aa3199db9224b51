// An object that was a regular resource of the revision an operation started from is a hook of the revision it
// wrote. The operation runs the pre-* hooks (recreating the object, if its events include that step), then
// Update deletes everything in the old manifest that the new one lacks, by kind and name — including the hook's
// fresh copy (pkg/kube/client.go Update: `original.Difference(target)`). Only a post-* hook that actually ran
// brings it back. Every transition of the stored history is examined, and what ran decides, not what the hook
// declares: a post-upgrade hook of an upgrade that failed at --wait never ran, a pre-install hook never runs on
// an upgrade, an upgrade with --no-hooks runs none.
import { effectiveDeletePolicies, hasPolicy } from "../../helm/hooks.js";
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import { parseYamlObject } from "../../helm/manifest.js";
import type { Hook, Release } from "../../helm/types.js";
import type { ManifestEntry, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  absentEvidence,
  baseOf,
  deletedLeftovers,
  descriptionOf,
  failureKeys,
  isTimeoutText,
  operationOf,
  progressOf,
  ranIn,
  readGap,
} from "../history.js";
import { hookFacts, hookNamespace } from "../hook-helpers.js";
import { classifyPod } from "../pods.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { podSpecOf, specUses, workloadsOf } from "../workloads.js";

function keeps(object: { metadata?: { annotations?: Record<string, unknown> } } | undefined): boolean {
  return object?.metadata?.annotations?.["helm.sh/resource-policy"] === "keep";
}

/** The hook of `rel` that is object `doc` (same kind, name and namespace). */
function hookFor(ix: SnapshotIndex, rel: Release, doc: ManifestEntry): Hook | undefined {
  return (rel.hooks ?? []).find(
    (h) => h.kind === doc.kind && h.name === doc.name && hookNamespace(ix, rel, h) === doc.namespace,
  );
}

/** Did `h` run for event `event` during the operation that wrote `rel` (and finish)? */
function ran(h: Hook, rel: Release, event: string, finished = false): boolean {
  if (!h.events.includes(event) || !ranIn(h, rel)) return false;
  return !finished || h.last_run?.phase === "Succeeded";
}

interface Deletion {
  doc: ManifestEntry;
  base: Release;
  cur: Release;
  hook: Hook;
  op: string;
  preRan: boolean;
  /** A post-* event the hook declares, which would have recreated it had it run. */
  postDeclared?: string;
}

/** Did a revision after `d.cur` create the object again (and nothing after delete it again)? */
function recreatedLater(ix: SnapshotIndex, d: Deletion): boolean {
  for (const later of ix.releases) {
    if (later.version <= d.cur.version) continue;
    const inManifest = ix.manifest(later).some((m) => m.key === d.doc.key);
    const p = progressOf(ix, later);
    if (inManifest && (p === "complete" || p === "after-update")) return true;
    const h = hookFor(ix, later, d.doc);
    if (!h || !ranIn(h, later)) continue;
    const base = baseOf(ix, later);
    const deletedAgain =
      !!base && ix.manifest(base).some((m) => m.key === d.doc.key) && deletedLeftovers(ix, later) !== false;
    if (!deletedAgain || h.events.some((e) => e.startsWith("post-") && ran(h, later, e, true))) return true;
  }
  return false;
}

function deletions(ix: SnapshotIndex): Deletion[] {
  const out = new Map<string, Deletion>();
  for (const cur of ix.releases) {
    const base = baseOf(ix, cur);
    if (!base || deletedLeftovers(ix, cur) === false) continue;
    const curKeys = new Set(ix.manifest(cur).map((d) => d.key));
    const op = operationOf(ix, cur);
    for (const doc of ix.manifest(base)) {
      if (!doc.kind || curKeys.has(doc.key)) continue;
      const hook = hookFor(ix, cur, doc);
      if (!hook) continue;
      const preRan = ran(hook, cur, `pre-${op}`);
      const post = `post-${op}`;
      // A post-* hook that ran recreated it after the deletion.
      if (ran(hook, cur, post, true)) continue;
      // `keep` on the live object stops the deletion: the hook's copy when it ran, else the old regular object.
      if (preRan ? keeps(parseYamlObject(hook.manifest).object) : keeps(doc.object)) continue;
      const d: Deletion = { doc, base, cur, hook, op, preRan };
      if (hook.events.includes(post)) d.postDeclared = post;
      out.set(doc.key, d); // the newest deletion of an object wins
    }
  }
  return [...out.values()].filter(
    (d) => !recreatedLater(ix, d) && !ix.get(d.doc.kind, d.doc.namespace, d.doc.name),
  );
}

function finding(ix: SnapshotIndex, d: Deletion): Finding {
  const { doc, base, cur, hook, op, preRan } = d;
  const latest = ix.latest()!;
  const deployed = ix.lastDeployed();
  const readGapFor = readGap(ix, doc.kind);
  const ref: ResourceRef = { kind: doc.kind, name: doc.name, namespace: doc.namespace };
  const key = kindKey(doc.kind, doc.namespace, doc.name);
  const later = ix.releases.filter((r) => r.version > cur.version);

  // Who uses it now: workloads in the latest manifest whose pod spec references it, and their pods that cannot
  // mount or read it — not unrelated problems of the same workloads (an image typo stays a finding of its own).
  const users = workloadsOf(ix, latest).filter((w) => specUses(podSpecOf(w.template), doc.kind, doc.name));
  const explains = [key, ...failureKeys(ix, cur)];
  for (const w of users)
    for (const p of w.pods) {
      const c = classifyPod(ix, p)?.code;
      if (c === "pod-mount-failed" || c === "pod-config-missing")
        explains.push(kindKey("Pod", p.metadata?.namespace ?? doc.namespace, p.metadata?.name ?? ""));
    }

  const _policies = effectiveDeletePolicies(hook);
  const _explicit = (hook.delete_policies ?? []).length > 0;
  const waitFailed = !!d.postDeclared && cur.info.status === "failed" && isTimeoutText(cur.info.description);
  const evidence: Evidence[] = [
    {
      source: `revision ${base.version} manifest`,
      detail: `${doc.kind} ${doc.name} is a regular release resource${doc.source ? ` (${doc.source})` : ""}`,
    },
    {
      source: `revision ${cur.version} hooks`,
      detail: `${doc.kind} ${doc.name} is a hook (${hook.path}): ${hookFacts(hook, "started")}`,
    },
    {
      source: `revision ${cur.version} manifest`,
      detail: `${doc.kind} ${doc.name} is not in the manifest, so the ${op} to revision ${cur.version} deleted it as a resource that left the release`,
    },
  ];
  if (cur.info.status === "failed")
    evidence.push({
      source: `revision ${cur.version}`,
      detail: `status failed, description "${descriptionOf(cur)}"`,
    });
  if (later.length)
    evidence.push({
      source: `revisions ${later[0]!.version}–${later[later.length - 1]!.version}`,
      detail: `none of them created ${doc.kind} ${doc.name} again (not in their manifests; as a hook, ${hook.events.join(",")} did not run in them)`,
    });
  evidence.push(absentEvidence(doc.kind, doc.namespace, doc.name, readGapFor));
  for (const w of users)
    evidence.push({
      source: `revision ${latest.version} manifest`,
      detail: `${w.kind} ${w.name} uses ${doc.kind} ${doc.name}${w.pods.length ? ` (${w.pods.length} live pod${w.pods.length > 1 ? "s" : ""})` : ""}`,
    });

  const pre = `pre-${op}`;
  const steps: string[] = [];
  if (preRan)
    steps.push(
      hasPolicy(hook, "before-hook-creation")
        ? `ran the ${pre} hook: deleted the existing ${doc.kind} (before-hook-creation) and created it again from the hook template`
        : `ran the ${pre} hook, creating the ${doc.kind} from the hook template`,
    );
  else if (hook.events.includes(pre)) steps.push(`did not run the ${pre} hook (the ${op} ran without hooks)`);
  else steps.push(`did not run the hook (its events are ${hook.events.join(",")}, none of them ${pre})`);
  steps.push(
    `compared revision ${base.version}'s manifest with revision ${cur.version}'s, found ${doc.kind} ${doc.name} only in the old one, and deleted it${preRan ? " — the copy the hook had just created" : ""}`,
  );
  if (d.postDeclared)
    steps.push(
      waitFailed
        ? `waited for the workloads (--wait) — which need that very ${doc.kind} — until it timed out, so the ${d.postDeclared} hook that would have created it again never ran`
        : `stopped before the ${d.postDeclared} hook that would have created it again`,
    );
  const recurring = ["pre-upgrade", "post-upgrade"].some((e) => hook.events.includes(e));
  const explanation =
    `In revision ${base.version}, ${doc.kind} ${doc.name} was a regular chart resource. Revision ${cur.version}'s chart marks it as a ` +
    `\`${hook.events.join(",")}\` hook, so it left the release manifest (Helm keeps hooks out of the manifest). ` +
    `During the ${op} to revision ${cur.version}, Helm ${steps.map((s, i) => `(${i + 1}) ${s}`).join("; then ")}. ` +
    (later.length
      ? `Revision${later.length > 1 ? "s" : ""} ${later.map((r) => r.version).join(", ")} did not create it again. `
      : "") +
    `Nothing creates it again until ${recurring ? "the hook runs in another upgrade" : "a hook with this event runs again — and its events mean upgrades never will"}` +
    (users.length
      ? `, so ${users.map((w) => `${w.kind} ${w.name}`).join(" and ")} cannot start new pods that need it; pods already running keep their copy until they restart.`
      : ".") +
    " No log says why: Helm only logs the deletion with --debug.";

  const remediations: Remediation[] = [];
  const pending = latest.info.status.startsWith("pending-");
  // A re-run of the deployed revision creates it when that revision has it in its manifest, or runs a hook
  // that creates it and deletes nothing (its own manifest is both the old and the new one).
  if (deployed && !pending) {
    const asRegular = ix.manifest(deployed).some((m) => m.key === doc.key);
    const dh = hookFor(ix, deployed, doc);
    const upgradeHook = dh && ["pre-upgrade", "post-upgrade"].some((e) => dh.events.includes(e));
    if (asRegular || upgradeHook)
      remediations.push({
        action: "rerun-upgrade",
        revision: deployed.version,
        summary: asRegular
          ? `Re-run revision ${deployed.version} as an upgrade (writes revision ${latest.version + 1}): ${doc.name} is a regular resource there, so Helm creates it again.`
          : `Re-run the upgrade with revision ${deployed.version}'s chart and values (writes revision ${latest.version + 1}): the ${dh!.events.includes("pre-upgrade") ? "pre-upgrade" : "post-upgrade"} hook creates ${doc.name} again and this time nothing deletes it${d.postDeclared ? " (without --wait, or the wait deadlocks again)" : ""}.`,
        resources: [ref],
      });
  }
  // Roll back to the newest successful revision where it is a regular resource.
  const regular = [...ix.releases]
    .reverse()
    .find(
      (r) =>
        (r.info.status === "deployed" || r.info.status === "superseded") &&
        r.version !== latest.version &&
        ix.manifest(r).some((m) => m.key === doc.key),
    );
  if (regular)
    remediations.push({
      action: "rollback",
      revision: regular.version,
      summary: `Roll back to revision ${regular.version} (writes revision ${latest.version + 1}), where ${doc.name} is a regular resource: Helm recreates it with release ownership.`,
      resources: [ref],
    });
  if (doc.kind !== "Job" && doc.kind !== "Pod") {
    const from = [...ix.releases].reverse().find((r) => hookFor(ix, r, doc)) ?? cur;
    remediations.push({
      action: "restore-hook-resources",
      revision: from.version,
      summary: `Recreate ${doc.kind} ${doc.name} from revision ${from.version}'s stored hook manifest, without a new revision.`,
      resources: [ref],
    });
  }
  remediations.push({
    action: "chart-fix",
    summary: `In ${hook.path}: keep objects that workloads use out of hooks (give the hook Job its own copy under another name), or, if it must be a hook, annotate it \`helm.sh/resource-policy: keep\` — which only protects it if the annotation is on the live object before the transition, so annotate the live ${doc.kind} first on clusters not yet upgraded.`,
  });

  const when = later.length ? ` (${later.length} revision${later.length > 1 ? "s" : ""} ago)` : "";
  return {
    code: "resource-moved-into-hook",
    severity: readGapFor ? "warning" : "critical",
    role: "root",
    title: `${doc.kind} ${doc.name} became a ${hook.events.join(",")} hook in revision ${cur.version}${when} and the ${op} deleted it`,
    explanation,
    resources: [ref],
    revisions: [...new Set([base.version, cur.version, ...(later.length ? [latest.version] : [])])],
    evidence,
    remediations,
    explains,
  };
}

const analyzer: Analyzer = {
  run(ix) {
    return deletions(ix).map((d) => finding(ix, d));
  },
};

export default analyzer;
