// Bytes, API calls and wall time of one live diagnosis, against reading every record as `helm history` does
// (a full list of the release's Secrets), on a release with 200 revisions of ~300 KB and 300 pods.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { LiveSource } from "../../src/cluster/live.js";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import type { Release } from "../../src/helm/types.js";
import { startFakeApiServer } from "../support/fake-apiserver/index.js";
import type { Obj } from "../support/scenario.js";
import { FOUNDING_NOW, foundingCase } from "../support/scenarios/founding.js";
import { replicaSet } from "../support/scenarios/workloads.js";

/** Chart files that gzip about like real dashboards do (~3:1), to reach ~300 KB per record. */
function padChart(rel: Release, kb: number): void {
  const files = [];
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  for (let i = 0; i < kb / 4; i++) {
    let t = "";
    while (t.length < 4096)
      t += `{"id":${rnd() % 100000},"expr":"sum(rate(m_${rnd() % 5000}[5m]))","title":"p${rnd() % 997}"},`;
    files.push({ name: `files/d${i}.json`, data: Buffer.from(t.slice(0, 4096)).toString("base64") });
  }
  rel.chart!.files = files;
}

export interface LiveBench {
  rows: string[][];
  bytesRatio: number;
  calls: number;
}

/**
 * The founding case, preceded by many healthy upgrades (revision N-1 → N is the broken transition), with chart
 * files padded to `recordKb` per revision and `pods` more running pods: the objects to seed.
 */
export function longHistory(revisions = 200, pods = 300, recordKb = 900, namespace?: string): Obj[] {
  const sc = foundingCase(namespace ? { namespace } : {});
  const [r1, r2] = sc.releases;
  const all: Release[] = [];
  for (let v = 1; v <= revisions; v++) {
    const base = v === revisions ? r2! : r1!;
    const rel = structuredClone(base) as Release;
    rel.version = v;
    rel.info = {
      ...rel.info,
      status: v === revisions ? "deployed" : "superseded",
      description: v === 1 ? "Install complete" : "Upgrade complete",
    };
    padChart(rel, recordKb);
    all.push(rel);
  }
  sc.releases.splice(0, sc.releases.length, ...all);
  const deploy = sc.live.find((o) => o.kind === "Deployment")!;
  replicaSet(
    sc,
    deploy as Obj,
    "5f5f5f5f5",
    3,
    Array.from({ length: pods }, () => ({ state: "running" })),
    60,
  );
  return sc.bundle().items;
}

export async function benchLive(revisions = 200, pods = 300, recordKb = 900): Promise<LiveBench> {
  const items = longHistory(revisions, pods, recordKb);

  const srv = await startFakeApiServer();
  try {
    srv.seed(items);
    const kubeconfig = srv.writeKubeconfig(mkdtempSync(join(tmpdir(), "hd-bench-")));
    const recordBytes = items
      .filter((o: Obj) => o.kind === "Secret")
      .reduce((a: number, o: Obj) => a + o.data.release.length, 0);

    srv.resetCounters();
    const t0 = performance.now();
    const src = await LiveSource.fromKubeconfig({ kubeconfig, env: {} });
    const d = diagnose(await src.load("yahoo", "default", new Date(FOUNDING_NOW)));
    const ours = performance.now() - t0;
    const oursBytes = srv.requests.reduce((a, r) => a + r.bytes, 0);
    const oursCalls = srv.requests.length;
    if (d.findings[0]?.code !== "resource-moved-into-hook")
      throw new Error(`unexpected finding ${d.findings[0]?.code}`);

    srv.resetCounters();
    const t1 = performance.now();
    const core = srv.kubeConfig().makeApiClient(CoreV1Api);
    await core.listNamespacedSecret({ namespace: "default", labelSelector: "owner=helm,name=yahoo" });
    const helm = performance.now() - t1;
    const helmBytes = srv.requests.reduce((a, r) => a + r.bytes, 0);

    const bytesRatio = oursBytes / helmBytes;
    return {
      rows: [
        [
          "revisions × stored record size",
          `${revisions} × ${Math.round(recordBytes / revisions / 1024)} KiB (wire base64)`,
        ],
        ["pods", String(pods + 2)],
        ["helm-doctor: bytes / calls / wall ms", `${oursBytes} / ${oursCalls} / ${ours.toFixed(0)}`],
        ["full history read: bytes / calls / wall ms", `${helmBytes} / 1 / ${helm.toFixed(0)}`],
        ["bytes ratio (target ≤ 5%)", `${(bytesRatio * 100).toFixed(2)}%`],
        ["calls (target ≤ 15)", String(oursCalls)],
      ],
      bytesRatio,
      calls: oursCalls,
    };
  } finally {
    await srv.close();
  }
}
