// In-memory KubeClient for tests of the remediation actions (as Helm's action tests use kubefake): objects
// in a map, patches applied with the same strategic/JSON merge semantics the API server uses, deletions at
// once, and hook Jobs/Pods that finish the way the test says. Every write is logged in `writes`.
import type { KubeObject } from "../snapshot/types.js";
import {
  HookWaitError,
  type KubeClient,
  KubeError,
  type ListOptions,
  type ObjectRef,
  type PatchType,
  refOf,
  resourceName,
  TIMED_OUT,
  type WriteOptions,
} from "./kubeclient.js";
import { applyMergePatch } from "./mergepatch.js";
import { strategicSchema } from "./patchmeta.js";
import { applyStrategicMergePatch, type JsonMap } from "./strategicpatch.js";

export type HookOutcome = "complete" | "fail" | "hang";

function group(apiVersion: string | undefined): string {
  return apiVersion?.includes("/") ? apiVersion.split("/")[0]! : "";
}

function keyOf(ref: Omit<ObjectRef, "name"> & { name?: string }): string {
  return `${group(ref.apiVersion)}/${ref.kind}/${ref.namespace ?? ""}/${ref.name ?? ""}`;
}

function matchesSelector(labels: Record<string, string>, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const [k, v] = term.split("=");
    return labels[k!] === v;
  });
}

export class MemoryKubeClient implements KubeClient {
  private readonly objects = new Map<string, KubeObject>();
  private readonly outcomes = new Map<string, HookOutcome>();
  private version = 0;
  /** "create ConfigMap default/x", "patch(strategic) Deployment default/y", … in order. */
  readonly writes: string[] = [];

  constructor(objects: KubeObject[] = []) {
    for (const o of objects) this.put(structuredClone(o));
  }

  describe(): string {
    return "in-memory cluster";
  }

  /** How a hook Job or Pod of that name ends when waited for (default: complete). */
  setHookOutcome(name: string, outcome: HookOutcome): void {
    this.outcomes.set(name, outcome);
  }

  /** The stored object, as a test reads it. */
  peek(ref: Omit<ObjectRef, "apiVersion"> & { apiVersion?: string }): KubeObject | undefined {
    const o = this.objects.get(keyOf({ apiVersion: ref.apiVersion ?? "v1", ...ref }));
    return o && structuredClone(o);
  }

  all(): KubeObject[] {
    return [...this.objects.values()].map((o) => structuredClone(o));
  }

  private put(o: KubeObject): KubeObject {
    o.metadata ??= {};
    o.metadata.resourceVersion = String(++this.version);
    o.metadata.uid ??= `uid-${this.version}`;
    this.objects.set(keyOf(refOf(o)), o);
    return structuredClone(o);
  }

  private log(what: string, ref: ObjectRef): void {
    this.writes.push(`${what} ${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`);
  }

  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    const o = this.objects.get(keyOf(ref));
    return o && structuredClone(o);
  }

  async list(ref: Omit<ObjectRef, "name">, opts: ListOptions = {}): Promise<KubeObject[]> {
    const prefix = keyOf({ ...ref, name: "" });
    return [...this.objects.entries()]
      .filter(
        ([k, o]) => k.startsWith(prefix) && matchesSelector(o.metadata?.labels ?? {}, opts.labelSelector),
      )
      .map(([, o]) =>
        opts.metadataOnly ? { metadata: structuredClone(o.metadata ?? {}) } : structuredClone(o),
      ) as KubeObject[];
  }

  async create(obj: KubeObject, _opts: WriteOptions): Promise<KubeObject> {
    const ref = refOf(obj);
    if (this.objects.has(keyOf(ref)))
      throw new KubeError(
        `${resourceName(ref.apiVersion, ref.kind)} "${ref.name}" already exists`,
        409,
        "AlreadyExists",
      );
    this.log("create", ref);
    return this.put(structuredClone(obj));
  }

  async replace(obj: KubeObject): Promise<KubeObject> {
    const ref = refOf(obj);
    if (!this.objects.has(keyOf(ref)))
      throw new KubeError(
        `${resourceName(ref.apiVersion, ref.kind)} "${ref.name}" not found`,
        404,
        "NotFound",
      );
    this.log("update", ref);
    return this.put(structuredClone(obj));
  }

  async patch(ref: ObjectRef, type: PatchType, patch: unknown, _opts: WriteOptions): Promise<KubeObject> {
    const cur = this.objects.get(keyOf(ref));
    if (!cur)
      throw new KubeError(
        `${resourceName(ref.apiVersion, ref.kind)} "${ref.name}" not found`,
        404,
        "NotFound",
      );
    this.log(`patch(${type})`, ref);
    const next =
      type === "strategic"
        ? applyStrategicMergePatch(
            cur as unknown as JsonMap,
            patch as JsonMap,
            strategicSchema(ref.apiVersion, ref.kind),
          )
        : applyMergePatch(cur as unknown as JsonMap, patch as JsonMap);
    return this.put(next as unknown as KubeObject);
  }

  async apply(obj: KubeObject, _opts: WriteOptions & { force: boolean }): Promise<KubeObject> {
    const ref = refOf(obj);
    const cur = this.objects.get(keyOf(ref));
    this.log("apply", ref);
    // Fields the applied configuration sets win; the rest of the live object stays (no field ownership here).
    return this.put(
      applyMergePatch((cur ?? {}) as unknown as JsonMap, obj as unknown as JsonMap) as unknown as KubeObject,
    );
  }

  async delete(ref: ObjectRef): Promise<boolean> {
    const had = this.objects.delete(keyOf(ref));
    if (had) this.log("delete", ref);
    return had;
  }

  async waitForDeletion(): Promise<void> {}

  async watchUntilReady(ref: ObjectRef): Promise<void> {
    if (ref.kind !== "Job" && ref.kind !== "Pod") return;
    const o = this.objects.get(keyOf(ref));
    if (!o) return;
    const outcome = this.outcomes.get(ref.name) ?? "complete";
    const status =
      outcome === "complete"
        ? ref.kind === "Job"
          ? { conditions: [{ type: "Complete", status: "True" }], succeeded: 1 }
          : { phase: "Succeeded" }
        : outcome === "fail"
          ? ref.kind === "Job"
            ? { conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }], failed: 1 }
            : { phase: "Failed" }
          : undefined;
    if (status) o.status = status;
    if (outcome === "hang") throw new HookWaitError(TIMED_OUT, true);
    if (outcome === "fail")
      throw new HookWaitError(
        ref.kind === "Job" ? `job ${ref.name} failed: BackoffLimitExceeded` : `pod ${ref.name} failed`,
      );
  }
}
