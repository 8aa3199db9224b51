// The API semantics, independent of HTTP: create/update/patch/delete with the real registries' rules,
// server-side apply, finalizers, namespace lifecycle and the garbage collector.
import { randomUUID } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { apply, type ManagerContext, recordUpdate } from "./managed-fields.js";
import { jsonPatch, mergePatch, PatchError, strategicMergePatch } from "./patch.js";
import { apiVersionOf, Registry, type ResourceDef } from "./resources.js";
import {
  type FieldSelector,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "./selectors.js";
import {
  alreadyExists,
  applyConflict,
  badRequest,
  conflict,
  expired,
  internalError,
  invalid,
  namespaceTerminating,
  notFound,
  StatusError,
  type SuccessStatus,
  success,
  unsupportedMediaType,
} from "./status.js";
import { type Change, ObjectStore } from "./store.js";
import { nameErrors, prepareForCreate, prepareForUpdate } from "./strategies.js";
import type { JsonObject, KubeObject, OwnerReference } from "./types.js";
import { canonicalOrder, clone, deepEqual, isObject, randomSuffix, rfc3339 } from "./util.js";

export const NAMESPACES: ResourceDef = new Registry(() => []).find("", "v1", "namespaces")!;
const CRDS_STORAGE = "apiextensions.k8s.io/customresourcedefinitions";

export interface ClusterOptions {
  now: () => Date;
  random: () => number;
  /** Delay of the garbage collector, the namespace controller and the "kubelet" (pod termination). */
  controllerDelayMs: number;
  startResourceVersion: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  userAgent?: string;
  subresource?: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
}

export interface ListResult {
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
  /** Stored objects (storage form). */
  items: KubeObject[];
}

export interface DeleteOptions {
  propagationPolicy?: string;
  orphanDependents?: boolean;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type PatchType = "json" | "merge" | "strategic" | "apply";

export const PATCH_CONTENT_TYPES: Record<string, PatchType> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
};

/** A compiled list/watch filter. */
export interface Filter {
  namespace?: string;
  labels: LabelSelector;
  fields: FieldSelector;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

export class Cluster {
  readonly store: ObjectStore;
  readonly registry: Registry;
  private readonly opts: ClusterOptions;
  private pending = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private held = false;
  private heldQueue: Array<() => void> = [];

  constructor(opts: ClusterOptions) {
    this.opts = opts;
    this.store = new ObjectStore(opts.startResourceVersion);
    this.registry = new Registry(() => this.store.list(CRDS_STORAGE));
  }

  // ---------------------------------------------------------------- timers (controllers)

  /** Runs `fn` after `delayMs`; `settle()` waits for every scheduled function. */
  schedule(delayMs: number, fn: () => void): void {
    if (this.stopped) return;
    this.pending++;
    const run = () => {
      if (this.held) {
        this.heldQueue.push(run);
        return;
      }
      try {
        if (!this.stopped) fn();
      } catch (err) {
        console.error("fake-apiserver controller error:", err);
      } finally {
        this.pending--;
        if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
      }
    };
    this.later(delayMs, run);
  }

  private later(delayMs: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, delayMs);
    this.timers.add(t);
  }

  /**
   * Freezes the controllers: scheduled work waits until the returned function is called. Lets a test
   * look at an intermediate state (a Terminating namespace, a Job with foregroundDeletion) without racing.
   */
  hold(): () => void {
    this.held = true;
    return () => {
      this.held = false;
      for (const run of this.heldQueue.splice(0)) this.later(0, run);
    };
  }

  /** Resolves when no controller work is scheduled any more (never while held). */
  settle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.heldQueue = [];
    this.pending = 0;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  get controllerDelayMs(): number {
    return this.opts.controllerDelayMs;
  }

  now(): string {
    return rfc3339(this.opts.now());
  }

  nowDate(): Date {
    return this.opts.now();
  }

  randomSuffix(): string {
    return randomSuffix(this.opts.random);
  }

  // ---------------------------------------------------------------- reads

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(def.storage, def.namespaced ? namespace : undefined, name);
    if (!o) throw notFound(def, name);
    return o;
  }

  compileFilter(def: ResourceDef, namespace: string | undefined, q: ListOptions): Filter {
    return {
      namespace: def.namespaced ? namespace : undefined,
      labels: q.labelSelector ? parseLabelSelector(q.labelSelector) : [],
      fields: q.fieldSelector ? parseFieldSelector(q.fieldSelector, def) : [],
    };
  }

  matches(def: ResourceDef, filter: Filter, o: KubeObject): boolean {
    if (filter.namespace !== undefined && o.metadata.namespace !== filter.namespace) return false;
    return matchesLabels(filter.labels, o.metadata.labels) && matchesFields(filter.fields, def, o);
  }

  list(def: ResourceDef, namespace: string | undefined, q: ListOptions): ListResult {
    const filter = this.compileFilter(def, namespace, q);
    let rv = this.store.resourceVersion;
    let start: string | undefined;
    if (q.continueToken) {
      const token = decodeContinue(q.continueToken);
      if (token.rv <= this.store.compactedRevision) {
        throw expired(
          "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
          encodeContinue({ v: "meta.k8s.io/v1", rv: this.store.resourceVersion, start: token.start }),
        );
      }
      rv = token.rv;
      start = token.start;
    }
    const ns = def.namespaced ? namespace : undefined;
    // Keys relative to the listed prefix, as in the real token: "name" in a namespace, "ns/name" across them.
    const keyOf = (o: KubeObject) =>
      ns ? o.metadata.name : `${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name}`;
    let items = this.store.list(def.storage, ns).filter((o) => this.matches(def, filter, o));
    if (start !== undefined) items = items.filter((o) => keyOf(o) >= start);
    const result: ListResult = { resourceVersion: String(rv), items };
    const limit = q.limit ?? 0;
    if (limit > 0 && items.length > limit) {
      result.items = items.slice(0, limit);
      const last = result.items[result.items.length - 1]!;
      result.continueToken = encodeContinue({ v: "meta.k8s.io/v1", rv, start: `${keyOf(last)}\u0000` });
      // remainingItemCount is only known (and only sent) for unfiltered lists.
      if (filter.labels.length === 0 && filter.fields.length === 0)
        result.remainingItemCount = items.length - limit;
    }
    return result;
  }

  // ---------------------------------------------------------------- helpers

  private managerCtx(def: ResourceDef, opts: WriteOptions, apply = false): ManagerContext {
    // Without ?fieldManager the manager is the User-Agent up to its first "/" (client-node: "node-fetch").
    const ua = opts.userAgent ?? "";
    const fromUa = ua.split("/")[0]?.slice(0, 128) || "unknown";
    const ctx: ManagerContext = {
      manager: opts.fieldManager || (apply ? "" : fromUa),
      apiVersion: apiVersionOf(def),
      time: this.now(),
    };
    if (opts.subresource) ctx.subresource = opts.subresource;
    else if (def.subresources.includes("status")) ctx.skip = ["status"];
    return ctx;
  }

  private parseBody(def: ResourceDef, body: unknown): KubeObject {
    if (!isObject(body)) throw badRequest(`Object '${def.kind}' is missing in 'null'`);
    const o = clone(body) as KubeObject;
    if (o.apiVersion !== undefined && o.apiVersion !== apiVersionOf(def)) {
      throw badRequest(
        `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersionOf(def)})`,
      );
    }
    if (o.kind !== undefined && o.kind !== def.kind) {
      throw badRequest(
        `the kind in the data (${String(o.kind)}) does not match the expected kind (${def.kind})`,
      );
    }
    o.apiVersion = apiVersionOf(def);
    o.kind = def.kind;
    if (!isObject(o.metadata)) o.metadata = { name: "" };
    if (typeof o.metadata.name !== "string") o.metadata.name = "";
    return def.toStorage(o);
  }

  private checkNamespace(def: ResourceDef, o: KubeObject, namespace: string | undefined): void {
    if (!def.namespaced) {
      delete o.metadata.namespace;
      return;
    }
    if (o.metadata.namespace && o.metadata.namespace !== namespace) {
      throw badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    o.metadata.namespace = namespace;
  }

  /** NamespaceLifecycle admission: the namespace must exist and not be terminating. */
  private admitNamespace(def: ResourceDef, namespace: string | undefined, name: string): void {
    if (!def.namespaced || !namespace) return;
    const ns = this.store.get(NAMESPACES.storage, undefined, namespace);
    if (!ns) throw notFound(NAMESPACES, namespace);
    if (ns.metadata.deletionTimestamp) throw namespaceTerminating(def, name, namespace);
  }

  /** Fills the system metadata of a new object (BeforeCreate). */
  private fillSystemMeta(def: ResourceDef, o: KubeObject): void {
    const m = o.metadata;
    m.uid = randomUUID();
    m.creationTimestamp = this.now();
    delete m.deletionTimestamp;
    delete m.deletionGracePeriodSeconds;
    delete m.selfLink;
    if (def.generation) m.generation = 1;
    else delete m.generation;
  }

  private external(def: ResourceDef, o: KubeObject): KubeObject {
    return canonicalOrder(def.toExternal(clone(o)));
  }

  // ---------------------------------------------------------------- create

  create(
    def: ResourceDef,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): KubeObject {
    const o = this.parseBody(def, body);
    this.checkNamespace(def, o, namespace);
    return this.createObject(def, o, opts, () => recordUpdate(undefined, o, this.managerCtx(def, opts)));
  }

  private createObject(def: ResourceDef, o: KubeObject, opts: WriteOptions, record: () => void): KubeObject {
    const m = o.metadata;
    if (!m.name && m.generateName) {
      do m.name = `${m.generateName}${this.randomSuffix()}`;
      while (this.store.has(def.storage, m.namespace, m.name));
    }
    this.admitNamespace(def, m.namespace, m.name);
    if (!m.name) {
      throw invalid(def.group, def.kind, "", [
        { type: "FieldValueRequired", field: "metadata.name", detail: "name or generateName is required" },
      ]);
    }
    const errs = nameErrors(def, m.name);
    if (errs.length > 0) throw invalid(def.group, def.kind, m.name, errs);
    // etcd3 store.Create refuses a resourceVersion before it looks for an existing key.
    if (m.resourceVersion !== undefined && m.resourceVersion !== "" && m.resourceVersion !== "0") {
      throw internalError("resourceVersion should not be set on objects to be created");
    }
    delete m.resourceVersion;
    this.fillSystemMeta(def, o);
    prepareForCreate(def, o);
    record();
    if (this.store.has(def.storage, m.namespace, m.name)) throw alreadyExists(def, m.name);
    if (opts.dryRun) return this.external(def, o);
    return this.external(def, this.store.write(def.storage, o).object);
  }

  // ---------------------------------------------------------------- update

  update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
  ): { object: KubeObject; created: boolean } {
    const o = this.parseBody(def, body);
    if (o.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    this.checkNamespace(def, o, namespace);
    const current = this.store.get(def.storage, o.metadata.namespace, name);
    if (!current) {
      if (def.createOnUpdate && !opts.subresource) {
        const created = this.createObject(def, o, opts, () =>
          recordUpdate(undefined, o, this.managerCtx(def, opts)),
        );
        return { object: created, created: true };
      }
      throw notFound(def, name);
    }
    return { object: this.updateObject(def, current, o, opts), created: false };
  }

  /** Shared by PUT and non-apply PATCH: `next` is the full desired object in storage form. */
  private updateObject(
    def: ResourceDef,
    current: KubeObject,
    next: KubeObject,
    opts: WriteOptions,
    managedByApply = false,
  ): KubeObject {
    const rv = next.metadata.resourceVersion;
    if (rv !== undefined && rv !== "" && rv !== current.metadata.resourceVersion) {
      throw conflict(def, current.metadata.name);
    }
    const merged = this.mergeSystemFields(def, current, next, opts.subresource);
    if (!opts.subresource) prepareForUpdate(def, current, merged);
    if (!managedByApply) recordUpdate(current, merged, this.managerCtx(def, opts));
    return this.commit(def, current, merged, opts);
  }

  /** Keeps what a client cannot change through this endpoint (system metadata; spec vs status). */
  private mergeSystemFields(
    def: ResourceDef,
    current: KubeObject,
    next: KubeObject,
    subresource?: string,
  ): KubeObject {
    let out: KubeObject;
    if (subresource === "status") {
      // PUT/PATCH .../status changes the status only (metadata and spec of the request are ignored).
      out = clone(current);
      if (next.status === undefined) delete out.status;
      else out.status = clone(next.status);
      out.metadata.managedFields = next.metadata.managedFields ?? current.metadata.managedFields;
    } else {
      out = clone(next);
      if (def.subresources.includes("status")) {
        if (current.status === undefined) delete out.status;
        else out.status = clone(current.status);
      }
    }
    const m = out.metadata;
    const c = current.metadata;
    m.name = c.name;
    if (c.namespace) m.namespace = c.namespace;
    m.uid = c.uid;
    m.creationTimestamp = c.creationTimestamp;
    m.resourceVersion = c.resourceVersion;
    if (c.deletionTimestamp) m.deletionTimestamp = c.deletionTimestamp;
    else delete m.deletionTimestamp;
    if (c.deletionGracePeriodSeconds !== undefined)
      m.deletionGracePeriodSeconds = c.deletionGracePeriodSeconds;
    else delete m.deletionGracePeriodSeconds;
    if (def.generation) {
      m.generation = c.generation ?? 1;
      if (!subresource && !deepEqual(specOf(current), specOf(out))) m.generation = (c.generation ?? 1) + 1;
    } else {
      delete m.generation;
    }
    return out;
  }

  /** Writes `next` unless nothing changed; finishes a deletion whose last finalizer went away. */
  private commit(def: ResourceDef, current: KubeObject, next: KubeObject, opts: WriteOptions): KubeObject {
    // An update that changes nothing is a no-op: no new resourceVersion, no watch event.
    if (deepEqual(current, next)) return this.external(def, current);
    if (opts.dryRun) return this.external(def, next);
    const m = next.metadata;
    if (m.deletionTimestamp && (m.finalizers ?? []).length === 0) {
      const gone = this.store.remove(def.storage, m.namespace, m.name);
      this.afterRemoval(def, gone, "Background");
      return this.external(def, gone?.object ?? next);
    }
    return this.external(def, this.store.write(def.storage, next).object);
  }

  // ---------------------------------------------------------------- patch

  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    rawBody: string,
    opts: WriteOptions & { force?: boolean },
  ): { object: KubeObject; created: boolean } {
    if (type === "strategic" && def.custom) {
      throw unsupportedMediaType(
        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
      );
    }
    if (type !== "apply" && opts.force !== undefined) {
      throw invalid("meta.k8s.io", "PatchOptions", "", [
        { type: "FieldValueForbidden", field: "force", detail: "may not be specified for non-apply patch" },
      ]);
    }
    if (type === "apply") return this.serverSideApply(def, namespace, name, rawBody, opts);
    let patch: unknown;
    try {
      patch = JSON.parse(rawBody);
    } catch (err) {
      throw badRequest(`error decoding patch: ${(err as Error).message}`);
    }
    const ns = def.namespaced ? namespace : undefined;
    const current = this.store.get(def.storage, ns, name);
    if (!current) throw notFound(def, name);
    const original = def.toExternal(clone(current));
    let patched: unknown;
    try {
      if (type === "json") patched = jsonPatch(original, patch);
      else if (type === "merge") patched = mergePatch(original, patch);
      else patched = strategicMergePatch(original, patch);
    } catch (err) {
      if (err instanceof PatchError) {
        if (err.message.startsWith("json: cannot unmarshal")) throw badRequest(err.message);
        // patch.go answers a failed JSON patch with NewGenericServerResponse(422): the jsonpatch error
        // text is dropped and the message is the generic one.
        throw new StatusError({
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: "the server rejected our request due to an error in our request",
          reason: "Invalid",
          details: {},
          code: 422,
        });
      }
      throw err;
    }
    const next = this.parseBody(def, patched);
    if (next.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    this.checkNamespace(def, next, ns);
    return { object: this.updateObject(def, current, next, opts), created: false };
  }

  private serverSideApply(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    rawBody: string,
    opts: WriteOptions & { force?: boolean },
  ): { object: KubeObject; created: boolean } {
    if (!opts.fieldManager) {
      throw invalid("meta.k8s.io", "PatchOptions", "", [
        { type: "FieldValueRequired", field: "fieldManager", detail: "is required for apply patch" },
      ]);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(rawBody);
    } catch (err) {
      throw badRequest(`error decoding YAML: ${(err as Error).message}`);
    }
    if (!isObject(parsed)) throw badRequest("error decoding YAML: the patch is not an object");
    const config = this.parseBody(def, parsed);
    if (config.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${config.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    this.checkNamespace(def, config, namespace);
    // Status is not applied through the main resource (and only status is, through /status).
    if (def.subresources.includes("status") && opts.subresource !== "status") delete config.status;
    if (opts.subresource === "status") {
      for (const k of Object.keys(config))
        if (!["apiVersion", "kind", "metadata", "status"].includes(k)) delete config[k];
      config.metadata = { name: config.metadata.name, namespace: config.metadata.namespace };
    }
    const ctx = this.managerCtx(def, opts, true);
    const current = this.store.get(def.storage, config.metadata.namespace, name);
    if (!current) {
      if (opts.subresource) throw notFound(def, name);
      const { object } = apply(undefined, config, ctx, true);
      object.metadata.namespace = config.metadata.namespace;
      if (!def.namespaced) delete object.metadata.namespace;
      const managed = object.metadata.managedFields;
      const created = this.createObject(def, object, opts, () => {
        object.metadata.managedFields = managed;
      });
      return { object: created, created: true };
    }
    const rv = config.metadata.resourceVersion;
    if (rv !== undefined && rv !== current.metadata.resourceVersion) throw conflict(def, name);
    const { object, conflicts } = apply(current, config, ctx, opts.force === true);
    if (conflicts.length > 0) {
      throw applyConflict(
        def,
        name,
        conflicts.map((c) => ({
          message: `conflict with "${c.manager}" using ${c.apiVersion}`,
          field: c.field,
        })),
      );
    }
    return { object: this.updateObject(def, current, object, opts, true), created: false };
  }

  // ---------------------------------------------------------------- delete

  delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): { body: KubeObject | SuccessStatus } {
    const ns = def.namespaced ? namespace : undefined;
    const current = this.store.get(def.storage, ns, name);
    if (!current) throw notFound(def, name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        def,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        def,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    const policy = this.propagation(def, opts);
    if (opts.dryRun) {
      return {
        body: def.returnDeletedObject
          ? this.external(def, current)
          : success(def, name, current.metadata.uid),
      };
    }
    const m = current.metadata;
    if (m.deletionTimestamp) {
      // Already being deleted: nothing more happens (the real server may only update finalizers).
      return { body: this.external(def, current) };
    }
    if (def === NAMESPACES || (def.kind === "Namespace" && def.group === "")) {
      return { body: this.terminateNamespace(current) };
    }
    // Graceful pod deletion: a pod bound to a node lingers until the kubelet confirms termination.
    const grace = opts.gracePeriodSeconds;
    if (
      def.kind === "Pod" &&
      def.group === "" &&
      isObject(current.spec) &&
      current.spec.nodeName &&
      grace !== 0
    ) {
      const seconds =
        grace ??
        (typeof current.spec.terminationGracePeriodSeconds === "number"
          ? current.spec.terminationGracePeriodSeconds
          : 30);
      const next = clone(current);
      next.metadata.deletionTimestamp = rfc3339(new Date(this.nowDate().getTime() + seconds * 1000));
      next.metadata.deletionGracePeriodSeconds = seconds;
      const written = this.store.write(def.storage, next).object;
      this.schedule(this.opts.controllerDelayMs, () => this.kubeletTerminate(def, written));
      return { body: this.external(def, written) };
    }
    const finalizers = [...(m.finalizers ?? [])];
    if (policy === "Orphan" && !finalizers.includes("orphan")) finalizers.push("orphan");
    if (policy === "Foreground" && !finalizers.includes("foregroundDeletion"))
      finalizers.push("foregroundDeletion");
    if (finalizers.length > 0) {
      const next = clone(current);
      next.metadata.finalizers = finalizers;
      next.metadata.deletionTimestamp = this.now();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (def.generation) next.metadata.generation = (m.generation ?? 1) + 1;
      const written = this.store.write(def.storage, next).object;
      if (policy === "Orphan")
        this.schedule(this.opts.controllerDelayMs, () => this.orphanDependents(def, written));
      if (policy === "Foreground")
        this.schedule(this.opts.controllerDelayMs, () => this.foregroundDelete(def, written));
      return { body: this.external(def, written) };
    }
    const gone = this.store.remove(def.storage, ns, name);
    this.afterRemoval(def, gone, policy);
    if (def.returnDeletedObject) return { body: this.external(def, gone?.object ?? current) };
    return { body: success(def, name, current.metadata.uid) };
  }

  deleteCollection(
    def: ResourceDef,
    namespace: string | undefined,
    q: ListOptions,
    opts: DeleteOptions,
  ): KubeObject[] {
    const { items } = this.list(def, namespace, {
      labelSelector: q.labelSelector,
      fieldSelector: q.fieldSelector,
    });
    const out: KubeObject[] = [];
    for (const o of items) {
      const { body } = this.delete(def, o.metadata.namespace, o.metadata.name, opts);
      out.push(body.kind === "Status" ? this.external(def, o) : (body as KubeObject));
    }
    return out;
  }

  private propagation(def: ResourceDef, opts: DeleteOptions): "Orphan" | "Background" | "Foreground" {
    const p = opts.propagationPolicy;
    if (p !== undefined) {
      if (p !== "Orphan" && p !== "Background" && p !== "Foreground") {
        throw invalid("meta.k8s.io", "DeleteOptions", "", [
          {
            type: "FieldValueNotSupported",
            field: "propagationPolicy",
            value: JSON.stringify(p),
            detail: 'supported values: "Foreground", "Background", "Orphan"',
          },
        ]);
      }
      return p;
    }
    if (opts.orphanDependents === true) return "Orphan";
    if (opts.orphanDependents === false) return "Background";
    return def.defaultPropagation;
  }

  /** Removes a finalizer the server itself set (orphan, foregroundDeletion, kubernetes). */
  removeFinalizer(def: ResourceDef, o: KubeObject, finalizer: string): void {
    const current = this.store.get(def.storage, o.metadata.namespace, o.metadata.name);
    if (!current || current.metadata.uid !== o.metadata.uid) return;
    const next = clone(current);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    this.commit(def, current, next, {});
  }

  private kubeletTerminate(def: ResourceDef, pod: KubeObject): void {
    const current = this.store.get(def.storage, pod.metadata.namespace, pod.metadata.name);
    if (!current || current.metadata.uid !== pod.metadata.uid) return;
    if ((current.metadata.finalizers ?? []).length > 0) return;
    const gone = this.store.remove(def.storage, current.metadata.namespace, current.metadata.name);
    this.afterRemoval(def, gone, "Background");
  }

  // ---------------------------------------------------------------- garbage collector

  private defOfStorage(storage: string, apiVersion: string, kind: string): ResourceDef | undefined {
    return this.registry.byKind(apiVersion, kind) ?? this.registry.all().find((d) => d.storage === storage);
  }

  /** Objects whose ownerReferences name `uid`. */
  private dependentsOf(uid: string | undefined): Array<{ def: ResourceDef; object: KubeObject }> {
    if (!uid) return [];
    const out: Array<{ def: ResourceDef; object: KubeObject }> = [];
    for (const [storage, o] of this.store.all()) {
      if (!(o.metadata.ownerReferences ?? []).some((r) => r.uid === uid)) continue;
      const def = this.defOfStorage(storage, o.apiVersion, o.kind);
      if (def) out.push({ def, object: o });
    }
    return out;
  }

  private ownerExists(ref: OwnerReference, namespace: string | undefined): boolean {
    const def = this.registry.byKind(ref.apiVersion, ref.kind);
    if (!def) return false;
    const o = this.store.get(def.storage, def.namespaced ? namespace : undefined, ref.name);
    return o !== undefined && o.metadata.uid === ref.uid;
  }

  /** After an object is gone: CRD → its custom resources; then the GC's work on dependents. */
  private afterRemoval(
    def: ResourceDef,
    gone: Change | undefined,
    policy: "Orphan" | "Background" | "Foreground",
  ): void {
    if (!gone) return;
    if (def.storage === CRDS_STORAGE) {
      const spec = gone.object.spec;
      if (isObject(spec) && isObject(spec.names)) {
        const storage = `${String(spec.group)}/${String(spec.names.plural)}`;
        for (const o of this.store.list(storage))
          this.store.remove(storage, o.metadata.namespace, o.metadata.name);
      }
    }
    if (policy === "Orphan") return;
    const uid = gone.object.metadata.uid;
    this.schedule(this.opts.controllerDelayMs, () => {
      for (const { def: d, object } of this.dependentsOf(uid)) {
        const others = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
        if (others.some((r) => this.ownerExists(r, object.metadata.namespace))) {
          this.rewriteOwners(d, object, others);
        } else if (!object.metadata.deletionTimestamp) {
          try {
            this.delete(d, object.metadata.namespace, object.metadata.name, {
              propagationPolicy: "Background",
            });
          } catch (err) {
            if (!(err instanceof StatusError)) throw err;
          }
        }
      }
    });
  }

  private rewriteOwners(def: ResourceDef, o: KubeObject, refs: OwnerReference[]): void {
    const current = this.store.get(def.storage, o.metadata.namespace, o.metadata.name);
    if (!current) return;
    const next = clone(current);
    if (refs.length > 0) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    this.commit(def, current, next, {});
  }

  private orphanDependents(def: ResourceDef, owner: KubeObject): void {
    const uid = owner.metadata.uid;
    for (const { def: d, object } of this.dependentsOf(uid)) {
      this.rewriteOwners(
        d,
        object,
        (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid),
      );
    }
    this.removeFinalizer(def, owner, "orphan");
  }

  private foregroundDelete(def: ResourceDef, owner: KubeObject): void {
    const deps = this.dependentsOf(owner.metadata.uid);
    if (deps.length === 0) {
      this.removeFinalizer(def, owner, "foregroundDeletion");
      return;
    }
    for (const { def: d, object } of deps) {
      if (object.metadata.deletionTimestamp) continue;
      try {
        this.delete(d, object.metadata.namespace, object.metadata.name, { propagationPolicy: "Foreground" });
      } catch (err) {
        if (!(err instanceof StatusError)) throw err;
      }
    }
    this.schedule(this.opts.controllerDelayMs, () => this.foregroundDelete(def, owner));
  }

  // ---------------------------------------------------------------- namespaces

  private terminateNamespace(current: KubeObject): KubeObject {
    const next = clone(current);
    next.metadata.deletionTimestamp = this.now();
    next.status = { ...(isObject(current.status) ? current.status : {}), phase: "Terminating" };
    const written = this.store.write(NAMESPACES.storage, next).object;
    this.schedule(this.opts.controllerDelayMs, () => this.namespaceControllerTick(written.metadata.name, 0));
    return this.external(NAMESPACES, written);
  }

  /** The namespace controller: deletes the contents, then lifts the "kubernetes" finalizer. */
  private namespaceControllerTick(name: string, round: number): void {
    let remaining = 0;
    const seen = new Set<string>();
    for (const def of this.registry.all()) {
      // One def per storage table (events are served by two groups from one table).
      if (!def.namespaced || !def.verbs.includes("delete") || seen.has(def.storage)) continue;
      seen.add(def.storage);
      for (const o of this.store.list(def.storage, name)) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        try {
          this.delete(def, name, o.metadata.name, { propagationPolicy: "Background", gracePeriodSeconds: 0 });
        } catch (err) {
          if (!(err instanceof StatusError)) throw err;
        }
      }
    }
    const ns = this.store.get(NAMESPACES.storage, undefined, name);
    if (!ns) return;
    if (remaining === 0 || round > 50) {
      if (remaining === 0) this.store.remove(NAMESPACES.storage, undefined, name);
      return;
    }
    this.schedule(this.opts.controllerDelayMs, () => this.namespaceControllerTick(name, round + 1));
  }

  // ---------------------------------------------------------------- direct writes (tests, controllers)

  /** Creates the namespace (Active) if it does not exist; used when seeding. */
  ensureNamespace(name: string): void {
    if (this.store.has(NAMESPACES.storage, undefined, name)) return;
    const ns: KubeObject = {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
      spec: { finalizers: ["kubernetes"] },
      status: { phase: "Active" },
    };
    this.fillSystemMeta(NAMESPACES, ns);
    this.store.write(NAMESPACES.storage, ns);
  }

  /** Stores an object as given (the state a test wants), filling only missing system metadata. */
  seedObject(def: ResourceDef, input: KubeObject): KubeObject {
    const o = def.toStorage(clone(input));
    const m = o.metadata;
    if (!m.name) throw new Error(`seed: ${def.kind} without metadata.name`);
    if (def.namespaced) {
      m.namespace ??= "default";
      this.ensureNamespace(m.namespace);
    } else {
      delete m.namespace;
    }
    const existing = this.store.get(def.storage, m.namespace, m.name);
    m.uid ??= existing?.metadata.uid ?? randomUUID();
    m.creationTimestamp ??= existing?.metadata.creationTimestamp ?? this.now();
    if (def.generation) m.generation ??= 1;
    delete m.resourceVersion;
    if (def.kind === "Secret" && def.group === "" && isObject(o.stringData)) {
      const data: JsonObject = isObject(o.data) ? o.data : {};
      for (const [k, v] of Object.entries(o.stringData))
        data[k] = Buffer.from(String(v), "utf8").toString("base64");
      o.data = data;
      delete o.stringData;
    }
    return this.store.write(def.storage, o).object;
  }

  /** Writes a stored object's new state (a controller's or a test's update), bumping resourceVersion. */
  writeObject(def: ResourceDef, o: KubeObject): KubeObject {
    return this.store.write(def.storage, o).object;
  }

  /** Removes an object at once (no finalizers, no GC). */
  removeObject(def: ResourceDef, namespace: string | undefined, name: string): boolean {
    return this.store.remove(def.storage, def.namespaced ? namespace : undefined, name) !== undefined;
  }
}

function specOf(o: KubeObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(o))
    if (!["apiVersion", "kind", "metadata", "status"].includes(k)) out[k] = v;
  return out;
}

function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify(t)).toString("base64url");
}

function decodeContinue(token: string): ContinueToken {
  try {
    const t = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as ContinueToken;
    if (t.v !== "meta.k8s.io/v1" || typeof t.rv !== "number" || typeof t.start !== "string")
      throw new Error();
    return t;
  } catch {
    throw badRequest(`continue key is not valid: ${token}`);
  }
}
