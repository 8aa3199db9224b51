// HttpKubeClient: KubeClient over @kubernetes/client-node. Objects travel as the API's own JSON (no typed
// models: those drop fields they do not know and want Date objects), paths come from discovery, and transient
// faults (429, 5xx, connection resets) are retried with backoff like KubeReader's reads. Hook waits follow
// Helm 3's watchUntilReady: Job Complete / Pod Succeeded, watched (with polling as the fallback) until a
// per-hook deadline.
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
import {
  HookWaitError,
  hookReadiness,
  type KubeClient,
  KubeError,
  type ListOptions,
  type ObjectRef,
  type PatchType,
  type Propagation,
  refOf,
  TIMED_OUT,
  type WriteOptions,
} from "./kubeclient.js";

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
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

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

/** An API failure as KubeError, with the Status message Helm would print. */
function kubeError(e: unknown): KubeError {
  if (e instanceof KubeError) return e;
  const s = statusOf(e);
  if (s) return new KubeError(s.message ?? `HTTP ${s.code}`, s.code, s.reason);
  return new KubeError(describe(e));
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`request timed out (${what})`)), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HttpKubeClient implements KubeClient {
  private readonly api: RawObjectApi;
  private readonly retry: WriterRetryPolicy;

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
   * transit (the write may have landed).
   */
  private async call<T>(
    what: string,
    fn: () => Promise<T>,
    onRetriedConflict?: () => Promise<T>,
  ): Promise<T> {
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        return await withTimeout(fn(), this.retry.requestTimeoutMs, what);
      } catch (e) {
        if (attempt > 1 && onRetriedConflict && statusOf(e)?.code === 409) return onRetriedConflict();
        const t = isTransient(e);
        if (!t.retry || attempt >= this.retry.attempts) {
          if (t.retry)
            throw new KubeError(
              `cluster kept failing (${what}, ${attempt} attempts): ${kubeError(e).message}`,
            );
          throw kubeError(e);
        }
        const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        await sleep(t.afterMs ?? backoff / 2 + Math.random() * (backoff / 2));
      }
    }
  }

  private async path(ref: Omit<ObjectRef, "name"> & { name?: string }, withName: boolean): Promise<string> {
    const info = await this.call(`discover ${ref.apiVersion} ${ref.kind}`, () =>
      this.api.info(ref.apiVersion, ref.kind),
    );
    if (!info) throw new KubeError(`the cluster does not serve ${ref.kind} in ${ref.apiVersion}`);
    const parts = [this.api.prefix(ref.apiVersion)];
    if (info.namespaced) parts.push("namespaces", encodeURIComponent(ref.namespace || "default"));
    parts.push(info.name);
    if (withName) parts.push(encodeURIComponent(ref.name ?? ""));
    return parts.join("/");
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const path = await this.path(ref, true);
    try {
      return (await this.call(`get ${ref.kind} ${ref.name}`, () => this.api.raw("GET", path))) as KubeObject;
    } catch (e) {
      if (kubeError(e).code === 404) return undefined;
      throw kubeError(e);
    }
  }

  async list(ref: Omit<ObjectRef, "name">, opts: ListOptions = {}): Promise<KubeObject[]> {
    const path = await this.path(ref, false);
    const page = (await this.call(`list ${ref.kind}`, () =>
      this.api.raw("GET", path, {
        query: opts.labelSelector ? { labelSelector: opts.labelSelector } : {},
        ...(opts.metadataOnly ? { accept: METADATA_LIST } : {}),
      }),
    )) as { items?: KubeObject[] };
    return page.items ?? [];
  }

  async create(obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.path(ref, false);
    return (await this.call(
      `create ${ref.kind} ${ref.name}`,
      () => this.api.raw("POST", path, { body: obj, query: { fieldManager: opts.fieldManager } }),
      async () => {
        const cur = await this.get(ref);
        if (cur && (opts.isOwnWrite ?? (() => true))(cur)) return cur;
        throw new KubeError(`${ref.kind} ${ref.name} already exists`, 409, "AlreadyExists");
      },
    )) as KubeObject;
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.path(ref, true);
    return (await this.call(`update ${ref.kind} ${ref.name}`, () =>
      this.api.raw("PUT", path, { body: obj }),
    )) as KubeObject;
  }

  async patch(ref: ObjectRef, type: PatchType, patch: unknown, opts: WriteOptions): Promise<KubeObject> {
    const path = await this.path(ref, true);
    return (await this.call(`patch ${ref.kind} ${ref.name}`, () =>
      this.api.raw("PATCH", path, {
        body: patch,
        contentType: PATCH_CONTENT_TYPE[type],
        query: { fieldManager: opts.fieldManager },
      }),
    )) as KubeObject;
  }

  async apply(obj: KubeObject, opts: WriteOptions & { force: boolean }): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.path(ref, true);
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
  }

  async delete(ref: ObjectRef, propagationPolicy: Propagation = "Background"): Promise<boolean> {
    const path = await this.path(ref, true);
    try {
      await this.call(`delete ${ref.kind} ${ref.name}`, () =>
        this.api.raw("DELETE", path, { query: { propagationPolicy } }),
      );
      return true;
    } catch (e) {
      if (kubeError(e).code === 404) return false;
      throw kubeError(e);
    }
  }

  async waitForDeletion(ref: ObjectRef, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!(await this.get(ref))) return;
      if (Date.now() >= deadline) throw new HookWaitError(TIMED_OUT, true);
      await sleep(Math.min(this.retry.pollIntervalMs, Math.max(1, deadline - Date.now())));
    }
  }

  async watchUntilReady(ref: ObjectRef, timeoutMs: number): Promise<void> {
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
      if (left <= 0) throw new HookWaitError(TIMED_OUT, true);
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
