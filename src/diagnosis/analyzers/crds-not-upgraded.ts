// Helm applies a chart's crds/ directory on first install only: upgrades never create, update or delete those
// CustomResourceDefinitions (pkg/action/install.go installCRDs; upgrade.go has no such step). A chart version
// whose operator needs a new CRD version or field then meets the old CRD: the operator crash-loops with
// `no matches for kind "X" in version "g/v2"`, or the API server rejects the chart's own custom resources. The
// stored chart keeps its crds/ files, so the revision says what the CRD should be.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import { parseYamlObject } from "../../helm/manifest.js";
import type { Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyHelmError } from "../helm-errors.js";
import { failureKeys, outputKeys, readGap } from "../history.js";
import { namesKind, podsSaying } from "../signals.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { podKey, workloadsOf } from "../workloads.js";

interface ChartCrd {
  file: string;
  name: string;
  kind: string;
  group: string;
  plural?: string;
  versions: string[];
}

/** The CRDs a revision's stored chart ships in crds/ (chart.files, base64). */
function chartCrds(rel: Release): ChartCrd[] {
  const out: ChartCrd[] = [];
  for (const f of rel.chart?.files ?? []) {
    if (!/(^|\/)crds\/[^/]+\.ya?ml$/.test(f.name) || typeof f.data !== "string") continue;
    const text = Buffer.from(f.data, "base64").toString("utf8");
    for (const doc of text.split(/^---.*$/m)) {
      const { object } = parseYamlObject(doc);
      // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
      const spec = object?.spec as any;
      if (object?.kind !== "CustomResourceDefinition" || !object.metadata?.name || !spec?.names?.kind)
        continue;
      out.push({
        file: f.name,
        name: object.metadata.name,
        kind: spec.names.kind,
        group: spec.group ?? "",
        ...(spec.names.plural ? { plural: spec.names.plural } : {}),
        versions: (spec.versions ?? []).map((v: { name: string }) => v.name).filter(Boolean),
      });
    }
  }
  return out;
}

function analyzeCrd(ix: SnapshotIndex, rel: Release, crd: ChartCrd): Finding | undefined {
  const live = ix.get("CustomResourceDefinition", "", crd.name);
  const gap = readGap(ix, "customresourcedefinition");
  const liveVersions: string[] | undefined = live
    ? // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
      ((live.spec as any)?.versions ?? []).map((v: { name: string }) => v.name)
    : undefined;
  const missingVersions = liveVersions ? crd.versions.filter((v) => !liveVersions.includes(v)) : [];
  const workloads = workloadsOf(ix, rel);
  const crashing = podsSaying(ix, workloads, (s) => namesKind(s, crd.kind, crd.group, crd.plural));
  const errorKeys = [
    ...(classifyHelmError(rel.info.description).some(
      (e) => e.kind === "kind-missing" && e.missingKind?.kind === crd.kind,
    )
      ? failureKeys(ix, rel)
      : []),
    ...outputKeys(ix, (e) => e.kind === "kind-missing" && e.missingKind?.kind === crd.kind),
  ];
  // Evidence the cluster lacks what the chart ships: the live CRD visibly lacks a version, or (when it does not
  // exist or cannot be read) pods or Helm say the kind is not served.
  const told = crashing.length > 0 || errorKeys.length > 0;
  if (live ? missingVersions.length === 0 : !told) return undefined;
  const chartName = rel.chart?.metadata?.name ?? "<chart>";
  const chartVersion = rel.chart?.metadata?.version ?? "";
  const ref: ResourceRef = { kind: "CustomResourceDefinition", name: crd.name };
  const evidence: Evidence[] = [
    {
      source: `revision ${rel.version} chart`,
      detail: `${crd.file} defines ${crd.name} (kind ${crd.kind}, group ${crd.group}) with versions ${crd.versions.join(", ")}`,
    },
    {
      source: "live cluster",
      detail: live
        ? `CustomResourceDefinition ${crd.name} serves ${liveVersions!.join(", ") || "no version"}${missingVersions.length ? `: ${missingVersions.join(", ")} missing` : ""}`
        : gap
          ? `CustomResourceDefinition ${crd.name} could not be read (${gap.reason}${gap.detail ? `: ${gap.detail}` : ""})`
          : `CustomResourceDefinition ${crd.name} does not exist`,
    },
  ];
  if (crashing.length)
    evidence.push({
      source: `pod ${crashing[0]!.pod.metadata?.name}`,
      detail: `${crashing.length} pod${crashing.length === 1 ? "" : "s"} of ${[...new Set(crashing.map((m) => `${m.workload.kind} ${m.workload.name}`))].join(", ")} fail${crashing.length === 1 ? "s" : ""}: "${crashing[0]!.signal.text}"`,
    });
  const what = live
    ? missingVersions.length
      ? `serves ${liveVersions!.join(", ")} but not ${missingVersions.join(", ")}`
      : "is older than the chart's"
    : "was never created";
  const explanation =
    `Revision ${rel.version}'s chart (${chartName} ${chartVersion}) ships ${crd.name} in its crds/ directory with versions ${crd.versions.join(", ")}, but the CRD in the cluster ${what}. ` +
    "Helm installs crds/ on a release's first install only — never on upgrade, and never again after a --skip-crds install — so an upgraded operator meets the CRD of an older chart. " +
    (crashing.length
      ? `That is why ${[...new Set(crashing.map((m) => `${m.workload.kind} ${m.workload.name}`))].join(" and ")} fail${crashing.length === 1 ? "s" : ""}: "${crashing[0]!.signal.text}". A rollback of the operator only hides it; the next upgrade meets the same CRD.`
      : "The chart's custom resources or its operator need the newer CRD.");
  const remediations: Remediation[] = [
    {
      action: "manual",
      summary: `Apply the chart's CRDs, then restart what needs them: \`helm show crds <repo>/${chartName} --version ${chartVersion || "<version>"} | kubectl apply --server-side -f -\` (or \`kubectl apply --server-side -f ${chartName}/crds/\` from the unpacked chart)${crashing.length ? `, then \`kubectl rollout restart ${crashing[0]!.workload.kind.toLowerCase()}/${crashing[0]!.workload.name} -n ${crashing[0]!.workload.namespace}\`` : ""}.`,
      resources: [ref],
    },
    {
      action: "chart-fix",
      summary: `Make CRD upgrades part of the deployment: ship ${crd.name} from a separate CRD chart (templates/, so upgrades update it), or apply crds/ before every \`helm upgrade\` in the pipeline.`,
    },
  ];
  const explains = [
    kindKey("CustomResourceDefinition", "", crd.name),
    ...errorKeys,
    ...crashing.flatMap((m) => [
      kindKey(m.workload.kind, m.workload.namespace, m.workload.name),
      podKey(m.pod, m.workload.namespace),
    ]),
  ];
  return {
    code: "crds-not-upgraded",
    severity: told ? "critical" : "warning",
    role: "root",
    title: `CustomResourceDefinition ${crd.name} ${what}: Helm does not upgrade a chart's crds/ (${crd.file} of ${chartName} ${chartVersion})`,
    explanation,
    resources: [ref],
    revisions: [rel.version],
    evidence,
    remediations,
    explains,
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    if (!rel) return [];
    return chartCrds(rel)
      .map((c) => analyzeCrd(ix, rel, c))
      .filter((f): f is Finding => !!f);
  },
};

export default analyzer;
