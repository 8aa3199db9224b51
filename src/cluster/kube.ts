// KubeReader: every read helm-doctor makes, through @kubernetes/client-node's typed APIs, with retries for
// transient faults, one overall deadline, and 403s turned into gaps that name the missing RBAC rule.
import {
  ApiException,
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";
import type { Gap, KubeObject } from "../snapshot/types.js";
import { SourceError } from "./source.js";

interface KindInfo {
  resource: string;
  group: string;
  api: "core" | "apps" | "batch";
  /** Method name stem in client-node, e.g. NamespacedSecret. */
  stem: string;
  type: string;
  apiVersion: string;
}

/** The kinds helm-doctor reads, and how client-node names their calls. */
export const KINDS: Record<string, KindInfo> = {
  Secret: {
    resource: "secrets",
    group: "",
    api: "core",
    stem: "NamespacedSecret",
    type: "V1Secret",
    apiVersion: "v1",
  },
  ConfigMap: {
    resource: "configmaps",
    group: "",
    api: "core",
    stem: "NamespacedConfigMap",
    type: "V1ConfigMap",
    apiVersion: "v1",
  },
  ServiceAccount: {
    resource: "serviceaccounts",
    group: "",
    api: "core",
    stem: "NamespacedServiceAccount",
    type: "V1ServiceAccount",
    apiVersion: "v1",
  },
  PersistentVolumeClaim: {
    resource: "persistentvolumeclaims",
    group: "",
    api: "core",
    stem: "NamespacedPersistentVolumeClaim",
    type: "V1PersistentVolumeClaim",
    apiVersion: "v1",
  },
  Service: {
    resource: "services",
    group: "",
    api: "core",
    stem: "NamespacedService",
    type: "V1Service",
    apiVersion: "v1",
  },
  Pod: { resource: "pods", group: "", api: "core", stem: "NamespacedPod", type: "V1Pod", apiVersion: "v1" },
  Event: {
    resource: "events",
    group: "",
    api: "core",
    stem: "NamespacedEvent",
    type: "CoreV1Event",
    apiVersion: "v1",
  },
  Deployment: {
    resource: "deployments",
    group: "apps",
    api: "apps",
    stem: "NamespacedDeployment",
    type: "V1Deployment",
    apiVersion: "apps/v1",
  },
  ReplicaSet: {
    resource: "replicasets",
    group: "apps",
    api: "apps",
    stem: "NamespacedReplicaSet",
    type: "V1ReplicaSet",
    apiVersion: "apps/v1",
  },
  StatefulSet: {
    resource: "statefulsets",
    group: "apps",
    api: "apps",
    stem: "NamespacedStatefulSet",
    type: "V1StatefulSet",
    apiVersion: "apps/v1",
  },
  DaemonSet: {
    resource: "daemonsets",
    group: "apps",
    api: "apps",
    stem: "NamespacedDaemonSet",
    type: "V1DaemonSet",
    apiVersion: "apps/v1",
  },
  Job: {
    resource: "jobs",
    group: "batch",
    api: "batch",
    stem: "NamespacedJob",
    type: "V1Job",
    apiVersion: "batch/v1",
  },
  CronJob: {
    resource: "cronjobs",
    group: "batch",
    api: "batch",
    stem: "NamespacedCronJob",
    type: "V1CronJob",
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
      const ra = Number((e.headers as Record<string, string> | undefined)?.["retry-after"]);
      return { retry: true, ...(Number.isFinite(ra) && ra > 0 ? { afterMs: ra * 1000 } : {}) };
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

/** Convert client-node's typed model (Dates, renamed fields) back to the API's JSON. */
function toJson(data: unknown, type: string, kind: string, apiVersion: string): KubeObject {
  const o = ObjectSerializer.serialize(data, type, "") as KubeObject;
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
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly deadline: number;

  constructor(
    kc: KubeConfig,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.deadline = Date.now() + retry.deadlineMs;
  }

  private client(k: KindInfo): Record<string, (p: unknown, o?: unknown) => Promise<unknown>> {
    return (k.api === "core" ? this.core : k.api === "apps" ? this.apps : this.batch) as unknown as Record<
      string,
      (p: unknown, o?: unknown) => Promise<unknown>
    >;
  }

  /** Run one request with retries; the overall deadline bounds every wait. */
  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let attempt = 0;
    for (;;) {
      attempt++;
      const left = this.deadline - Date.now();
      if (left <= 0)
        throw new SourceError(
          `timed out reading the cluster (${what}) after ${this.retry.deadlineMs / 1000}s`,
        );
      this.stats.calls++;
      try {
        return await withTimeout(fn(), left, what);
      } catch (e) {
        const t = isTransient(e);
        if (!t.retry || attempt >= this.retry.attempts) {
          if (t.retry)
            throw new SourceError(
              `cluster kept failing while reading ${what} (${attempt} attempts): ${describe(e)}`,
            );
          throw e;
        }
        const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        const wait = t.afterMs ?? backoff / 2 + Math.random() * (backoff / 2); // jitter
        if (Date.now() + wait > this.deadline)
          throw new SourceError(`timed out reading the cluster (${what}): ${describe(e)}`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /** A 403 becomes a gap naming the exact rule; 401 is fatal; 404 is `undefined`. */
  private async guarded<T>(
    kind: string,
    verb: Verb,
    namespace: string,
    fn: () => Promise<T>,
    what?: string,
  ): Promise<T | undefined> {
    const k = KINDS[kind]!;
    try {
      return await this.call(what ?? `${verb} ${k.resource}`, fn);
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
      () => this.client(k)[`read${k.stem}`]!({ name, namespace }),
      `get ${k.resource}/${name}`,
    );
    return res === undefined ? undefined : toJson(res, k.type, kind, k.apiVersion);
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
      const params = { namespace, ...q, limit: 500, ...(cont ? { _continue: cont } : {}) };
      const page = (await this.guarded(kind, "list", namespace, () =>
        this.client(k)[`list${k.stem}`]!(params),
      )) as { items: unknown[]; metadata?: { _continue?: string } } | undefined;
      if (!page) return out.length > 0 ? out : undefined;
      for (const it of page.items) out.push(toJson(it, k.type, kind, k.apiVersion));
      cont = page.metadata?._continue || undefined;
    } while (cont);
    return out;
  }

  /**
   * Metadata-only list (PartialObjectMetadataList): names, labels and sizes' worth of bytes instead of whole
   * release records. All namespaces when `namespace` is undefined.
   */
  async listMetadata(
    kind: "Secret" | "ConfigMap",
    namespace: string | undefined,
    labelSelector: string,
  ): Promise<KubeObject[] | undefined> {
    const k = KINDS[kind]!;
    const opts = setHeaderOptions("Accept", METADATA_LIST);
    const method = namespace === undefined ? `list${kind}ForAllNamespaces` : `list${k.stem}`;
    const params = namespace === undefined ? { labelSelector } : { namespace, labelSelector };
    const res = (await this.guarded(kind, "list", namespace ?? "", () =>
      this.client(k)[method]!(params, opts),
    )) as { items: unknown[] } | undefined;
    if (!res) return undefined;
    return res.items.map((it) => {
      const o = toJson(it, k.type, kind, k.apiVersion);
      o.kind = kind; // PartialObjectMetadata items are typed back to the kind we asked for
      o.apiVersion = "v1";
      return o;
    });
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new SourceError(`timed out reading the cluster (${what})`)), ms);
  });
  return Promise.race([p, timer]).finally(() => clearTimeout(t));
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
