// Helm applies a chart's crds/ directory on first install only: upgrades never create, update or delete those
// CustomResourceDefinitions (pkg/action/install.go installCRDs; upgrade.go has no such step). A chart version
// whose operator needs a new CRD version or field then meets the old CRD: the operator crash-loops with
// `no matches for kind "X" in version "g/v2"`, or the API server rejects the chart's own custom resources. The
// stored chart keeps its crds/ files, so the revision says what the CRD should be.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import { chartCrdDocuments, parseYamlObject } from "../../helm/manifest.js";
import type { Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyHelmError } from "../helm-errors.js";
import { failureKeys, outputFailure, outputKeys, readGap } from "../history.js";
import { classifyPod } from "../pods.js";
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
  for (const { file, name, object } of chartCrdDocuments(rel)) {
    // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
    const spec = object.spec as any;
    if (!spec?.names?.kind) continue;
    out.push({
      file,
      name,
      kind: spec.names.kind,
      group: spec.group ?? "",
      ...(spec.names.plural ? { plural: spec.names.plural } : {}),
      versions: (spec.versions ?? []).map((v: { name: string }) => v.name).filter(Boolean),
    });
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

// A field of a custom resource the API server does not know: Helm 4's server-side apply (`failed to create typed
// patch object (…; g/v, Kind=K): .spec.x: field not declared in schema`), Helm 3's client-side validation
// (`ValidationError(K.spec): unknown field "x"`), or the API server's strict field validation
// (`K.g "name" is invalid: … unknown field "spec.x"`).
const FIELD_ERRORS: { re: RegExp; at: (m: RegExpExecArray) => { kind: string; path: string } }[] = [
  {
    re: /Kind=(\w+)\)?:\s*\.?([\w.[\]]+): field not declared in schema/g,
    at: (m) => ({ kind: m[1]!, path: m[2]! }),
  },
  {
    re: /ValidationError\((\w+)((?:\.[\w[\]]+)*)\): unknown field "([^"]+)"/g,
    at: (m) => ({ kind: m[1]!, path: `${m[2]!.slice(1)}${m[2] ? "." : ""}${m[3]}` }),
  },
  {
    re: /\b([A-Z]\w+)(?:\.[\w.-]+)? "[^"]+" is invalid:[^\n]*?unknown field "([\w.[\]]+)"/g,
    at: (m) => ({ kind: m[1]!, path: m[2]! }),
  },
];

function fieldErrors(text: string | undefined): { kind: string; path: string }[] {
  if (!text) return [];
  const out: { kind: string; path: string }[] = [];
  for (const { re, at } of FIELD_ERRORS) for (const m of text.matchAll(re)) out.push(at(m));
  return out;
}

/**
 * Does an openAPIV3Schema list `path` (spec.shards, spec.items[0].name)? Only properties (and maps) count: the API
 * server's own error says the field was refused, so a node that claims to preserve unknown fields proves nothing.
 */
// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
function declares(schema: any, path: string): boolean {
  let node = schema;
  for (const seg of path
    .replace(/\[\d*\]/g, ".[]")
    .split(".")
    .filter(Boolean)) {
    if (!node || typeof node !== "object") return false;
    if (seg === "[]") {
      node = node.items;
      continue;
    }
    const next = node.properties?.[seg];
    if (next === undefined) {
      if (node.additionalProperties === true || typeof node.additionalProperties === "object") return true;
      return false;
    }
    node = next;
  }
  return !!node;
}

/** The live CRDs of the snapshot that serve `kind`, with the schema of each served version. */
function liveCrdsOf(ix: SnapshotIndex, kind: string) {
  return ix.objectsOfKind("CustomResourceDefinition").filter(
    // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
    (o) => (o.spec as any)?.names?.kind === kind,
  );
}

/**
 * A revision or the failed command's output says a custom resource sets a field its live CRD does not declare:
 * the chart that renders it expects a newer CRD than the one Helm installed with an older chart.
 */
function fieldFindings(ix: SnapshotIndex, rel: Release, done: Set<string>): Finding[] {
  const out: Finding[] = [];
  const failedDesc = rel.info.status === "failed" ? rel.info.description : undefined;
  const outFail = outputFailure(ix);
  const sources: { text: string | undefined; keys: () => string[] }[] = [
    { text: failedDesc, keys: () => failureKeys(ix, rel) },
    {
      text: outFail && !outFail.recorded ? outFail.text : undefined,
      keys: () => outputKeys(ix, () => true),
    },
  ];
  for (const src of sources) {
    for (const { kind, path } of fieldErrors(src.text)) {
      // The live CRDs of the kind; when CRDs could not be read (a live diagnosis), the stored chart's CRD of that
      // kind — the API server's refusal is then the only word on what the cluster's declares.
      const gap = readGap(ix, "customresourcedefinition");
      const lives = liveCrdsOf(ix, kind);
      const unreadName =
        lives.length === 0 && gap ? chartCrds(rel).find((c) => c.kind === kind)?.name : undefined;
      const candidates: { name: string; live?: (typeof lives)[number] }[] = lives.length
        ? lives.map((l) => ({ name: l.metadata?.name ?? "", live: l }))
        : unreadName
          ? [{ name: unreadName }]
          : [];
      for (const { name, live } of candidates) {
        if (done.has(name)) continue;
        const served: { name: string; schema?: { openAPIV3Schema?: unknown } }[] = live
          ? // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
            ((live.spec as any)?.versions ?? []).filter((v: any) => v.served !== false)
          : [];
        if (live && (served.length === 0 || served.some((v) => declares(v.schema?.openAPIV3Schema, path))))
          continue;
        done.add(name);
        const shipped = chartCrds(rel).find((c) => c.name === name);
        const chartName = rel.chart?.metadata?.name ?? "<chart>";
        const chartVersion = rel.chart?.metadata?.version ?? "";
        // The stored chart is the one that failed (a failed revision), or the last one stored (the output's new
        // chart was never stored): its crds/ file is the source only when it declares the field.
        const fileDeclares = shipped
          ? (() => {
              const f = (rel.chart?.files ?? []).find((x) => x.name === shipped.file);
              const { object } = parseYamlObject(
                Buffer.from(String(f?.data ?? ""), "base64").toString("utf8"),
              );
              // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
              return ((object?.spec as any)?.versions ?? []).some((v: any) =>
                declares(v.schema?.openAPIV3Schema, path),
              );
            })()
          : false;
        const fromRevision = src.text === failedDesc;
        // The failing chart is stored and ships this CRD without the field: the template misspells it, or sets a
        // field no version has — not a CRD Helm left behind.
        if (fromRevision && shipped && !fileDeclares) continue;
        const ref: ResourceRef = { kind: "CustomResourceDefinition", name };
        const from = fromRevision ? `revision ${rel.version}` : "the failed command's output";
        const where = fileDeclares ? ` (${shipped!.file} of ${chartName} ${chartVersion} declares it)` : "";
        const versions = live ? served.map((v) => v.name).join(", ") : "not read";
        const stored = fromRevision
          ? "its CRDs come from elsewhere (a subchart or a separate install)"
          : "the upgrade failed before it stored a revision";
        out.push({
          code: "crds-not-upgraded",
          severity: "critical",
          role: "root",
          title: fileDeclares
            ? `CustomResourceDefinition ${name} does not declare ${path}, which the chart's ${kind} sets: Helm does not upgrade a chart's crds/${where}`
            : `The chart's ${kind} sets ${path}, which CustomResourceDefinition ${name} does not declare: a newer CRD the upgrade did not apply, or a misspelt field`,
          explanation:
            (live
              ? `The API server rejected the chart's ${kind} because its CustomResourceDefinition ${name} has no field ${path} in any served version (${versions}). `
              : `The API server rejected the chart's ${kind} for its field ${path}: its CustomResourceDefinition ${name} (not read here) does not declare it. `) +
            (fileDeclares
              ? `The chart's templates were written for a newer CRD: Helm installs a chart's crds/ directory on a release's first install only — never on upgrade (pkg/action/install.go installCRDs; upgrade.go has no such step) — so the cluster still has the CRD of the chart that was installed first, while ${shipped!.file} of ${chartName} ${chartVersion} declares ${path}. Nothing else is wrong with the values or the template: apply the new CRDs and the same upgrade passes.`
              : `Most often the new chart version's CRD adds that field: Helm installs a chart's crds/ directory on a release's first install only — never on upgrade (pkg/action/install.go installCRDs; upgrade.go has no such step) — so the cluster keeps the CRD of the chart installed first. The new chart's CRD is not stored (${stored}): check that it declares ${path} (\`helm show crds\`); if it does not, the template misspells the field.`),
          resources: [ref],
          revisions: [rel.version],
          evidence: [
            { source: from, detail: (src.text ?? "").split("\n")[0]!.slice(0, 400) },
            {
              source: "live cluster",
              detail: live
                ? `CustomResourceDefinition ${name} (kind ${kind}) serves ${versions}; none of their schemas lists ${path}`
                : `CustomResourceDefinition ${name} could not be read (${gap!.reason}${gap!.detail ? `: ${gap!.detail}` : ""}); the API server's refusal says it does not declare ${path}`,
            },
            ...(fileDeclares
              ? [
                  {
                    source: `revision ${rel.version} chart`,
                    detail: `${shipped!.file} declares ${path} for kind ${kind}`,
                  },
                ]
              : []),
          ],
          remediations: [
            {
              action: "manual",
              summary: `Apply the new chart's CRDs, then run the upgrade again: \`helm show crds <repo>/${chartName} --version ${fileDeclares ? chartVersion : "<the new version>"} | kubectl apply --server-side -f -\` (or \`kubectl apply --server-side -f <chart>/crds/\` from the unpacked chart).`,
              resources: [ref],
            },
            {
              action: "chart-fix",
              summary: `Make CRD upgrades part of the deployment: ship ${name} from a separate CRD chart (templates/, so upgrades update it), or apply crds/ before every \`helm upgrade\` in the pipeline.`,
            },
          ],
          explains: [kindKey("CustomResourceDefinition", "", name), ...src.keys()],
        });
      }
    }
  }
  return out;
}

/**
 * The release's pods say a kind's version is not served, and a live CRD of that kind serves other versions: the
 * CRD is older than what the running chart expects, though the stored chart does not ship it (a subchart's crds/ —
 * the record does not keep dependencies' files — or CRDs installed separately).
 */
function podFindings(ix: SnapshotIndex, rel: Release, done: Set<string>): Finding[] {
  const out: Finding[] = [];
  // Nothing to compare with without a CRD in the snapshot; and only failing pods say anything (reading every
  // pod's signals would cost a large release dearly).
  if (ix.objectsOfKind("CustomResourceDefinition").length === 0) return out;
  const workloads = workloadsOf(ix, rel).map((w) => ({
    ...w,
    pods: w.pods.filter((p) => !!classifyPod(ix, p)),
  }));
  const matches = podsSaying(ix, workloads, (s) => s.type === "missing-kind" && !!s.kind && !!s.version);
  for (const m of matches) {
    const sig = m.signal as { kind: string; group?: string; version: string; text: string };
    for (const live of liveCrdsOf(ix, sig.kind)) {
      const name = live.metadata?.name ?? "";
      // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
      const spec = live.spec as any;
      if (done.has(name) || (sig.group && spec?.group !== sig.group)) continue;
      const served: string[] = (spec?.versions ?? [])
        .filter((v: { served?: boolean }) => v.served !== false)
        .map((v: { name: string }) => v.name);
      if (served.includes(sig.version)) continue;
      done.add(name);
      const crashing = matches.filter((x) => (x.signal as { kind?: string }).kind === sig.kind);
      const who = [...new Set(crashing.map((x) => `${x.workload.kind} ${x.workload.name}`))];
      const ref: ResourceRef = { kind: "CustomResourceDefinition", name };
      const chartName = rel.chart?.metadata?.name ?? "<chart>";
      const chartVersion = rel.chart?.metadata?.version ?? "";
      const deps = (
        (rel.chart?.metadata as { dependencies?: { name: string }[] } | undefined)?.dependencies ?? []
      ).map((d) => d.name);
      out.push({
        code: "crds-not-upgraded",
        severity: "critical",
        role: "root",
        title: `CustomResourceDefinition ${name} serves ${served.join(", ") || "no version"} but not ${sig.version}, which ${who.join(" and ")} need${who.length === 1 ? "s" : ""}: Helm does not upgrade CRDs`,
        explanation:
          `${who.join(" and ")} of revision ${rel.version} (${chartName} ${chartVersion}) fail${crashing.length === 1 ? "s" : ""}: "${sig.text}". The cluster has CustomResourceDefinition ${name} for kind ${sig.kind}, but it serves ${served.join(", ") || "no version"}, not ${sig.version}: it is older than the running software expects. ` +
          `Helm installs CRDs from a chart's crds/ directories — its own and its subcharts' — on a release's first install only, never on upgrade (pkg/action/install.go installCRDs; upgrade.go has no such step). ` +
          `The stored chart does not ship ${name} itself${deps.length ? ` (its dependencies ${deps.join(", ")} are not kept in the release record, so a subchart's crds/ cannot be read from it)` : ""}: it comes from a subchart or was installed separately. A rollback of the workload only hides it; the next upgrade meets the same CRD.`,
        resources: [ref],
        revisions: [rel.version],
        evidence: [
          {
            source: `pod ${crashing[0]!.pod.metadata?.name}`,
            detail: `${crashing.length} pod${crashing.length === 1 ? "" : "s"} of ${who.join(", ")} fail${crashing.length === 1 ? "s" : ""}: "${sig.text}"`,
          },
          {
            source: "live cluster",
            detail: `CustomResourceDefinition ${name} (kind ${sig.kind}, group ${spec?.group ?? "?"}) serves ${served.join(", ") || "no version"}: ${sig.version} missing`,
          },
          {
            source: `revision ${rel.version} chart`,
            detail: `crds/ of ${chartName} ${chartVersion} as stored does not define ${name}`,
          },
        ],
        remediations: [
          {
            action: "manual",
            summary: `Apply the CRDs of the chart version that runs, its subcharts' included (\`helm pull <repo>/${chartName} --version ${chartVersion || "<version>"} --untar\`, then \`kubectl apply --server-side -f\` each crds/ directory under ${chartName}/ and ${chartName}/charts/*/), then \`kubectl rollout restart ${crashing[0]!.workload.kind.toLowerCase()}/${crashing[0]!.workload.name} -n ${crashing[0]!.workload.namespace}\`.`,
            resources: [ref],
          },
          {
            action: "chart-fix",
            summary: `Make CRD upgrades part of the deployment: ship ${name} from a separate CRD chart (templates/, so upgrades update it), or apply the CRDs before every \`helm upgrade\` in the pipeline.`,
          },
        ],
        explains: [
          kindKey("CustomResourceDefinition", "", name),
          ...crashing.flatMap((x) => [
            kindKey(x.workload.kind, x.workload.namespace, x.workload.name),
            podKey(x.pod, x.workload.namespace),
          ]),
        ],
      });
    }
  }
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    if (!rel) return [];
    const found = chartCrds(rel)
      .map((c) => analyzeCrd(ix, rel, c))
      .filter((f): f is Finding => !!f);
    const done = new Set(found.map((f) => f.resources[0]!.name));
    // Also the CRDs shipped with the chart's, whether or not a finding names them: a pod signal about those is
    // analyzeCrd's.
    for (const c of chartCrds(rel)) done.add(c.name);
    const fields = fieldFindings(ix, rel, new Set(found.map((f) => f.resources[0]!.name)));
    return [...found, ...fields, ...podFindings(ix, rel, done)];
  },
};

export default analyzer;
