// Strategic merge patch against apimachinery's own test tables (test/fixtures/patch, converted from
// pkg/util/strategicpatch/patch_test.go): the two-way and three-way patches it creates, and what applying them
// gives — with the tables' MergeItem schema written as data.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  applyStrategicMergePatch,
  createThreeWayMergePatch,
  createTwoWayMergePatch,
  type JsonMap,
  type PatchSchema,
} from "../../src/cluster/strategicpatch.js";

interface Case {
  table: string;
  description: string;
  original?: JsonMap | null;
  modified?: JsonMap | null;
  current?: JsonMap | null;
  twoWay?: JsonMap | null;
  threeWay?: JsonMap | null;
  result?: JsonMap | null;
  twoWayResult?: JsonMap | null;
}

const data = JSON.parse(
  readFileSync(new URL("../fixtures/patch/strategicpatch-apimachinery.json", import.meta.url), "utf8"),
) as { cases: Case[] };

// The tables' MergeItem / RetainKeysMergeItem structs and their patch tags.
const MERGE_ITEM: PatchSchema = {
  root: "MergeItem",
  types: {
    MergeItem: {
      mergingList: { strategy: "merge", mergeKey: "name", type: "MergeItem" },
      nonMergingList: { type: "MergeItem" },
      mergingIntList: { strategy: "merge" },
      mergeItemPtr: { strategy: "merge", mergeKey: "name", type: "MergeItem" },
      replacingItem: { strategy: "replace" },
      retainKeysMap: { strategy: "retainKeys", type: "RetainKeysMergeItem" },
      retainKeysMergingList: { strategy: "merge,retainKeys", mergeKey: "name", type: "MergeItem" },
    },
    RetainKeysMergeItem: {
      mergingIntList: { strategy: "merge" },
      mergingList: { strategy: "merge", mergeKey: "name", type: "MergeItem" },
      nonMergingList: { type: "MergeItem" },
    },
  },
};

type J = unknown;
const isMap = (v: J): v is Record<string, J> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: J) => (typeof v === "object" ? JSON.stringify(v) : String(v));
const byStr = (a: J, b: J) => (str(a) < str(b) ? -1 : str(a) > str(b) ? 1 : 0);

/** The tables' sortMergeListsByName: merge lists by merge key, merged scalar lists deduplicated and sorted. */
function sorted(v: J, type: string | undefined): J {
  if (!isMap(v)) return v;
  const out: Record<string, J> = {};
  for (const [k, x] of Object.entries(v)) {
    const f = type ? MERGE_ITEM.types[type]?.[k] : undefined;
    if (k === "$retainKeys" || k.startsWith("$deleteFromPrimitiveList/"))
      out[k] = [...(x as J[])].sort(byStr);
    else if (k.startsWith("$setElementOrder/") || k === "$patch") out[k] = x;
    else if (isMap(x)) out[k] = sorted(x, f?.type);
    else if (Array.isArray(x) && f?.strategy?.split(",").includes("merge")) {
      if (x.length > 0 && isMap(x[0])) {
        const key = f.mergeKey!;
        out[k] = x.map((e) => sorted(e, f.type)).sort((a, b) => byStr((a as never)[key], (b as never)[key]));
      } else out[k] = [...new Set(x as J[])].sort(byStr);
    } else out[k] = x;
  }
  return out;
}

const prepared = (c: Case, v: JsonMap | null | undefined): JsonMap =>
  (c.table === "createStrategicMergePatchTestCaseData" ? sorted(v ?? {}, "MergeItem") : (v ?? {})) as JsonMap;

describe("strategic merge patch: apimachinery's test tables", () => {
  const cases = data.cases;
  it("the tables are all here", () => {
    expect(cases.length).toBeGreaterThan(100);
  });

  for (const [i, c] of cases.entries()) {
    const name = `${i} ${c.description}`;
    if (c.twoWay !== undefined) {
      it(`${name}: two-way patch and its application`, () => {
        const original = prepared(c, c.original);
        const modified = prepared(c, c.modified);
        const patch = createTwoWayMergePatch(original, modified, MERGE_ITEM);
        expect(patch).toEqual(prepared(c, c.twoWay));
        const want = prepared(c, c.twoWayResult ?? c.modified);
        expect(applyStrategicMergePatch(original, patch, MERGE_ITEM)).toEqual(want);
      });
    }
    if (c.threeWay !== undefined && c.result !== undefined) {
      it(`${name}: three-way patch (overwrite) and its application to current`, () => {
        const patch = createThreeWayMergePatch(
          prepared(c, c.original),
          prepared(c, c.modified),
          prepared(c, c.current),
          MERGE_ITEM,
        );
        expect(patch).toEqual(prepared(c, c.threeWay));
        expect(applyStrategicMergePatch(prepared(c, c.current), patch, MERGE_ITEM)).toEqual(
          prepared(c, c.result),
        );
      });
    }
  }
});
