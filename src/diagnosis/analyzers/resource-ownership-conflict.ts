// A revision failed on an object that is not the release's to change: Helm refuses to adopt an existing object
// without its ownership metadata (`exists and cannot be imported into the current release`), a rollback finds an
// object live that the manifest it compares against lacks (Helm 3: `no <Kind> with the name "x" found`; Helm 4:
// `original object <Kind> with the name "x" not found`), or server-side apply finds fields another manager owns
// (`Apply failed with 1 conflict: conflict with "kube-controller-manager" …: .spec.replicas`). The live object says
// who owns it: another release (its meta.helm.sh annotations), nobody (kubectl, a deleted release), or another
// field manager. A hook copy of this release is resource-moved-out-of-hook's finding.

import { effectiveDeletePolicies } from "../../helm/hooks.js";
import { isClusterScoped, kindKey, type ResourceRef } from "../../helm/keys.js";
import { parseYamlObject } from "../../helm/manifest.js";
import type { Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyHelmError, type HelmError } from "../helm-errors.js";
import {
  failedAttempts,
  hookBefore,
  operationOf,
  outputFailure,
  outputKey,
  revisionEvidence,
  revisionKey,
} from "../history.js";
import { hookSettings } from "../hook-helpers.js";
import { classifyPod } from "../pods.js";
import { podsSaying } from "../signals.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { podSpecOf, specUses, workloadsOf } from "../workloads.js";

interface Owner {
  /** "release": another Helm release; "this": this release; "nobody": no Helm ownership. */
  who: "release" | "this" | "nobody";
  release?: string;
  namespace?: string;
  missing: string[];
}

function ownerOf(live: KubeObject, release: string, ns: string): Owner {
  const a = live.metadata?.annotations ?? {};
  const l = live.metadata?.labels ?? {};
  const missing: string[] = [];
  if (l["app.kubernetes.io/managed-by"] !== "Helm") missing.push("label app.kubernetes.io/managed-by=Helm");
  if (a["meta.helm.sh/release-name"] !== release)
    missing.push(`annotation meta.helm.sh/release-name=${release}`);
  if (a["meta.helm.sh/release-namespace"] !== ns)
    missing.push(`annotation meta.helm.sh/release-namespace=${ns}`);
  const other = a["meta.helm.sh/release-name"];
  const otherNs = a["meta.helm.sh/release-namespace"];
  if (other && (other !== release || (otherNs && otherNs !== ns)))
    return { who: "release", release: other, ...(otherNs ? { namespace: otherNs } : {}), missing };
  if (missing.length === 0) return { who: "this", missing };
  return { who: "nobody", missing };
}

function managers(live: KubeObject | undefined): string[] {
  const mf = (live?.metadata?.managedFields ?? []) as { manager?: string }[];
  return [...new Set(mf.map((m) => m.manager).filter((m): m is string => !!m))];
}

/**
 * A conflict recorded in revision `r`, or (r undefined) printed by a helm command that stored no revision: the
 * ownership check of an upgrade or install runs before Helm creates the new record.
 */
function finding(ix: SnapshotIndex, r: Release | undefined, e: HelmError): Finding | undefined {
  const latest = ix.latest();
  const name = r?.name || ix.snapshot.release;
  const ns = r?.namespace || ix.namespace;
  const o = e.object!;
  const cluster = isClusterScoped(o.kind);
  const objNs = cluster ? "" : o.namespace || ns;
  const key = kindKey(o.kind, objNs, o.name);
  /** The object as kubectl names it: namespace/name, or name alone for a cluster-scoped kind. */
  const shown = cluster ? o.name : `${objNs}/${o.name}`;
  const nsFlag = cluster ? "" : ` -n ${objNs}`;
  const out = r ? undefined : outputFailure(ix);
  // The revision the command would have written.
  const at = r ?? ({ version: (latest?.version ?? 0) + 1 } as Release);
  // A hook copy of this release: the chart moved it out of a hook.
  if (e.kind !== "ssa-conflict" && hookBefore(ix, at, { key, kind: o.kind, name: o.name, namespace: objNs }))
    return undefined;
  const live = ix.get(o.kind, objNs, o.name);
  const op = r ? operationOf(ix, r) : out!.op === "uninstall" ? "upgrade" : out!.op;
  const ref: ResourceRef = { kind: o.kind, name: o.name, ...(cluster ? {} : { namespace: objNs }) };
  const k = o.kind.toLowerCase();
  const evidence: Evidence[] = r ? [revisionEvidence(r)] : [{ source: "helm output", detail: e.text }];
  const rev = r ? `revision ${r.version}` : `revision ${at.version} (never stored)`;
  const remediations: Remediation[] = [];
  let title: string;
  let explanation: string;

  if (e.kind === "ssa-conflict") {
    const by = e.by ?? "another field manager";
    const fields = e.fields?.length ? e.fields.join(", ") : "some fields";
    evidence.push({
      source: "live cluster",
      detail: live
        ? `${o.kind} ${shown}: field managers ${managers(live).join(", ") || "(none recorded)"}`
        : `${o.kind} ${shown} is not in the snapshot`,
    });
    const hpa = by === "kube-controller-manager" && /\.spec\.replicas/.test(fields);
    title = `${o.kind} ${o.name}: ${fields} belong${e.fields?.length === 1 ? "s" : ""} to ${by}, so Helm's server-side apply conflicts`;
    explanation =
      `${rev[0]!.toUpperCase()}${rev.slice(1)} was applied with server-side apply (Helm 4), which sends the whole object as field manager "helm". ` +
      `The API server refuses to let one manager take fields another one set (${fields} of ${o.kind} ${o.name} belong to "${by}") unless the apply forces it, so the ${op} failed.` +
      (hpa
        ? " kube-controller-manager writes .spec.replicas when a HorizontalPodAutoscaler scales the Deployment: the chart should not set replicas while autoscaling is on."
        : "");
    if (hpa)
      remediations.push({
        action: "chart-fix",
        summary: `Leave spec.replicas out of ${o.kind} ${o.name} when an autoscaler manages it (e.g. \`{{- if not .Values.autoscaling.enabled }}replicas: …{{- end }}\`), then upgrade again.`,
        resources: [ref],
      });
    remediations.push({
      action: "manual",
      summary: `Take the fields over: run the upgrade again with \`--force-conflicts\` (Helm 4) — ${hpa ? "the autoscaler will take .spec.replicas back at its next sync" : `"${by}" loses them to Helm`}.`,
      resources: [ref],
    });
  } else {
    const owner = live ? ownerOf(live, name, ns) : undefined;
    // Nobody's by its metadata, but a hook of another release of the namespace by its name.
    const hookOf =
      live && owner?.who === "nobody"
        ? neighbourLatest(ix)
            .flatMap((rel) => (rel.hooks ?? []).map((hook) => ({ rel, hook })))
            .find(
              ({ rel, hook }) =>
                hook.kind === o.kind &&
                hook.name === o.name &&
                (isClusterScoped(o.kind) ||
                  (parseYamlObject(hook.manifest).object?.metadata?.namespace || rel.namespace || ns) ===
                    objNs),
            )
        : undefined;
    // An object of another namespace that the snapshot lacks was not read there: never "deleted since".
    const unread = !live && objNs !== "" && objNs !== ix.namespace;
    const kept = owner && isGone(ix, owner) ? live : undefined;
    evidence.push({
      source: "live cluster",
      detail: unread
        ? `${o.kind} ${shown} is not in the snapshot: namespace ${objNs} was not read (or not readable), so whose it is cannot be told here`
        : !live
          ? `${o.kind} ${shown} does not exist now (deleted since): a retry may pass`
          : kept
            ? `${o.kind} ${shown} carries release ${owner!.release}'s ownership (meta.helm.sh/release-name=${owner!.release}, created ${live.metadata?.creationTimestamp ?? "at an unknown time"}${keepPolicy(live) ? ", helm.sh/resource-policy: keep" : ""}), but no records of release ${owner!.release} are in namespace ${ns}`
            : owner!.who === "release"
              ? `${o.kind} ${shown} belongs to release ${owner!.namespace && owner!.namespace !== ns ? `${owner!.namespace}/` : ""}${owner!.release}: meta.helm.sh/release-name=${owner!.release}${owner!.namespace ? `, meta.helm.sh/release-namespace=${owner!.namespace}` : ""}`
              : owner!.who === "this"
                ? `${o.kind} ${shown} carries this release's ownership (created ${live.metadata?.creationTimestamp ?? "at an unknown time"}), but no revision Helm compared against has it`
                : `${o.kind} ${shown} has no Helm ownership: ${owner!.missing.join(", ")} missing (created ${live.metadata?.creationTimestamp ?? "at an unknown time"}${managers(live).length ? `, by ${managers(live).join(", ")}` : ""})`,
    });
    const adopt = `\`kubectl label ${k} ${o.name}${nsFlag} app.kubernetes.io/managed-by=Helm --overwrite\` and \`kubectl annotate ${k} ${o.name}${nsFlag} meta.helm.sh/release-name=${name} meta.helm.sh/release-namespace=${ns} --overwrite\``;
    const fixedSince = !live || (e.kind === "ownership" && owner!.who === "this");
    if (unread) {
      title = `${o.kind} ${o.name} in namespace ${objNs} blocked the ${op} to revision ${at.version}; helm-doctor could not read it there`;
      explanation =
        `Helm refused to ${op === "rollback" ? "roll back" : op} because ${o.kind} ${shown} exists without this release's ownership metadata (Helm's own message says so). ` +
        `The chart puts it in namespace ${objNs}, which this diagnosis did not read, so who created it is unknown here. A retry fails the same way until it is adopted or removed.`;
      remediations.push({
        action: "manual",
        summary: `Look at it (\`kubectl get ${k} ${o.name}${nsFlag} -o yaml\`): if nothing else owns it, let the ${op} adopt it: ${adopt}, then run the ${op} again (Helm ≥ 3.17: \`helm upgrade --take-ownership\`). If another release or tool owns it, rename it in the chart instead.`,
        resources: [ref],
      });
    } else if (live && fixedSince) {
      title = `${o.kind} ${o.name} blocked the ${op} to revision ${at.version}; it now carries ${name}'s ownership, so a retry adopts it`;
      explanation = `Helm refused to ${op === "rollback" ? "roll back" : op} because ${o.kind} ${o.name} existed without this release's ownership metadata. It has been labelled and annotated since, so Helm adopts it when the ${op} runs again.`;
      remediations.push({ action: "manual", summary: `Run the same helm ${op} again.`, resources: [ref] });
    } else if (!live) {
      title = `${o.kind} ${o.name} blocked revision ${at.version} (${op}); it has since been removed`;
      explanation = `Helm refused to ${op === "rollback" ? "roll back" : op} because ${o.kind} ${o.name} existed without this release's ownership. It no longer exists, so running the ${op} again should pass.`;
      remediations.push({ action: "manual", summary: `Run the same helm ${op} again.`, resources: [ref] });
    } else if (kept) {
      // Nobody's object: the release it names is gone, and only Helm's ownership check still sees it.
      const adoptable = e.kind === "ownership";
      title = `${o.kind} ${o.name} was left behind by release ${owner!.release}, which no longer exists, so the ${op} to revision ${at.version} cannot ${adoptable ? "adopt" : "create"} it`;
      explanation =
        `${rev[0]!.toUpperCase()}${rev.slice(1)} renders ${o.kind} ${o.name}, which already exists with the ownership of release ${owner!.release} (meta.helm.sh/release-name=${owner!.release}), but no records of release ${owner!.release} are in namespace ${ns}: that release no longer exists. ` +
        `It was uninstalled and the object stayed: Helm keeps an object annotated \`helm.sh/resource-policy: keep\` when it uninstalls the release (pkg/action/uninstall.go)${keepPolicy(live) ? ", and this one carries that annotation" : ""}. ` +
        (adoptable
          ? `Nobody owns it now, but Helm adopts an existing object only when its ownership metadata names this release (pkg/action/validate.go), so it refused${r ? ` and recorded revision ${r.version} failed` : " before storing a revision"}.`
          : `Nobody owns it now, but a rollback has no adoption step at all: it fails on any live object the manifest it compares against lacks.`);
      remediations.push(
        adoptable
          ? {
              action: "manual",
              summary: `Let the ${op} adopt it: ${adopt}, then run the ${op} again (Helm ≥ 3.17: \`helm upgrade --take-ownership\` does the same). Or delete it if nothing needs what it holds.`,
              resources: [ref],
            }
          : {
              action: "manual",
              summary: `Delete the leftover (\`kubectl delete ${k} ${o.name}${nsFlag}\`; back it up first if it holds data), then run the ${op} again: Helm creates it from the revision's manifest.`,
              resources: [ref],
            },
      );
    } else if (owner!.who === "release") {
      // Same release name in another namespace: say which one, everywhere.
      const elsewhere = !!owner!.namespace && owner!.namespace !== ns;
      const them = elsewhere ? `${owner!.namespace}/${owner!.release}` : owner!.release!;
      const us = elsewhere ? `${ns}/${name}` : name;
      title = `${o.kind} ${o.name} belongs to release ${them}, so ${us}'s ${op} cannot take it over`;
      explanation =
        `${rev[0]!.toUpperCase()}${rev.slice(1)} of ${us} renders ${o.kind} ${o.name}, but the live object belongs to release ${owner!.release}${owner!.namespace ? ` of namespace ${owner!.namespace}` : ""} (its meta.helm.sh annotations)${neighbourLine(ix, owner!.release!, owner!.namespace)}. ` +
        `Helm never takes an object from another release${elsewhere && owner!.release === name ? " — a release of the same name in another namespace is another release" : ""}${op === "rollback" ? "; a rollback, which has no adoption step at all, fails on any live object the manifest it compares against lacks" : ""}, so the ${op} failed${r ? "" : " before Helm stored a revision"}. ` +
        `Two releases render the same object: one of them has to stop (rename it in one chart, or remove it from ${them} first).`;
      remediations.push({
        action: "manual",
        summary: `Decide which release owns ${o.kind} ${o.name}: rename it in ${us}'s chart, or drop it from ${them} (\`helm upgrade ${owner!.release}${elsewhere ? ` -n ${owner!.namespace}` : ""}\` without it, which deletes it), then run ${us}'s ${op} again. Taking it over by hand (${adopt}) makes ${them}'s next upgrade fail or delete it.`,
        resources: [ref],
      });
    } else if (owner!.who === "this") {
      title = `${o.kind} ${o.name} exists with ${name}'s ownership but is in no manifest the ${op} compared against`;
      explanation =
        `${rev[0]!.toUpperCase()}${rev.slice(1)} (${op}) applies ${o.kind} ${o.name}, which exists live and carries this release's ownership, but the manifest Helm compared against does not have it (kept by \`helm.sh/resource-policy: keep\` when it left the chart, or created by hand). ` +
        `Helm ${op === "rollback" ? "3's rollback has no adoption step and" : ""} fails on such an object, so the ${op} failed.`;
      remediations.push({
        action: "manual",
        summary: `Delete the leftover (\`kubectl delete ${k} ${o.name}${nsFlag}\`; back it up first if it holds data), then run the ${op} again: Helm creates it from the revision's manifest.`,
        resources: [ref],
      });
    } else if (hookOf) {
      // A neighbour's hook copy: hooks never get ownership metadata (pkg/action/validate.go sets it on the manifest
      // only), so it reads as nobody's — but that release re-creates it on every run of the hook.
      const { rel: n, hook: h } = hookOf;
      const bhc = effectiveDeletePolicies(h).includes("before-hook-creation");
      evidence.push({
        source: `release ${n.name} revision ${n.version} hooks`,
        detail: `${h.kind} ${h.name} is a hook of release ${n.name} (${h.path}): ${hookSettings(h)}, ${h.last_run?.phase ? `last run ${h.last_run.phase}${h.last_run.started_at ? ` at ${h.last_run.started_at}` : ""}` : "never ran"}`,
      });
      title = `${o.kind} ${o.name} is release ${n.name}'s ${h.events.join(",")} hook, so ${name}'s ${op} to revision ${at.version} cannot take it`;
      explanation =
        `${rev[0]!.toUpperCase()}${rev.slice(1)} renders ${o.kind} ${o.name}, and the live object is the hook copy of release ${n.name} (${h.path}, revision ${n.version}): Helm creates hooks without ownership metadata, so Helm's check sees an object nobody owns and refused${r ? ` (revision ${r.version} failed)` : " before storing a revision"}. ` +
        `Adopting it is not a fix: the next ${n.name} ${h.events.some((e) => e.endsWith("upgrade")) ? "upgrade" : "operation"} runs that hook again${bhc ? `, and its before-hook-creation policy deletes whatever ${o.kind} ${o.name} exists — ${name}'s — and creates ${n.name}'s copy` : `, which fails on ${name}'s object ("already exists")`} (pkg/action/hooks.go). Two releases use one name: one of them has to rename it.`;
      remediations.push({
        action: "manual",
        summary: `Rename ${o.kind} ${o.name} in ${name}'s chart (or the hook in ${n.name}'s chart, ${h.path}), then run the ${op} again. Do not adopt it with kubectl label/annotate or --take-ownership: ${n.name}'s hook takes it back.`,
        resources: [ref],
      });
    } else {
      title = `${o.kind} ${o.name} exists without Helm ownership, so the ${op} to revision ${at.version} cannot adopt it`;
      explanation =
        `${rev[0]!.toUpperCase()}${rev.slice(1)} renders ${o.kind} ${o.name}, which already exists but was not created by this release: it lacks ${owner!.missing.join(", ")}. ` +
        `Helm adopts an existing object only when it carries this release's ownership metadata (pkg/action/validate.go), so it refused${r ? ` and recorded revision ${r.version} failed` : " before storing a revision"}.`;
      remediations.push({
        action: "manual",
        summary: `Let the ${op} adopt it: ${adopt}, then run the ${op} again (Helm ≥ 3.17: \`helm upgrade --take-ownership\` does the same). Or delete it if nothing else needs it.`,
        resources: [ref],
      });
    }
  }
  // --atomic hid the failure behind a rollback: say so, the rollback is part of this story.
  const undo = r
    ? ix.releases.find((x) => x.version > r.version && /^Rollback to \d+/.test(x.info.description ?? ""))
    : undefined;
  if (undo)
    explanation += ` Helm then rolled the release back (revision ${undo.version}, "${undo.info.description}"), as --atomic does, so it looks deployed while every ${op} with this chart fails the same way.`;
  else if (out?.atomic)
    explanation += ` --atomic ${out.atomic === "rolled back" ? "rolled the upgrade back" : "uninstalled the failed install"}, so helm's message led with that instead of this conflict.`;
  const rolledBack = !!r && r !== latest;
  const resolved =
    e.kind !== "ssa-conflict" &&
    ((!live && !(!isClusterScoped(o.kind) && objNs !== ix.namespace)) ||
      (!!live && e.kind === "ownership" && ownerOf(live, name, ns).who === "this"));
  return {
    code: "resource-ownership-conflict",
    severity: rolledBack || resolved ? "warning" : "critical",
    role: "root",
    title,
    explanation,
    resources: [ref],
    revisions: r ? [r.version] : latest ? [latest.version] : [],
    evidence,
    remediations,
    explains: [key, ...(r ? [revisionKey(ix, r.version)] : [outputKey(ix)])],
  };
}

const CONFLICTS = new Set(["ownership", "not-in-original", "ssa-conflict"]);

/** The namespace's records of another release, by payload or label. */
function recordsOf(ix: SnapshotIndex, release: string) {
  return (ix.snapshot.neighbours ?? []).filter(
    (x) => x.release?.name === release || x.labels.name === release,
  );
}

/**
 * The release an object's ownership names is gone: it is in this namespace (whose records were read) and has no
 * records here — uninstalled, with the object kept. A release of another namespace may well be alive.
 */
function isGone(ix: SnapshotIndex, owner: Owner): boolean {
  if (owner.who !== "release" || !owner.release) return false;
  if ((owner.namespace ?? ix.namespace) !== ix.namespace) return false;
  if (ix.snapshot.gaps.some((g) => /secret|configmap|record/i.test(g.what))) return false;
  return recordsOf(ix, owner.release).length === 0;
}

function keepPolicy(live: KubeObject | undefined): boolean {
  return live?.metadata?.annotations?.["helm.sh/resource-policy"] === "keep";
}

/** "(its latest revision 4 is deployed)" — what the neighbour's own records say, when the snapshot has them. */
function neighbourLine(ix: SnapshotIndex, release: string, namespace?: string): string {
  if (namespace && namespace !== ix.namespace)
    return `; its records are in namespace ${namespace}, which this diagnosis does not read`;
  const recs = recordsOf(ix, release);
  if (recs.length === 0)
    return "; no records of that release are in this namespace (uninstalled, or elsewhere)";
  const top = recs.reduce((a, b) => ((b.release?.version ?? 0) > (a.release?.version ?? 0) ? b : a));
  return `; its latest revision ${top.release?.version ?? top.labels.version} is ${top.release?.info.status ?? top.labels.status}`;
}

/** The newest decoded record of each neighbour release. */
function neighbourLatest(ix: SnapshotIndex): Release[] {
  const by = new Map<string, Release>();
  for (const r of ix.snapshot.neighbours ?? []) {
    const rel = r.release;
    if (!rel || rel.name === ix.snapshot.release) continue;
    const cur = by.get(rel.name);
    if (!cur || rel.version > cur.version) by.set(rel.name, rel);
  }
  return [...by.values()];
}

/**
 * Another release of the namespace touches an object of ours: its hook has the same kind and name (each run of
 * that hook deletes ours and creates its own copy; hook-succeeded then deletes it), or the live object's ownership
 * annotations name that release (it took the object over, or both charts render it).
 */
function neighbourFindings(ix: SnapshotIndex, skip: Set<string>): Finding[] {
  const latest = ix.latest();
  if (!latest) return [];
  const name = ix.snapshot.release;
  const ns = ix.namespace;
  const ours = new Map(ix.manifest(latest).map((d) => [d.key, d] as const));
  const out: Finding[] = [];
  const neighbours = neighbourLatest(ix);
  for (const n of neighbours) {
    for (const h of n.hooks ?? []) {
      const hns = parseYamlObject(h.manifest).object?.metadata?.namespace || n.namespace || ns;
      const key = kindKey(h.kind, hns, h.name);
      const doc = ours.get(key);
      if (!doc || skip.has(key)) continue;
      skip.add(key);
      const live = ix.get(h.kind, hns, h.name);
      const policies = effectiveDeletePolicies(h);
      const deleted = !live;
      const ranAt = h.last_run?.started_at;
      const users = workloadsOf(ix, latest).filter((w) => specUses(podSpecOf(w.template), h.kind, h.name));
      const failing = users.flatMap((w) =>
        w.pods.filter((p) => {
          const m = classifyPod(ix, p)?.missing;
          return m?.kind === h.kind && m.name === h.name;
        }),
      );
      const ref: ResourceRef = { kind: h.kind, name: h.name, namespace: hns };
      const evidence: Evidence[] = [
        {
          source: `revision ${latest.version} manifest`,
          detail: `${h.kind} ${h.name} is a regular resource of ${name}${doc.source ? ` (${doc.source})` : ""}`,
        },
        {
          source: `release ${n.name} revision ${n.version} hooks`,
          detail: `${h.kind} ${h.name} is a hook of release ${n.name} (${h.path}): ${hookSettings(h)}, ${h.last_run?.phase ? `last run ${h.last_run.phase}${ranAt ? ` at ${ranAt}` : ""}` : "never ran"}`,
        },
        {
          source: "live cluster",
          detail: live
            ? `${h.kind} ${hns}/${h.name} exists (created ${live.metadata?.creationTimestamp ?? "at an unknown time"})${live.metadata?.annotations?.["meta.helm.sh/release-name"] === name ? " with this release's ownership" : ` without this release's ownership: release ${n.name}'s hook copy`}`
            : `${h.kind} ${hns}/${h.name} does not exist`,
        },
      ];
      // Our pods that read the neighbour's copy and are refused with it (its credentials are not ours), started
      // after that copy was created.
      const refused = deleted
        ? []
        : podsSaying(
            ix,
            users,
            (sig) => sig.type === "auth",
            Date.parse(live?.metadata?.creationTimestamp ?? ""),
          );
      if (refused.length)
        evidence.push({
          source: `pod ${refused[0]!.pod.metadata?.name}`,
          detail: `${refused.length} pod${refused.length === 1 ? "" : "s"} of ${[...new Set(refused.map((m) => `${m.workload.kind} ${m.workload.name}`))].join(", ")}, started after release ${n.name}'s copy was created, ${refused.length === 1 ? "is" : "are"} refused: "${refused[0]!.signal.text}"`,
        });
      if (failing.length)
        evidence.push({
          source: "live pods",
          detail: `${failing.length} pod${failing.length === 1 ? "" : "s"} of ${users.map((w) => `${w.kind} ${w.name}`).join(", ")} cannot start without it`,
        });
      out.push({
        code: "resource-ownership-conflict",
        severity: (deleted && failing.length) || refused.length ? "critical" : "warning",
        role: "root",
        title: `${h.kind} ${h.name} of ${name} is also a hook of release ${n.name}: its ${h.events.join(",")} hook ${deleted ? (policies.includes("hook-succeeded") ? "deletes it after each run" : "deleted it") : "replaces it on every run"}`,
        explanation:
          `Release ${n.name}, in the same namespace, renders ${h.kind} ${h.name} as a \`${h.events.join(",")}\` hook (${h.path}), while ${name} renders it as a regular resource. ` +
          `Each time ${n.name}'s hook runs, Helm deletes the existing object (before-hook-creation) and creates ${n.name}'s copy, without ${name}'s ownership and with ${n.name}'s content${policies.includes("hook-succeeded") ? `; its hook-succeeded policy then deletes it altogether` : ""}. ` +
          (deleted
            ? `It is gone now${failing.length ? `, so ${users.map((w) => `${w.kind} ${w.name}`).join(" and ")} cannot start new pods` : ""}. `
            : users.length
              ? `${users.map((w) => `${w.kind} ${w.name}`).join(" and ")} use${users.length === 1 ? "s" : ""} it, so ${users.length === 1 ? "its" : "their"} pods now read ${n.name}'s ${h.kind === "Secret" ? "values (credentials meant for the other release)" : "content"}, not ${name}'s. `
              : "") +
          `Neither release knows: hooks are not part of a release's manifest. The two charts must stop using the same name.`,
        resources: [ref],
        revisions: [latest.version],
        evidence,
        remediations: [
          {
            action: "chart-fix",
            summary: `Give one of them another name: ${h.kind} ${h.name} in ${name}'s ${doc.source ?? "chart"} or in ${n.name}'s ${h.path} (charts usually prefix names with the release name).`,
            resources: [ref],
          },
          ...(deleted
            ? [
                {
                  action: "manual" as const,
                  summary: `Until then, recreate ${name}'s copy: \`helm upgrade ${name}\` (re-run the same chart and values) creates it again — until ${n.name}'s hook runs next.`,
                },
              ]
            : []),
        ],
        explains: [
          key,
          ...failing.map((p) => kindKey("Pod", p.metadata?.namespace ?? ns, p.metadata?.name ?? "")),
          ...refused.flatMap((m) => [
            kindKey(m.workload.kind, m.workload.namespace, m.workload.name),
            kindKey("Pod", m.pod.metadata?.namespace ?? ns, m.pod.metadata?.name ?? ""),
          ]),
        ],
      });
    }
  }
  // Our objects whose live ownership names another release.
  for (const [key, doc] of ours) {
    if (skip.has(key)) continue;
    const live = ix.get(doc.kind, doc.namespace, doc.name);
    const otherName = live?.metadata?.annotations?.["meta.helm.sh/release-name"];
    const otherNs = live?.metadata?.annotations?.["meta.helm.sh/release-namespace"] ?? ns;
    // The same release name of another namespace is another release (--take-ownership from there).
    if (!live || !otherName || (otherName === name && otherNs === ns)) continue;
    const elsewhere = otherNs !== ns;
    const other = elsewhere ? `${otherNs}/${otherName}` : otherName;
    const us = elsewhere ? `${ns}/${name}` : name;
    skip.add(key);
    const n = neighbours.find((x) => x.name === otherName && (x.namespace || ns) === otherNs);
    const both = n ? ix.manifest(n).some((d) => d.key === key) : false;
    const ref: ResourceRef = { kind: doc.kind, name: doc.name, namespace: doc.namespace };
    out.push({
      code: "resource-ownership-conflict",
      severity: "warning",
      role: "root",
      title: both
        ? `${doc.kind} ${doc.name} is rendered by both ${name} and ${other}: uninstalling either deletes it`
        : `${doc.kind} ${doc.name} of ${us} says it belongs to release ${other}`,
      explanation:
        `${doc.kind} ${doc.name} is in ${us}'s revision ${latest.version} manifest, but its live ownership annotations name release ${other}${elsewhere && otherName === name ? " — a release of the same name in another namespace is another release" : ""}. ` +
        (both
          ? `${other}'s latest revision ${n!.version} renders it too: each release's upgrade takes it over (it re-applies its own content and ownership), and uninstalling either one deletes it under the other.`
          : n
            ? `${other} no longer renders it: it was taken over by ${other} at some point (\`--take-ownership\`); ${name}'s next upgrade takes it back.`
            : elsewhere
              ? `Its records are in namespace ${otherNs}, which this diagnosis does not read: ${other} took it over (\`--take-ownership\`, or it renders the same object); ${us}'s next upgrade takes it back, and ${other}'s next upgrade takes it again while its chart renders it.`
              : `No records of ${other} are in this namespace (a renamed or uninstalled release, or \`--take-ownership\` from elsewhere); ${name}'s next upgrade restores its own ownership.`),
      resources: [ref],
      revisions: [latest.version],
      evidence: [
        {
          source: "live cluster",
          detail: `${doc.kind} ${doc.namespace}/${doc.name}: meta.helm.sh/release-name=${otherName}, meta.helm.sh/release-namespace=${otherNs}`,
        },
        ...(n
          ? [
              {
                source: `release ${other} revision ${n.version}`,
                detail: both
                  ? `renders ${doc.kind} ${doc.name} too`
                  : `does not render ${doc.kind} ${doc.name}`,
              },
            ]
          : []),
      ],
      remediations: [
        {
          action: "chart-fix",
          summary: both
            ? `Remove ${doc.kind} ${doc.name} from one chart (or rename it there), then upgrade that release: only one release may own an object.`
            : `Re-run ${us}'s upgrade to take ${doc.kind} ${doc.name} back, and find out who changed its ownership.`,
          resources: [ref],
        },
      ],
      explains: [key],
    });
  }
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    const out: Finding[] = [];
    for (const r of failedAttempts(ix))
      for (const e of classifyHelmError(r.info.description)) {
        if (!e.object || e.hookEvent || !CONFLICTS.has(e.kind)) continue;
        const f = finding(ix, r, e);
        if (f) out.push(f);
      }
    const printed = outputFailure(ix);
    if (printed && !printed.recorded)
      for (const e of printed.errors) {
        if (!e.object || e.hookEvent || !CONFLICTS.has(e.kind)) continue;
        const f = finding(ix, undefined, e);
        if (f) out.push(f);
      }
    const skip = new Set(out.flatMap((f) => f.explains ?? []));
    out.push(...neighbourFindings(ix, skip));
    return out;
  },
};

export default analyzer;
