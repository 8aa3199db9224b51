// Helm's SortManifests drops a document whose `helm.sh/hook` value has one part that is not a Helm 3
// event (Helm 2's crd-install or test-failure, typos such as pre-instal, an empty value): it is neither a hook
// nor a manifest object, and only "skipping unknown hook" is logged. The stored chart keeps the raw template
// (chart.templates[].data, base64), so we read the annotation from the template text. Templates are Go
// templates, not YAML: only literal values are judged.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import { HOOK_EVENTS, type Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { failureKeys } from "../history.js";
import { namesKind, podsSaying, type SignalMatch } from "../signals.js";
import type { Evidence, Remediation, Severity } from "../types.js";
import { podKey, podSpecOf, specUses, workloadsOf } from "../workloads.js";

const HOOK_LINE = /^\s*(?:-\s*)?["']?helm\.sh\/hook["']?\s*:[ \t]*(.*)$/;
const HELM2: Record<string, string> = {
  "crd-install": "Helm 2's crd-install (Helm 3 installs CRDs from the chart's crds/ directory instead)",
  "test-failure": "Helm 2's test-failure (Helm 3 only has test)",
};

interface Dropped {
  template: string;
  line: number;
  value: string;
  unknown: string[];
  kind?: string;
  name?: string;
  /** For a CRD: the kind it defines, its API group and plural resource name. */
  definesKind?: string;
  group?: string;
  plural?: string;
  conditional: boolean;
}

function literal(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const t = v
    .replace(/\s+#.*$/, "")
    .trim()
    .replace(/^["'](.*)["']$/, "$1");
  return t && !t.includes("{{") ? t : undefined;
}

/** `kind:` and `metadata.name` of a raw template document, when they are literal. */
function head(doc: string): { kind?: string; name?: string } {
  const lines = doc.split("\n");
  const kind = literal(lines.find((l) => /^kind:/.test(l))?.slice(5));
  const mi = lines.findIndex((l) => /^metadata:\s*$/.test(l));
  let name: string | undefined;
  if (mi >= 0) {
    const indent = /^(\s+)/.exec(lines[mi + 1] ?? "")?.[1] ?? "  ";
    for (let i = mi + 1; i < lines.length; i++) {
      const l = lines[i]!;
      if (l.trim() === "" || l.trim().startsWith("#") || l.trim().startsWith("{{")) continue;
      if (!l.startsWith(indent)) break;
      const m = new RegExp(`^${indent}name:(.*)$`).exec(l);
      if (m) {
        name = literal(m[1]);
        break;
      }
    }
  }
  return { ...(kind ? { kind } : {}), ...(name ? { name } : {}) };
}

function droppedDocs(rel: Release): Dropped[] {
  const out: Dropped[] = [];
  for (const t of rel.chart?.templates ?? []) {
    if (typeof t?.data !== "string" || /(^|\/)_[^/]*$/.test(t.name) || t.name.endsWith("NOTES.txt")) continue;
    const text = Buffer.from(t.data, "base64").toString("utf8");
    // Split on document separators, remembering where each document starts (for line numbers).
    const docs: { start: number; lines: string[] }[] = [{ start: 0, lines: [] }];
    text.split("\n").forEach((l, i) => {
      if (/^---/.test(l)) docs.push({ start: i + 1, lines: [] });
      else docs[docs.length - 1]!.lines.push(l);
    });
    for (const { start, lines } of docs) {
      const doc = lines.join("\n");
      for (let i = 0; i < lines.length; i++) {
        const l = lines[i]!;
        if (l.trim().startsWith("#")) continue;
        const m = HOOK_LINE.exec(l);
        if (!m) continue;
        const rawVal = m[1]!.replace(/\s+#.*$/, "").trim();
        let value: string;
        if (rawVal === '""' || rawVal === "''") value = "";
        else {
          const v = literal(rawVal);
          if (v === undefined) continue; // templated or a block scalar: cannot judge
          value = v;
        }
        const parts = value.split(",").map((p) => p.trim().toLowerCase());
        const unknown = parts.filter(
          (p) => p !== "test-success" && !(HOOK_EVENTS as readonly string[]).includes(p),
        );
        if (unknown.length === 0) continue;
        const h = head(doc);
        const d: Dropped = {
          template: t.name,
          line: start + i + 1,
          value,
          unknown,
          conditional: /\{\{-?\s*(if|with|range)\b/.test(doc),
          ...h,
        };
        if (h.kind === "CustomResourceDefinition") {
          const k = /names:\s*\n(?:[ \t]+.*\n)*?[ \t]+kind:\s*["']?(\w+)/.exec(doc)?.[1];
          if (k) d.definesKind = k;
          const g = literal(/^[ \t]+group:(.*)$/m.exec(doc)?.[1]);
          if (g) d.group = g;
          const pl = literal(/^[ \t]+plural:(.*)$/m.exec(doc)?.[1]);
          if (pl) d.plural = pl;
        }
        out.push(d);
        break;
      }
    }
  }
  return out;
}

/** Did the document render into the release anyway (e.g. the annotation line sits in an unused branch)? */
function rendered(ix: SnapshotIndex, rel: Release, d: Dropped): boolean {
  const path = `${rel.chart?.metadata?.name ?? ""}/${d.template}`;
  const same = (kind: string, name: string) => (!d.kind || d.kind === kind) && (!d.name || d.name === name);
  return (
    ix.manifest(rel).some((m) => m.source === path && same(m.kind, m.name)) ||
    (rel.hooks ?? []).some((h) => h.path === path && same(h.kind, h.name))
  );
}

/** `helm.sh/hook "crd-install" is not a Helm 3 hook event`, or which part of a list is wrong. */
function hookProblem(d: Dropped): string {
  const u = d.unknown.map((x) => (x === "" ? "an empty value" : `"${x}"`));
  if (d.unknown.length === 1 && d.unknown[0] === d.value.trim().toLowerCase())
    return `helm.sh/hook ${u[0] === "an empty value" ? '""' : u[0]} is not a Helm 3 hook event`;
  return `helm.sh/hook "${d.value}" contains ${u.join(", ")}, not ${d.unknown.length > 1 ? "Helm 3 hook events" : "a Helm 3 hook event"}`;
}

const label = (d: Dropped) => `${d.kind ?? "object"}${d.name ? ` ${d.name}` : ""} (${d.template})`;

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    if (!rel) return [];
    const drops = droppedDocs(rel).filter((d) => !rendered(ix, rel, d));
    if (drops.length === 0) return [];
    const n = rel.version;
    const ns = rel.namespace || ix.namespace;
    const desc = rel.info.description ?? "";
    const workloads = workloadsOf(ix, rel);

    const evidence: Evidence[] = [];
    const explains: string[] = [];
    const resources: ResourceRef[] = [];
    let critical = false;
    const broken: SignalMatch[] = [];
    for (const d of drops) {
      const why = d.unknown
        .map((u) => (u === "" ? "an empty value" : HELM2[u] ? HELM2[u] : `"${u}", which is not a hook event`))
        .join("; ");
      evidence.push({
        source: `chart template ${d.template}`,
        detail: `line ${d.line}: helm.sh/hook: "${d.value}" — ${why}; Helm drops the whole document${d.kind ? ` (${d.kind}${d.name ? ` ${d.name}` : ""})` : ""}`,
      });
      evidence.push({
        source: `revision ${n} manifest and hooks`,
        detail: `nothing from ${d.template}${d.kind ? ` of kind ${d.kind}` : ""}${d.conditional ? " (the template has conditions, so it may also render to nothing on purpose)" : ""}`,
      });
      if (d.kind && d.name)
        resources.push({
          kind: d.kind,
          name: d.name,
          ...(d.kind === "CustomResourceDefinition" ? {} : { namespace: ns }),
        });
      if (d.definesKind) {
        // Pods that crash because the API server does not serve the kind this CRD defines.
        const crashing = podsSaying(ix, workloads, (sig) =>
          namesKind(sig, d.definesKind!, d.group, d.plural),
        );
        if (crashing.length) {
          critical = true;
          broken.push(...crashing);
          for (const m of crashing) {
            explains.push(
              kindKey(m.workload.kind, m.workload.namespace, m.workload.name),
              podKey(m.pod, m.workload.namespace),
            );
          }
          const first = crashing[0]!;
          evidence.push({
            source: `pod ${first.pod.metadata?.name}`,
            detail: `${crashing.length} pod${crashing.length === 1 ? "" : "s"} of ${[...new Set(crashing.map((m) => `${m.workload.kind} ${m.workload.name}`))].join(", ")} fail${crashing.length === 1 ? "s" : ""} because the kind is not served: "${first.signal.text}"`,
          });
        }
        const crs = ix.manifest(rel).filter((m) => m.kind === d.definesKind);
        const noMatch = new RegExp(
          `no matches for kind "${d.definesKind}"|ensure CRDs are installed first`,
        ).test(desc);
        if (noMatch && rel.info.status === "failed") {
          critical = true;
          explains.push(...failureKeys(ix, rel));
        }
        evidence.push({
          source: "live cluster",
          detail:
            `whether CustomResourceDefinition ${d.name ?? ""} exists is not visible here: it is not part of the release` +
            (crs.length
              ? `; revision ${n}'s manifest has ${crs.length} ${d.definesKind} object(s) that need it`
              : "") +
            (noMatch ? `; revision ${n} failed with "${desc.slice(0, 200)}"` : ""),
        });
      }
      if (
        d.kind &&
        d.name &&
        ["ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim"].includes(d.kind)
      ) {
        const users = workloads.filter((w) => specUses(podSpecOf(w.template), d.kind!, d.name!));
        if (users.length && !ix.get(d.kind, ns, d.name)) {
          critical = true;
          explains.push(kindKey(d.kind, ns, d.name));
          for (const w of users) {
            explains.push(kindKey(w.kind, w.namespace, w.name), ...w.pods.map((p) => podKey(p, w.namespace)));
            evidence.push({
              source: `revision ${n} manifest`,
              detail: `${w.kind} ${w.name} uses ${d.kind} ${d.name}, which does not exist`,
            });
          }
        }
      }
    }
    const testOnly = drops.every((d) => d.unknown.every((u) => u === "test-failure"));
    const severity: Severity = critical ? "critical" : testOnly ? "info" : "warning";
    const values = [...new Set(drops.flatMap((d) => d.unknown))].map((u) => (u === "" ? '""' : u));
    const title =
      drops.length === 1
        ? `${label(drops[0]!)} is never created: ${hookProblem(drops[0]!)}`
        : `${drops.length} chart objects are never created: their helm.sh/hook values (${values.join(", ")}) are not Helm 3 hook events`;
    const explanation =
      `When Helm renders the chart, it files every document with a helm.sh/hook annotation as a hook — but only if every comma-separated part is a Helm 3 event ` +
      "(pre-/post-install, -upgrade, -delete, -rollback, test). One unknown part makes it drop the whole document: it is neither a hook nor part of the manifest, " +
      `and Helm only logs "skipping unknown hook" (visible with --debug). In revision ${n}, ${drops.map(label).join(", ")} ${drops.length === 1 ? "was" : "were"} dropped this way, ` +
      `so Helm never creates, updates or deletes ${drops.length === 1 ? "it" : "them"}${rel.info.status === "deployed" ? ", even though the release says deployed" : ""}.` +
      (drops.some((d) => d.unknown.includes("crd-install"))
        ? " crd-install was Helm 2's way to install CRDs first; Helm 3 installs CRDs from the chart's crds/ directory (on first install only, never upgraded or deleted). Missing CRDs make operators crash-loop and custom resources fail with `no matches for kind`."
        : "") +
      (broken.length
        ? ` That is what happens here: ${[...new Set(broken.map((m) => `${m.workload.kind} ${m.workload.name}`))].join(" and ")} fail${broken.length === 1 ? "s" : ""} with "${broken[0]!.signal.text}", and no rollback or restart fixes that until the CRD exists.`
        : "");
    const paths = [...new Set(drops.map((d) => d.template))];
    const remediations: Remediation[] = [
      {
        action: "chart-fix",
        summary: drops.some((d) => d.unknown.includes("crd-install"))
          ? `In ${paths.join(", ")}: remove \`helm.sh/hook: crd-install\` and move the CRDs to the chart's crds/ directory (or a separate CRD chart, which can also upgrade them).`
          : `In ${paths.join(", ")}: fix helm.sh/hook to valid events (pre-install, post-install, pre-upgrade, post-upgrade, pre-rollback, post-rollback, pre-delete, post-delete, test), or remove it to make the object a normal release resource.`,
      },
      {
        action: "manual",
        summary: `Create the missing object${drops.length > 1 ? "s" : ""} now: fix the annotation in the chart, render it with \`helm template ${rel.name} <chart> -n ${ns} ${paths.map((p) => `--show-only ${p}`).join(" ")}\` and \`kubectl apply\` the result${drops.some((d) => d.kind === "CustomResourceDefinition") ? " (CRDs: apply them before anything that uses them)" : ""}.`,
      },
    ];
    return [
      {
        code: "unknown-hook-dropped",
        severity,
        role: "root",
        title,
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
