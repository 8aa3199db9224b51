// Release records that Helm would read differently from how they look: each becomes a release-record-corrupt
// finding when read from a cluster (fake API server, LiveSource), as label mismatches already do.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LiveSource } from "../../src/cluster/live.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Finding } from "../../src/diagnosis/types.js";
import { decodeSecretData, encodeReleaseString, recordObject } from "../../src/helm/codec.js";
import { type FakeApiServer, startFakeApiServer } from "../support/fake-apiserver/index.js";
import type { Obj } from "../support/scenario.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";

const NOW = new Date(FOUNDING_NOW);
let srv: FakeApiServer;

beforeEach(async () => {
  srv = await startFakeApiServer();
});
afterEach(async () => {
  await srv.close();
});

const V2 = "sh.helm.release.v1.yahoo.v2";

/** The founding case with revision 2's record changed by `edit` (payload JSON and/or the record object). */
function seedWith(edit: (payload: Obj, record: Obj) => Obj[] | undefined): void {
  const items = foundingCase().bundle().items as Obj[];
  const out: Obj[] = [];
  for (const o of items) {
    if (o.kind !== "Secret" || o.metadata?.name !== V2) {
      out.push(o);
      continue;
    }
    const payload = JSON.parse(JSON.stringify(decodeSecretData(o.data.release))) as Obj;
    out.push(
      ...(edit(payload, o) ?? [recordObject("secret", o.metadata, encodeReleaseString(payload as never))]),
    );
  }
  srv.seed(out);
}

async function corruptFindings(): Promise<Finding[]> {
  const kubeconfig = srv.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-rec-")));
  const src = await LiveSource.fromKubeconfig({ kubeconfig, env: {} });
  const d = diagnose(await src.load("yahoo", "default", NOW));
  return d.findings.filter((f) => f.code === "release-record-corrupt");
}

const text = (fs: Finding[]) => JSON.stringify(fs);

describe("record inconsistencies", () => {
  it("a record stored in one namespace whose payload names another", async () => {
    seedWith((p) => {
      p.namespace = "shop";
      return undefined;
    });
    const fs = await corruptFindings();
    expect(fs).toHaveLength(1);
    expect(text(fs)).toContain(`stored in namespace default but the payload names namespace \\"shop\\"`);
  });

  it("two records for the same release and revision", async () => {
    seedWith((p, rec) => {
      const encoded = encodeReleaseString(p as never);
      return [
        recordObject("secret", rec.metadata, encoded),
        // A copy made with kubectl gets its own uid.
        recordObject("secret", { ...rec.metadata, name: `${V2}.backup`, uid: undefined }, encoded),
      ];
    });
    const fs = await corruptFindings();
    expect(fs).toHaveLength(1);
    expect(fs[0]!.title).toContain("2 records for revision 2");
    expect(text(fs)).toContain(`${V2}.backup`);
    expect(fs[0]!.resources.map((r) => r.name).sort()).toEqual([V2, `${V2}.backup`]);
  });

  it("a payload field of the wrong type (Go's json.Unmarshal rejects the record)", async () => {
    seedWith((p) => {
      p.chart.metadata.name = [1, 2];
      return undefined;
    });
    const fs = await corruptFindings();
    expect(fs).toHaveLength(1);
    expect(fs[0]!.severity).toBe("critical");
    expect(fs[0]!.title).toContain("chart.metadata.name: want string, got array");
    // The chart is never shown as "1,2-0.1.0".
    const d = text(fs);
    expect(d).not.toContain("1,2-");
  });

  it("a time that is not RFC3339 (Go's time.Time rejects it)", async () => {
    seedWith((p) => {
      p.info.last_deployed = "Fri, 20 Nov 2026 11:00:00 GMT";
      return undefined;
    });
    const fs = await corruptFindings();
    expect(fs).toHaveLength(1);
    expect(fs[0]!.title).toContain("info.last_deployed");
  });

  it("URL-safe base64, which Helm's decoder (base64.StdEncoding) rejects", async () => {
    seedWith((p, rec) => {
      let encoded = encodeReleaseString(p as never);
      // Make sure the payload uses characters whose URL-safe spelling differs.
      expect(/[+/]/.test(encoded)).toBe(true);
      encoded = encoded.replaceAll("+", "-").replaceAll("/", "_");
      return [recordObject("secret", rec.metadata, encoded)];
    });
    const fs = await corruptFindings();
    expect(fs).toHaveLength(1);
    expect(fs[0]!.title).toContain("URL-safe base64");
  });

  it("the founding case itself has no such finding (near miss)", async () => {
    seedWith(() => undefined);
    expect(await corruptFindings()).toEqual([]);
  });
});
