// A record Helm cannot decode (Helm 3 panics on Get, List skips it silently), or whose labels disagree
// with its payload: Helm's label queries (history, deployed) then see a different release than Get does.
import { parseRecordName, recordName } from "../../helm/codec.js";
import type { ReleaseRecord } from "../../helm/types.js";
import type { Analyzer } from "../analyzer.js";
import { outputKeys } from "../history.js";
import type { Evidence, Finding } from "../types.js";

function mismatches(rec: ReleaseRecord): Evidence[] {
  const r = rec.release!;
  const out: Evidence[] = [];
  const l = rec.labels;
  const fromName = parseRecordName(rec.objectName);
  const src = `record ${rec.objectName}`;
  if (l.name !== undefined && l.name !== r.name)
    out.push({ source: src, detail: `label name=${l.name} but the payload is release "${r.name}"` });
  if (l.name === undefined)
    out.push({
      source: src,
      detail: "has no name label: Helm's history query (name=<release>,owner=helm) cannot find it",
    });
  if (l.version !== undefined && l.version !== String(r.version))
    out.push({ source: src, detail: `label version=${l.version} but the payload is revision ${r.version}` });
  if (l.version === undefined)
    out.push({ source: src, detail: `has no version label (payload revision ${r.version})` });
  if (l.status !== undefined && l.status !== r.info.status)
    out.push({
      source: src,
      detail: `label status=${l.status} but the payload status is ${r.info.status}: "helm list" and upgrades select by the label`,
    });
  if (fromName && fromName.revision !== r.version)
    out.push({
      source: src,
      detail: `object name says revision ${fromName.revision} but the payload is revision ${r.version}`,
    });
  if (r.namespace && rec.objectNamespace && r.namespace !== rec.objectNamespace)
    out.push({
      source: src,
      detail: `stored in namespace ${rec.objectNamespace} but the payload names namespace "${r.namespace}": Helm takes the release's namespace from the payload (an upgrade from it renders and applies into "${r.namespace}")`,
    });
  if (fromName && fromName.release !== r.name)
    out.push({
      source: src,
      detail: `object name says release "${fromName.release}" but the payload is release "${r.name}"`,
    });
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    const out: Finding[] = [];
    const records = ix.snapshot.records;
    const revOf = (r: ReleaseRecord) =>
      r.release?.version ?? parseRecordName(r.objectName)?.revision ?? Number(r.labels.version ?? 0);
    const highest = Math.max(0, ...records.map(revOf));
    for (const rec of records) {
      const rev = revOf(rec);
      const res = [
        {
          kind: rec.driver === "secret" ? "Secret" : "ConfigMap",
          name: rec.objectName,
          namespace: rec.objectNamespace,
        },
      ];
      if (rec.error) {
        const isLatest = rev >= highest;
        out.push({
          code: "release-record-corrupt",
          severity: isLatest ? "critical" : "warning",
          role: "root",
          title: `Release record ${rec.objectName} cannot be decoded: ${rec.error}`,
          explanation:
            `Helm stores each revision as base64(gzip(JSON)) in ${res[0]!.kind} ${rec.objectName}. This one fails to decode (${rec.error}). ` +
            "`helm list` and `helm history` silently skip such a record; Helm 3's `helm status`/`get`, which read it by name, crash on it. " +
            (isLatest
              ? "It is the newest revision, so every Helm operation on this release sees a wrong latest state."
              : "It is an older revision, so only history and rollbacks to it are affected."),
          resources: res,
          revisions: rev ? [rev] : [],
          evidence: [
            {
              source: `record ${rec.objectName}`,
              detail: `${rec.error}; labels ${JSON.stringify(rec.labels)}; ${rec.encodedSize} bytes`,
            },
          ],
          remediations: [
            {
              action: "manual",
              summary: isLatest
                ? `Back up ${rec.objectName} (kubectl get ${res[0]!.kind.toLowerCase()} ${rec.objectName} -o yaml), then delete it so the previous revision becomes the latest; roll back or upgrade from there.`
                : `Back up and delete ${rec.objectName}: it is history only, and Helm cannot use it anyway.`,
            },
          ],
          // Helm's history skips the undecodable newest record, so the next upgrade computes its revision number
          // again and the storage driver's Create finds the name taken: "release: already exists"
          // (pkg/storage/driver/driver.go ErrReleaseExists).
          ...(isLatest ? { explains: outputKeys(ix, (e) => /release: already exists/.test(e.text)) } : {}),
        });
        continue;
      }
      const ev = mismatches(rec);
      if (ev.length === 0) continue;
      out.push({
        code: "release-record-corrupt",
        severity: "warning",
        role: "root",
        title: `Release record ${rec.objectName}: labels disagree with the stored release`,
        explanation:
          "Helm finds revisions by label (name, owner, status, version) but trusts the payload once it reads one. " +
          "When they disagree — usually after a record was edited or copied by hand — `helm history`, `helm list` and upgrades see a different state than `helm get`; rollbacks and upgrades may pick the wrong base revision.",
        resources: res,
        revisions: [rec.release!.version],
        evidence: ev,
        remediations: [
          {
            action: "manual",
            summary: `Make the labels match the payload (name=${rec.release!.name}, version=${rec.release!.version}, status=${rec.release!.info.status}) or remove the hand-made record.`,
          },
        ],
      });
    }
    out.push(...duplicates(records));
    return out;
  },
};

export default analyzer;

/**
 * Two records for one revision: Helm's Get reads the one named sh.helm.release.v1.<name>.v<N>, but its label
 * queries (history, list, the deployed revision an upgrade starts from) return both.
 */
function duplicates(records: ReleaseRecord[]): Finding[] {
  const byRev = new Map<string, ReleaseRecord[]>();
  for (const rec of records) {
    if (!rec.release) continue;
    const k = `${rec.release.name}\u0000${rec.release.version}`;
    byRev.set(k, [...(byRev.get(k) ?? []), rec]);
  }
  const out: Finding[] = [];
  for (const recs of byRev.values()) {
    if (recs.length < 2) continue;
    const { name, version } = recs[0]!.release!;
    const canonical = recordName(name, version);
    const kindOf = (r: ReleaseRecord) => (r.driver === "secret" ? "Secret" : "ConfigMap");
    out.push({
      code: "release-record-corrupt",
      severity: "warning",
      role: "root",
      title: `${recs.length} records for revision ${version} of ${name}: ${recs.map((r) => r.objectName).join(", ")}`,
      explanation:
        `Helm keeps one record per revision, named ${canonical}. These ${recs.length} records all hold revision ${version}, so \`helm history\` lists it more than once, ` +
        "and the label queries Helm uses to find the deployed revision (the base of an upgrade or rollback) may pick a copy that is not the record `helm get` reads. Usually a record was copied by hand or a backup restored beside the original.",
      resources: recs.map((r) => ({ kind: kindOf(r), name: r.objectName, namespace: r.objectNamespace })),
      revisions: [version],
      evidence: recs.map((r) => ({
        source: `record ${r.objectName}`,
        detail: `${kindOf(r)} in ${r.objectNamespace || "?"}, payload revision ${r.release!.version} (${r.release!.info.status}), labels ${JSON.stringify(r.labels)}${r.creationTimestamp ? `, created ${r.creationTimestamp}` : ""}`,
      })),
      remediations: [
        {
          action: "manual",
          summary: recs.some((r) => r.objectName === canonical)
            ? `Keep ${canonical} (the record Helm reads by name); back up and delete ${recs
                .filter((r) => r.objectName !== canonical)
                .map((r) => r.objectName)
                .join(", ")}.`
            : `None of them is named ${canonical}: keep the right one under that name, back up and delete the others.`,
        },
      ],
    });
  }
  return out;
}
