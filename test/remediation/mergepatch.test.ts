// JSON merge patch against evanphx/json-patch's CreateMergePatch tests and RFC 7386's examples
// (test/fixtures/patch/mergepatch-cases.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyMergePatch, createMergePatch } from "../../src/cluster/mergepatch.js";
import type { Json, JsonMap } from "../../src/cluster/strategicpatch.js";

const data = JSON.parse(
  readFileSync(new URL("../fixtures/patch/mergepatch-cases.json", import.meta.url), "utf8"),
) as {
  create: { name: string; original: JsonMap; modified: JsonMap; patch: JsonMap }[];
  apply: { target: Json; patch: Json; result: Json }[];
};

describe("JSON merge patch", () => {
  for (const c of data.create) {
    it(`creates: ${c.name}`, () => {
      const patch = createMergePatch(c.original, c.modified);
      expect(patch).toEqual(c.patch);
      // A merge patch cannot set a field to null (null deletes), so only null-free documents round-trip.
      if (!JSON.stringify(c.modified).includes("null"))
        expect(applyMergePatch(c.original, patch)).toEqual(c.modified);
    });
  }
  for (const [i, c] of data.apply.entries()) {
    it(`applies RFC 7386 example ${i + 1}`, () => {
      expect(applyMergePatch(c.target, c.patch)).toEqual(c.result);
    });
  }
});
