// FailingKubeClient: a KubeClient that fails the calls a test names, in front of another one (as Helm's
// kubefake.FailingKubeClient does for its action tests).
import type { KubeObject } from "../snapshot/types.js";
import {
  type KubeClient,
  type ListOptions,
  type ObjectRef,
  type PatchType,
  type Propagation,
  refOf,
  type WriteOptions,
} from "./kubeclient.js";

export type Method =
  | "get"
  | "list"
  | "create"
  | "replace"
  | "patch"
  | "apply"
  | "delete"
  | "waitForDeletion"
  | "watchUntilReady";

/** An error to throw for a call on `ref`, or undefined to let it through. */
export type Fault = (ref: ObjectRef) => Error | undefined;

export class FailingKubeClient implements KubeClient {
  constructor(
    private readonly inner: KubeClient,
    private readonly faults: Partial<Record<Method, Fault>>,
  ) {}

  private check(m: Method, ref: ObjectRef): void {
    const e = this.faults[m]?.(ref);
    if (e) throw e;
  }

  describe(): string {
    return `failing ${this.inner.describe()}`;
  }
  async get(ref: ObjectRef): Promise<KubeObject | undefined> {
    this.check("get", ref);
    return this.inner.get(ref);
  }
  async list(ref: Omit<ObjectRef, "name">, opts?: ListOptions): Promise<KubeObject[]> {
    this.check("list", { ...ref, name: "" });
    return this.inner.list(ref, opts);
  }
  async create(obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    this.check("create", refOf(obj));
    return this.inner.create(obj, opts);
  }
  async replace(obj: KubeObject): Promise<KubeObject> {
    this.check("replace", refOf(obj));
    return this.inner.replace(obj);
  }
  async patch(ref: ObjectRef, type: PatchType, patch: unknown, opts: WriteOptions): Promise<KubeObject> {
    this.check("patch", ref);
    return this.inner.patch(ref, type, patch, opts);
  }
  async apply(obj: KubeObject, opts: WriteOptions & { force: boolean }): Promise<KubeObject> {
    this.check("apply", refOf(obj));
    return this.inner.apply(obj, opts);
  }
  async delete(ref: ObjectRef, propagation?: Propagation): Promise<boolean> {
    this.check("delete", ref);
    return this.inner.delete(ref, propagation);
  }
  async waitForDeletion(ref: ObjectRef, timeoutMs: number): Promise<void> {
    this.check("waitForDeletion", ref);
    return this.inner.waitForDeletion(ref, timeoutMs);
  }
  async watchUntilReady(ref: ObjectRef, timeoutMs: number): Promise<void> {
    this.check("watchUntilReady", ref);
    return this.inner.watchUntilReady(ref, timeoutMs);
  }
}
