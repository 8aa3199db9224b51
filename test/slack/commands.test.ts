// The slash command's grammar: diagnose forms, list, last, help, and the usage errors.
import { describe, expect, it } from "vitest";
import { parseCommand } from "../../src/slack/commands.js";

describe("command grammar", () => {
  const p = (t: string) => parseCommand(t, "apps");

  it("diagnose forms", () => {
    expect(p("yahoo")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "apps" });
    expect(p("yahoo -n shop")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "shop" });
    expect(p("-n shop yahoo")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "shop" });
    expect(p("shop/yahoo")).toEqual({ kind: "diagnose", release: "yahoo", namespace: "shop" });
    expect(p("  shop/yahoo\u00a0 --namespace=shop ")).toEqual({
      kind: "diagnose",
      release: "yahoo",
      namespace: "shop",
    });
    expect(p("my.app-2")).toEqual({ kind: "diagnose", release: "my.app-2", namespace: "apps" });
  });

  it("list and help", () => {
    expect(p("list")).toEqual({ kind: "list", namespace: "apps" });
    expect(p("list -n shop")).toEqual({ kind: "list", namespace: "shop" });
    expect(p("")).toEqual({ kind: "help" });
    expect(p("help")).toEqual({ kind: "help" });
    expect(p("shop/list")).toEqual({ kind: "diagnose", release: "list", namespace: "shop" });
  });

  it("last: the stored report of a release", () => {
    expect(p("last yahoo")).toEqual({ kind: "last", release: "yahoo", namespace: "apps" });
    expect(p("last shop/yahoo")).toEqual({ kind: "last", release: "yahoo", namespace: "shop" });
    expect(p("last -n shop yahoo")).toEqual({ kind: "last", release: "yahoo", namespace: "shop" });
    expect(p("shop/last")).toEqual({ kind: "diagnose", release: "last", namespace: "shop" });
    expect(p("last")).toEqual({ kind: "usage", problem: "last needs a <release>" });
    expect(p("last a b")).toEqual({ kind: "usage", problem: 'unexpected argument "b"' });
  });

  it("bad input says what is wrong", () => {
    const problem = (t: string) => {
      const c = p(t);
      return c.kind === "usage" ? c.problem : `not a usage error: ${JSON.stringify(c)}`;
    };
    expect(problem("Yahoo")).toMatch(/^invalid release name "Yahoo": Helm release names are lowercase/);
    expect(problem("a".repeat(54))).toContain("at most 53 characters");
    expect(problem("yahoo -n")).toBe("-n needs a namespace");
    expect(problem("yahoo -n Shop")).toContain('invalid namespace "Shop"');
    expect(problem("shop/yahoo -n other")).toBe('"shop/yahoo" names namespace shop but -n says other');
    expect(problem("yahoo extra")).toBe('unexpected argument "extra"');
    expect(problem("yahoo --force")).toBe('unknown option "--force"');
    expect(problem("yahoo --namspace shop")).toBe('unknown option "--namspace" (did you mean --namespace?)');
    expect(problem("lats yahoo")).toBe('unknown command "lats" (did you mean last?)');
    expect(problem("lsit -n shop extra")).toBe('unknown command "lsit" (did you mean list or last?)');
    // Near misses stay plain: an argument too many after a release that is no command's typo.
    expect(problem("payments extra")).toBe('unexpected argument "extra"');
    expect(problem("last yahoo extra")).toBe('unexpected argument "extra"');
    expect(problem("-n shop")).toBe("missing <release>");
    expect(problem("help me")).toBe('"help" takes no arguments');
    expect(problem("yahoo -n a -n b")).toBe("the namespace is given twice");
  });

  it("a cluster: <cluster>/<namespace>/<release>, --cluster, and clusters", () => {
    expect(p("prod/shop/yahoo")).toEqual({
      kind: "diagnose",
      release: "yahoo",
      namespace: "shop",
      cluster: "prod",
    });
    expect(p("yahoo --cluster prod")).toEqual({
      kind: "diagnose",
      release: "yahoo",
      namespace: "apps",
      cluster: "prod",
    });
    expect(p("--cluster=prod shop/yahoo")).toEqual({
      kind: "diagnose",
      release: "yahoo",
      namespace: "shop",
      cluster: "prod",
    });
    expect(p("list --cluster prod -n shop")).toEqual({ kind: "list", namespace: "shop", cluster: "prod" });
    expect(p("last prod/shop/yahoo")).toEqual({
      kind: "last",
      release: "yahoo",
      namespace: "shop",
      cluster: "prod",
    });
    expect(p("clusters")).toEqual({ kind: "clusters" });
    // Near misses: no cluster unless one is named.
    expect(p("shop/yahoo")).not.toHaveProperty("cluster");
    const problem = (t: string) => {
      const c = p(t);
      return c.kind === "usage" ? c.problem : `not a usage error: ${JSON.stringify(c)}`;
    };
    expect(problem("Prod/shop/yahoo")).toContain('invalid cluster name "Prod"');
    expect(problem("yahoo --cluster")).toBe("--cluster needs a cluster name");
    expect(problem("prod/shop/yahoo --cluster dev")).toBe(
      '"prod/shop/yahoo" names cluster prod but --cluster says dev',
    );
    expect(problem("a/b/c/d")).toContain('too many "/"');
    expect(problem("clusters prod")).toBe('"clusters" takes no arguments');
    expect(problem("yahoo --clustr prod")).toBe('unknown option "--clustr" (did you mean --cluster?)');
  });
});
