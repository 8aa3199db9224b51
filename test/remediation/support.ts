// Shared setup of the remediation tests: a fake API server seeded with a scenario, a LiveSource and a
// KubeWriter on it with short waits, and helpers to read records and the request log.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveSource } from "../../src/cluster/live.js";
import { KubeWriter } from "../../src/cluster/writer.js";
import { decodeRecord, type RecordObject, recordName } from "../../src/helm/codec.js";
import type { ReleaseRecord } from "../../src/helm/types.js";
import { type RemediateRequest, remediate } from "../../src/remediation/remediate.js";
import type { ProgressEvent } from "../../src/remediation/types.js";
import { type FakeApiServer, type KubeObject, startFakeApiServer } from "../support/fake-apiserver/index.js";

export interface Env {
  srv: FakeApiServer;
  kubeconfig: string;
  source: LiveSource;
  writer: KubeWriter;
  progress: ProgressEvent[];
  audit: string[];
}

const dir = mkdtempSync(join(tmpdir(), "hd-remediate-"));
let n = 0;

export async function setup(items: unknown[]): Promise<Env> {
  const srv = await startFakeApiServer();
  srv.seed(items);
  const kubeconfig = srv.writeKubeconfig(mkdtempSync(join(dir, `k${n++}-`)));
  const source = await LiveSource.fromKubeconfig({
    kubeconfig,
    env: {},
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
  });
  const writer = new KubeWriter(source.kubeConfig, { baseDelayMs: 5, maxDelayMs: 20, pollIntervalMs: 20 });
  return { srv, kubeconfig, source, writer, progress: [], audit: [] };
}

export function run(env: Env, req: Partial<RemediateRequest> & Pick<RemediateRequest, "action">) {
  return remediate({
    release: "yahoo",
    namespace: "default",
    requestedBy: "@ana",
    source: env.source,
    writer: env.writer,
    hookTimeoutMs: 5_000,
    onProgress: (e) => env.progress.push(e),
    logger: { info: (l) => env.audit.push(l) },
    ...req,
  });
}

export function recordObj(srv: FakeApiServer, rev: number, kind: "Secret" | "ConfigMap" = "Secret") {
  return srv.get({ kind, namespace: "default", name: recordName("yahoo", rev) });
}

export function record(
  srv: FakeApiServer,
  rev: number,
  kind: "Secret" | "ConfigMap" = "Secret",
): ReleaseRecord {
  const o = recordObj(srv, rev, kind);
  if (!o) throw new Error(`record v${rev} not found`);
  return decodeRecord(o as unknown as RecordObject);
}

export function revisions(srv: FakeApiServer, kind: "Secret" | "ConfigMap" = "Secret"): number[] {
  return srv
    .list({ kind, namespace: "default", labelSelector: "owner=helm,name=yahoo" })
    .map((o) => Number(o.metadata.labels?.version))
    .sort((a, b) => a - b);
}

/** Every write the server saw (watches and reads excluded). */
export function writes(srv: FakeApiServer) {
  return srv.requests.filter((r) => !["GET", "HEAD"].includes(r.method));
}

export function configMap(srv: FakeApiServer, name = "basic-app-config"): KubeObject | undefined {
  return srv.get({ kind: "ConfigMap", namespace: "default", name });
}
