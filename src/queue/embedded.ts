// Starts serve's embedded worker in a worker thread (./worker-thread.ts) and speaks for it in this thread: its log
// lines go to this thread's log, its metrics join this thread's /metrics, close() stops it cleanly (running
// diagnoses finish or are handed back, as in a `worker` process) and then ends the thread.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { SourceSpec } from "../cluster/source-spec.js";
import type { Config } from "../config.js";
import { auditEvent } from "../observability/log.js";
import { addMetricsSource, type MetricsJson } from "../observability/metrics.js";
import type { Log } from "./redis.js";
import type { WorkerTuning } from "./worker.js";
import type { LogArg, ThreadData, ToMain, ToThread } from "./worker-thread.js";

export interface WorkerThreadHandle {
  threadId: number;
  close(): Promise<void>;
}

export class WorkerThreadError extends Error {
  override name = "WorkerThreadError";
}

/** Makes the thread from its data: by default the built file beside this module (dist/, where the bundle puts it). */
export type MakeWorker = (data: ThreadData) => Worker;

const builtWorker: MakeWorker = (data) => {
  const built = new URL("./worker-thread.js", import.meta.url);
  if (!existsSync(fileURLToPath(built)))
    throw new WorkerThreadError(
      `the worker thread's code is missing (${fileURLToPath(built)}): run npm run build`,
    );
  return new Worker(built, { workerData: data });
};

function logArg(a: LogArg): unknown {
  if (typeof a === "string") return a;
  if ("audit" in a) return auditEvent(a.audit);
  return Object.assign(new Error(a.error.message), { name: a.error.name });
}

export async function startWorkerThread(
  config: Config,
  source: SourceSpec,
  o: { log: Log; env: NodeJS.ProcessEnv; tuning?: WorkerTuning; makeWorker?: MakeWorker },
): Promise<WorkerThreadHandle> {
  const worker = (o.makeWorker ?? builtWorker)({
    config,
    source,
    env: { ...o.env },
    ...(o.tuning ? { tuning: o.tuning } : {}),
  });
  const send = (m: ToThread) => worker.postMessage(m);
  const metricsWaiting = new Map<number, (m: MetricsJson) => void>();
  let nextId = 0;
  let closed: (() => void) | undefined;
  const started = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: ToMain) => {
      switch (m.type) {
        case "ready":
          return resolve();
        case "failed":
          return reject(Object.assign(new WorkerThreadError(m.message), { name: m.name }));
        case "log":
          return o.log[m.level](...m.args.map(logArg));
        case "metrics":
          metricsWaiting.get(m.id)?.(m.metrics as MetricsJson);
          metricsWaiting.delete(m.id);
          return;
        case "closed":
          return closed?.();
      }
    });
    worker.once("error", (e) => {
      o.log.error(`the embedded worker thread failed: ${e.message}`);
      reject(e);
    });
    worker.once("exit", (code) => {
      for (const done of metricsWaiting.values()) done([]);
      metricsWaiting.clear();
      closed?.();
      reject(new WorkerThreadError(`the embedded worker thread exited (${code}) while starting`));
    });
  });
  try {
    await started;
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  const removeMetrics = addMetricsSource(
    () =>
      new Promise<MetricsJson>((resolve) => {
        const id = nextId++;
        metricsWaiting.set(id, resolve);
        send({ type: "metrics", id });
        setTimeout(() => {
          metricsWaiting.delete(id);
          resolve([]);
        }, 1000).unref();
      }),
  );
  let closing: Promise<void> | undefined;
  return {
    threadId: worker.threadId,
    close: () => {
      closing ??= (async () => {
        removeMetrics();
        await new Promise<void>((resolve) => {
          closed = resolve;
          send({ type: "close" });
        });
        await worker.terminate();
      })();
      return closing;
    },
  };
}
