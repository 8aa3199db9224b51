// The records helm-doctor writes against what the real helm CLI wrote (test/fixtures/real-releases):
// same object shape, type and labels, same payload fields in the same order, and the release serialiser
// reproduces real Helm 3 and Helm 4 payloads byte for byte.
import { afterEach, describe, expect, it } from "vitest";
import { decodeRecordObject } from "../../src/cluster/store-records.js";
import { decodeRecord, type RecordObject } from "../../src/helm/codec.js";
import {
  dialectOf,
  goString,
  goTime,
  payloadJson,
  releaseJson,
  topLevelSpans,
} from "../../src/helm/gojson.js";
import { readRealRecord, realRecordFiles } from "../support/real-fixtures.js";
import { foundingCase } from "../support/scenarios/founding.js";
import { foundingWithJobHook } from "../support/scenarios/remediation.js";
import { type Env, recordObj, run, setup } from "./support.js";

let env: Env | undefined;
afterEach(async () => {
  await env?.srv.close();
  env = undefined;
});

type Obj = Record<string, unknown> & {
  data: { release: string };
  metadata: { labels: Record<string, string> };
};

function payload(o: Obj): Record<string, unknown> {
  return JSON.parse(payloadJson(Buffer.from(o.data.release, "base64").toString("latin1")));
}

const keys = (o: unknown) => Object.keys(o as object);
const real = (f: string) => readRealRecord(f) as unknown as Obj;
const HELM3 = "replicatedhq__kots__test-chart-v1-hooks-helm3lib-secret.yaml";
const HELM4 = "replicatedhq__kots__test-chart-v1-hooks-helm4lib-secret.yaml";
const FINISHED = "FairwindsOps__pluto__demo2-v1-secret.json";

describe("records written by a remediation", () => {
  it("have the real records' object shape, type, labels and payload fields (Helm 3 dialect)", async () => {
    env = await setup(foundingWithJobHook().bundle().items);
    const r = await run(env, { action: "rerun-upgrade" });
    expect(r.outcome).toBe("succeeded");
    const mine = recordObj(env.srv, 3) as unknown as Obj;
    const ref3 = real(HELM3);
    const finished = real(FINISHED);
    // The codec accepts it.
    const dec = decodeRecord(mine as unknown as RecordObject);
    expect(dec.error).toBeUndefined();
    expect(dec.release!.version).toBe(3);
    // Object: same top-level keys and type as a kubectl dump of a real record.
    expect(keys(mine).sort()).toEqual(keys(finished).sort());
    expect(mine.type).toBe(finished.type);
    // Labels: a finished revision carries exactly what the real one does (name, owner, status, version, modifiedAt).
    expect(keys(mine.metadata.labels).sort()).toEqual(keys(finished.metadata.labels).sort());
    // Payload: fields and their order as Helm's structs.
    const p = payload(mine);
    const p3 = payload(ref3);
    expect(keys(p)).toEqual(keys(p3));
    expect(keys(p.info)).toEqual(keys(p3.info));
    expect(keys((p.chart as object) ?? {})).toEqual(keys(p3.chart));
    const hooks = p.hooks as Record<string, unknown>[];
    const realHook = (p3.hooks as Record<string, unknown>[])[0]!;
    // Helm omits weight 0 and empty policies; ours carry both, in struct order after the real hook's keys.
    expect(keys(hooks[0]!)).toEqual([...keys(realHook), "weight", "delete_policies"]);
    expect(keys(hooks[0]!.last_run)).toEqual(keys(realHook.last_run));
    expect(keys(hooks[1]!)).toEqual([...keys(realHook), "delete_policies"]);
  });

  it("have the real Helm 4 record's payload fields when the release was written by Helm 4", async () => {
    env = await setup(foundingCase({ helm4: true }).bundle().items);
    const r = await run(env, { action: "rollback", revision: 1 });
    expect(r.outcome).toBe("succeeded");
    const p = payload(recordObj(env.srv, 3) as unknown as Obj);
    const p4 = payload(real(HELM4));
    // Rollback to 1 has no hooks: Helm omits the key.
    expect(keys(p)).toEqual(keys(p4).filter((k) => k !== "hooks"));
    expect(p.apply_method).toBe("csa");
    expect(keys(p.info)).toEqual(["first_deployed", "last_deployed", "description", "status"]);
    expect("deleted" in (p.info as object)).toBe(false);
  });

  it("copy the chart byte for byte from the source revision", async () => {
    env = await setup(foundingCase().bundle().items);
    await run(env, { action: "rollback", revision: 1 });
    const spans = (n: number) =>
      topLevelSpans(
        payloadJson(
          Buffer.from((recordObj(env!.srv, n) as unknown as Obj).data.release, "base64").toString("latin1"),
        ),
      )!;
    expect(spans(3).get("chart")).toBe(spans(1).get("chart"));
  });
});

describe("Go JSON", () => {
  for (const f of realRecordFiles()) {
    it(`re-serialises ${f} as Helm wrote it`, () => {
      const o = readRealRecord(f) as unknown as Obj;
      const json = payloadJson(Buffer.from(o.data.release, "base64").toString("latin1"));
      const rel = decodeRecordObject(o as never, "secret");
      const again = releaseJson(rel, dialectOf(rel));
      // One fixture was edited and re-compressed by hand upstream (pretty-printed JSON): not Helm's bytes.
      if (f.includes("reencoded")) expect(JSON.parse(again)).toEqual(JSON.parse(json));
      else expect(again).toBe(json);
    });
  }

  it("escapes strings as Go does and prints times as RFC3339Nano", () => {
    expect(goString('a && b <x> "q"\u2028')).toBe('"a \\u0026\\u0026 b \\u003cx\\u003e \\"q\\"\\u2028"');
    expect(goTime(new Date("2026-11-20T10:00:00.000Z"))).toBe("2026-11-20T10:00:00Z");
    expect(goTime(new Date("2026-11-20T10:00:00.120Z"))).toBe("2026-11-20T10:00:00.12Z");
    expect(topLevelSpans('{"a": {"b": "}"}, "c":[1,"]"] ,"d":null}')).toEqual(
      new Map([
        ["a", '{"b": "}"}'],
        ["c", '[1,"]"]'],
        ["d", "null"],
      ]),
    );
  });
});
