// `history` on every real record and on records the builders write.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeRecord } from "../../src/helm/codec.js";
import { runCli } from "../support/cli.js";
import { FIXTURE_DIR } from "../support/fixtures.js";
import { REAL_DIR, readRealRecord, realRecordFiles } from "../support/real-fixtures.js";

describe("history", () => {
  for (const file of realRecordFiles()) {
    it(`lists the real record ${file} with the payload's revision and status`, async () => {
      const obj = readRealRecord(file);
      const rel = decodeRecord(obj).release!;
      // Records live in the object's namespace, whatever the payload says (some fixtures disagree).
      const ns = obj.metadata?.namespace;
      const args = ["history", rel.name, "--bundle", REAL_DIR + file, "--output", "json"];
      const r = await runCli(ns ? [...args, "-n", ns] : args);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const rows = JSON.parse(r.stdout);
      expect(rows).toEqual([expect.objectContaining({ revision: rel.version, status: rel.info.status })]);
    });
  }

  it("prints helm's columns as text and lists undecodable records with their error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hd-hist-"));
    const bundle = JSON.parse(
      await (await import("node:fs/promises")).readFile(`${FIXTURE_DIR}founding-case.json`, "utf8"),
    );
    bundle.items.push({
      apiVersion: "v1",
      kind: "Secret",
      type: "helm.sh/release.v1",
      metadata: {
        name: "sh.helm.release.v1.yahoo.v3",
        namespace: "default",
        labels: { name: "yahoo", owner: "helm", status: "pending-upgrade", version: "3" },
      },
      data: { release: Buffer.from("H4sIAAAA-broken").toString("base64") },
    });
    const f = join(dir, "b.json");
    writeFileSync(f, JSON.stringify(bundle));
    const text = await runCli(["history", "yahoo", "-n", "default", "--bundle", f]);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^REVISION\s+UPDATED\s+STATUS\s+CHART\s+APP VERSION\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(
      /^1\s+2026-11-20T10:00:00.000Z\s+superseded\s+basic-app-0.1.0\s+1.16.0\s+Install complete$/,
    );
    expect(lines[3]).toMatch(/^3\s+pending-upgrade\s+undecodable record: .*base64/);
    const json = JSON.parse(
      (await runCli(["history", "yahoo", "-n", "default", "--bundle", f, "-o", "json"])).stdout,
    );
    expect(json.map((x: { revision: number }) => x.revision)).toEqual([1, 2, 3]);
    expect(json[2].error).toMatch(/base64/);
  });
});
