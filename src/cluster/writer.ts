// ClusterWriter: every write helm-doctor makes (remediations), through @kubernetes/client-node. Objects travel
// as the API's own JSON (no typed models: those drop fields they do not know and want Date objects), paths
// come from discovery, and transient faults (429, 5xx, connection resets) are retried with backoff like
// KubeReader's reads. Hook waits follow Helm 3's watchUntilReady: Job Complete / Pod Succeeded, watched
// (with polling as the fallback) until a per-hook deadline.
import {
  ApiException,
  HttpMethod,
  type KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
  type ResponseContext,
  Watch,
} from "@kubernetes/client-node";
import type { KubeObject } from "../snapshot/types.js";
import { describe, isTransient } from "./kube.js";

/** Identifies one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
}

export type RecordDriver = "secret" | "configmap";

/** A release record as a metadata-only list shows it: enough to find revisions, locks and our own writes. */
export interface RecordHead {
  objectName: string;
  revision: number;
  status: string;
  driver: RecordDriver;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface WriteOptions {
  /** Field manager for creates, patches and applies (Helm uses "helm"). */
  fieldManager: string;
}

/** Why a write failed, with the API's Status message (what Helm prints as the error). */
export class WriteError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "WriteError";
  }
}

/** A hook did not become ready: Helm's own error text (e.g. `job x failed: BackoffLimitExceeded`). */
export class HookWaitError extends Error {
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
    this.name = "HookWaitError";
  }
}

export interface ClusterWriter {
  describe(): string;
  /** Every record of a release (both drivers unless one is given), metadata only. */
  listRecords(release: string, namespace: string, driver?: RecordDriver): Promise<RecordHead[]>;
  getRecord(driver: RecordDriver, namespace: string, name: string): Promise<KubeObject | undefined>;
  /** POST; a 409 throws WriteError with code 409 (Helm's lock: "release: already exists"). */
  createRecord(obj: KubeObject): Promise<void>;
  /** Full-object PUT without resourceVersion, as Helm's driver Update does (last writer wins). */
  updateRecord(obj: KubeObject): Promise<void>;
  deleteRecord(driver: RecordDriver, namespace: string, name: string): Promise<void>;

  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  create(obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  /** JSON merge patch (RFC 7386). */
  mergePatch(ref: ObjectRef, patch: unknown, opts: WriteOptions): Promise<KubeObject>;
  /** Server-side apply of the whole object. */
  apply(obj: KubeObject, opts: WriteOptions & { force: boolean }): Promise<KubeObject>;
  /** Delete with the given propagation; false when it was already gone. */
  delete(ref: ObjectRef, propagationPolicy?: "Background" | "Foreground" | "Orphan"): Promise<boolean>;
  /** Wait until the object is gone (NotFound). Throws HookWaitError on timeout. */
  waitForDeletion(ref: ObjectRef, timeoutMs: number): Promise<void>;
  /** Helm's watchUntilReady: Job → Complete, Pod → Succeeded, anything else at once. */
  waitForHook(ref: ObjectRef, timeoutMs: number): Promise<void>;
  /** Whether the kind is namespaced (discovery); undefined when the API does not know the kind. */
  isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined>;
}

export interface WriterRetryPolicy {
  /** Attempts per request (first try included). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Timeout of one request, ms. */
  requestTimeoutMs: number;
  /** Interval of the polling fallback (deletion waits, hooks when watching is not possible), ms. */
  pollIntervalMs: number;
}

export const DEFAULT_WRITER_RETRY: WriterRetryPolicy = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  requestTimeoutMs: 30_000,
  pollIntervalMs: 1_000,
};

const METADATA_LIST = "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";
const RAW = "raw-json";

/** KubernetesObjectApi that sends and returns the API's JSON as it is. */
class RawObjectApi extends KubernetesObjectApi {
  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
    type?: string,
  ): Promise<T> {
    if (type !== RAW) return super.processResponse<T>(response, type);
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      return (text ? JSON.parse(text) : {}) as T;
    }
    throw new ApiException(response.httpStatusCode, "Unsuccessful HTTP Request", text, response.headers);
  }

  async raw(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    o: { query?: Record<string, string>; body?: unknown; contentType?: string; accept?: string } = {},
  ): Promise<unknown> {
    const ctx = this.configuration.baseServer.makeRequestContext(path, HttpMethod[method]);
    ctx.setHeaderParam("Accept", o.accept ?? "application/json");
    for (const [k, v] of Object.entries(o.query ?? {})) ctx.setQueryParam(k, v);
    if (o.body !== undefined) {
      ctx.setHeaderParam("Content-Type", o.contentType ?? "application/json");
      ctx.setBody(typeof o.body === "string" ? o.body : JSON.stringify(o.body));
    }
    return this.requestPromise(ctx as never, RAW);
  }

  /** The resource's plural name and scope, from discovery (cached by client-node). */
  async info(apiVersion: string, kind: string): Promise<{ name: string; namespaced: boolean } | undefined> {
    const r = await this.resource(apiVersion, kind);
    return r ? { name: r.name, namespaced: r.namespaced } : undefined;
  }

  prefix(apiVersion: string): string {
    return this.apiVersionPath(apiVersion);
  }
}

/** The API's Status body of an ApiException, when it has one. */
export function statusOf(e: unknown): { code: number; message?: string; reason?: string } | undefined {
  if (!(e instanceof ApiException)) return undefined;
  let body = e.body as unknown;
  if (typeof body === "string") {
    try {
      body = JSON.parse(body);
    } catch {
      body = undefined;
    }
  }
  const b = body as { message?: string; reason?: string } | undefined;
  return {
    code: e.code,
    ...(b?.message ? { message: b.message } : {}),
    ...(b?.reason ? { reason: b.reason } : {}),
  };
}

/** Helm prints a Kubernetes error as its Status message (`configmaps "x" already exists`). */
export function apiMessage(e: unknown): string {
  if (e instanceof WriteError || e instanceof HookWaitError) return e.message;
  const s = statusOf(e);
  if (s) return s.message ?? `HTTP ${s.code}`;
  return describe(e);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`request timed out (${what})`)), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Job/Pod readiness as Helm 3's watchUntilReady judges it. */
export function hookReadiness(kind: string, o: KubeObject): { done: boolean; error?: string } {
  const name = o.metadata?.name ?? "";
  if (kind === "Job") {
    for (const c of (o.status?.conditions ?? []) as { type?: string; status?: string; reason?: string }[]) {
      if (c.type === "Complete" && c.status === "True") return { done: true };
      if (c.type === "Failed" && c.status === "True")
        return { done: true, error: `job ${name} failed: ${c.reason ?? ""}` };
    }
    return { done: false };
  }
  if (kind === "Pod") {
    const phase = o.status?.phase as string | undefined;
    if (phase === "Succeeded") return { done: true };
    if (phase === "Failed") return { done: true, error: `pod ${name} failed` };
    return { done: false };
  }
  return { done: true };
}

export class KubeWriter implements ClusterWriter {
  private readonly api: RawObjectApi;
  private readonly retry: WriterRetryPolicy;
  /** API requests made (for tests and benchmarks). */
  calls = 0;

  constructor(
    private readonly kc: KubeConfig,
    retry: Partial<WriterRetryPolicy> = {},
  ) {
    this.api = kc.makeApiClient(RawObjectApi);
    this.retry = { ...DEFAULT_WRITER_RETRY, ...retry };
  }

  describe(): string {
    return `cluster ${this.kc.getCurrentCluster()?.server ?? "?"} (context ${this.kc.getCurrentContext()})`;
  }

  /**
   * One request with retries. `onRetriedConflict` decides what a 409 means after an earlier attempt failed in
   * transit (the write may have landed: a create's 409 is then our own object).
   */
  private async call<T>(
    what: string,
    fn: () => Promise<T>,
    onRetriedConflict?: () => Promise<T>,
  ): Promise<T> {
    let attempt = 0;
    for (;;) {
      attempt++;
      this.calls++;
      try {
        return await withTimeout(fn(), this.retry.requestTimeoutMs, what);
      } catch (e) {
        if (attempt > 1 && onRetriedConflict && statusOf(e)?.code === 409) return onRetriedConflict();
        const t = isTransient(e);
        if (!t.retry || attempt >= this.retry.attempts) {
          if (t.retry)
            throw new WriteError(`cluster kept failing (${what}, ${attempt} attempts): ${apiMessage(e)}`);
          throw e;
        }
        const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        await sleep(t.afterMs ?? backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }

  private async path(ref: ObjectRef, withName: boolean): Promise<string> {
    const info = await this.call(`discover ${ref.apiVersion} ${ref.kind}`, () =>
      this.api.info(ref.apiVersion, ref.kind),
    );
    if (!info) throw new WriteError(`the cluster does not serve ${ref.kind} in ${ref.apiVersion}`);
    const parts = [this.api.prefix(ref.apiVersion)];
    if (info.namespaced) parts.push("namespaces", encodeURIComponent(ref.namespace || "default"));
    parts.push(info.name);
    if (withName) parts.push(encodeURIComponent(ref.name));
    return parts.join("/");
  }

  async isNamespaced(apiVersion: string, kind: string): Promise<boolean | undefined> {
    try {
      return (await this.call(`discover ${apiVersion} ${kind}`, () => this.api.info(apiVersion, kind)))
        ?.namespaced;
    } catch {
      return undefined;
    }
  }

  // ---- release records

  private recordRef(driver: RecordDriver, namespace: string, name: string): ObjectRef {
    return { apiVersion: "v1", kind: driver === "secret" ? "Secret" : "ConfigMap", namespace, name };
  }

  async listRecords(release: string, namespace: string, driver?: RecordDriver): Promise<RecordHead[]> {
    const out: RecordHead[] = [];
    for (const d of driver ? [driver] : (["secret", "configmap"] as const)) {
      const res = d === "secret" ? "secrets" : "configmaps";
      const page = (await this.call(`list ${res}`, () =>
        this.api.raw("GET", `/api/v1/namespaces/${encodeURIComponent(namespace)}/${res}`, {
          query: { labelSelector: `owner=helm,name=${release}` },
          accept: METADATA_LIST,
        }),
      )) as { items?: KubeObject[] };
      for (const o of page.items ?? []) {
        const labels = o.metadata?.labels ?? {};
        const m = /\.v(\d+)$/.exec(o.metadata?.name ?? "");
        const revision = Number(labels.version ?? m?.[1] ?? Number.NaN);
        if (!Number.isFinite(revision)) continue;
        out.push({
          objectName: o.metadata?.name ?? "",
          revision,
          status: labels.status ?? "unknown",
          driver: d,
          labels: { ...labels },
          annotations: { ...(o.metadata?.annotations ?? {}) },
        });
      }
      // Helm uses one driver; the first that has records is the release's.
      if (!driver && out.length > 0) break;
    }
    return out.sort((a, b) => a.revision - b.revision);
  }

  async getRecord(driver: RecordDriver, namespace: string, name: string): Promise<KubeObject | undefined> {
    const o = await this.get(this.recordRef(driver, namespace, name));
    if (o) {
      o.kind ??= driver === "secret" ? "Secret" : "ConfigMap";
      o.apiVersion ??= "v1";
    }
    return o;
  }

  async createRecord(obj: KubeObject): Promise<void> {
    const ref = refOf(obj);
    const path = await this.path(ref, false);
    try {
      await this.call(
        `create ${ref.kind} ${ref.name}`,
        () => this.api.raw("POST", path, { body: obj }),
        // A retried create that meets 409: ours if the stored object carries our payload.
        async () => {
          const cur = await this.get(ref);
          if (cur && JSON.stringify(cur.data) === JSON.stringify(obj.data)) return cur;
          throw new WriteError(`${ref.kind} ${ref.name} already exists`, 409, "AlreadyExists");
        },
      );
    } catch (e) {
      const s = statusOf(e);
      if (s?.code === 409) throw new WriteError(s.message ?? "already exists", 409, s.reason);
      throw new WriteError(apiMessage(e), s?.code, s?.reason);
    }
  }

  async updateRecord(obj: KubeObject): Promise<void> {
    const ref = refOf(obj);
    const path = await this.path(ref, true);
    try {
      await this.call(`update ${ref.kind} ${ref.name}`, () => this.api.raw("PUT", path, { body: obj }));
    } catch (e) {
      const s = statusOf(e);
      throw new WriteError(apiMessage(e), s?.code, s?.reason);
    }
  }

  async deleteRecord(driver: RecordDriver, namespace: string, name: string): Promise<void> {
    await this.delete(this.recordRef(driver, namespace, name));
  }

  // ---- objects

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const path = await this.path(ref, true);
    try {
      return (await this.call(`get ${ref.kind} ${ref.name}`, () => this.api.raw("GET", path))) as KubeObject;
    } catch (e) {
      if (statusOf(e)?.code === 404) return undefined;
      throw new WriteError(apiMessage(e), statusOf(e)?.code, statusOf(e)?.reason);
    }
  }

  async create(obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.path(ref, false);
    try {
      return (await this.call(
        `create ${ref.kind} ${ref.name}`,
        () => this.api.raw("POST", path, { body: obj, query: { fieldManager: opts.fieldManager } }),
        async () => {
          const cur = await this.get(ref);
          if (cur) return cur;
          throw new WriteError(`${ref.kind} ${ref.name} already exists`, 409, "AlreadyExists");
        },
      )) as KubeObject;
    } catch (e) {
      const s = statusOf(e);
      throw new WriteError(apiMessage(e), s?.code, s?.reason);
    }
  }

  async mergePatch(ref: ObjectRef, patch: unknown, opts: WriteOptions): Promise<KubeObject> {
    const path = await this.path(ref, true);
    try {
      return (await this.call(`patch ${ref.kind} ${ref.name}`, () =>
        this.api.raw("PATCH", path, {
          body: patch,
          contentType: "application/merge-patch+json",
          query: { fieldManager: opts.fieldManager },
        }),
      )) as KubeObject;
    } catch (e) {
      const s = statusOf(e);
      throw new WriteError(apiMessage(e), s?.code, s?.reason);
    }
  }

  async apply(obj: KubeObject, opts: WriteOptions & { force: boolean }): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.path(ref, true);
    try {
      return (await this.call(`apply ${ref.kind} ${ref.name}`, () =>
        this.api.raw("PATCH", path, {
          body: obj,
          contentType: "application/apply-patch+yaml",
          query: {
            fieldManager: opts.fieldManager,
            fieldValidation: "Strict",
            ...(opts.force ? { force: "true" } : {}),
          },
        }),
      )) as KubeObject;
    } catch (e) {
      const s = statusOf(e);
      throw new WriteError(apiMessage(e), s?.code, s?.reason);
    }
  }

  async delete(
    ref: ObjectRef,
    propagationPolicy: "Background" | "Foreground" | "Orphan" = "Background",
  ): Promise<boolean> {
    const path = await this.path(ref, true);
    try {
      await this.call(`delete ${ref.kind} ${ref.name}`, () =>
        this.api.raw("DELETE", path, { query: { propagationPolicy } }),
      );
      return true;
    } catch (e) {
      if (statusOf(e)?.code === 404) return false;
      throw new WriteError(apiMessage(e), statusOf(e)?.code, statusOf(e)?.reason);
    }
  }

  async waitForDeletion(ref: ObjectRef, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.get(ref))) return;
      if (Date.now() >= deadline) throw new HookWaitError("timed out waiting for the condition", true);
      await sleep(Math.min(this.retry.pollIntervalMs, Math.max(1, deadline - Date.now())));
    }
  }

  async waitForHook(ref: ObjectRef, timeoutMs: number): Promise<void> {
    if (ref.kind !== "Job" && ref.kind !== "Pod") return;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const cur = await this.get(ref);
      // A Deleted event ends Helm's watch as success; an object already gone is the same.
      if (!cur) return;
      const r = hookReadiness(ref.kind, cur);
      if (r.error) throw new HookWaitError(r.error);
      if (r.done) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new HookWaitError("timed out waiting for the condition", true);
      const w = await this.watchOnce(ref, cur.metadata?.resourceVersion, left);
      if (w.error) throw new HookWaitError(w.error);
      if (w.done) return;
      // The watch ended early (server timeout, network, no watch permission): poll, then watch again.
      if (w.failedToStart)
        await sleep(Math.min(this.retry.pollIntervalMs, Math.max(1, deadline - Date.now())));
    }
  }

  /** Watch one object from `resourceVersion` until it is ready/failed/deleted, the stream ends or time is up. */
  private async watchOnce(
    ref: ObjectRef,
    resourceVersion: string | undefined,
    ms: number,
  ): Promise<{ done: boolean; error?: string; failedToStart?: boolean }> {
    const path = await this.path(ref, false);
    this.calls++;
    return new Promise((resolve) => {
      let settled = false;
      let controller: AbortController | undefined;
      const timer = setTimeout(() => finish({ done: false }), ms);
      const finish = (r: { done: boolean; error?: string; failedToStart?: boolean }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        controller?.abort();
        resolve(r);
      };
      let events = 0;
      new Watch(this.kc)
        .watch(
          path,
          {
            fieldSelector: `metadata.name=${ref.name}`,
            ...(resourceVersion ? { resourceVersion } : {}),
            allowWatchBookmarks: true,
            timeoutSeconds: Math.max(1, Math.ceil(ms / 1000)),
          },
          (type: string, obj: KubeObject) => {
            events++;
            if (type === "DELETED") return finish({ done: true });
            if (type === "ERROR") return finish({ done: false, failedToStart: true });
            if (type !== "ADDED" && type !== "MODIFIED") return;
            const r = hookReadiness(ref.kind, obj);
            if (r.error) finish({ done: true, error: r.error });
            else if (r.done) finish({ done: true });
          },
          (err: unknown) => finish({ done: false, failedToStart: !!err || events === 0 }),
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
          },
          () => finish({ done: false, failedToStart: true }),
        );
    });
  }
}

function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? "v1",
    kind: obj.kind ?? "",
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? "",
  };
}
