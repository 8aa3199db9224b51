import { describe, expect, it } from "vitest";
import { effectiveDeletePolicies, hookRunOrder } from "../../src/helm/hooks.js";
import { resourceKey } from "../../src/helm/keys.js";
import { classify, parseHookWeight, parseManifest, splitManifest } from "../../src/helm/manifest.js";
import type { Hook } from "../../src/helm/types.js";

describe("splitManifest (Helm's SplitManifests)", () => {
  it("splits on --- lines, drops empty documents and trims each", () => {
    const m =
      "---\n# Source: c/templates/a.yaml\nkind: A\n---   \n\n# Source: c/templates/b.yaml\nkind: B\n\n";
    expect(splitManifest(m)).toEqual([
      "# Source: c/templates/a.yaml\nkind: A",
      "# Source: c/templates/b.yaml\nkind: B",
    ]);
  });
  it("copies Go's non-overlapping split: a separator right after another one stays in the document", () => {
    // (?:^|\s*\n)---\s* consumed the newline the second --- would need, exactly as in Helm.
    expect(splitManifest("kind: A\n---\n---\nkind: B")).toEqual(["kind: A", "---\nkind: B"]);
  });
  it("treats ---foo at the start of a line as a separator too", () => {
    expect(splitManifest("kind: A\n---foo\nkind: B")).toEqual(["kind: A", "foo\nkind: B"]);
  });
  it("does not split on --- inside a line", () => {
    expect(splitManifest("data:\n  x: a---b\n")).toEqual(["data:\n  x: a---b"]);
  });
  it("handles CRLF and an empty manifest", () => {
    expect(splitManifest("kind: A\r\n---\r\nkind: B")).toEqual(["kind: A", "kind: B"]);
    expect(splitManifest("  \n ")).toEqual([]);
  });
});

describe("parseManifest", () => {
  it("reads # Source paths and objects, and one bad document does not spoil the others", () => {
    const docs = parseManifest(
      "---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n# Source: c/templates/bad.yaml\nkind: [unclosed\n---\n# Source: c/templates/b.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: b\n",
    );
    expect(docs.map((d) => d.source)).toEqual([
      "c/templates/a.yaml",
      "c/templates/bad.yaml",
      "c/templates/b.yaml",
    ]);
    expect(docs[0]!.object!.kind).toBe("ConfigMap");
    expect(docs[1]!.error).toBeDefined();
    expect(docs[2]!.object!.metadata!.name).toBe("b");
  });
  it("keeps the last of repeated keys like Kubernetes' YAML reader", () => {
    const [d] = parseManifest("kind: ConfigMap\nmetadata:\n  name: a\n  name: b\n");
    expect(d!.error).toBeUndefined();
    expect(d!.object!.metadata!.name).toBe("b");
  });
  it("flags a document that is not a mapping", () => {
    expect(parseManifest("- a\n- b")[0]!.error).toMatch(/mapping/);
  });
});

describe("hook classification (SortManifests)", () => {
  it("files a document without helm.sh/hook as manifest", () => {
    expect(classify(undefined)).toEqual({ type: "manifest" });
    expect(classify({ other: "x" })).toEqual({ type: "manifest" });
  });
  it("parses events, trims and lowercases, and maps test-success to test", () => {
    const c = classify({
      "helm.sh/hook": " Pre-Install, pre-upgrade ,test-success",
      "helm.sh/hook-weight": "-5",
    });
    expect(c).toMatchObject({ type: "hook", events: ["pre-install", "pre-upgrade", "test"], weight: -5 });
  });
  it("drops the whole document on one unknown event (crd-install, typos, empty)", () => {
    expect(classify({ "helm.sh/hook": "crd-install" })).toMatchObject({
      type: "dropped",
      unknownEvents: ["crd-install"],
    });
    expect(classify({ "helm.sh/hook": "pre-install,pre-instal" })).toMatchObject({
      type: "dropped",
      unknownEvents: ["pre-instal"],
    });
    expect(classify({ "helm.sh/hook": "" })).toMatchObject({ type: "dropped" });
  });
  it("parses weights with strconv.Atoi rules: sign ok, anything else 0", () => {
    expect(parseHookWeight("5")).toBe(5);
    expect(parseHookWeight("-10")).toBe(-10);
    expect(parseHookWeight("+3")).toBe(3);
    expect(parseHookWeight(" 5")).toBe(0);
    expect(parseHookWeight("5.0")).toBe(0);
    expect(parseHookWeight("abc")).toBe(0);
    expect(parseHookWeight(5)).toBe(0);
    expect(parseHookWeight("99999999999999999999")).toBe(0);
  });
  it("keeps unknown delete policies (they never match) and reads the output log policy", () => {
    const c = classify({
      "helm.sh/hook": "pre-install",
      "helm.sh/hook-delete-policy": "Hook-Succeeded, bogus",
      "helm.sh/hook-output-log-policy": "hook-failed",
    });
    expect(c).toMatchObject({
      deletePolicies: ["hook-succeeded", "bogus"],
      outputLogPolicies: ["hook-failed"],
    });
  });
});

describe("hook order and policies", () => {
  const h = (name: string, weight: number | undefined, kind = "Job"): Hook => ({
    name,
    kind,
    path: "p",
    manifest: "",
    events: ["pre-install"],
    ...(weight !== undefined ? { weight } : {}),
  });
  it("runs by weight, then name — kind is ignored", () => {
    const order = hookRunOrder([
      h("migrate", 0),
      h("config", 0, "ConfigMap"),
      h("sa", -10, "ServiceAccount"),
      h("b", 5),
      h("a", 5),
    ]);
    expect(order.map((x) => x.name)).toEqual(["sa", "config", "migrate", "a", "b"]);
  });
  it("treats a missing delete policy as before-hook-creation", () => {
    expect(effectiveDeletePolicies(h("x", 0))).toEqual(["before-hook-creation"]);
    expect(effectiveDeletePolicies({ ...h("x", 0), delete_policies: ["hook-succeeded"] })).toEqual([
      "hook-succeeded",
    ]);
  });
});

describe("resource keys", () => {
  it("uses group/kind/namespace/name with the release namespace as default", () => {
    expect(resourceKey({ apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } }, "shop")).toBe(
      "apps/Deployment/shop/d",
    );
    expect(
      resourceKey({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "x" } }, "shop"),
    ).toBe("/ConfigMap/x/c");
    expect(
      resourceKey(
        {
          apiVersion: "rbac.authorization.k8s.io/v1",
          kind: "ClusterRole",
          metadata: { name: "r", namespace: "x" },
        },
        "shop",
      ),
    ).toBe("rbac.authorization.k8s.io/ClusterRole//r");
  });
});
