// A revision's record is gone although Helm wrote it: the highest stored revision is "superseded" — only a newer
// revision supersedes one, and Helm's max-history pruning never deletes the latest (pkg/storage/storage.go
// removeLeastRecent) — or a revision is missing from the middle of the history, where pruning (oldest first,
// keeping the last deployed one) cannot have made a hole. Someone deleted it by hand (the "delete the pending
// record" workaround applied to the wrong one, a cleanup script), or a backup restore missed it. Live objects
// that carry the release's ownership but are in no stored manifest are what that revision deployed. With no record
// at all, objects that carry the release's ownership are the proof that it exists.
import { kindKey } from "../../helm/keys.js";
import { keptOnUninstall, ownedBy, provesInstalled } from "../../helm/ownership.js";
import type { Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { recordResource } from "../history.js";
import type { Evidence, Finding, Remediation } from "../types.js";

/** Live objects that say they belong to this release but that no stored revision renders. */
function orphans(ix: SnapshotIndex): KubeObject[] {
  const stored = new Set<string>();
  for (const r of ix.releases) {
    for (const d of ix.manifest(r)) stored.add(d.key);
  }
  return ix.snapshot.objects.filter((o) => {
    const a = o.metadata?.annotations ?? {};
    if (a["meta.helm.sh/release-name"] !== ix.snapshot.release) return false;
    if ((a["meta.helm.sh/release-namespace"] ?? ix.namespace) !== ix.namespace) return false;
    return !stored.has(kindKey(o.kind ?? "", o.metadata?.namespace ?? ix.namespace, o.metadata?.name ?? ""));
  });
}

/** Revisions missing between stored ones that pruning cannot explain (an older non-deployed one survived). */
function holes(releases: Release[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < releases.length; i++) {
    const prev = releases[i - 1]!;
    const cur = releases[i]!;
    for (let v = prev.version + 1; v < cur.version; v++) {
      // Pruning deletes the oldest first but never the latest deployed: a hole above a survivor that is not
      // that deployed revision cannot come from pruning.
      const survivors = releases.filter((r) => r.version < v);
      if (survivors.some((r) => r.info.status !== "deployed")) out.push(v);
    }
  }
  return out;
}

/**
 * No record of the release at all, while objects its uninstall would have deleted carry its ownership: every record
 * was deleted (by hand, a cleanup script) or left behind in a storage move. Helm deletes records only when it
 * uninstalls, and then deletes those objects too (pkg/action/uninstall.go).
 */
function allRecordsGone(ix: SnapshotIndex): Finding[] {
  if (ix.snapshot.records.length > 0) return [];
  const name = ix.snapshot.release;
  const ns = ix.namespace;
  const when = (o: KubeObject) => o.metadata?.creationTimestamp ?? "at an unknown time";
  // The oldest first: the release has existed at least since then.
  const proof = ix.snapshot.objects
    .filter((o) => provesInstalled(o, name, ns))
    .sort((a, b) => when(a).localeCompare(when(b)) || (a.kind ?? "").localeCompare(b.kind ?? ""));
  if (proof.length === 0) return [];
  const kept = ix.snapshot.objects.filter((o) => ownedBy(o, name, ns) && keptOnUninstall(o));
  const first = proof[0]!;
  const list = proof
    .slice(0, 8)
    .map((o) => `${o.kind} ${o.metadata?.name} (created ${when(o)})`)
    .join(", ");
  const evidence: Evidence[] = [
    {
      source: "release records",
      detail: `no Secret or ConfigMap labelled owner=helm,name=${name} in namespace ${ns}: Helm has no revision of ${name} there`,
    },
    {
      source: "live cluster",
      detail: `${proof.length} object${proof.length === 1 ? "" : "s"} carry release ${name}'s ownership (app.kubernetes.io/managed-by=Helm, meta.helm.sh/release-name=${name}, meta.helm.sh/release-namespace=${ns}) and no helm.sh/resource-policy: keep: ${list}${proof.length > 8 ? ", …" : ""}`,
    },
  ];
  if (kept.length)
    evidence.push({
      source: "live cluster",
      detail: `${kept.length} more carry helm.sh/resource-policy: keep (an uninstall leaves those): ${kept
        .slice(0, 4)
        .map((o) => `${o.kind} ${o.metadata?.name}`)
        .join(", ")}`,
    });
  const recs = `kubectl get secret -n ${ns} -l owner=helm,name=${name} -o yaml`;
  return [
    {
      code: "release-record-missing",
      severity: "warning",
      role: "root",
      title: `Release ${name} has no records, but ${proof.length} object${proof.length === 1 ? "" : "s"} in ${ns} carry its ownership: its records were deleted`,
      explanation:
        `Helm keeps a release's history in records (Secrets sh.helm.release.v1.${name}.v<revision>, labelled owner=helm and name=${name}, or ConfigMaps with the configmap driver); none are in namespace ${ns}. ` +
        `Yet ${proof.length} live object${proof.length === 1 ? "" : "s"} carry release ${name}'s ownership, which Helm writes on every object it installs or upgrades — the oldest, ${first.kind} ${first.metadata?.name}, since ${when(first)}. ` +
        `Helm deletes a release's records only when it uninstalls the release, and then deletes these objects too (all but those marked helm.sh/resource-policy: keep), so the release was not uninstalled: its records were deleted another way — by hand (\`kubectl delete secret -l owner=helm\`), by a cleanup script, or left behind when the storage moved (HELM_DRIVER changed, a namespace restored without them). ` +
        `The workloads still run, but for Helm ${name} does not exist: \`helm list\` does not show it, \`helm upgrade ${name}\` fails with "has no deployed releases", and there is nothing to roll back to.`,
      resources: proof.slice(0, 8).map((o) => ({
        kind: o.kind ?? "",
        name: o.metadata?.name ?? "",
        namespace: o.metadata?.namespace ?? ns,
      })),
      revisions: [],
      evidence,
      remediations: [
        {
          action: "manual",
          summary: `Restore the records from a backup if there is one (Velero, or a saved \`${recs}\`): \`kubectl apply\` them back unchanged, and \`helm history ${name} -n ${ns}\` is whole again. If they live in another storage (HELM_DRIVER=configmap or sql), point helm and helm-doctor (--driver) at it instead.`,
        },
        {
          action: "manual",
          summary: `Without a backup, install it again over what runs: \`helm upgrade --install ${name} <chart> -n ${ns}\` with the chart version and values it runs now. The objects carry ${name}'s ownership, so Helm adopts them and writes revision 1; objects that chart no longer renders stay behind — delete them after checking nothing uses them.`,
        },
      ],
    },
  ];
}

const analyzer: Analyzer = {
  run(ix) {
    const latest = ix.latest();
    if (!latest) return allRecordsGone(ix);
    const name = latest.name || ix.snapshot.release;
    const ns = ix.namespace;
    const missingTop = latest.info.status === "superseded" ? latest.version + 1 : undefined;
    const gaps = holes(ix.releases);
    const missing = [...gaps, ...(missingTop ? [missingTop] : [])];
    if (missing.length === 0) return [];
    const extra = orphans(ix);
    const deployed = ix.lastDeployed();
    const evidence: Evidence[] = [
      {
        source: "release history",
        detail: `stored revisions ${ix.releases.map((r) => `${r.version} ${r.info.status}`).join(", ")}; no record for revision ${missing.join(", ")}`,
      },
    ];
    if (missingTop)
      evidence.push({
        source: `revision ${latest.version}`,
        detail: `the highest stored revision is "superseded": Helm marks a revision superseded only when a newer one is deployed, and pruning never deletes the latest`,
      });
    if (!deployed)
      evidence.push({
        source: "release history",
        detail: "no stored revision is deployed",
      });
    if (extra.length)
      evidence.push({
        source: "live cluster",
        detail: `${extra.length} object${extra.length === 1 ? "" : "s"} carry release ${name}'s ownership but are in no stored manifest — what the missing revision deployed: ${extra
          .slice(0, 6)
          .map((o) => `${o.kind} ${o.metadata?.name}`)
          .join(", ")}${extra.length > 6 ? ", …" : ""}`,
      });
    const rec = recordResource(ix, latest);
    const recName = (v: number) => rec.name.replace(/\.v\d+$/, `.v${v}`);
    const remediations: Remediation[] = [
      {
        action: "manual",
        summary: `Restore the record from a backup if there is one (Velero, or a saved \`kubectl get ${rec.kind.toLowerCase()} ${recName(missing[missing.length - 1]!)} -n ${ns} -o yaml\`): \`kubectl apply\` it back unchanged, and \`helm history ${name} -n ${ns}\` is whole again.`,
      },
      {
        action: "manual",
        summary: missingTop
          ? `Without a backup, the next \`helm upgrade\` works from revision ${latest.version} (Helm takes a superseded latest as its base) and writes revision ${missingTop} again; ${extra.length ? "objects only the lost revision had stay behind — delete them after checking nothing uses them" : "check that the cluster matches what you deploy"}.`
          : `Without a backup, nothing blocks Helm: the hole only makes \`helm history\` and rollbacks to revision ${missing.join(", ")} impossible.`,
      },
    ];
    const finding: Finding = {
      code: "release-record-missing",
      severity: "warning",
      role: "root",
      title: `Revision ${missing.join(", ")} of ${name} has no record: ${missingTop ? `revision ${latest.version} is superseded by a revision that is gone` : "it was deleted from the middle of the history"}`,
      explanation:
        `Helm writes one record per revision and deletes records only when it prunes history (--history-max), oldest first, never the latest deployed one. ` +
        (missingTop
          ? `Revision ${latest.version}, the newest record left, says "superseded" — so Helm wrote and deployed revision ${missingTop} after it, and that record was deleted by hand or lost in a restore. `
          : `Revision${gaps.length > 1 ? "s" : ""} ${gaps.join(", ")} ${gaps.length > 1 ? "are" : "is"} missing while older revisions remain, which pruning cannot do. `) +
        `\`helm history\` no longer shows what is deployed${deployed ? "" : ", and no stored revision is deployed"}.` +
        (extra.length
          ? ` The cluster still runs what the missing revision deployed: ${extra.length} object${extra.length === 1 ? "" : "s"} owned by ${name} that no stored manifest has.`
          : ""),
      resources: [rec],
      revisions: missing,
      evidence,
      remediations,
      explains: extra.map((o) => kindKey(o.kind ?? "", o.metadata?.namespace ?? ns, o.metadata?.name ?? "")),
    };
    return [finding];
  },
};

export default analyzer;
