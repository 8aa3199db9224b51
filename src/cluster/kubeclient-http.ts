// HttpKubeClient: KubeClient over @kubernetes/client-node (KubeHttp: its authentication, our cancellable
// transport). Objects travel as the API's own JSON, paths come from discovery, and transient faults (429 with its
// Retry-After, 5xx, connection resets, a request past its timeout, which is cancelled) are retried with backoff
// like KubeReader's reads. Hook waits follow
// Helm 3's watchUntilReady: Job Complete / Pod Succeeded, watched (with polling as the fallback) until a
// per-hook deadline.
import { ApiException, type KubeConfig, Watch } from "@kubernetes/client-node";
import { retry, sleep, withTimeout } from "../retry.js";
import type { KubeObject } from "../snapshot/types.js";
import { apiPrefix, KubeHttp, type Method, type RequestOptions } from "./http.js";
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
const PATCH_CONTENT_TYPE: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
};

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

export class HttpKubeClient implements KubeClient {
  private readonly http: KubeHttp;
  private readonly retry: WriterRetryPolicy;

  constructor(
    private readonly kc: KubeConfig,
    retry: Partial<WriterRetryPolicy> = {},
  ) {
    this.http = new KubeHttp(kc);
    this.retry = { ...DEFAULT_WRITER_RETRY, ...retry };
  }

  describe(): string {
    return `cluster ${this.kc.getCurrentCluster()?.server ?? "?"} (context ${this.kc.getCurrentContext()})`;
  }

  /**
   * One request with retries, each attempt cancelled after requestTimeoutMs. `onRetriedConflict` decides what a
   * 409 means after an earlier attempt failed in transit (the write may have landed).
   */
  private call<T>(
    what: string,
    fn: (signal: AbortSignal) => Promise<T>,
    onRetriedConflict?: () => Promise<T>,
  ): Promise<T> {
    return retry(
      async (attempt) => {
        try {
          return await withTimeout(
            fn,
            this.retry.requestTimeoutMs,
            () => new Error(`request timed out (${what})`),
          );
        } catch (e) {
          if (attempt > 1 && onRetriedConflict && statusOf(e)?.code === 409) return onRetriedConflict();
          throw e;
        }
      },
      {
        attempts: this.retry.attempts,
        baseDelayMs: this.retry.baseDelayMs,
        maxDelayMs: this.retry.maxDelayMs,
      },
      {
        classify: (e) => isTransient(e),
        onExhausted: (e, n) =>
          new KubeError(`cluster kept failing (${what}, ${n} attempts): ${kubeError(e).message}`),
      },
    ).catch((e: unknown) => {
      throw kubeError(e);
    });
  }

  /** A raw request of `call`. */
  private raw(
    what: string,
    method: Method,
    path: string,
    o: RequestOptions = {},
    onRetriedConflict?: () => Promise<unknown>,
  ) {
    return this.call(what, (signal) => this.http.request(method, path, { ...o, signal }), onRetriedConflict);
  }

  private async path(ref: Omit<ObjectRef, "name"> & { name?: string }, withName: boolean): Promise<string> {
    const info = await this.call(`discover ${ref.apiVersion} ${ref.kind}`, (signal) =>
      this.http.resource(ref.apiVersion, ref.kind, signal),
    );
    if (!info) throw new KubeError(`the cluster does not serve ${ref.kind} in ${ref.apiVersion}`);
    const parts = [apiPrefix(ref.apiVersion)];
    if (info.namespaced) parts.push("namespaces", encodeURIComponent(ref.namespace || "default"));
    parts.push(info.name);
    if (withName) parts.push(encodeURIComponent(ref.name ?? ""));
    return parts.join("/");
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const path = await this.path(ref, true);
    try {
      return (await this.raw(`get ${ref.kind} ${ref.name}`, "GET", path)) as KubeObject;
    } catch (e) {
      if (kubeError(e).code === 404) return undefined;
      throw kubeError(e);
    }
  }

  async list(ref: Omit<ObjectRef, "name">, opts: ListOptions = {}): Promise<KubeObject[]> {
    const path = await this.path(ref, false);
    const page = (await this.raw(`list ${ref.kind}`, "GET", path, {
      query: { labelSelector: opts.labelSelector },
      ...(opts.metadataOnly ? { accept: METADATA_LIST } : {}),
    })) as { items?: KubeObject[] };
    return page.items ?? [];
  }

  async create(obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.path(ref, false);
    return (await this.raw(
      `create ${ref.kind} ${ref.name}`,
      "POST",
      path,
      { body: obj, query: { fieldManager: opts.fieldManager } },
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
    return (await this.raw(`update ${ref.kind} ${ref.name}`, "PUT", path, { body: obj })) as KubeObject;
  }

  async patch(ref: ObjectRef, type: PatchType, patch: unknown, opts: WriteOptions): Promise<KubeObject> {
    const path = await this.path(ref, true);
    return (await this.raw(`patch ${ref.kind} ${ref.name}`, "PATCH", path, {
      body: patch,
      contentType: PATCH_CONTENT_TYPE[type],
      query: { fieldManager: opts.fieldManager },
    })) as KubeObject;
  }

  async apply(obj: KubeObject, opts: WriteOptions & { force: boolean }): Promise<KubeObject> {
    const ref = refOf(obj);
    const path = await this.path(ref, true);
    return (await this.raw(`apply ${ref.kind} ${ref.name}`, "PATCH", path, {
      body: obj,
      contentType: "application/apply-patch+yaml",
      query: {
        fieldManager: opts.fieldManager,
        fieldValidation: "Strict",
        ...(opts.force ? { force: "true" } : {}),
      },
    })) as KubeObject;
  }

  async delete(ref: ObjectRef, propagationPolicy: Propagation = "Background"): Promise<boolean> {
    const path = await this.path(ref, true);
    try {
      await this.raw(`delete ${ref.kind} ${ref.name}`, "DELETE", path, { query: { propagationPolicy } });
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
