// Each revision stores the whole chart (every file not in .helmignore), values, the rendered manifest
// and hooks, gzipped and base64-encoded, in one Secret or ConfigMap. Kubernetes rejects one whose data is over
// 1 MiB, and the upgrade then fails with `data: Too long: must have at most 1048576 bytes` without writing any
// record, so `helm history` shows no trace of it. Warn while there is still room to act; when the failed command's
// output shows the refusal, say so, with what the last stored record is made of.
import { deflateRawSync } from "node:zlib";
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { outputFailure, outputKey, recordFor, recordResource } from "../history.js";
import type { Evidence, Finding, Remediation, Severity } from "../types.js";

/** The API server's limit on a Secret's (and a ConfigMap's) data. */
export const RECORD_LIMIT = 1024 * 1024;
/** 75% of the limit: a few more dashboards or CRDs and upgrades fail. */
export const RECORD_WARN = 768 * 1024;
/** Under 24 KiB of headroom: almost any chart change fails to save. */
export const RECORD_CRITICAL = 1000 * 1024;

const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
const size = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : kib(n));

interface Part {
  what: string;
  raw: number;
  /** Estimated bytes in the stored record (deflated, then base64). */
  stored: number;
}

/** Roughly what a string costs in the record: Helm gzips the JSON (best compression) and base64-encodes it. */
function storedCost(s: string): number {
  if (s.length === 0) return 0;
  return Math.ceil((deflateRawSync(Buffer.from(s, "utf8"), { level: 9 }).length * 4) / 3);
}

function parts(rel: Release): Part[] {
  const out: Part[] = [];
  const chartName = rel.chart?.metadata?.name ?? "chart";
  for (const [kind, list] of [
    ["file", rel.chart?.files ?? []],
    ["template", rel.chart?.templates ?? []],
  ] as const) {
    for (const f of list) {
      if (typeof f?.data !== "string") continue;
      // Chart files are base64 in the JSON: the decoded length is the file's size.
      const raw = Math.floor((f.data.replace(/=+$/, "").length * 3) / 4);
      out.push({ what: `${kind} ${chartName}/${f.name}`, raw, stored: -1 });
    }
  }
  out.push({ what: "rendered manifest", raw: Buffer.byteLength(rel.manifest ?? ""), stored: -1 });
  const hooks = (rel.hooks ?? []).map((h) => h.manifest).join("\n");
  if (hooks)
    out.push({ what: `${rel.hooks!.length} hook manifests`, raw: Buffer.byteLength(hooks), stored: -1 });
  const values = JSON.stringify(rel.chart?.values ?? {});
  out.push({ what: "chart default values", raw: Buffer.byteLength(values), stored: -1 });
  if (rel.config)
    out.push({
      what: "user-supplied values",
      raw: Buffer.byteLength(JSON.stringify(rel.config)),
      stored: -1,
    });
  out.sort((a, b) => b.raw - a.raw);
  // Estimate the stored cost of the biggest parts only (compressing everything is wasted work).
  for (const p of out.slice(0, 12)) {
    if (p.what.startsWith("file ") || p.what.startsWith("template ")) {
      const name = p.what.slice(p.what.indexOf(" ") + 1).slice(chartName.length + 1);
      const f = [...(rel.chart?.files ?? []), ...(rel.chart?.templates ?? [])].find((x) => x.name === name);
      p.stored = storedCost(f?.data ?? "");
    } else if (p.what === "rendered manifest") p.stored = storedCost(rel.manifest ?? "");
    else if (p.what.endsWith("hook manifests")) p.stored = storedCost(hooks);
    else if (p.what === "chart default values") p.stored = storedCost(values);
    else p.stored = storedCost(JSON.stringify(rel.config ?? {}));
  }
  return out.filter((p) => p.stored >= 0).sort((a, b) => b.stored - a.stored);
}

/** What a stored record is made of: its size against the limit, and the parts worth naming. */
interface Stored {
  rel: Release;
  bytes: number;
  pct: number;
  evidence: Evidence[];
  /** Chart files (not templates) big enough to name: what .helmignore can leave out. */
  named: string[];
  /** The biggest parts, files and templates alike, for a chart that grew past the limit. */
  biggest: string[];
  /** The user-supplied values, when they are the record's largest part: the key that holds most of them. */
  values?: { stored: number; key?: string };
}

/** The value (dotted path) that takes the most bytes, when one does (a `--set-file` dashboard, a blob). */
function biggestValue(config: unknown, path = "", depth = 0): { key: string; bytes: number } | undefined {
  if (config === null || typeof config !== "object" || depth > 4) return undefined;
  let best: { key: string; bytes: number } | undefined;
  for (const [k, v] of Object.entries(config as Record<string, unknown>)) {
    const key = path ? `${path}.${k}` : k;
    const here = { key, bytes: Buffer.byteLength(JSON.stringify(v) ?? "") };
    const deeper = biggestValue(v, key, depth + 1);
    // Name the deepest key that still holds most of it.
    const pick = deeper && deeper.bytes >= here.bytes * 0.8 ? deeper : here;
    if (!best || pick.bytes > best.bytes) best = pick;
  }
  return best;
}

function stored(ix: SnapshotIndex, rel: Release): Stored | undefined {
  const rec = recordFor(ix, rel);
  if (!rec) return undefined;
  const bytes = rec.encodedSize;
  const pct = Math.round((bytes / RECORD_LIMIT) * 100);
  const res = recordResource(ix, rel);
  const n = rel.version;
  // The parts that matter: at least 1% of the record, at most six.
  const top = parts(rel)
    .filter((p) => p.stored >= bytes / 100)
    .slice(0, 6);
  // Only chart files can go into .helmignore; templates are needed to render.
  const files = top.filter((p) => p.what.startsWith("file ") && p.stored >= bytes / 50);
  const evidence: Evidence[] = [
    {
      source: `revision ${n} record`,
      detail: `${res.kind} ${res.name}: data.release is ${bytes} bytes (${kib(bytes)}), ${pct}% of the ${RECORD_LIMIT}-byte limit; warning above ${kib(RECORD_WARN)}, critical above ${kib(RECORD_CRITICAL)}`,
    },
    ...top.map((p) => ({
      source: `revision ${n} payload`,
      detail: `${p.what}: ${size(p.raw)} raw, about ${kib(p.stored)} of the stored record`,
    })),
  ];
  const older = ix.releases
    .filter((r) => r !== rel)
    .map((r) => ({ r, s: recordFor(ix, r)?.encodedSize ?? 0 }))
    .filter((x) => x.s > 0);
  const prev = older[older.length - 1];
  if (prev) {
    evidence.push({
      source: "history",
      detail: `revision ${prev.r.version}'s record is ${kib(prev.s)} (${prev.s < bytes ? "growing" : "not growing"}); ${ix.releases.length} revisions are stored, each this size`,
    });
  }
  const named = files.map((p) => p.what.replace(/^file [^/]+\//, ""));
  const biggest = top
    .filter((p) => p.what.startsWith("file ") || p.what.startsWith("template "))
    .map((p) => p.what.replace(/^(?:file|template) [^/]+\//, ""));
  // Values are stored whole in every record: when they are the largest part, .helmignore cannot help.
  const userValues = top[0]?.what === "user-supplied values" ? top[0] : undefined;
  const key = userValues ? biggestValue(rel.config)?.key : undefined;
  return {
    rel,
    bytes,
    pct,
    evidence,
    named,
    biggest,
    ...(userValues ? { values: { stored: userValues.stored, ...(key ? { key } : {}) } } : {}),
  };
}

/** The fix when the user-supplied values fill the record. */
function moveValues(v: { stored: number; key?: string }): Remediation {
  return {
    action: "manual",
    summary: `Move the data out of the values${v.key ? ` (${v.key} holds most of it)` : ""}: every record stores the user-supplied values whole, so create it as a ConfigMap or Secret outside the chart and pass only its name, or ship it as a chart file the template reads (.Files.Get) — not with --set-file or -f.`,
  };
}

const STORE_ELSEWHERE: Remediation = {
  action: "manual",
  summary:
    "If the chart cannot shrink, store releases elsewhere (HELM_DRIVER=sql). --history-max limits how many records are kept, not how big each one is.",
};

function shrink(named: string[], biggest: string[]): Remediation {
  return {
    action: "chart-fix",
    summary: named.length
      ? `Shrink the chart: list files the templates do not read in .helmignore (largest: ${named.slice(0, 3).join(", ")}); move big CRDs, dashboards and binaries out of the chart (a separate chart, or objects managed elsewhere).`
      : biggest.length
        ? `Shrink the chart: its largest parts are ${biggest.slice(0, 3).join(", ")} — move big dashboards, CRDs and binaries out of templates/ and files/ (a separate chart, or objects managed elsewhere), and list files the templates do not read in .helmignore.`
        : "Shrink the chart: use .helmignore for files the templates do not read; move big CRDs and dashboards out of the chart.",
  };
}

/**
 * Helm printed that the API server refused the new record: nothing was stored and nothing changed. Helm writes the
 * record before it touches a single object (pkg/action/install.go and upgrade.go create the pending revision first).
 */
function refused(ix: SnapshotIndex): Finding | undefined {
  const out = outputFailure(ix);
  const e = out && !out.recorded ? out.errors.find((x) => x.kind === "too-large") : undefined;
  if (!out || !e) return undefined;
  const name = ix.snapshot.release;
  const latest = ix.latest();
  const rev = Number(/\.v(\d+)$/.exec(e.object?.name ?? "")?.[1] ?? (latest?.version ?? 0) + 1);
  const kind =
    e.object?.kind ??
    (latest ? recordResource(ix, latest).kind : /configmap/i.test(e.text) ? "ConfigMap" : "Secret");
  const res: ResourceRef = {
    kind,
    name: e.object?.name ?? `sh.helm.release.v1.${name}.v${rev}`,
    namespace: ix.namespace,
  };
  const base = latest ? stored(ix, latest) : undefined;
  const op = out.op === "uninstall" ? "upgrade" : out.op;
  const evidence: Evidence[] = [
    { source: "helm output", detail: e.text },
    {
      source: "live cluster",
      detail: `${res.kind} ${res.namespace}/${res.name} was never created: \`helm history\` ${latest ? `still ends at revision ${latest.version} (${latest.info.status})` : "has no revision"}`,
    },
    // The stored record's size, and its parts that a chart change can shrink (files and templates).
    ...(base?.evidence ?? []).filter(
      (x) => !x.source.endsWith(" payload") || /^(?:file|template|user-supplied values)/.test(x.detail),
    ),
  ];
  const grew = base
    ? ` Revision ${base.rel.version}'s record is ${kib(base.bytes)} (${base.pct}% of the limit)${base.biggest.length ? `, its largest parts ${base.biggest.slice(0, 3).join(", ")}` : ""}; the new chart and values are bigger still.`
    : "";
  return {
    code: "release-record-size",
    severity: "critical",
    role: "root",
    title: `Helm could not store revision ${rev} of ${name}: its release record is over Kubernetes' 1 MiB limit, so the ${op} stopped before changing anything`,
    explanation:
      `Helm stores each revision in one ${kind} (${res.name}): the whole chart — every file not excluded by .helmignore, the templates, default values — plus the user values, the rendered manifest and the hooks, gzipped and base64-encoded. ` +
      `The API server rejects a ${kind} whose data is over 1 MiB (1048576 bytes), and it rejected this one. Helm writes the record before it runs a hook or applies an object, so the ${op} stopped there: the cluster still runs ${latest ? `revision ${latest.version}` : "nothing of this release"}, and \`helm history\` shows nothing of the attempt.${grew} ` +
      (base?.values
        ? `The cause is the user-supplied values: they are ${kib(base.values.stored)} of revision ${base.rel.version}'s record${base.values.key ? `, most of it ${base.values.key}` : ""}, and Helm stores them whole in every record — .helmignore and a smaller chart do not help.`
        : `The cause is the chart's size: large files in templates/ or files/ (dashboards, CRDs, binaries, test data) or files .helmignore should leave out (.git, docs, packaged .tgz files). \`helm package\` the chart and look at what is big in it.`),
    resources: [res],
    revisions: latest ? [latest.version] : [],
    evidence,
    remediations: base?.values
      ? [moveValues(base.values), STORE_ELSEWHERE]
      : [
          shrink(base?.named ?? [], base?.biggest ?? []),
          {
            action: "manual",
            summary: `Find the chart's largest files as Helm stores them (\`helm package <chart>\`, then \`tar -tvzf <chart>-<version>.tgz | sort -k3 -n | tail\`); shrink the chart, then run the same helm ${op} again.`,
          },
          STORE_ELSEWHERE,
        ],
    explains: [outputKey(ix), kindKey(res.kind, ix.namespace, res.name)],
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const r = refused(ix);
    if (r) return [r];
    const rel = ix.latest();
    if (!rel) return [];
    const st = stored(ix, rel);
    if (!st || st.bytes <= RECORD_WARN) return [];
    const { bytes, pct, evidence, named, biggest, values } = st;
    const severity: Severity = bytes > RECORD_CRITICAL ? "critical" : "warning";
    const res = recordResource(ix, rel);
    const n = rel.version;
    const title = `Release record for revision ${n} is ${kib(bytes)}, ${pct}% of Kubernetes' 1 MiB limit: ${severity === "critical" ? "the next upgrade will almost certainly fail to save" : "upgrades will soon fail"}`;
    const explanation =
      `Helm stores each revision in one ${res.kind} (${res.name}): the whole chart — every file not excluded by .helmignore, the templates, default values — plus the user values, ` +
      `the rendered manifest and the hooks, gzipped and base64-encoded. The API server rejects a ${res.kind} whose data is over 1 MiB (1048576 bytes). Revision ${n}'s record is already ${kib(bytes)}. ` +
      `When the next revision crosses the limit, \`helm upgrade\` fails with \`create: failed to create: ${res.kind} "sh.helm.release.v1.${rel.name}.v${n + 1}" is invalid: data: Too long: must have at most 1048576 bytes\` ` +
      `(or HTTP 413), and because no record is written, \`helm history\` shows no trace of it.` +
      (values
        ? ` The largest part is the user-supplied values (${kib(values.stored)}${values.key ? `, most of it ${values.key}` : ""}), stored whole in every record.`
        : named.length
          ? ` The largest contributors are ${named.slice(0, 3).join(", ")}.`
          : "");
    const finding: Finding = {
      code: "release-record-size",
      severity,
      role: "root",
      title,
      explanation,
      resources: [res],
      revisions: [n],
      evidence,
      remediations: values
        ? [moveValues(values), STORE_ELSEWHERE]
        : [shrink(named, named.length ? [] : biggest), STORE_ELSEWHERE],
    };
    return [finding];
  },
};

export default analyzer;
