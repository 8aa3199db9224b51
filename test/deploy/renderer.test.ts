// The test renderer behaves as Helm's engine does, quirks included, so the chart tests judge what `helm install`
// would render: numbers read through JSON (1000000 prints as 1e+06), "<no value>" removed, null deleting a
// default, toYaml with sorted keys, include/tpl/required, .Template/.Files/.Capabilities, env not available.
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { renderChart, rendererUnavailable } from "../support/helm-render.js";

const unavailable = rendererUnavailable();
if (unavailable && process.env.CI) throw new Error(`the renderer tests must run in CI: ${unavailable}`);
const QUIRKS = fileURLToPath(new URL("../support/helm-render/testdata/quirks", import.meta.url));

/** The quirks chart plus one template. */
function withTemplate(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "hd-quirks-"));
  cpSync(QUIRKS, dir, { recursive: true });
  writeFileSync(join(dir, "templates", name), text);
  return dir;
}

describe.skipIf(!!unavailable)("helm-render (Helm's engine semantics)", () => {
  it("renders values, helpers and built-in objects exactly as Helm does", () => {
    const r = renderChart({ chart: QUIRKS, name: "rel", namespace: "ns", values: [{ dropMe: null }] });
    if (!r.ok) throw new Error(r.error);
    expect(r.files["quirks/templates/out.yaml"]).toBe(
      [
        "big: 1e+06",
        "small: 3",
        "ratio: 1.5",
        'missing: ""',
        'dropped: ""',
        "map:",
        "  a: x",
        "  b: 2",
        "  c:",
        "  - 1",
        "  - two",
        "labels:",
        "  app: quirks",
        "  release: rel",
        'greeting: "hello rel"',
        "template: quirks/templates/out.yaml in quirks/templates",
        "kube: 1.31 true",
        "chart: quirks-1.2.3 app 4.5 Helm install=true rev=1",
        "file: a file",
        "",
      ].join("\n"),
    );
    expect(r.files["quirks/templates/required.yaml"]).toBe("\n");
    expect(r.files["quirks/templates/NOTES.txt"]).toBe("notes for rel\n");
    expect(Object.keys(r.files)).not.toContain("quirks/templates/_helpers.tpl");
  });

  it("fails as Helm fails: required, nil pointers, env removed from sprig", () => {
    const req = renderChart({ chart: QUIRKS, values: [{ needIt: { other: 1 } }] });
    expect(req).toEqual({
      ok: false,
      error: "Error: execution error at (quirks/templates/required.yaml:2:6): needIt.value is required",
    });
    const nil = renderChart({ chart: withTemplate("nil.yaml", "x: {{ .Values.nothing.here }}\n") });
    expect(!nil.ok && nil.error).toMatch(/nil pointer evaluating interface \{\}\.here/);
    const env = renderChart({ chart: withTemplate("env.yaml", 'x: {{ env "HOME" }}\n') });
    expect(!env.ok && env.error).toBe(
      'Error: parse error at (quirks/templates/env.yaml:1): function "env" not defined',
    );
  });
});
