// KubeReader: every read helm-doctor makes, as the API's JSON through KubeHttp (client-node's authentication),
// with retries for transient faults (Retry-After honoured), one overall deadline that also cancels the request
// in flight, and 403s turned into gaps that name the missing RBAC rule.
import { ApiException, type KubeConfig } from "@kubernetes/client-node";
import { retry, retryAfterMs, withTimeout } from "../retry.js";
import type { Gap, KubeObject } from "../snapshot/types.js";
import { apiPrefix, KubeHttp } from "./http.js";
import { SourceError } from "./source.js";

interface KindInfo {
  resource: string;
  group: string;
  apiVersion: string;
}

/** The kinds helm-doctor reads, and how client-node names their calls. */
export const KINDS: Record<string, KindInfo> = {
  Secret: {
    resource: "secrets",
    group: "",
    apiVersion: "v1",
  },
  ConfigMap: {
    resource: "configmaps",
    group: "",
    apiVersion: "v1",
  },
  ServiceAccount: {
    resource: "serviceaccounts",
    group: "",
    apiVersion: "v1",
  },
  PersistentVolumeClaim: {
    resource: "persistentvolumeclaims",
    group: "",
    apiVersion: "v1",
  },
  Service: {
    resource: "services",
    group: "",
    apiVersion: "v1",
  },
  Pod: { resource: "pods", group: "", apiVersion: "v1" },
  Event: {
    resource: "events",
    group: "",
    apiVersion: "v1",
  },
  Deployment: {
    resource: "deployments",
    group: "apps",
    apiVersion: "apps/v1",
  },
  ReplicaSet: {
    resource: "replicasets",
    group: "apps",
    apiVersion: "apps/v1",
  },
  StatefulSet: {
    resource: "statefulsets",
    group: "apps",
    apiVersion: "apps/v1",
  },
  DaemonSet: {
    resource: "daemonsets",
    group: "apps",
    apiVersion: "apps/v1",
  },
  Job: {
    resource: "jobs",
    group: "batch",
    apiVersion: "batch/v1",
  },
  CronJob: {
    resource: "cronjobs",
    group: "batch",
    apiVersion: "batch/v1",
  },
};

export const METADATA_LIST =
  "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";

export interface RetryPolicy {
  /** Overall deadline for all reads of one operation, ms. */
  deadlineMs: number;
  /** Attempts per request (first try included). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  deadlineMs: 60_000,
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
};

type Verb = "get" | "list";

/** Worth another try: 429, 5xx, connection resets and time-outs (a 4xx answer will not change). */
export function isTransient(e: unknown): { retry: boolean; afterMs?: number } {
  if (e instanceof ApiException) {
    const code = e.code;
    if (code === 429 || code >= 500) {
      const after = retryAfterMs((e.headers as Record<string, string> | undefined)?.["retry-after"]);
      return { retry: true, ...(after ? { afterMs: after } : {}) };
    }
    return { retry: false };
  }
  const err = e as { code?: string; type?: string; message?: string; name?: string };
  const msg = `${err.code ?? ""} ${err.type ?? ""} ${err.message ?? ""}`;
  return {
    retry:
      /ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EAI_AGAIN|socket hang up|request-timeout|network|premature close|timed out/i.test(
        msg,
      ),
  };
}

/** List items come without kind and apiVersion (the API server leaves them off): put them back. */
function withKind(o: KubeObject, kind: string, apiVersion: string): KubeObject {
  o.kind ??= kind;
  o.apiVersion ??= apiVersion;
  return o;
}

export interface ReadStats {
  calls: number;
}

export class KubeReader {
  readonly gaps: Gap[] = [];
  readonly stats: ReadStats = { calls: 0 };
  private readonly http: KubeHttp;
  private readonly deadline: number;

  constructor(
    kc: KubeConfig,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.http = new KubeHttp(kc);
    this.deadline = Date.now() + retry.deadlineMs;
  }

  /** Run one GET with retries; the overall deadline bounds every wait and cancels the request in flight. */
  private call(what: string, path: string, query: Record<string, string | undefined> = {}, accept?: string) {
    let expired: SourceError | undefined;
    return retry(
      () => {
        const left = this.deadline - Date.now();
        if (left <= 0) {
          expired = new SourceError(
            `timed out reading the cluster (${what}) after ${this.retry.deadlineMs / 1000}s`,
          );
          throw expired;
        }
        this.stats.calls++;
        return withTimeout(
          (signal) => this.http.request("GET", path, { query, signal, ...(accept ? { accept } : {}) }),
          left,
          () => new SourceError(`timed out reading the cluster (${what})`),
        );
      },
      {
        attempts: this.retry.attempts,
        baseDelayMs: this.retry.baseDelayMs,
        maxDelayMs: this.retry.maxDelayMs,
      },
      {
        classify: (e) => (e === expired ? { retry: false } : isTransient(e)),
        deadline: this.deadline,
        onDeadline: (e) => new SourceError(`timed out reading the cluster (${what}): ${describe(e)}`),
        onExhausted: (e, n) =>
          new SourceError(`cluster kept failing while reading ${what} (${n} attempts): ${describe(e)}`),
      },
    );
  }

  /** The path of a kind's objects in a namespace (every namespace when undefined). */
  private collection(k: KindInfo, namespace: string | undefined): string {
    const ns = namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`;
    return `${apiPrefix(k.apiVersion)}${ns}/${k.resource}`;
  }

  /** A 403 becomes a gap naming the exact rule; 401 is fatal; 404 is `undefined`. */
  private async guarded(
    kind: string,
    verb: Verb,
    namespace: string,
    path: string,
    o: { what?: string; query?: Record<string, string | undefined>; accept?: string } = {},
  ): Promise<unknown> {
    const k = KINDS[kind]!;
    try {
      return await this.call(o.what ?? `${verb} ${k.resource}`, path, o.query, o.accept);
    } catch (e) {
      if (e instanceof ApiException) {
        if (e.code === 404) return undefined;
        if (e.code === 403) {
          this.forbidden(k.resource, k.group, verb, namespace);
          return undefined;
        }
        if (e.code === 401)
          throw new SourceError(`the cluster rejected the credentials (401 Unauthorized): ${describe(e)}`);
      }
      if (e instanceof SourceError) throw e;
      throw new SourceError(`cannot ${verb} ${k.resource} in namespace ${namespace}: ${describe(e)}`);
    }
  }

  forbidden(resource: string, group: string, verb: Verb, namespace: string): void {
    if (
      this.gaps.some(
        (g) => g.what === resource && g.reason === "forbidden" && g.detail?.includes(`verbs=[${verb}]`),
      )
    )
      return;
    this.gaps.push({
      what: resource,
      reason: "forbidden",
      detail: `missing RBAC rule: apiGroups=["${group}"] resources=["${resource}"] verbs=[${verb}] in namespace ${namespace || "(all)"}`,
    });
  }

  /** The missing rule of a read that was forbidden (its gap's detail), or undefined when it was not. */
  forbiddenRule(resource: string, verb: Verb): string | undefined {
    return this.gaps.find(
      (g) => g.what === resource && g.reason === "forbidden" && g.detail?.includes(`verbs=[${verb}]`),
    )?.detail;
  }

  async get(kind: string, namespace: string, name: string): Promise<KubeObject | undefined> {
    const k = KINDS[kind];
    if (!k) return undefined;
    const res = await this.guarded(
      kind,
      "get",
      namespace,
      `${this.collection(k, namespace)}/${encodeURIComponent(name)}`,
      {
        what: `get ${k.resource}/${name}`,
      },
    );
    return res === undefined ? undefined : withKind(res as KubeObject, kind, k.apiVersion);
  }

  /** List a namespace's objects of one kind (all pages). `undefined` when forbidden. */
  async list(
    kind: string,
    namespace: string,
    q: { labelSelector?: string; fieldSelector?: string } = {},
  ): Promise<KubeObject[] | undefined> {
    const k = KINDS[kind]!;
    const out: KubeObject[] = [];
    let cont: string | undefined;
    do {
      const page = (await this.guarded(kind, "list", namespace, this.collection(k, namespace), {
        query: { ...q, limit: "500", continue: cont },
      })) as { items?: KubeObject[]; metadata?: { continue?: string } } | undefined;
      if (!page) return out.length > 0 ? out : undefined;
      for (const it of page.items ?? []) out.push(withKind(it, kind, k.apiVersion));
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return out;
  }

  /**
   * Metadata-only list (PartialObjectMetadataList): names, labels and sizes' worth of bytes instead of whole
   * release records. All namespaces when `namespace` is undefined.
   */
  async listMetadata(
    kind: string,
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<KubeObject[] | undefined> {
    const k = KINDS[kind]!;
    const res = (await this.guarded(kind, "list", namespace ?? "", this.collection(k, namespace), {
      query: { labelSelector },
      accept: METADATA_LIST,
    })) as { items?: KubeObject[] } | undefined;
    if (!res) return undefined;
    return (res.items ?? []).map((o) => {
      o.kind = kind; // PartialObjectMetadata items, named by the kind we asked for
      o.apiVersion = k.apiVersion;
      return o;
    });
  }
}

export function describe(e: unknown): string {
  if (e instanceof ApiException) {
    let body = e.body as unknown;
    if (typeof body === "string") {
      try {
        body = JSON.parse(body);
      } catch {
        // plain text body
      }
    }
    const msg = (body as { message?: string } | undefined)?.message;
    return `HTTP ${e.code}${msg ? `: ${msg}` : ""}`;
  }
  return (e as Error)?.message ?? String(e);
}
