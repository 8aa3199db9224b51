// Decode throughput of release records vs the floor of raw zlib.gunzipSync + JSON.parse on the same bytes.
import { gunzipSync } from "node:zlib";
import { decodeRecord, encodeRecord, type RecordObject } from "../../src/helm/codec.js";
import type { Release } from "../../src/helm/types.js";
import { readRealRecord, realRecordFiles } from "../support/real-fixtures.js";
import { foundingCase } from "../support/scenarios/founding.js";

/** A release whose chart carries ~`kb` KiB of files, like a chart with dashboards or CRDs. */
function bigRelease(kb: number): Release {
  const rel = structuredClone(foundingCase().releases[1]!) as Release;
  const files = [];
  for (let i = 0; i < kb / 8; i++) {
    const text = Array.from(
      { length: 200 },
      (_, j) => `  "panel_${i}_${j}": {"expr": "rate(http_requests_total{job=\\"x${j}\\"}[5m])"}`,
    ).join(",\n");
    files.push({
      name: `files/dashboard-${i}.json`,
      data: Buffer.from(text.slice(0, 8192)).toString("base64"),
    });
  }
  rel.chart!.files = files;
  return rel;
}

function time(fn: () => void, minMs = 400): number {
  for (let i = 0; i < 3; i++) fn(); // warm up
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    fn();
    n++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return elapsed / n;
}

export function benchDecode(): { rows: string[][]; ratio: number } {
  const records: RecordObject[] = [
    ...realRecordFiles().map(readRealRecord),
    encodeRecord(bigRelease(64), { driver: "secret" }) as unknown as RecordObject,
    encodeRecord(bigRelease(300), { driver: "secret" }) as unknown as RecordObject,
  ];
  const gz = records.map((r) =>
    Buffer.from(Buffer.from(r.data!.release!, "base64").toString("latin1"), "base64"),
  );
  const wire = records.reduce((a, r) => a + r.data!.release!.length, 0);
  const full = time(() => {
    for (const r of records) decodeRecord(r);
  });
  const floor = time(() => {
    for (const g of gz) JSON.parse(gunzipSync(g).toString("utf8"));
  });
  const ratio = full / floor;
  return {
    rows: [
      ["records", String(records.length)],
      ["wire bytes (data.release, all records)", String(wire)],
      ["decodeRecord, all records (ms)", full.toFixed(3)],
      ["floor: gunzipSync + JSON.parse (ms)", floor.toFixed(3)],
      ["ratio (target ≤ 1.3)", ratio.toFixed(2)],
      ["decode throughput (MB/s of wire bytes)", (wire / 1e6 / (full / 1000)).toFixed(1)],
    ],
    ratio,
  };
}
