// The planner: Snapshot + action → Plan. Pure (no I/O). It says which revision will be written and how the
// records' statuses change, which hooks run in which order, every object that will be created, patched or
// deleted, and what the person should know first (GitOps controllers, manifests rendered for another revision,
// hooks an upgrade or a rollback does not run). The executor re-checks all of it against the live cluster.

import { parseRecordName } from "../helm/codec.js";
import { effectiveDeletePolicies, hooksFor, isWaitedKind } from "../helm/hooks.js";
import { type ResourceRef, refString } from "../helm/keys.js";
import { type Hook, isPending, type Release } from "../helm/types.js";
import { SnapshotIndex } from "../snapshot/index.js";
import type { KubeObject, Snapshot } from "../snapshot/types.js";
import {
  gitopsMarkers,
  hookObject,
  manifestObjectsShared,
  ownershipError,
  ownershipProblems,
  type TargetObject,
} from "./objects.js";
import type {
  Plan,
  PlannedChange,
  PlannedHook,
  PlanOptions,
  RemediationAction,
  StatusTransition,
} from "./types.js";
import { memoUpdateStep, staleStep } from "./update-step.js";

/** " (helm-doctor, requested by @ana)": who asked, in the description `helm history` shows. */
export function requesterSuffix(requestedBy?: string): string {
  return requestedBy ? ` (helm-doctor, requested by ${requestedBy})` : " (helm-doctor)";
}

interface Head {
  revision: number;
  status: string;
  description?: string;
  decoded: boolean;
}

/** Every revision the snapshot knows of: decoded records, undecodable ones (by name/label), unread ones. */
export function knownRevisions(s: Snapshot): Head[] {
  const by = new Map<number, Head>();
  for (const r of s.records) {
    const rev =
      r.release?.version ?? Number(r.labels.version ?? parseRecordName(r.objectName)?.revision ?? Number.NaN);
    if (!Number.isFinite(rev)) continue;
    by.set(rev, {
      revision: rev,
      status: r.release?.info.status ?? r.labels.status ?? "unknown",
      ...(r.release?.info.description ? { description: r.release.info.description } : {}),
      decoded: !!r.release,
    });
  }
  for (const u of s.unread ?? []) {
    if (!by.has(u.revision)) by.set(u.revision, { revision: u.revision, status: u.status, decoded: false });
  }
  return [...by.values()].sort((a, b) => a.revision - b.revision);
}

function liveOf(ix: SnapshotIndex, t: { ref: ResourceRef }): KubeObject | undefined {
  return ix.get(t.ref.kind, t.ref.namespace ?? ix.namespace, t.ref.name);
}

function plannedHooks(hooks: Hook[] | undefined, event: string): PlannedHook[] {
  return hooksFor(hooks, event).map((h) => ({
    event,
    name: h.name,
    kind: h.kind,
    path: h.path,
    weight: h.weight ?? 0,
    policies: effectiveDeletePolicies(h),
    waits: isWaitedKind(h.kind),
  }));
}

/** A plan with nothing in it yet, for `action` on `release` as seen at revision `expected`. */
export function emptyPlan(
  action: RemediationAction["action"],
  release: string,
  namespace: string,
  expected: number,
): Plan {
  return {
    action,
    release,
    namespace,
    expectedRevision: expected,
    transitions: [],
    hooks: [],
    changes: [],
    warnings: [],
    notes: [],
    applyMethod: "csa",
    descriptions: {},
  };
}

function base(action: RemediationAction["action"], s: Snapshot, expected: number): Plan {
  return emptyPlan(action, s.release, s.namespace, expected);
}

/** What a hook run does to the hook's object: before-hook-creation delete, create, hook-succeeded delete. */
function hookChanges(ix: SnapshotIndex, rel: Release, hooks: PlannedHook[]): PlannedChange[] {
  const out: PlannedChange[] = [];
  for (const ph of hooks) {
    const h = rel.hooks?.find((x) => x.name === ph.name && x.kind === ph.kind && x.path === ph.path);
    const t = h && hookObject(h, rel, ix.namespace);
    if (!t) continue;
    const live = liveOf(ix, t);
    const recreate = live && ph.policies.includes("before-hook-creation");
    out.push({
      op: "create",
      ref: t.ref,
      owned: false,
      reason:
        `${ph.event} hook (weight ${ph.weight})` +
        (recreate ? ": deleted first (before-hook-creation), then created" : "") +
        (live && !recreate
          ? ': the live object is in the way (no before-hook-creation): Helm fails with "already exists"'
          : "") +
        "; no Helm ownership metadata",
    });
    if (ph.policies.includes("hook-succeeded"))
      out.push({ op: "delete", ref: t.ref, owned: false, reason: `${ph.event} hook: hook-succeeded policy` });
  }
  return out;
}

/** Hooks whose object is live and will not be deleted first: Helm's create fails with "already exists". */
function blockedHookWarnings(p: Plan): string[] {
  return p.changes
    .filter((c) => c.op === "create" && c.reason.includes("in the way"))
    .map(
      (c) =>
        `${refString(c.ref)} is live and its hook has no before-hook-creation policy: the hook's create will fail with "already exists"; delete the leftover first (delete-leftover-hook).`,
    );
}

interface Diff {
  changes: PlannedChange[];
  refusal?: string;
  warnings: string[];
}

/** KubeClient.Update(current, target) as predicted from the snapshot. */
function diffChanges(
  ix: SnapshotIndex,
  current: Release,
  target: Release,
  mode: "upgrade" | "rollback",
  method: "csa" | "ssa",
): Diff {
  const ns = ix.namespace;
  const cur = manifestObjectsShared(current, ns, false);
  const tgt = manifestObjectsShared(target, ns, true);
  const out: Diff = { changes: [], warnings: [] };
  for (const e of tgt.errors) out.warnings.push(`revision ${target.version}'s manifest: ${e}`);
  const curByKey = new Map(cur.objects.map((o) => [o.key, o]));
  const tgtKeys = new Set(tgt.objects.map((o) => o.key));
  const hookNames = new Set(ix.releases.flatMap((r) => (r.hooks ?? []).map((h) => `${h.kind}/${h.name}`)));
  for (const t of tgt.objects) {
    const live = liveOf(ix, t);
    const orig = curByKey.get(t.key);
    if (!live) {
      out.changes.push({
        op: "create",
        ref: t.ref,
        owned: true,
        reason: `in revision ${target.version}'s manifest, missing from the cluster`,
      });
      continue;
    }
    if (!orig) {
      const problems = ownershipProblems(live, ix.snapshot.release, ns);
      const ownedElsewhere = live.metadata?.annotations?.["meta.helm.sh/release-name"];
      if (problems.length > 0) {
        const isOurHook = hookNames.has(`${t.ref.kind}/${t.ref.name}`) && !ownedElsewhere;
        if (mode === "upgrade" || !isOurHook) {
          out.refusal ??= ownershipError(t as TargetObject, problems);
          continue;
        }
        out.warnings.push(
          `${refString(t.ref)} exists as a hook object of this release and is not in revision ${current.version}'s manifest: ` +
            `helm-doctor takes it over (as Helm ≥4.2 does); Helm 3 would stop with "no ${t.ref.kind} with the name "${t.ref.name}" found".`,
        );
      }
      out.changes.push({
        op: "patch",
        ref: t.ref,
        owned: true,
        reason: `exists in the cluster but not in revision ${current.version}'s manifest: adopted into the release`,
      });
      continue;
    }
    const step = memoUpdateStep(
      ix,
      `${current.version}>${target.version}:${t.key}`,
      orig.object,
      t.object,
      live,
      method,
    );
    const redacted = live.kind === "Secret";
    const how =
      step.op === "apply"
        ? "server-side apply"
        : "type" in step && step.type === "strategic"
          ? "three-way strategic merge patch"
          : "JSON merge patch (old manifest → new)";
    out.changes.push(
      step.op === "unchanged" && !redacted
        ? { op: "skip", ref: t.ref, owned: true, reason: "unchanged" }
        : {
            op: "patch",
            ref: t.ref,
            owned: true,
            reason: redacted
              ? `${how} (Secret data is not read, so it may turn out unchanged)`
              : step.op === "patch"
                ? `${how} of ${step.fields.join(", ")}`
                : how,
          },
    );
  }
  for (const c of cur.objects) {
    if (tgtKeys.has(c.key)) continue;
    const step = staleStep(liveOf(ix, c));
    if (step === "gone")
      out.changes.push({ op: "skip", ref: c.ref, reason: `not in revision ${target.version}; already gone` });
    else if (step === "keep")
      out.changes.push({
        op: "skip",
        ref: c.ref,
        reason: `not in revision ${target.version}, but the live object has helm.sh/resource-policy: keep`,
      });
    else
      out.changes.push({
        op: "delete",
        ref: c.ref,
        reason: `in revision ${current.version}'s manifest, not in revision ${target.version}'s (background propagation)`,
      });
  }
  return out;
}

/** Warnings about stored manifests: .Release.Revision baked in, install/upgrade guards. */
function renderedForWarnings(src: Release, newRevision: number, event: "upgrade" | "rollback"): string[] {
  const w: string[] = [];
  const k = src.version;
  const texts = [src.manifest, ...(src.hooks ?? []).map((h) => h.manifest)].join("\n");
  const re = new RegExp(`(revision|\\brev)["']?\\s*[:=]\\s*["']?${k}["']?\\s*$`, "im");
  const named = (src.hooks ?? []).filter((h) => new RegExp(`[-.]v?${k}$`).test(h.name));
  if (re.test(texts) || named.length > 0) {
    w.push(
      `Revision ${k}'s stored manifests look rendered with .Release.Revision=${k}` +
        (named.length > 0 ? ` (hook ${named.map((h) => h.name).join(", ")})` : "") +
        `; revision ${newRevision} re-applies them as they are, so those values still say ${k}.`,
    );
  }
  const installOnly = (src.hooks ?? []).filter(
    (h) =>
      h.events.some((e) => e === "pre-install" || e === "post-install") &&
      !h.events.some((e) => e === `pre-${event}` || e === `post-${event}`),
  );
  if (installOnly.length > 0) {
    w.push(
      `Not run by this ${event}: ${installOnly.map((h) => `${h.kind} ${h.name} (${h.events.join(",")})`).join("; ")} — ` +
        `a ${event} runs only pre-${event}/post-${event} hooks.`,
    );
  }
  if (event === "rollback") {
    const upgradeOnly = (src.hooks ?? []).filter(
      (h) =>
        h.events.some((e) => e === "pre-upgrade" || e === "post-upgrade") &&
        !h.events.some((e) => e === "pre-rollback" || e === "post-rollback") &&
        !installOnly.includes(h),
    );
    if (upgradeOnly.length > 0)
      w.push(
        `Not run by this rollback: ${upgradeOnly.map((h) => `${h.kind} ${h.name} (${h.events.join(",")})`).join("; ")}.`,
      );
  }
  const wasInstall = k === 1 || /^Install complete|^Initial install/.test(src.info.description ?? "");
  if (event === "upgrade" && wasInstall) {
    w.push(
      `Revision ${k} was rendered by an install: parts of the templates that render only on an upgrade are missing ` +
        "from its stored manifest and hooks, and install-only parts are present.",
    );
  }
  return w;
}

function noRenderNote(src: Release, newRevision: number): string {
  return (
    `Nothing is re-rendered: revision ${newRevision} re-applies revision ${src.version}'s stored manifest and hooks exactly as ` +
    `they were rendered then (the revision number, install-or-upgrade conditions, lookups and dates keep revision ${src.version}'s values).`
  );
}

function gitopsWarnings(ix: SnapshotIndex): string[] {
  return ix.memo("plan:gitopsWarnings", () => gitopsWarningsOf(ix));
}

function gitopsWarningsOf(ix: SnapshotIndex): string[] {
  const recordObjs = ix.snapshot.records.map((r) => ({
    kind: r.driver === "secret" ? "Secret" : "ConfigMap",
    metadata: { name: r.objectName, labels: r.labels },
  }));
  return gitopsMarkers([...recordObjs, ...ix.snapshot.objects]).map((m) =>
    m.tool === "Argo CD"
      ? `This release is managed by Argo CD (${m.detail} on ${m.where}): Argo CD will revert this change on its next sync unless the Application is fixed in Git or auto-sync is paused.`
      : `This release is managed by Flux (${m.detail} on ${m.where}): the helm-controller will upgrade or roll back again on its next reconcile; suspend the HelmRelease first (flux suspend helmrelease).`,
  );
}

function matches(ref: ResourceRef, wanted: ResourceRef[] | undefined, namespace: string): boolean {
  if (!wanted || wanted.length === 0) return true;
  return wanted.some(
    (w) =>
      w.kind === ref.kind &&
      w.name === ref.name &&
      (w.namespace ?? namespace) === (ref.namespace ?? namespace),
  );
}

/** "1–3, 5, 7–8": the stored revisions, as ranges. */
export function revisionRanges(revisions: number[]): string {
  const sorted = [...new Set(revisions)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(j === i ? `${sorted[i]}` : `${sorted[i]}–${sorted[j]}`);
    i = j + 1;
  }
  return out.join(", ") || "none";
}

export function plan(
  snapshot: Snapshot,
  action: RemediationAction,
  opts: PlanOptions = {},
  /** The snapshot's index, when the caller has one (verification plans many actions on one snapshot). */
  index?: SnapshotIndex,
): Plan {
  const ix = index ?? new SnapshotIndex(snapshot);
  const heads = knownRevisions(snapshot);
  const latestHead = heads[heads.length - 1];
  const expected = opts.expectedRevision ?? latestHead?.revision ?? 0;
  const p = base(action.action, snapshot, expected);
  if (opts.requestedBy) p.requestedBy = opts.requestedBy;
  const suffix = requesterSuffix(opts.requestedBy);
  const refuse = (why: string): Plan => {
    p.refusal = why;
    return p;
  };
  // A revision the release never had (or no longer has) is the caller's mistake, not the release's state.
  const noSuchRevision = (k: number | undefined): Plan => {
    p.refusalKind = "no-such-revision";
    return refuse(
      `revision ${k} does not exist; stored revisions: ${revisionRanges(heads.map((h) => h.revision))}`,
    );
  };

  if (!latestHead)
    return refuse(`release "${snapshot.release}" has no revisions in namespace "${snapshot.namespace}"`);
  if (latestHead.revision !== expected) {
    return refuse(
      `release moved on: the diagnosis saw revision ${expected}, the latest is now revision ${latestHead.revision} ` +
        `(${latestHead.status}${latestHead.description ? `, "${latestHead.description}"` : ""}); diagnose again`,
    );
  }
  const latest = ix.latest();
  if (!latestHead.decoded || !latest || latest.version !== latestHead.revision) {
    return refuse(
      `revision ${latestHead.revision} cannot be ${latestHead.status === "unknown" ? "read" : "decoded"}: Helm cannot operate on this release either; repair or delete that record first`,
    );
  }
  p.warnings.push(...gitopsWarnings(ix));
  const next = latestHead.revision + 1;

  switch (action.action) {
    case "rerun-upgrade": {
      if (isPending(latest.info.status)) {
        const dep = ix.lastDeployed();
        return refuse(
          `another operation (install/upgrade/rollback) is in progress: revision ${latest.version} is ${latest.info.status}. ` +
            `If nothing is running any more, roll back instead${dep ? ` (helm-doctor rollback ${snapshot.release} ${dep.version} -n ${snapshot.namespace})` : ""}: Helm's rollback does not check the lock.`,
        );
      }
      // prepareUpgrade: current = last if deployed, else Deployed(), else last if failed/superseded.
      let current: Release | undefined = latest.info.status === "deployed" ? latest : ix.lastDeployed();
      if (!current && (latest.info.status === "failed" || latest.info.status === "superseded"))
        current = latest;
      if (!current) return refuse(`"${snapshot.release}" has no deployed releases`);
      const source = action.revision !== undefined ? ix.revision(action.revision) : current;
      if (!source) {
        return heads.some((h) => h.revision === action.revision)
          ? refuse(`revision ${action.revision} was not read or cannot be decoded`)
          : noSuchRevision(action.revision);
      }
      p.newRevision = next;
      p.sourceRevision = source.version;
      p.currentRevision = current.version;
      p.applyMethod = latest.apply_method === "ssa" ? "ssa" : "csa";
      p.descriptions = { pending: `Preparing upgrade${suffix}`, success: `Upgrade complete${suffix}` };
      p.transitions.push({
        revision: next,
        from: "(new)",
        to: ["pending-upgrade", "deployed"],
        description: p.descriptions.success!,
      } satisfies StatusTransition);
      p.transitions.push({ revision: current.version, from: current.info.status, to: ["superseded"] });
      p.hooks = [...plannedHooks(source.hooks, "pre-upgrade"), ...plannedHooks(source.hooks, "post-upgrade")];
      const d = diffChanges(ix, current, source, "upgrade", p.applyMethod);
      if (d.refusal) return refuse(d.refusal);
      p.changes = [...hookChanges(ix, source, p.hooks), ...d.changes];
      p.warnings.push(...blockedHookWarnings(p));
      p.warnings.push(...d.warnings, ...renderedForWarnings(source, next, "upgrade"));
      p.notes.push(noRenderNote(source, next));
      if (source.version !== current.version)
        p.notes.push(
          `Upgrades from revision ${current.version} (the diff base) to revision ${source.version}'s chart, values, manifest and hooks.`,
        );
      if (p.hooks.length === 0)
        p.notes.push(`Revision ${source.version} has no pre-upgrade or post-upgrade hooks.`);
      return p;
    }

    case "rollback": {
      // Helm: revision 0 (or none) means the one before the latest.
      const k = action.revision ? action.revision : latest.version - 1;
      if (k < 0) return refuse("invalid release revision");
      if (!heads.some((h) => h.revision === k)) return noSuchRevision(k);
      const target = ix.revision(k);
      if (!target) return refuse(`revision ${k} was not read or cannot be decoded`);
      p.newRevision = next;
      p.sourceRevision = k;
      p.currentRevision = latest.version;
      p.applyMethod = target.apply_method === "ssa" ? "ssa" : "csa";
      p.descriptions = { pending: `Rollback to ${k}${suffix}`, success: `Rollback to ${k}${suffix}` };
      p.transitions.push({
        revision: next,
        from: "(new)",
        to: ["pending-rollback", "deployed"],
        description: p.descriptions.success!,
      });
      const deployed = ix.releases.filter((r) => r.info.status === "deployed");
      const unreadDeployed = (snapshot.unread ?? []).filter((u) => u.status === "deployed");
      for (const r of deployed)
        p.transitions.push({ revision: r.version, from: "deployed", to: ["superseded"] });
      for (const u of unreadDeployed)
        p.transitions.push({ revision: u.revision, from: "deployed", to: ["superseded"] });
      if (isPending(latest.info.status))
        p.warnings.push(
          `Revision ${latest.version} is ${latest.info.status}: make sure no install/upgrade/rollback is still running (Helm's rollback does not check the lock; it stays in history as it is).`,
        );
      p.hooks = [
        ...plannedHooks(target.hooks, "pre-rollback"),
        ...plannedHooks(target.hooks, "post-rollback"),
      ];
      const d = diffChanges(ix, latest, target, "rollback", p.applyMethod);
      if (d.refusal) return refuse(d.refusal);
      p.changes = [...hookChanges(ix, target, p.hooks), ...d.changes];
      p.warnings.push(...blockedHookWarnings(p));
      p.warnings.push(...d.warnings, ...renderedForWarnings(target, next, "rollback"));
      p.notes.push(noRenderNote(target, next));
      if (k === latest.version)
        p.notes.push(`Rolling back to the latest revision re-applies its manifest (fixes drift).`);
      return p;
    }

    case "restore-hook-resources": {
      const rel =
        action.revision !== undefined ? ix.revision(action.revision) : (ix.lastDeployed() ?? latest);
      if (!rel)
        return heads.some((h) => h.revision === action.revision)
          ? refuse(`revision ${action.revision} was not read or cannot be decoded`)
          : noSuchRevision(action.revision);
      p.sourceRevision = rel.version;
      if (isPending(latest.info.status))
        p.warnings.push(
          `Revision ${latest.version} is ${latest.info.status}: if an operation is running, its hooks may be recreating these objects right now.`,
        );
      for (const h of rel.hooks ?? []) {
        const t = hookObject(h, rel, snapshot.namespace);
        if (!t || !matches(t.ref, action.resources, snapshot.namespace)) continue;
        if (isWaitedKind(h.kind)) {
          if (action.resources?.length)
            p.changes.push({
              op: "skip",
              ref: t.ref,
              reason: `${h.kind} hooks are run by an operation, not restored`,
            });
          continue;
        }
        const operational = h.events.some((e) => /^(pre|post)-(install|upgrade|rollback)$/.test(e));
        if (!operational) continue;
        if (effectiveDeletePolicies(h).includes("hook-succeeded")) {
          p.changes.push({
            op: "skip",
            ref: t.ref,
            reason: "hook-succeeded policy: Helm deletes it after every successful run by design",
          });
          continue;
        }
        const live = liveOf(ix, t);
        p.changes.push(
          live
            ? { op: "skip", ref: t.ref, reason: "already present" }
            : {
                op: "create",
                ref: t.ref,
                owned: false,
                reason: `from revision ${rel.version}'s ${h.events.join(",")} hook (${h.path}); no Helm ownership metadata, as a hook object`,
              },
        );
      }
      if (!p.changes.some((c) => c.op === "create"))
        return refuse(
          p.changes.length > 0
            ? `nothing to restore from revision ${rel.version}: ${p.changes.map((c) => `${refString(c.ref)} (${c.reason})`).join("; ")}`
            : `revision ${rel.version} has no hook objects that can be restored (only Jobs/Pods, test or delete hooks)`,
        );
      p.notes.push("No revision is written: the release history stays as it is.");
      return p;
    }

    case "delete-leftover-hook": {
      const rel = action.revision !== undefined ? ix.revision(action.revision) : latest;
      if (!rel)
        return heads.some((h) => h.revision === action.revision)
          ? refuse(`revision ${action.revision} was not read or cannot be decoded`)
          : noSuchRevision(action.revision);
      p.sourceRevision = rel.version;
      const hookRefs = ix.releases.flatMap((r) =>
        (r.hooks ?? [])
          .map((h) => hookObject(h, r, snapshot.namespace))
          .filter((t): t is TargetObject => !!t),
      );
      const candidates: TargetObject[] = action.resources?.length
        ? hookRefs.filter(
            (t, i, all) =>
              matches(t.ref, action.resources, snapshot.namespace) &&
              all.findIndex((x) => x.key === t.key) === i,
          )
        : (rel.hooks ?? [])
            .filter((h) => isWaitedKind(h.kind))
            .map((h) => hookObject(h, rel, snapshot.namespace))
            .filter((t): t is TargetObject => !!t);
      for (const w of action.resources ?? []) {
        if (!candidates.some((c) => c.ref.kind === w.kind && c.ref.name === w.name))
          return refuse(
            `${refString(w)} is not a hook object of release ${snapshot.release}: not deleting it`,
          );
      }
      for (const t of candidates) {
        const live = liveOf(ix, t);
        if (!live) {
          p.changes.push({ op: "skip", ref: t.ref, reason: "already gone" });
          continue;
        }
        if (live.metadata?.annotations?.["meta.helm.sh/release-name"]) {
          p.changes.push({
            op: "skip",
            ref: t.ref,
            reason: `carries Helm ownership metadata (release ${live.metadata.annotations["meta.helm.sh/release-name"]}): a manifest object, not a leftover hook`,
          });
          continue;
        }
        p.changes.push({
          op: "delete",
          ref: t.ref,
          reason: `leftover hook object${t.ref.kind === "Job" ? " (its pods go with it: background propagation)" : ""}`,
        });
      }
      if (!p.changes.some((c) => c.op === "delete"))
        return refuse(
          `no leftover hook object to delete${p.changes.length ? `: ${p.changes.map((c) => `${refString(c.ref)} (${c.reason})`).join("; ")}` : ""}`,
        );
      p.notes.push("No revision is written: the release history stays as it is.");
      return p;
    }
  }
}
