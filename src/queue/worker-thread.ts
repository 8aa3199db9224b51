// The embedded worker of `helm-doctor serve`, in a worker thread of its own: diagnoses, plans and remediations
// (record decoding, gunzip, analysis, the Slack deliveries) run here, so the event loop of the Slack front end
// only parses, acks and enqueues. Started by ./embedded.ts, which it talks to by messages: its log lines and
// metrics go up, "close" comes down. It has its own Redis connections and Slack Web API client, as a `worker`
// process would.
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { type SourceSpec, sourceFactoryOf } from "../cluster/source-spec.js";
import type { Config } from "../config.js";
import { AuditEvent } from "../observability/log.js";
import {
  observeDiagnoseWorker,
  observeHttp,
  observeRemediateWorker,
  threadMetricsJson,
} from "../observability/metrics.js";
import { secrets } from "../report/redact.js";
import type { Log } from "./redis.js";
import { startWorker, type WorkerTuning } from "./worker.js";

export interface ThreadData {
  config: Config;
  source: SourceSpec;
  env: NodeJS.ProcessEnv;
  tuning?: WorkerTuning;
}

/** A log call's arguments as they cross to the other thread (class instances do not survive the copy). */
export type LogArg =
  | string
  | { audit: Record<string, unknown> }
  | { error: { name: string; message: string } };

export type ToMain =
  | { type: "ready" }
  | { type: "failed"; name: string; message: string }
  | { type: "log"; level: keyof Log; args: LogArg[] }
  | { type: "metrics"; id: number; metrics: unknown }
  | { type: "closed" };

export type ToThread = { type: "close" } | { type: "metrics"; id: number };

/** Redacted here: the secrets of the snapshots this thread read are known to this thread only. */
function logArg(m: unknown): LogArg {
  if (m instanceof AuditEvent) return { audit: secrets.deep(m.fields) };
  if (m instanceof Error) return { error: { name: m.name, message: secrets.text(m.message) } };
  return secrets.text(typeof m === "string" ? m : JSON.stringify(m));
}

function forwardingLog(port: MessagePort): Log {
  const at =
    (level: keyof Log) =>
    (...args: unknown[]) =>
      port.postMessage({ type: "log", level, args: args.map(logArg) } satisfies ToMain);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

async function run(port: MessagePort, data: ThreadData): Promise<void> {
  const post = (m: ToMain) => port.postMessage(m);
  observeHttp(); // this thread's Kubernetes requests
  let handle: Awaited<ReturnType<typeof startWorker>>;
  try {
    handle = await startWorker(data.config, {
      sourceFactory: sourceFactoryOf(data.source, data.env),
      log: forwardingLog(port),
      handleSignals: false,
      ...(data.tuning ? { tuning: data.tuning } : {}),
    });
  } catch (e) {
    post({ type: "failed", name: (e as Error).name, message: (e as Error).message });
    return;
  }
  observeDiagnoseWorker(handle.worker);
  observeRemediateWorker(handle.remediateWorker);
  port.on("message", (m: ToThread) => {
    if (m.type === "metrics")
      void threadMetricsJson().then((metrics) => post({ type: "metrics", id: m.id, metrics }));
    else if (m.type === "close")
      void handle.close().finally(() => {
        post({ type: "closed" });
        port.close();
      });
  });
  post({ type: "ready" });
}

if (parentPort) void run(parentPort, workerData as ThreadData);
