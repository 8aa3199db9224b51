// Prometheus metrics (prom-client) of serve and worker, served at /metrics beside /healthz. Observed from the
// outside wherever possible, so the Slack, queue and cluster code stays as it is:
// - Slack ack latency: Bolt's HTTP responses to /slack/events (node:http's diagnostics channels; Bolt answers
//   when the listener acks);
// - Kubernetes API requests: client-node's HTTP requests (the same channels), by verb, resource and status;
// - Slack Web API calls: a fetch wrapper given to the WebClient, by method and Slack's error;
// - diagnoses, remediations, findings, queue waiting time: BullMQ worker events; queue depth at scrape time.
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from "prom-client";
import { withTimeout } from "../retry.js";

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: "helm_doctor_" });

const secondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export const metrics = {
  ackSeconds: new Histogram({
    name: "helm_doctor_slack_ack_seconds",
    help: "Time from a Slack request's arrival at /slack/events to Bolt's answer (the ack), by HTTP status",
    labelNames: ["status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [registry],
  }),
  diagnoses: new Counter({
    name: "helm_doctor_diagnoses_total",
    help: "Diagnosis jobs by outcome: report, not-found, list, retry (an attempt failed), error",
    labelNames: ["outcome"],
    registers: [registry],
  }),
  diagnosisSeconds: new Histogram({
    name: "helm_doctor_diagnosis_duration_seconds",
    help: "Run time of a diagnosis job attempt, by outcome",
    labelNames: ["outcome"],
    buckets: secondsBuckets,
    registers: [registry],
  }),
  findings: new Counter({
    name: "helm_doctor_findings_total",
    help: "Findings reported by diagnoses, by finding code",
    labelNames: ["code"],
    registers: [registry],
  }),
  remediations: new Counter({
    name: "helm_doctor_remediations_total",
    help: "Remediation jobs by stage (plan, execute), action and outcome",
    labelNames: ["stage", "action", "outcome"],
    registers: [registry],
  }),
  remediationSeconds: new Histogram({
    name: "helm_doctor_remediation_duration_seconds",
    help: "Run time of remediation jobs, by stage, action and outcome",
    labelNames: ["stage", "action", "outcome"],
    buckets: secondsBuckets,
    registers: [registry],
  }),
  queueWaitSeconds: new Histogram({
    name: "helm_doctor_queue_wait_seconds",
    help: "Time a job waited in its queue before a worker started it",
    labelNames: ["queue"],
    buckets: secondsBuckets,
    registers: [registry],
  }),
  kubeRequests: new Counter({
    name: "helm_doctor_kubernetes_requests_total",
    help: "Kubernetes API requests by verb, resource and HTTP status (error: no answer)",
    labelNames: ["verb", "resource", "code"],
    registers: [registry],
  }),
  kubeSeconds: new Histogram({
    name: "helm_doctor_kubernetes_request_duration_seconds",
    help: "Kubernetes API request latency by verb (watches until they end)",
    labelNames: ["verb"],
    buckets: secondsBuckets,
    registers: [registry],
  }),
  slackCalls: new Counter({
    name: "helm_doctor_slack_api_calls_total",
    help: "Slack Web API calls (each HTTP attempt) by method and Slack's error (none: ok)",
    labelNames: ["method", "error"],
    registers: [registry],
  }),
};

// ---------------------------------------------------------------- Kubernetes API requests

/** verb and resource of a Kubernetes API path, as the API server's request info resolver names them. */
export function kubeRequestInfo(
  method: string,
  rawPath: string,
): { verb: string; resource: string } | undefined {
  const [path = "", query = ""] = rawPath.split("?");
  const parts = path.split("/").filter(Boolean);
  let rest: string[];
  if (parts[0] === "api" && parts[1] !== undefined && !/^v\d/.test(parts[1])) return undefined;
  if (parts[0] === "api" && parts.length >= 2) rest = parts.slice(2);
  else if (parts[0] === "apis" && parts.length >= 3) rest = parts.slice(3);
  else if (parts[0] === "api" || parts[0] === "apis" || parts[0] === "version")
    return { verb: "discovery", resource: "" };
  else return undefined;
  if (rest.length === 0) return { verb: "discovery", resource: "" };
  if (rest[0] === "watch") rest = rest.slice(1);
  if (rest[0] === "namespaces" && rest.length >= 3) rest = rest.slice(2);
  const [resource = "", name, sub] = rest;
  const watch = /(^|&)watch=(true|1)(&|$)/.test(query) || parts.includes("watch");
  const m = method.toUpperCase();
  const verb =
    m === "GET" || m === "HEAD"
      ? watch
        ? "watch"
        : name
          ? "get"
          : "list"
      : m === "POST"
        ? "create"
        : m === "PUT"
          ? "update"
          : m === "PATCH"
            ? "patch"
            : m === "DELETE"
              ? name
                ? "delete"
                : "deletecollection"
              : m.toLowerCase();
  return { verb, resource: sub ? `${resource}/${sub}` : resource };
}

let subscribed = false;

/** Start observing HTTP: Kubernetes API requests (client) and Slack's acks (server). Idempotent. */
export function observeHttp(): void {
  if (subscribed) return;
  subscribed = true;
  const clientStarts = new WeakMap<ClientRequest, { t: number; verb: string; resource: string }>();
  subscribe("http.client.request.start", (msg) => {
    const req = (msg as { request: ClientRequest }).request;
    const info = kubeRequestInfo(req.method, req.path);
    if (!info) return;
    clientStarts.set(req, { t: performance.now(), ...info });
    req.once("error", () => {
      const s = clientStarts.get(req);
      if (!s) return;
      clientStarts.delete(req);
      metrics.kubeRequests.inc({ verb: s.verb, resource: s.resource, code: "error" });
    });
  });
  subscribe("http.client.response.finish", (msg) => {
    const { request, response } = msg as { request: ClientRequest; response: IncomingMessage };
    const s = clientStarts.get(request);
    if (!s) return;
    clientStarts.delete(request);
    metrics.kubeRequests.inc({ verb: s.verb, resource: s.resource, code: String(response.statusCode ?? 0) });
    metrics.kubeSeconds.observe({ verb: s.verb }, (performance.now() - s.t) / 1000);
  });

  const serverStarts = new WeakMap<IncomingMessage, number>();
  subscribe("http.server.request.start", (msg) => {
    const req = (msg as { request: IncomingMessage }).request;
    if (req.method === "POST" && (req.url ?? "").split("?")[0] === "/slack/events")
      serverStarts.set(req, performance.now());
  });
  subscribe("http.server.response.finish", (msg) => {
    const { request, response } = msg as { request: IncomingMessage; response: ServerResponse };
    const t = serverStarts.get(request);
    if (t === undefined) return;
    serverStarts.delete(request);
    metrics.ackSeconds.observe({ status: String(response.statusCode) }, (performance.now() - t) / 1000);
  });
}

// ---------------------------------------------------------------- Slack Web API calls

type Fetch = typeof globalThis.fetch;

/** A fetch for @slack/web-api's WebClient that counts each call by method and Slack's `error`. */
export function slackFetch(inner: Fetch = globalThis.fetch): Fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const method = new URL(url).pathname.split("/").pop() || "unknown";
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (e) {
      metrics.slackCalls.inc({ method, error: "request_failed" });
      throw e;
    }
    let error = "none";
    if (res.status === 429) error = "ratelimited";
    else if (!res.ok) error = `http_${res.status}`;
    else if ((res.headers.get("content-type") ?? "").includes("json")) {
      try {
        const body = (await res.clone().json()) as { ok?: boolean; error?: string };
        if (body.ok === false) error = body.error ?? "unknown";
      } catch {
        error = "invalid_response";
      }
    }
    metrics.slackCalls.inc({ method, error });
    return res;
  };
}

// ---------------------------------------------------------------- jobs

/** The part of a BullMQ job the metrics read. */
export interface JobLike {
  name: string;
  data: unknown;
  timestamp: number;
  processedOn?: number | undefined;
  finishedOn?: number | undefined;
  attemptsMade: number;
  opts: { attempts?: number | undefined };
}

/** The part of a BullMQ Worker the metrics listen to. */
export interface WorkerLike {
  name: string;
  on(event: "active", fn: (job: JobLike) => void): unknown;
  on(event: "completed", fn: (job: JobLike, result: unknown) => void): unknown;
  on(event: "failed", fn: (job: JobLike | undefined, e: Error) => void): unknown;
}

const seconds = (job: JobLike) =>
  job.processedOn !== undefined ? Math.max(0, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000) : 0;

function diagnosisOutcome(result: unknown): string {
  const r = (result ?? {}) as { notFound?: boolean; releases?: number; findings?: number };
  if (r.notFound) return "not-found";
  if (r.releases !== undefined) return "list";
  return "report";
}

/** Observe a diagnose worker: outcomes and durations, finding codes (from the job's result), waiting time. */
export function observeDiagnoseWorker(w: WorkerLike): void {
  w.on("active", (job) => metrics.queueWaitSeconds.observe({ queue: w.name }, waited(job)));
  w.on("completed", (job, result) => {
    const outcome = diagnosisOutcome(result);
    metrics.diagnoses.inc({ outcome });
    metrics.diagnosisSeconds.observe({ outcome }, seconds(job));
    for (const code of ((result as { codes?: unknown[] } | undefined)?.codes ?? []).filter(
      (c): c is string => typeof c === "string",
    ))
      metrics.findings.inc({ code });
  });
  w.on("failed", (job) => {
    if (!job) return;
    const outcome = job.finishedOn !== undefined ? "error" : "retry";
    metrics.diagnoses.inc({ outcome });
    metrics.diagnosisSeconds.observe({ outcome }, seconds(job));
  });
}

/** Observe a remediate worker: plans and executions by action and outcome, waiting time. */
export function observeRemediateWorker(w: WorkerLike): void {
  const labels = (job: JobLike, outcome: string) => {
    const d = (job.data ?? {}) as { action?: string; phase?: string };
    return { stage: d.phase === "execute" ? "execute" : "plan", action: d.action ?? "unknown", outcome };
  };
  w.on("active", (job) => metrics.queueWaitSeconds.observe({ queue: w.name }, waited(job)));
  w.on("completed", (job, result) => {
    const r = (result ?? {}) as { outcome?: string; planned?: boolean; refusal?: string };
    const outcome = r.outcome ?? (r.planned ? "planned" : r.refusal ? "refused" : "error");
    metrics.remediations.inc(labels(job, outcome));
    metrics.remediationSeconds.observe(labels(job, outcome), seconds(job));
  });
  w.on("failed", (job) => {
    if (!job) return;
    metrics.remediations.inc(labels(job, "error"));
    metrics.remediationSeconds.observe(labels(job, "error"), seconds(job));
  });
}

function waited(job: JobLike): number {
  return Math.max(0, ((job.processedOn ?? Date.now()) - job.timestamp) / 1000);
}

/** Queue depth, read from Redis when scraped. */
export function observeQueueDepth(
  queues: { name: string; getJobCounts(...states: string[]): Promise<Record<string, number>> }[],
  timeoutMs = 1000,
): void {
  registry.removeSingleMetric("helm_doctor_queue_jobs");
  new Gauge({
    name: "helm_doctor_queue_jobs",
    help: "Jobs in each queue by state (waiting, active, delayed, prioritized, waiting-children)",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (q) => {
          const counts = await withTimeout(
            q.getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children"),
            timeoutMs,
            "no answer",
          ).catch(() => undefined);
          for (const [state, n] of Object.entries(counts ?? {})) this.set({ queue: q.name, state }, n);
        }),
      );
    },
  });
}

/** A read of release records the watcher is refused (a 403): the RBAC rule it lacks. */
export interface WatchForbidden {
  namespace: string | undefined;
  resource: string;
  verb: string;
}

/** 1 per release-record read `helm-doctor watch` is refused, read at scrape time (none: nothing is missing). */
export function observeWatchForbidden(refused: () => WatchForbidden[]): void {
  registry.removeSingleMetric("helm_doctor_watch_forbidden");
  new Gauge({
    name: "helm_doctor_watch_forbidden",
    help: "Release-record reads helm-doctor watch is refused (403): 1 per missing RBAC rule; grant with `helm-doctor rbac --watch`",
    labelNames: ["namespace", "resource", "verb"],
    registers: [registry],
    collect() {
      this.reset();
      for (const f of refused())
        this.set({ namespace: f.namespace ?? "*", resource: f.resource, verb: f.verb }, 1);
    },
  });
}

export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** Metrics kept in another thread of this process (serve's embedded worker), merged into every scrape. */
const otherThreads = new Set<() => Promise<MetricsJson>>();

/** Merge `source`'s metrics into /metrics (counters and histograms add up); returns its removal. */
export function addMetricsSource(source: () => Promise<MetricsJson>): () => void {
  otherThreads.add(source);
  return () => otherThreads.delete(source);
}

/**
 * This thread's own metrics, for the thread that serves /metrics: without the process and Node.js defaults, which
 * that thread reports for the whole process already.
 */
export async function threadMetricsJson(): Promise<MetricsJson> {
  return (await registry.getMetricsAsJSON()).filter((m) => !/^helm_doctor_(process|nodejs)_/.test(m.name));
}

/** The text format Prometheus scrapes. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  if (otherThreads.size === 0) return { contentType: registry.contentType, body: await registry.metrics() };
  const parts = await Promise.all([
    registry.getMetricsAsJSON(),
    ...[...otherThreads].map((source) => source().catch((): MetricsJson => [])),
  ]);
  const merged = AggregatorRegistry.aggregate(parts);
  return { contentType: merged.contentType, body: await merged.metrics() };
}
