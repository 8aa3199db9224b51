// A revision's record is gone although Helm wrote it: the highest stored revision is "superseded" — only a newer
// revision supersedes one, and Helm's max-history pruning never deletes the latest (pkg/storage/storage.go
// removeLeastRecent) — or a revision is missing from the middle of the history, where pruning (oldest first,
// keeping the last deployed one) cannot have made a hole. Someone deleted it by hand (the "delete the pending
// record" workaround applied to the wrong one, a cleanup script), or a backup restore missed it. Live objects
// that carry the release's ownership but are in no stored manifest are what that revision deployed. With no record
// at all, objects that carry the release's ownership are the proof that it exists.
import { kindKey } from "../../helm/keys.js";
import { keptOnUninstall, ownedBy, provesInstalled } from "../../helm/ownership.js";
import { chartRef, type Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { outputKeys, recordFor, recordResource } from "../history.js";
import type { Evidence, Finding, Remediation } from "../types.js";

/**
 * Live objects Helm applied for this release (its ownership label and annotations) that no stored revision renders
 * (manifest or hook). Not: objects kept by `helm.sh/resource-policy: keep` (an uninstall leaves those), objects being
 * deleted, and objects a controller made (a Deployment's ReplicaSets inherit its annotations). With `after`, only
 * those created later than that (server) time.
 */
function orphans(ix: SnapshotIndex, after?: number): KubeObject[] {
  const stored = new Set<string>();
  for (const r of ix.releases) {
    for (const d of ix.manifest(r)) stored.add(d.key);
    for (const h of r.hooks ?? []) stored.add(kindKey(h.kind, r.namespace || ix.namespace, h.name));
  }
  const name = ix.snapshot.release;
  return ix.snapshot.objects.filter((o) => {
    if (!provesInstalled(o, name, ix.namespace) || (o.metadata?.ownerReferences ?? []).length > 0)
      return false;
    if (stored.has(kindKey(o.kind ?? "", o.metadata?.namespace ?? ix.namespace, o.metadata?.name ?? "")))
      return false;
    if (after === undefined) return true;
    const at = Date.parse(o.metadata?.creationTimestamp ?? "");
    return Number.isFinite(at) && at > after && !justNow(ix, at);
  });
}

const CHART_LABEL = "helm.sh/chart";

/** Field managers that apply rendered manifests without Helm's storage. */
const NOT_HELM = /^(?:kubectl|argocd|kustomize|kapp|pulumi|terraform)/i;

/**
 * Written in the last two minutes: an upgrade may have started after the records were read (it creates its pending
 * record first, then the objects), so such a write proves nothing yet.
 */
function justNow(ix: SnapshotIndex, at: number): boolean {
  return ix.now.getTime() - at < 2 * 60_000;
}

/** `name-1.2.3` (Helm's `{{ .Chart.Name }}-{{ .Chart.Version | replace "+" "_" }}` convention) split in two. */
function splitChartLabel(label: string): { name: string; version: number[]; pre: string } | undefined {
  const m = /^(.+?)-v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:[_+][0-9A-Za-z.-]+)?$/.exec(label);
  if (!m) return undefined;
  return { name: m[1]!, version: [Number(m[2]), Number(m[3]), Number(m[4])], pre: m[5] ?? "" };
}

/** SemVer precedence of two chart labels of the same chart: > 0 when `a` is the later version. */
function laterThan(a: string, b: string): boolean {
  const x = splitChartLabel(a);
  const y = splitChartLabel(b);
  if (!x || !y || x.name !== y.name) return false;
  for (let i = 0; i < 3; i++) if (x.version[i] !== y.version[i]) return x.version[i]! > y.version[i]!;
  // A release is later than its pre-releases; two pre-releases compare as text (enough for 'rc.1' < 'rc.2').
  if (x.pre === y.pre) return false;
  if (!x.pre) return true;
  if (!y.pre) return false;
  return x.pre.localeCompare(y.pre, "en", { numeric: true }) > 0;
}

/**
 * Did only a tool other than Helm write the object's chart label (`helm template | kubectl apply`, `kubectl label`,
 * a GitOps controller applying rendered manifests)? Helm's own field manager is its binary's name ("helm", or the
 * controller that embeds it), so only managers known not to be Helm count.
 */
function labelWrittenWithoutHelm(o: KubeObject): boolean {
  const mf = (o.metadata?.managedFields ?? []) as { manager?: string; fieldsV1?: Record<string, unknown> }[];
  const owners = mf.filter((e) => {
    const labels = (e.fieldsV1?.["f:metadata"] as Record<string, unknown> | undefined)?.["f:labels"] as
      | Record<string, unknown>
      | undefined;
    return labels?.[`f:${CHART_LABEL}`] !== undefined;
  });
  return owners.length > 0 && owners.every((e) => NOT_HELM.test(e.manager ?? ""));
}

/** When the managers that own the object's chart label last wrote it (managedFields, the cluster's clock). */
function labelWrittenAt(o: KubeObject): number[] {
  const mf = (o.metadata?.managedFields ?? []) as { time?: string; fieldsV1?: Record<string, unknown> }[];
  return mf
    .filter(
      (e) =>
        (
          (e.fieldsV1?.["f:metadata"] as Record<string, unknown> | undefined)?.["f:labels"] as
            | Record<string, unknown>
            | undefined
        )?.[`f:${CHART_LABEL}`] !== undefined,
    )
    .map((e) => Date.parse(e.time ?? ""))
    .filter(Number.isFinite);
}

interface LaterChart {
  object: KubeObject;
  live: string;
  stored: string;
  /** The live label is this earlier revision's: a rollback to it wrote the object. */
  earlier?: number;
}

/**
 * Objects of the latest stored revision whose live chart label is a later version of the same chart than that
 * revision rendered for them, and than any stored revision did: a later upgrade applied them. Charts that set no
 * `helm.sh/chart` label, labels that are not `name-version`, and labels only kubectl wrote say nothing.
 */
function laterCharts(ix: SnapshotIndex, latest: Release): LaterChart[] {
  const name = ix.snapshot.release;
  const out: LaterChart[] = [];
  // Every label each stored revision rendered for each object, the newest revision last.
  const renders = new Map<string, Map<string, Release>>();
  for (const r of ix.releases) {
    if (r === latest) continue;
    for (const e of ix.manifest(r)) {
      const l = (e.object?.metadata?.labels as Record<string, string> | undefined)?.[CHART_LABEL];
      if (!l) continue;
      const m = renders.get(e.key) ?? new Map<string, Release>();
      m.set(l, r);
      renders.set(e.key, m);
    }
  }
  for (const d of ix.manifest(latest)) {
    const o = ix.get(d.kind, d.namespace, d.name);
    const live = o?.metadata?.labels?.[CHART_LABEL];
    if (!o || !live || !ownedBy(o, name, ix.namespace) || o.metadata?.deletionTimestamp) continue;
    const stored =
      (d.object?.metadata?.labels as Record<string, string> | undefined)?.[CHART_LABEL] ?? chartRef(latest);
    const rendered = renders.get(d.key) ?? new Map<string, Release>();
    if (live === stored || labelWrittenWithoutHelm(o) || labelWrittenAt(o).some((t) => justNow(ix, t)))
      continue;
    // An earlier revision's chart on an object of a deployed newest revision: Helm wrote it after that revision
    // — a rollback (whose record is gone). A failed newest revision may simply not have reached the object.
    const earlier = rendered.get(live);
    if (earlier && latest.info.status === "deployed" && earlier.version < latest.version) {
      out.push({ object: o, live, stored, earlier: earlier.version });
      continue;
    }
    if (rendered.has(live) || !laterThan(live, stored)) continue;
    out.push({ object: o, live, stored });
  }
  return out;
}

/** Revisions missing between stored ones that pruning cannot explain (an older non-deployed one survived). */
function holes(releases: Release[], unread: ReadonlySet<number>): number[] {
  const out: number[] = [];
  for (let i = 1; i < releases.length; i++) {
    const prev = releases[i - 1]!;
    const cur = releases[i]!;
    for (let v = prev.version + 1; v < cur.version; v++) {
      // A live read fetches only the revisions the analysis needs: the others are stored, known by their labels.
      if (unread.has(v)) continue;
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
      // `helm upgrade` without --install then fails with "has no deployed releases" (pkg/action/upgrade.go).
      explains: outputKeys(ix, (e) => e.kind === "no-deployed"),
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

/** What a later upgrade left on the cluster although the newest record predates it. */
interface LaterEvidence {
  charts: LaterChart[];
  created: KubeObject[];
}

function laterWrites(ix: SnapshotIndex, latest: Release): LaterEvidence | undefined {
  // A record being written, uninstalled or about to be is another story (release-pending-stuck, uninstall).
  if (!["deployed", "superseded", "failed"].includes(latest.info.status)) return undefined;
  // The record's own creation time is the cluster's; last_deployed (the Helm client's clock) when it is unknown.
  // Helm creates the record before it applies the revision's objects, so they are created after it too — but
  // they are in its manifest.
  const since = Date.parse(recordFor(ix, latest)?.creationTimestamp ?? latest.info.last_deployed ?? "");
  const charts = laterCharts(ix, latest);
  const created = Number.isFinite(since) ? orphans(ix, since) : [];
  return charts.length || created.length ? { charts, created } : undefined;
}

const label = (o: KubeObject) => `${o.kind} ${o.metadata?.name}`;
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const analyzer: Analyzer = {
  run(ix) {
    const latest = ix.latest();
    if (!latest) return allRecordsGone(ix);
    const name = latest.name || ix.snapshot.release;
    const ns = ix.namespace;
    const later = latest.info.status === "superseded" ? undefined : laterWrites(ix, latest);
    const missingTop = latest.info.status === "superseded" || later ? latest.version + 1 : undefined;
    const unread = new Set((ix.snapshot.unread ?? []).map((u) => u.revision));
    const gaps = holes(ix.releases, unread);
    const missing = [...gaps, ...(missingTop ? [missingTop] : [])];
    if (missing.length === 0) return [];
    const extra = later ? later.created : orphans(ix);
    const deployed = ix.lastDeployed();
    const evidence: Evidence[] = [
      {
        source: "release history",
        detail: `stored revisions ${ix.releases.map((r) => `${r.version} ${r.info.status}`).join(", ")}; no record for revision ${missing.join(", ")}`,
      },
    ];
    if (missingTop && !later)
      evidence.push({
        source: `revision ${latest.version}`,
        detail: `the highest stored revision is "superseded": Helm marks a revision superseded only when a newer one is deployed, and pruning never deletes the latest`,
      });
    for (const c of later?.charts.slice(0, 6) ?? [])
      evidence.push({
        source: `${label(c.object)}`,
        detail:
          c.earlier !== undefined
            ? `label ${CHART_LABEL}=${c.live} on the live object, revision ${c.earlier}'s; revision ${latest.version} (${latest.info.status}, the newest record) rendered ${c.stored}: a rollback to revision ${c.earlier} applied it after revision ${latest.version}`
            : `label ${CHART_LABEL}=${c.live} on the live object; revision ${latest.version} (${latest.info.status}, the newest record) rendered ${c.stored}, and no stored revision rendered ${c.live}: a later upgrade applied it`,
      });
    if (!deployed)
      evidence.push({
        source: "release history",
        detail: "no stored revision is deployed",
      });
    if (extra.length)
      evidence.push({
        source: "live cluster",
        detail: `${extra.length} object${extra.length === 1 ? " carries" : "s carry"} release ${name}'s ownership but ${extra.length === 1 ? "is" : "are"} in no stored manifest${later ? `, created after revision ${latest.version}'s record` : ""} — what the missing revision deployed: ${extra
          .slice(0, 6)
          .map(
            (o) =>
              `${o.kind} ${o.metadata?.name}${later ? ` (created ${o.metadata?.creationTimestamp})` : ""}`,
          )
          .join(", ")}${extra.length > 6 ? ", …" : ""}`,
      });
    const rec = recordResource(ix, latest);
    const recName = (v: number) => rec.name.replace(/\.v\d+$/, `.v${v}`);
    const first = later?.charts[0];
    const runs = later?.charts[0]?.live;
    const runsVersion = runs ? /-v?(\d+\.\d+\.\d+\S*)$/.exec(runs)?.[1]?.replace(/_/g, "+") : undefined;
    const leftBehind = extra.length
      ? `objects only the lost revision created (${extra
          .slice(0, 4)
          .map(label)
          .join(
            ", ",
          )}${extra.length > 4 ? ", …" : ""}) are in no manifest Helm compares with, so no upgrade or rollback deletes them — delete them after checking nothing uses them`
      : "check that the cluster matches what you deploy";
    const remediations: Remediation[] = [
      {
        action: "manual",
        summary: `Restore the record from a backup if there is one (Velero, or a saved \`kubectl get ${rec.kind.toLowerCase()} ${recName(missing[missing.length - 1]!)} -n ${ns} -o yaml\`): \`kubectl apply\` it back unchanged, and \`helm history ${name} -n ${ns}\` is whole again.`,
      },
      {
        action: "manual",
        summary:
          first?.earlier !== undefined
            ? `Without a backup, roll back again to write a new record of what runs: \`helm rollback ${name} ${first.earlier} -n ${ns}\` writes revision ${missingTop} with revision ${first.earlier}'s chart and values; ${leftBehind}.`
            : later
              ? `Without a backup, upgrade again to write a new record: \`helm upgrade ${name} <chart> -n ${ns}${runsVersion ? ` --version ${runsVersion}` : ""}\` with the values it runs now. Helm works from revision ${deployed?.version ?? latest.version}, ${deployed ? "the last deployed one" : "the newest record"}, and writes revision ${missingTop} again; ${leftBehind}.`
              : missingTop
                ? `Without a backup, the next \`helm upgrade\` works from revision ${latest.version} (Helm takes a superseded latest as its base) and writes revision ${missingTop} again; ${extra.length ? "objects only the lost revision had stay behind — delete them after checking nothing uses them" : "check that the cluster matches what you deploy"}.`
                : `Without a backup, nothing blocks Helm: the hole only makes \`helm history\` and rollbacks to revision ${missing.join(", ")} impossible.`,
      },
    ];
    const laterTitle = first
      ? first.earlier !== undefined
        ? `${label(first.object)} carries revision ${first.earlier}'s chart ${first.live}, not revision ${latest.version}'s ${first.stored}: a rollback whose record is gone`
        : `${label(first.object)} carries chart ${first.live}, later than revision ${latest.version}'s ${first.stored}`
      : later
        ? `${plural(later.created.length, "object")} with its ownership ${later.created.length === 1 ? "was" : "were"} created after revision ${latest.version} and ${later.created.length === 1 ? "is" : "are"} in no stored revision`
        : "";
    const finding: Finding = {
      code: "release-record-missing",
      severity: "warning",
      role: "root",
      title: `Revision ${missing.join(", ")} of ${name} has no record: ${
        later
          ? laterTitle
          : missingTop
            ? `revision ${latest.version} is superseded by a revision that is gone`
            : "it was deleted from the middle of the history"
      }`,
      explanation:
        `Helm writes one record per revision and deletes records only when it prunes history (--history-max), oldest first, never the latest deployed one. ` +
        (later
          ? `Revision ${latest.version}, the newest record left, says "${latest.info.status}", yet the cluster holds what a later ${first?.earlier !== undefined ? "rollback" : "upgrade"} applied: ` +
            (first?.earlier !== undefined
              ? `Helm applies every object of a revision with the labels its chart renders, and ${label(first.object)} carries ${CHART_LABEL}=${first.live}, which revision ${first.earlier} rendered, while revision ${latest.version} (deployed) rendered ${first.stored}: only an operation after revision ${latest.version} — a rollback to revision ${first.earlier} — writes it back${later.created.length ? "; " : ". "}`
              : later.charts.length
                ? `Helm applies every object of a revision with the labels its chart renders, and ${plural(later.charts.length, "object")} of this release carr${later.charts.length === 1 ? "ies" : "y"} ${CHART_LABEL}=${first!.live}, a chart version no stored revision rendered (revision ${latest.version} rendered ${first!.stored})${later.created.length ? "; " : ". "}`
                : "") +
            (later.created.length
              ? `${plural(later.created.length, "object")} that carr${later.created.length === 1 ? "ies" : "y"} ${name}'s ownership (Helm writes it on every object it applies) ${later.created.length === 1 ? "was" : "were"} created after revision ${latest.version}'s record and ${later.created.length === 1 ? "is" : "are"} in no stored revision. `
              : "") +
            (latest.info.status === "deployed"
              ? `So Helm stored at least one more revision, ${missingTop}, and applied it. Revision ${latest.version} still says deployed because Helm marks the previous revision superseded only at the very end of a successful ${first?.earlier !== undefined ? "rollback (pkg/action/rollback.go)" : "upgrade (pkg/action/upgrade.go)"}: revision ${missingTop} failed or was interrupted, and its record was deleted — most often the runbook fix for "another operation is in progress" (delete the pending record) after it had already applied its objects — or it succeeded and its record was deleted and revision ${latest.version}'s set back by hand. `
              : `So Helm stored at least one more revision, ${missingTop}, after revision ${latest.version}, and applied it; that record was deleted by hand, by a cleanup script, or lost in a restore. `) +
            `\`helm history\` shows revision ${latest.version} as ${latest.info.status} while the cluster runs something else, and Helm's next upgrade or rollback computes its changes against revision ${deployed?.version ?? latest.version}'s manifest.`
          : (missingTop
              ? `Revision ${latest.version}, the newest record left, says "superseded" — so Helm wrote and deployed revision ${missingTop} after it, and that record was deleted by hand or lost in a restore. `
              : `Revision${gaps.length > 1 ? "s" : ""} ${gaps.join(", ")} ${gaps.length > 1 ? "are" : "is"} missing while older revisions remain, which pruning cannot do. `) +
            `\`helm history\` no longer shows what is deployed${deployed ? "" : ", and no stored revision is deployed"}.` +
            (extra.length
              ? ` The cluster still runs what the missing revision deployed: ${extra.length} object${extra.length === 1 ? "" : "s"} owned by ${name} that no stored manifest has.`
              : "")),
      resources: [
        rec,
        ...(later?.charts ?? []).slice(0, 6).map((c) => ({
          kind: c.object.kind ?? "",
          name: c.object.metadata?.name ?? "",
          namespace: c.object.metadata?.namespace ?? ns,
        })),
      ],
      revisions: missing,
      evidence,
      remediations,
      explains: extra.map((o) => kindKey(o.kind ?? "", o.metadata?.namespace ?? ns, o.metadata?.name ?? "")),
    };
    return [finding];
  },
};

export default analyzer;
