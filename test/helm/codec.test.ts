import { gunzipSync, gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  decodeRecord,
  decodeReleaseString,
  encodeRecord,
  encodeReleaseString,
  parseRecordName,
  type RecordObject,
} from "../../src/helm/codec.js";
import type { Release } from "../../src/helm/types.js";
import { readRealRecord, realRecordFiles } from "../support/real-fixtures.js";

const EXPECTED: Record<
  string,
  { name: string; version: number; status: string; hooks: number; namespace?: string }
> = {
  "FairwindsOps__pluto__demo2-v1-secret.json": {
    name: "demo2",
    version: 1,
    status: "deployed",
    hooks: 0,
    namespace: "demo2",
  },
  "FairwindsOps__pluto__test-reencoded-secret.json": {
    name: "test",
    version: 2,
    status: "deployed",
    hooks: 0,
    namespace: "demo2",
  },
  "FairwindsOps__pluto__test-v1-secret.json": {
    name: "test",
    version: 1,
    status: "deployed",
    hooks: 0,
    namespace: "default",
  },
  "deckhouse__deckhouse__foo2-v1-label-superseded-secret.yaml": {
    name: "foooo",
    version: 1,
    status: "deployed",
    hooks: 0,
  },
  "deckhouse__deckhouse__foobar-v3-secret.yaml": { name: "foobar", version: 3, status: "deployed", hooks: 0 },
  "deckhouse__deckhouse__fooing-v1-secret.yaml": { name: "fooing", version: 1, status: "deployed", hooks: 0 },
  "kubevious__mock-data__traefik-samples-v1-secret.yaml": {
    name: "traefik-samples",
    version: 1,
    status: "deployed",
    hooks: 0,
  },
  "replicatedhq__kots__test-chart-v1-hooks-helm3lib-secret.yaml": {
    name: "test-chart",
    version: 1,
    status: "deployed",
    hooks: 3,
    namespace: "helmns",
  },
  "replicatedhq__kots__test-chart-v1-hooks-helm4lib-secret.yaml": {
    name: "test-chart",
    version: 1,
    status: "deployed",
    hooks: 3,
    namespace: "helmns",
  },
};

describe("real release records", () => {
  it("covers every fixture file", () => {
    expect(realRecordFiles()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const file of Object.keys(EXPECTED)) {
    it(`decodes ${file}`, () => {
      const rec = decodeRecord(readRealRecord(file));
      const want = EXPECTED[file]!;
      expect(rec.error).toBeUndefined();
      expect(rec.driver).toBe("secret");
      expect(rec.release!.name).toBe(want.name);
      expect(rec.release!.version).toBe(want.version);
      expect(rec.release!.info.status).toBe(want.status);
      expect(rec.release!.hooks?.length ?? 0).toBe(want.hooks);
      if (want.namespace) expect(rec.release!.namespace).toBe(want.namespace);
      expect(rec.release!.manifest.length).toBeGreaterThan(0);
    });
  }

  it("keeps Helm's omission of empty hooks and config (no key at all)", () => {
    const rec = decodeRecord(readRealRecord("FairwindsOps__pluto__test-v1-secret.json"));
    expect(Object.keys(rec.release!)).not.toContain("hooks");
    expect(Object.keys(rec.release!)).not.toContain("config");
  });

  it("reads Helm 3 empty-string times and Helm 4 omitted times and apply_method", () => {
    const h3 = decodeRecord(readRealRecord("replicatedhq__kots__test-chart-v1-hooks-helm3lib-secret.yaml"))
      .release!;
    const h4 = decodeRecord(readRealRecord("replicatedhq__kots__test-chart-v1-hooks-helm4lib-secret.yaml"))
      .release!;
    expect(h3.hooks![0]!.last_run).toEqual({ started_at: "", completed_at: "", phase: "" });
    expect(h4.hooks![0]!.last_run).toEqual({ phase: "" });
    expect(h4.apply_method).toBe("ssa");
    expect(h3.apply_method).toBeUndefined();
    expect(h3.hooks!.map((h) => [h.name, h.kind, h.events, h.weight ?? 0])).toEqual([
      ["security-test-example-chart-test-connection", "Pod", ["test"], 0],
      ["post-install-job", "Job", ["post-install"], 2],
      ["pre-install-job", "Job", ["pre-install"], 2],
    ]);
  });

  it("decodes a payload re-compressed with another gzip header", () => {
    const obj = readRealRecord("FairwindsOps__pluto__test-reencoded-secret.json");
    const inner = Buffer.from(Buffer.from(obj.data!.release!, "base64").toString("latin1"), "base64");
    expect(inner.subarray(0, 3).toString("hex")).toBe("1f8b08");
    expect(inner.subarray(0, 10).toString("hex")).not.toBe("1f8b08000000000002ff");
    expect(decodeRecord(obj).release!.version).toBe(2);
  });

  it("re-encodes a real record to a payload that decodes to the same JSON", () => {
    for (const file of realRecordFiles()) {
      const obj = readRealRecord(file);
      const rel = decodeRecord(obj).release!;
      const again = decodeRecord(encodeRecord(rel, { driver: "secret" }) as RecordObject).release!;
      expect(again).toEqual(rel);
      expect(Object.keys(again)).toEqual(Object.keys(rel));
    }
  });
});

function sample(): Release {
  return {
    name: "yahoo",
    info: {
      first_deployed: "2026-11-20T10:00:00Z",
      last_deployed: "2026-11-20T10:00:00Z",
      deleted: "",
      description: "Install complete",
      status: "deployed",
    },
    chart: { metadata: { name: "basic-app", version: "0.1.0", appVersion: "1.16.0" }, templates: [] },
    manifest:
      "---\n# Source: basic-app/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    version: 1,
    namespace: "default",
    some_future_field: { kept: true },
  };
}

describe("encode → decode", () => {
  it("round-trips the Secret driver with Helm's gzip header, labels and double base64", () => {
    const obj = encodeRecord(sample(), {
      driver: "secret",
      modifiedAt: 1763632800,
    }) as unknown as RecordObject & {
      type: string;
    };
    expect(obj.kind).toBe("Secret");
    expect(obj.type).toBe("helm.sh/release.v1");
    expect(obj.metadata!.name).toBe("sh.helm.release.v1.yahoo.v1");
    expect(obj.metadata!.labels).toEqual({
      name: "yahoo",
      owner: "helm",
      status: "deployed",
      version: "1",
      modifiedAt: "1763632800",
    });
    const helmString = Buffer.from(obj.data!.release!, "base64").toString("latin1");
    const gz = Buffer.from(helmString, "base64");
    expect(gz.subarray(0, 10).toString("hex")).toBe("1f8b08000000000002ff");
    expect(JSON.parse(gunzipSync(gz).toString())).toEqual(sample());
    expect(decodeRecord(obj).release).toEqual(sample());
  });

  it("round-trips the ConfigMap driver (single base64, no type)", () => {
    const obj = encodeRecord(sample(), { driver: "configmap", createdAt: 5 }) as RecordObject & {
      type?: string;
    };
    expect(obj.kind).toBe("ConfigMap");
    expect(obj.type).toBeUndefined();
    expect(obj.metadata!.labels!.createdAt).toBe("5");
    const rec = decodeRecord(obj);
    expect(rec.driver).toBe("configmap");
    expect(rec.release).toEqual(sample());
  });

  it("accepts raw JSON without gzip, as Helm does", () => {
    const raw = Buffer.from(JSON.stringify(sample())).toString("base64");
    expect(decodeReleaseString(raw).name).toBe("yahoo");
  });

  it("keeps Go's JSON key order for a release built in Helm's order", () => {
    const s = encodeReleaseString(sample());
    const json = gunzipSync(Buffer.from(s, "base64")).toString();
    expect(Object.keys(JSON.parse(json))).toEqual([
      "name",
      "info",
      "chart",
      "manifest",
      "version",
      "namespace",
      "some_future_field",
    ]);
  });
});

describe("corrupt records give an error, never a throw", () => {
  const wrap = (helmString: string, kind: "Secret" | "ConfigMap" = "Secret"): RecordObject => ({
    kind,
    metadata: {
      name: "sh.helm.release.v1.x.v1",
      labels: { owner: "helm", name: "x", version: "1", status: "deployed" },
    },
    data: { release: kind === "Secret" ? Buffer.from(helmString, "latin1").toString("base64") : helmString },
  });
  it("bad base64 in the API layer", () => {
    const rec = decodeRecord({
      kind: "Secret",
      metadata: { name: "sh.helm.release.v1.x.v1" },
      data: { release: "!!!not base64" },
    });
    expect(rec.error).toMatch(/base64/);
    expect(rec.release).toBeUndefined();
  });
  it("bad base64 in Helm's layer", () => {
    expect(decodeRecord(wrap("@@@@")).error).toMatch(/base64/);
  });
  it("truncated gzip", () => {
    const gz = gzipSync(Buffer.from(JSON.stringify(sample())));
    expect(decodeRecord(wrap(gz.subarray(0, gz.length - 20).toString("base64"))).error).toMatch(/gzip/);
  });
  it("invalid JSON", () => {
    expect(decodeRecord(wrap(gzipSync(Buffer.from("{not json")).toString("base64"))).error).toMatch(/JSON/);
  });
  it("a type Go would reject (version as a string)", () => {
    const bad = { ...sample(), version: "1" };
    const err = decodeRecord(
      wrap(gzipSync(Buffer.from(JSON.stringify(bad))).toString("base64"), "ConfigMap"),
    ).error;
    expect(err).toMatch(/version: want integer, got string/);
  });
  it("a hook weight that is not an integer", () => {
    const bad = {
      ...sample(),
      hooks: [{ name: "h", kind: "Job", path: "p", manifest: "", events: ["pre-install"], weight: "5" }],
    };
    expect(decodeRecord(wrap(gzipSync(Buffer.from(JSON.stringify(bad))).toString("base64"))).error).toMatch(
      /hooks\[0\]\.weight/,
    );
  });
  it("names the exact field Go would fail on: an event that is not a string, a time that is not RFC 3339", () => {
    const err = (rel: unknown) =>
      decodeRecord(wrap(gzipSync(Buffer.from(JSON.stringify(rel))).toString("base64"))).error;
    expect(err({ ...sample(), hooks: [{ name: "h", events: ["pre-install", 3] }] })).toBe(
      "release field hooks[0].events[1]: want string, got number",
    );
    expect(err({ ...sample(), info: { status: "deployed", last_deployed: "yesterday" } })).toBe(
      'release field info.last_deployed: "yesterday" is not an RFC3339 time',
    );
    // Near misses Go accepts: null (its zero value), "" for Helm 3's zero time, fields it does not know.
    expect(
      err({
        ...sample(),
        info: { status: "deployed", deleted: "", notes: null },
        labels: { a: "b" },
        hooks: null,
      }),
    ).toBeUndefined();
  });
  it("a missing payload", () => {
    expect(
      decodeRecord({ kind: "Secret", metadata: { name: "sh.helm.release.v1.x.v1" }, data: {} }).error,
    ).toMatch(/no data.release/);
  });
});

describe("record names", () => {
  it("parses release names containing dots", () => {
    expect(parseRecordName("sh.helm.release.v1.my.app.v12")).toEqual({ release: "my.app", revision: 12 });
    expect(parseRecordName("something-else")).toBeUndefined();
  });
});
