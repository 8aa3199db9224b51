// `helm upgrade` needs a base revision. prepareUpgrade (pkg/action/upgrade.go) takes the latest record if
// it is deployed, else the newest deployed one, else the latest if it is failed or superseded; otherwise it
// fails with `"<name>" has no deployed releases`. A pending latest record fails earlier with "another
// operation is in progress" (release-pending-stuck), so that case is not ours.
import { isPending, type Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { failureKeys, outputKeys, recordFor, recordKey, recordResource } from "../history.js";
import type { Evidence, Remediation } from "../types.js";
import { ago } from "../workloads.js";

/** Helm's Deployed(): by the status label (what the query selects) or, for hand-made records, the payload. */
function anyDeployed(ix: SnapshotIndex): Release | undefined {
  for (let i = ix.releases.length - 1; i >= 0; i--) {
    const r = ix.releases[i]!;
    if (r.info.status === "deployed" || recordFor(ix, r)?.labels.status === "deployed") return r;
  }
  return undefined;
}

/** Manifest objects of `rel` that still exist live. */
function liveLeftovers(ix: SnapshotIndex, rel: Release): string[] {
  return ix
    .manifest(rel)
    .filter((d) => d.kind && ix.get(d.kind, d.namespace, d.name))
    .map((d) => `${d.kind} ${d.name}`);
}

const analyzer: Analyzer = {
  run(ix) {
    const last = ix.latest();
    if (!last) return [];
    const st = last.info.status;
    if (isPending(st) || st === "deployed" || st === "failed" || st === "superseded") return [];
    if (anyDeployed(ix)) return [];
    const n = last.version;
    const name = last.name || ix.snapshot.release;
    const ns = last.namespace || ix.namespace;
    const rec = recordResource(ix, last);
    const deleted = last.info.deleted ? ` (uninstalled at ${last.info.deleted})` : "";
    const evidence: Evidence[] = [
      {
        source: `revision ${n} record`,
        detail: `${rec.kind} ${rec.name}: status ${st || "(empty)"}, description "${last.info.description ?? ""}"${deleted}`,
      },
      {
        source: "history",
        detail: `${ix.releases.length} revision(s): ${ix.releases.map((r) => `${r.version} ${r.info.status}`).join(", ")}; none deployed, and the latest is neither failed nor superseded`,
      },
    ];
    const left = liveLeftovers(ix, last);
    if (st === "uninstalled" || st === "uninstalling") {
      evidence.push({
        source: "live cluster",
        detail: left.length
          ? `${left.length} of revision ${n}'s manifest objects still exist${left.length === 1 ? "s" : ""}: ${left.slice(0, 8).join(", ")}${left.length > 8 ? ", …" : ""}`
          : `none of revision ${n}'s manifest objects exist`,
      });
    }
    const rule =
      "Helm's upgrade needs a base revision: the latest one if it is deployed, else the newest deployed one, else the latest if it is failed or superseded.";
    const remediations: Remediation[] = [];
    if (st === "uninstalled") {
      const age = ix.ageMs(last.info.deleted || last.info.last_deployed);
      remediations.push(
        {
          action: "manual",
          summary: `To deploy it again, use \`helm upgrade --install ${name} <chart> -n ${ns}\`: with an uninstalled latest revision it installs afresh, writing revision ${n + 1}.`,
        },
        {
          action: "rollback",
          revision: n,
          summary: `Or bring back exactly what was uninstalled: roll back to revision ${n} (writes revision ${n + 1} from revision ${n}'s chart, values and manifest).`,
          resources: [rec],
        },
        {
          action: "manual",
          summary: `If ${name} should stay gone, remove the kept history: \`helm uninstall ${name} -n ${ns}\` (without --keep-history) deletes its records.`,
        },
      );
      return [
        {
          code: "no-deployed-release",
          severity: "warning",
          role: "root",
          explains: [...failureKeys(ix, last), ...outputKeys(ix, (e) => e.kind === "no-deployed")],
          title: `${name} was uninstalled with --keep-history (revision ${n}): \`helm upgrade\` fails with "has no deployed releases"`,
          explanation:
            `Revision ${n} was uninstalled${Number.isFinite(age) ? ` ${ago(age)}` : ""} with its history kept, so its record says uninstalled and no revision is deployed. ${rule} ` +
            `None qualifies, so \`helm upgrade ${name}\` without --install fails with \`"${name}" has no deployed releases\`, and \`helm install ${name}\` refuses the name unless --replace is given. ` +
            "`helm upgrade --install` (what most CI pipelines run) treats an uninstalled latest revision as absent and installs again.",
          resources: [rec],
          revisions: [n],
          evidence,
          remediations,
        },
      ];
    }
    if (st === "uninstalling") {
      // The stuck uninstall is the cause (release-uninstall-stuck); this is its consequence for upgrades.
      return [
        {
          code: "no-deployed-release",
          severity: "critical",
          role: "symptom",
          about: [recordKey(ix, last)],
          title: `Upgrades of ${name} fail with "has no deployed releases": revision ${n} is stuck uninstalling`,
          explanation:
            `Revision ${n} is "uninstalling": an uninstall started and never finished. ${rule} None qualifies, so \`helm upgrade\` fails with ` +
            `\`"${name}" has no deployed releases\` — and so does \`helm upgrade --install\`, which installs afresh only when the latest revision is uninstalled, not uninstalling.`,
          resources: [rec],
          revisions: [n],
          // Folded into release-uninstall-stuck: only what that finding does not already say.
          evidence: [
            {
              source: "helm upgrade",
              detail: `fails with "${name}" has no deployed releases: no revision is deployed, and the latest (${n}, uninstalling) is neither failed nor superseded; \`helm upgrade --install\` does not reinstall over an uninstalling revision either`,
            },
          ],
          remediations: [
            {
              action: "manual",
              summary: `Finish the uninstall (\`helm uninstall ${name} -n ${ns}\` once its pre-delete hook can succeed) and install again, or roll back to revision ${n} to keep the release.`,
            },
          ],
        },
      ];
    }
    return [
      {
        code: "no-deployed-release",
        severity: "critical",
        role: "root",
        explains: [...failureKeys(ix, last), ...outputKeys(ix, (e) => e.kind === "no-deployed")],
        title: `Revision ${n} has status "${st || "(empty)"}" and none is deployed: \`helm upgrade\` fails with "has no deployed releases"`,
        explanation:
          `The latest revision ${n} has status "${st || "(empty)"}", which Helm never writes at the end of an operation (it is what a hand-edited or half-written record looks like). ${rule} ` +
          `None qualifies, so every \`helm upgrade ${name}\` fails with \`"${name}" has no deployed releases\`.`,
        resources: [rec],
        revisions: [n],
        evidence,
        remediations: [
          {
            action: "rollback",
            revision: n,
            summary: `Roll back to revision ${n} to write a proper deployed revision ${n + 1} from its manifest (rollback accepts any status).`,
            resources: [rec],
          },
          {
            action: "manual",
            summary: `Or back up and delete the record ${rec.name} so the previous revision becomes the latest, then upgrade.`,
          },
        ],
      },
    ];
  },
};

export default analyzer;
