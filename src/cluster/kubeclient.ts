// KubeClient: the object operations a remediation needs (get, list, create, replace, patch, apply, delete, and
// the waits), as Helm's pkg/kube Interface gives its actions. Implementations: HttpKubeClient (the cluster, via
// @kubernetes/client-node), MemoryKubeClient (tests) and FailingKubeClient (tests: injected errors), so the
// actions run the same on each.
import type { KubeObject } from "../snapshot/types.js";
import { describe } from "./kube.js";

/** Identifies one object. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string | undefined;
  name: string;
}

export interface WriteOptions {
  /** Field manager for creates, patches and applies (Helm uses "helm"). */
  fieldManager: string;
  /**
   * A create retried after a lost response that meets 409: whether the object found is this write's own (it
   * landed). Default: any object with that name.
   */
  isOwnWrite?: ((live: KubeObject) => boolean) | undefined;
}

export type PatchType = "merge" | "strategic";

export interface ListOptions {
  labelSelector?: string;
  /** Metadata only (PartialObjectMetadataList). */
  metadataOnly?: boolean;
}

export type Propagation = "Background" | "Foreground" | "Orphan";

export interface KubeClient {
  describe(): string;
  /** undefined when the object does not exist. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  list(ref: Omit<ObjectRef, "name">, opts?: ListOptions): Promise<KubeObject[]>;
  /** POST; an existing object throws KubeError with code 409. */
  create(obj: KubeObject, opts: WriteOptions): Promise<KubeObject>;
  /** Full-object PUT without resourceVersion (last writer wins), as Helm's storage drivers update records. */
  replace(obj: KubeObject): Promise<KubeObject>;
  patch(ref: ObjectRef, type: PatchType, patch: unknown, opts: WriteOptions): Promise<KubeObject>;
  /** Server-side apply of the whole object. */
  apply(obj: KubeObject, opts: WriteOptions & { force: boolean }): Promise<KubeObject>;
  /** false when it was already gone. */
  delete(ref: ObjectRef, propagation?: Propagation): Promise<boolean>;
  /** Until the object is gone; HookWaitError on timeout. */
  waitForDeletion(ref: ObjectRef, timeoutMs: number): Promise<void>;
  /** Helm 3's WatchUntilReady: Job → Complete, Pod → Succeeded, any other kind at once; HookWaitError otherwise. */
  watchUntilReady(ref: ObjectRef, timeoutMs: number): Promise<void>;
}

/** Why an API call failed, with the API's Status message (what Helm prints as the error). */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly code?: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = "KubeError";
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

export const TIMED_OUT = "timed out waiting for the condition";

/** Helm prints a Kubernetes error as its Status message (`configmaps "x" already exists`). */
export function errorText(e: unknown): string {
  if (e instanceof KubeError || e instanceof HookWaitError) return e.message;
  return describe(e);
}

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

export function refOf(obj: KubeObject): ObjectRef {
  return {
    apiVersion: obj.apiVersion ?? "v1",
    kind: obj.kind ?? "",
    namespace: obj.metadata?.namespace,
    name: obj.metadata?.name ?? "",
  };
}

/** The API's resource name of a kind ("ConfigMap" → "configmaps"), as the API server names it in errors. */
export function resourceName(apiVersion: string | undefined, kind: string): string {
  const lower = kind.toLowerCase();
  const plural = /(s|x|ch|sh)$/.test(lower)
    ? `${lower}es`
    : lower.endsWith("y")
      ? `${lower.slice(0, -1)}ies`
      : `${lower}s`;
  const group = apiVersion?.includes("/") ? apiVersion.split("/")[0] : "";
  return group ? `${plural}.${group}` : plural;
}
