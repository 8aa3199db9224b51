// The bundle file's shape: what counts as a Kubernetes object, and what is ignored with a gap.
import { describe, expect, it } from "vitest";
import { parseBundleText } from "../../src/cluster/bundle.js";

const cm = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "shop" },
  ...extra,
});

describe("parseBundleText", () => {
  it("flattens Lists and typed lists, inferring the kind of a typed list's items", () => {
    const text = JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        cm("a"),
        { apiVersion: "v1", kind: "SecretList", items: [{ metadata: { name: "s", namespace: "shop" } }] },
      ],
    });
    const { objects, gaps } = parseBundleText(text);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual(["ConfigMap/a", "Secret/s"]);
    expect(gaps).toEqual([]);
  });

  it("reads multi-document YAML", () => {
    const { objects } = parseBundleText(
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: shop}\n---\n",
    );
    expect(objects).toHaveLength(1);
  });

  it("ignores, and reports, items that are not objects of the right shape", () => {
    const text = JSON.stringify({
      kind: "List",
      items: [
        cm("kept"),
        { metadata: { name: "no-kind" } },
        { kind: 7, metadata: { name: "numeric-kind" } },
        { kind: "ConfigMap", apiVersion: ["v1"] },
        { kind: "ConfigMap", metadata: ["not", "a", "mapping"] },
        { kind: "ConfigMap", metadata: { name: 12 } },
        { kind: "ConfigMap", metadata: { name: "x", namespace: null } },
        "a string",
        null,
        [cm("in-an-array")],
      ],
    });
    const { objects, gaps } = parseBundleText(text);
    expect(objects.map((o) => o.metadata?.name)).toEqual(["kept"]);
    expect(gaps).toEqual([
      { what: "bundle objects", reason: "error", detail: "9 item(s) without a kind were ignored" },
    ]);
  });

  it("refuses a document that is not an object", () => {
    expect(() => parseBundleText("[1]", "f.json")).toThrow(/f.json: not a Kubernetes object or List/);
    expect(() => parseBundleText("", "f.yaml")).toThrow(/the bundle is empty/);
  });
});
