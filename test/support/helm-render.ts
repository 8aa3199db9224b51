// Renders the Helm chart with test/support/helm-render/main.go (Go's text/template + sprig, Helm's engine
// semantics), built once per source version and cached under node_modules/.cache. Go and sprig come from Debian
// (golang-go, golang-github-masterminds-sprig-dev, golang-github-xeipuuv-gojsonschema-dev), in GOPATH mode.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SOURCE = join(ROOT, "test/support/helm-render/main.go");
export const CHART = join(ROOT, "deploy/chart/helm-doctor");
const GOPATH = "/usr/share/gocode";

/** Why the renderer cannot be built here, or undefined when it can. */
export function rendererUnavailable(): string | undefined {
  const go = spawnSync("go", ["version"], { encoding: "utf8" });
  if (go.status !== 0) return "Go is not installed (apt-get install golang-go)";
  for (const dir of ["github.com/Masterminds/sprig", "github.com/xeipuuv/gojsonschema", "gopkg.in/yaml.v2"]) {
    if (!existsSync(join(GOPATH, "src", dir)))
      return `${dir} is missing from ${GOPATH} (apt-get install golang-github-masterminds-sprig-dev golang-github-xeipuuv-gojsonschema-dev)`;
  }
  return undefined;
}

let binary: string | undefined;

function build(): string {
  if (binary) return binary;
  const hash = createHash("sha256").update(readFileSync(SOURCE)).digest("hex").slice(0, 16);
  const dir = join(ROOT, "node_modules/.cache/helm-doctor");
  const bin = join(dir, `helm-render-${hash}`);
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${bin}.${process.pid}.tmp`;
    execFileSync("go", ["build", "-o", tmp, SOURCE], {
      env: { ...process.env, GO111MODULE: "off", GOPATH, GOFLAGS: "" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    renameSync(tmp, bin); // atomic: test files building at once each get a whole binary
  }
  binary = bin;
  return bin;
}

export interface RenderOptions {
  name?: string;
  namespace?: string;
  values?: Record<string, unknown>[];
  apiVersions?: string[];
  kubeVersion?: string;
  chart?: string;
}

export type RenderResult = { ok: true; files: Record<string, string> } | { ok: false; error: string };

const valuesDir = mkdtempSync(join(tmpdir(), "hd-values-"));
let seq = 0;

export function renderChart(o: RenderOptions = {}): RenderResult {
  const args = [
    "-chart",
    o.chart ?? CHART,
    "-name",
    o.name ?? "helm-doctor",
    "-namespace",
    o.namespace ?? "helm-doctor",
    "-kube-version",
    o.kubeVersion ?? "v1.31.0",
  ];
  if (o.apiVersions?.length) args.push("-api-versions", o.apiVersions.join(","));
  for (const v of o.values ?? []) {
    const f = join(valuesDir, `v${seq++}.json`);
    writeFileSync(f, JSON.stringify(v));
    args.push("-values", f);
  }
  const r = spawnSync(build(), args, { encoding: "utf8" });
  if (r.status !== 0) return { ok: false, error: (r.stderr || r.stdout).trim() };
  return { ok: true, files: (JSON.parse(r.stdout) as { manifests: Record<string, string> }).manifests };
}

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are free-form JSON
export type Manifest = Record<string, any> & {
  kind: string;
  apiVersion: string;
  metadata: { name: string; namespace?: string; uid?: string };
};

/**
 * The objects of a render, as Helm turns it into a release manifest: NOTES.txt apart, partials skipped, each file
 * split on `---` lines, empty documents dropped (pkg/releaseutil/manifest.go, pkg/action/action.go).
 */
export function manifests(files: Record<string, string>): { source: string; object: Manifest }[] {
  const out: { source: string; object: Manifest }[] = [];
  for (const [name, text] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    if (name.endsWith("NOTES.txt") || name.split("/").pop()!.startsWith("_")) continue;
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`${name}: ${doc.errors[0]!.message}`);
      const object = doc.toJSON() as Manifest | null;
      if (object === null || object === undefined) continue;
      out.push({ source: name, object });
    }
  }
  return out;
}
