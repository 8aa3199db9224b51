// The closeness rule behind every "did you mean": typos, containment, and near misses that stay quiet.
import { describe, expect, it } from "vitest";
import { closest, levenshtein } from "../src/didyoumean.js";

describe("did you mean", () => {
  it("edit distance", () => {
    expect(levenshtein("rollback", "rolback")).toBe(1);
    expect(levenshtein("list", "last")).toBe(1);
    expect(levenshtein("", "abc")).toBe(3);
  });

  it("suggests typos and names that contain the input, closest first", () => {
    expect(closest("yaho", ["yahoo", "shop", "payments"])).toEqual(["yahoo"]);
    expect(closest("pay", ["payments-api", "shop"])).toEqual(["payments-api"]);
    expect(closest("diagnos", ["diagnose", "history", "list"])).toEqual(["diagnose"]);
    expect(closest("histroy", ["history", "diagnose"])).toEqual(["history"]);
    expect(closest("shop-api-v2", ["shop-api", "shop-web"])).toEqual(["shop-api"]);
  });

  it("stays quiet for short or unrelated inputs, and never suggests the input itself", () => {
    // Two edits would turn any three-letter word into another.
    expect(closest("abc", ["xyz", "abd"])).toEqual(["abd"]);
    expect(closest("web", ["api", "db"])).toEqual([]);
    expect(closest("yahoo", ["yahoo"])).toEqual([]);
    expect(closest("zz", ["shop-api"])).toEqual([]);
  });
});
