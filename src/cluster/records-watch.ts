// List+watch of Helm release records' metadata (label selector owner=helm) in one namespace, or in all: one list
// (PartialObjectMetadataList, paged) and then one watch connection from its resourceVersion, through
// @kubernetes/client-node's `Watch`, asking for PartialObjectMetadata so no record payload (the whole chart and
// values) crosses the wire. As an informer does: a watch that ends is resumed from the last resourceVersion seen;
// `410 Gone` (the version was compacted) relists; other errors back off and resume. A 403 (the Role lacks `list`
// or `watch`) will not heal by itself: it is reported once as the missing RBAC rule and retried at the longest
// backoff until an operator grants it. Only the labels the watcher needs are kept (RecordMeta), not the objects.
import { ApiException, CoreV1Api, type KubeConfig, setHeaderOptions, Watch } from "@kubernetes/client-node";
import { backoffMs } from "../retry.js";
import { type RecordMeta, recordMeta } from "../watch/triggers.js";
import { METADATA_LIST } from "./kube.js";

const METADATA_OBJECT = "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io,application/json";

export type RecordResource = "secrets" | "configmaps";

export interface RecordWatchHandlers {
  /** After every (re)list: the namespace's records now (the caller replaces what it had). */
  synced(records: RecordMeta[]): void;
  /** A record added, changed or deleted (its metadata after the change; `observedAt` set). */
  changed(type: "ADDED" | "MODIFIED" | "DELETED", record: RecordMeta): void;
  /** A list or watch failed (it is retried). Not called for a 403: see `forbidden`. */
  error?(e: unknown, what: string): void;
  /**
   * The identity lacks a verb on the records (a 403 of the list or the watch: `rule` is the missing RBAC rule), or
   * has it again (`undefined`). Called on a change only, not on every retry.
   */
  forbidden?(rule: Forbidden | undefined): void;
}

/** A read the identity may not make: what RBAC rule is missing. */
export interface Forbidden {
  group: string;
  resource: RecordResource;
  verb: "list" | "watch";
  /** undefined: cluster-wide. */
  namespace: string | undefined;
  /** The rule in the form the diagnosis's gaps use: `missing RBAC rule: apiGroups=[""] resources=…`. */
  rule: string;
}

function forbiddenRead(resource: RecordResource, verb: "list" | "watch", namespace?: string): Forbidden {
  return {
    group: "",
    resource,
    verb,
    namespace,
    rule: `missing RBAC rule: apiGroups=[""] resources=["${resource}"] verbs=[${verb}] in namespace ${namespace ?? "(all)"}`,
  };
}

/** The HTTP status of a failed list (client-node's ApiException) or watch (its Error with statusCode). */
function statusOf(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const code = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}

export interface RecordWatchStats {
  lists: number;
  watches: number;
  events: number;
  /** 410 Gone answers (a relist followed). */
  expired: number;
  errors: number;
}

/** A KubeConfig whose requests ask for metadata only (client-node's Watch takes its headers from here). */
function metadataOnly(kc: KubeConfig): KubeConfig {
  const wrapped = Object.create(kc) as KubeConfig;
  wrapped.applyToFetchOptions = (opts) =>
    kc.applyToFetchOptions({ ...opts, headers: { ...(opts.headers ?? {}), Accept: METADATA_OBJECT } });
  return wrapped;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(t);
      resolve();
    });
  });

export class RecordWatch {
  readonly stats: RecordWatchStats = { lists: 0, watches: 0, events: 0, expired: 0, errors: 0 };
  /** The last resourceVersion seen: where a resumed watch starts. */
  resourceVersion: string | undefined;
  /** Set while the list or the watch is refused with 403. */
  forbidden: Forbidden | undefined;
  private readonly core: CoreV1Api;
  private readonly watch: Watch;
  private readonly stop = new AbortController();
  private current: AbortController | undefined;
  private loop: Promise<void> | undefined;
  private firstSync: Promise<void>;
  private markSynced: () => void = () => {};

  constructor(
    kc: KubeConfig,
    /** undefined: every namespace the identity may read (a cluster-wide list and watch). */
    readonly namespace: string | undefined,
    readonly resource: RecordResource,
    private readonly handlers: RecordWatchHandlers,
    private readonly now: () => number = Date.now,
    private readonly backoff = { baseMs: 500, maxMs: 30_000 },
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.watch = new Watch(metadataOnly(kc));
    this.firstSync = new Promise((r) => {
      this.markSynced = r;
    });
  }

  /**
   * Start; resolves after the first list was delivered, or failed (it is retried: a Role without `list` must not
   * hold up the watches of the other namespaces, nor the agent's start), or the watch was stopped.
   */
  start(): Promise<void> {
    this.loop ??= this.run();
    return Promise.race([this.firstSync, this.loop]);
  }

  async close(): Promise<void> {
    this.stop.abort();
    this.current?.abort();
    await this.loop;
  }

  private get path(): string {
    const ns = this.namespace === undefined ? "" : `/namespaces/${encodeURIComponent(this.namespace)}`;
    return `/api/v1${ns}/${this.resource}`;
  }

  private async list(): Promise<void> {
    const records: RecordMeta[] = [];
    const opts = setHeaderOptions("Accept", METADATA_LIST);
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const q = { labelSelector: "owner=helm", limit: 500, ...(cont ? { _continue: cont } : {}) };
      const page =
        this.resource === "secrets"
          ? this.namespace === undefined
            ? await this.core.listSecretForAllNamespaces(q, opts)
            : await this.core.listNamespacedSecret({ ...q, namespace: this.namespace }, opts)
          : this.namespace === undefined
            ? await this.core.listConfigMapForAllNamespaces(q, opts)
            : await this.core.listNamespacedConfigMap({ ...q, namespace: this.namespace }, opts);
      for (const it of page.items) {
        const m = recordMeta(it as Parameters<typeof recordMeta>[0]);
        if (m) records.push(m);
      }
      // The first page's version is the list's: the watch starts there (later pages are read at the latest state).
      rv ??= page.metadata?.resourceVersion;
      cont = page.metadata?._continue || undefined;
    } while (cont);
    this.stats.lists++;
    this.resourceVersion = rv;
    this.handlers.synced(records);
  }

  /** One watch connection from `resourceVersion`; resolves when it ends, saying whether it expired. */
  private watchOnce(): Promise<{ expired: boolean; error?: unknown; events: number }> {
    return new Promise((resolve) => {
      let expired = false;
      let events = 0;
      this.stats.watches++;
      const q: Record<string, string | boolean> = { labelSelector: "owner=helm", allowWatchBookmarks: true };
      if (this.resourceVersion) q.resourceVersion = this.resourceVersion;
      this.watch
        .watch(
          this.path,
          q,
          (type: string, obj: { code?: number; metadata?: { resourceVersion?: string } }) => {
            if (type === "ERROR") {
              if (obj?.code === 410) expired = true;
              else this.handlers.error?.(new Error(JSON.stringify(obj).slice(0, 300)), "watch");
              return;
            }
            const rv = obj?.metadata?.resourceVersion;
            if (rv) this.resourceVersion = rv;
            if (type === "BOOKMARK") return;
            if (type !== "ADDED" && type !== "MODIFIED" && type !== "DELETED") return;
            events++;
            this.stats.events++;
            const m = recordMeta(obj as Parameters<typeof recordMeta>[0], this.now());
            if (m) this.handlers.changed(type, m);
          },
          (err: unknown) => {
            const code = (err as { statusCode?: number; code?: number } | null)?.statusCode;
            if (code === 410) expired = true;
            resolve({ expired, events, ...(err && code !== 410 ? { error: err } : {}) });
          },
        )
        .then(
          (c) => {
            // client-node resolves once the answer is in: a 200 is streaming (a refusal has called `done` already).
            if (!c.signal.aborted) this.allowed();
            this.current = c;
            if (this.stop.signal.aborted) c.abort();
          },
          (e: unknown) => resolve({ expired: false, error: e, events }),
        );
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stop.signal.aborted) {
      try {
        if (!this.resourceVersion) {
          await this.list();
          this.allowed();
          this.markSynced();
        }
      } catch (e) {
        this.stats.errors++;
        this.failed(e, "list");
        this.markSynced();
        await sleep(this.delay(++failures, e), this.stop.signal);
        continue;
      }
      const started = Date.now();
      const r = await this.watchOnce();
      this.current = undefined;
      if (this.stop.signal.aborted) break;
      if (r.expired) {
        // The version we had is gone from the server's history: start again from a fresh list.
        this.stats.expired++;
        this.resourceVersion = undefined;
        failures = 0;
        continue;
      }
      if (r.error !== undefined) {
        this.stats.errors++;
        this.failed(r.error, "watch");
        await sleep(this.delay(++failures, r.error), this.stop.signal);
        continue;
      }
      failures = 0;
      this.allowed();
      // A watch the server closed at once, with nothing in it: do not spin.
      if (r.events === 0 && Date.now() - started < 1000) await sleep(this.backoff.baseMs, this.stop.signal);
    }
    this.markSynced();
  }

  private failed(e: unknown, verb: "list" | "watch"): void {
    if (statusOf(e) !== 403) {
      this.handlers.error?.(e, `${verb} ${this.resource}${this.namespace ? ` in ${this.namespace}` : ""}`);
      return;
    }
    const f = forbiddenRead(this.resource, verb, this.namespace);
    if (this.forbidden?.rule === f.rule) return;
    this.forbidden = f;
    this.handlers.forbidden?.(f);
  }

  private allowed(): void {
    if (!this.forbidden) return;
    this.forbidden = undefined;
    this.handlers.forbidden?.(undefined);
  }

  private delay(failures: number, e: unknown): number {
    // A 403 will not fix itself quickly (someone must grant the rule): wait the longest from the first refusal.
    const attempt = statusOf(e) === 403 ? Number.POSITIVE_INFINITY : Math.min(failures, 11);
    return backoffMs(attempt, this.backoff.baseMs, this.backoff.maxMs);
  }
}
