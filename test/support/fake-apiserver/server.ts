// The HTTP front of the fake API server: bearer-token authentication, fault injection, the request log,
// path routing to the Kubernetes REST surface, content negotiation and watch streams.

import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { Cluster, type DeleteOptions, PATCH_CONTENT_TYPES, type WriteOptions } from "./cluster.js";
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionDocument } from "./discovery.js";
import { JobController } from "./job-controller.js";
import { contentType, negotiate, renderList, renderObject, type Target } from "./negotiation.js";
import { type RbacGrant, rbacAllows } from "./rbac.js";
import { apiVersionOf, type ResourceDef } from "./resources.js";
import {
  badRequest,
  forbidden,
  injected,
  internalError,
  methodNotAllowed,
  noSuchResource,
  type Status,
  StatusError,
  unauthorized,
  unsupportedMediaType,
} from "./status.js";
import type { Change } from "./store.js";
import type {
  ForbidRule,
  JsonObject,
  KubeObject,
  ObjectRef,
  RequestMatch,
  RequestRecord,
  Verb,
  WatchEventType,
} from "./types.js";
import { clone, isObject, prng, sleep } from "./util.js";

export interface FakeApiServerOptions {
  /** Bearer token the server accepts (default "fake-token"); any other or none → 401. */
  token?: string;
  /** User named in 403 messages (default "system:serviceaccount:helm-doctor:helm-doctor"). */
  user?: string;
  /** Delay of the job controller's steps, the garbage collector and pod termination (default 20 ms). */
  controllerDelayMs?: number;
  /** Clock for creationTimestamp, conditions, events (default: real time). */
  now?: () => Date;
  /** Seed of the PRNG behind generated names (default 1). */
  seed?: number;
  /** Reported by /version (default "v1.31.0"). */
  gitVersion?: string;
}

/** A change to the store, as `onChange` listeners receive it (objects in storage form). */
export interface StoreChange {
  type: WatchEventType;
  object: KubeObject;
  previous?: KubeObject;
}

export interface ListQuery {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

interface FaultRule {
  match?: RequestMatch;
  action: number | "reset";
  /** Remaining uses for failNext/resetNext. */
  remaining?: number;
  /** Every Nth matching request. */
  every?: number;
  /** Probability per matching request (seeded PRNG). */
  rate?: number;
  random?: () => number;
  seen: number;
}

type Route =
  | { type: "nonResource"; path: string }
  | { type: "discovery"; group: string; version: string }
  | {
      type: "resource";
      def: ResourceDef;
      verb: Verb;
      namespace?: string;
      name?: string;
      subresource?: string;
    };

const MAX_BODY = 64 * 1024 * 1024;
const JOB_ORPHAN_WARNING =
  '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"';

export class FakeApiServer {
  /** http://127.0.0.1:PORT */
  readonly url: string;
  readonly token: string;
  readonly user: string;
  /** The job controller: choose outcomes with `jobs.setOutcome(...)`. */
  readonly jobs: JobController;
  /** The API semantics behind the HTTP layer (for advanced tests). */
  readonly cluster: Cluster;

  private readonly server: http.Server;
  private readonly gitVersion: string;
  private readonly podLogs = new Map<string, string>();
  private records: RequestRecord[] = [];
  private seq = 0;
  private faults: FaultRule[] = [];
  private forbids: ForbidRule[] = [];
  private rbacGrants: RbacGrant[] | undefined;
  private latency: number | ((r: RequestRecord) => number) = 0;
  /** TCP connections accepted so far (a client that reuses connections opens few). */
  connections = 0;
  private readonly watches = new Set<() => void>();
  private readonly requestListeners = new Set<(r: RequestRecord) => void>();

  private constructor(server: http.Server, url: string, opts: FakeApiServerOptions, cluster: Cluster) {
    this.server = server;
    this.url = url;
    this.token = opts.token ?? "fake-token";
    this.user = opts.user ?? "system:serviceaccount:helm-doctor:helm-doctor";
    this.gitVersion = opts.gitVersion ?? "v1.31.0";
    this.cluster = cluster;
    this.jobs = new JobController(cluster, this.podLogs, opts.controllerDelayMs ?? 20);
  }

  static async start(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const cluster = new Cluster({
      now: opts.now ?? (() => new Date()),
      random: prng(opts.seed ?? 1),
      controllerDelayMs: opts.controllerDelayMs ?? 20,
      startResourceVersion: 1000,
    });
    for (const ns of ["default", "kube-system", "kube-public", "kube-node-lease"])
      cluster.ensureNamespace(ns);
    let self: FakeApiServer | undefined;
    const server = http.createServer((req, res) => {
      void self?.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    self = new FakeApiServer(server, `http://127.0.0.1:${port}`, opts, cluster);
    server.on("connection", () => {
      if (self) self.connections++;
    });
    return self;
  }

  // ------------------------------------------------------------------ lifecycle and kubeconfig

  /** Ends open watches, stops the controllers and closes the listener and its connections. */
  async close(): Promise<void> {
    for (const end of [...this.watches]) end();
    this.cluster.stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /**
   * A kubeconfig for this server. client-node 1.x refuses a plain-http cluster unless
   * `insecure-skip-tls-verify` is true ("HTTP protocol is not allowed when skipTLSVerify is not set or false").
   */
  kubeconfigYaml(namespace = "default"): string {
    return stringifyYaml({
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "fake", cluster: { server: this.url, "insecure-skip-tls-verify": true } }],
      users: [{ name: "fake-user", user: { token: this.token } }],
      contexts: [{ name: "fake", context: { cluster: "fake", user: "fake-user", namespace } }],
      "current-context": "fake",
      preferences: {},
    });
  }

  /** Writes the kubeconfig to `<dir>/kubeconfig` (mode 0600) and returns its path. */
  writeKubeconfig(dir: string, namespace = "default"): string {
    const path = join(dir, "kubeconfig");
    writeFileSync(path, this.kubeconfigYaml(namespace), { mode: 0o600 });
    return path;
  }

  /** A client-node KubeConfig loaded from `kubeconfigYaml(namespace)`. */
  kubeConfig(namespace = "default"): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(this.kubeconfigYaml(namespace));
    return kc;
  }

  // ------------------------------------------------------------------ store helpers for tests

  private resolve(apiVersion: string | undefined, kind: string): ResourceDef {
    const def = this.cluster.registry.byKind(apiVersion, kind);
    if (!def)
      throw new Error(`fake-apiserver: unknown kind ${apiVersion ?? "?"}/${kind} (seed its CRD first)`);
    return def;
  }

  /**
   * Stores objects as they are (a List, an array, or one object): the state a test starts from. Missing
   * uid/creationTimestamp/generation are filled, resourceVersion is assigned, Secret stringData is folded
   * into data, namespaces are created as needed. No admission, no defaulting, no controllers (a seeded
   * Job is not run; see `jobs.run`). Returns the stored objects.
   */
  seed(objects: unknown): KubeObject[] {
    const flat = flatten(objects);
    // CRDs first (so their custom resources resolve), then namespaces.
    const rank = (o: KubeObject) =>
      o.kind === "CustomResourceDefinition" ? 0 : o.kind === "Namespace" ? 1 : 2;
    flat.sort((a, b) => rank(a) - rank(b));
    const out: KubeObject[] = [];
    this.jobs.paused = true;
    try {
      for (const o of flat) {
        const def = this.resolve(o.apiVersion, o.kind);
        out.push(def.toExternal(this.cluster.seedObject(def, o)));
      }
    } finally {
      this.jobs.paused = false;
    }
    return out;
  }

  /** The stored object in the form served for `ref.apiVersion` (undefined when absent). */
  get(ref: ObjectRef): KubeObject | undefined {
    const def = this.resolve(ref.apiVersion, ref.kind);
    const ns = def.namespaced ? (ref.namespace ?? "default") : undefined;
    const o = this.cluster.store.get(def.storage, ns, ref.name);
    return o ? def.toExternal(o) : undefined;
  }

  /** Stored objects of a kind (all namespaces unless given), optionally filtered by selectors. */
  list(q: ListQuery): KubeObject[] {
    const def = this.resolve(q.apiVersion, q.kind);
    const { items } = this.cluster.list(def, q.namespace, q);
    return items.map((o) => def.toExternal(o));
  }

  /** Changes a stored object in place (a bumped resourceVersion and a MODIFIED event, no validation). */
  update(ref: ObjectRef, mutate: (o: KubeObject) => void): KubeObject {
    const def = this.resolve(ref.apiVersion, ref.kind);
    const ns = def.namespaced ? (ref.namespace ?? "default") : undefined;
    const current = this.cluster.store.get(def.storage, ns, ref.name);
    if (!current) throw new Error(`fake-apiserver: ${ref.kind} ${ns ? `${ns}/` : ""}${ref.name} not found`);
    const external = def.toExternal(current);
    mutate(external);
    const next = def.toStorage(external);
    next.metadata.name = current.metadata.name;
    if (ns) next.metadata.namespace = ns;
    return def.toExternal(this.cluster.writeObject(def, next));
  }

  /** Removes an object at once (no finalizers, no garbage collection). Returns whether it existed. */
  delete(ref: ObjectRef): boolean {
    const def = this.resolve(ref.apiVersion, ref.kind);
    return this.cluster.removeObject(def, ref.namespace ?? "default", ref.name);
  }

  /** Text served by GET .../pods/{pod}/log (for one container, or for every container of the pod). */
  setPodLog(namespace: string, pod: string, text: string, container?: string): void {
    this.podLogs.set(container ? `${namespace}/${pod}/${container}` : `${namespace}/${pod}`, text);
  }

  /** The current global resourceVersion. */
  get resourceVersion(): string {
    return String(this.cluster.store.resourceVersion);
  }

  /** Compacts the history: older watch resourceVersions and continue tokens get 410 Expired. */
  compact(): void {
    this.cluster.store.compact();
  }

  /**
   * Ends every open watch stream (as an API server does at a watch's timeout, on restart or when a load balancer
   * drops the connection); returns how many were open. Clients resume from their last resourceVersion.
   */
  endWatches(): number {
    const open = [...this.watches];
    for (const end of open) end();
    return open.length;
  }

  /**
   * Freezes the controllers (job controller, garbage collector, namespace controller, pod termination)
   * until the returned function is called: the way to assert on an intermediate state without racing.
   */
  holdControllers(): () => void {
    return this.cluster.hold();
  }

  /** Resolves when the controllers (jobs, garbage collector, namespaces, pod termination) are idle. */
  settle(): Promise<void> {
    return this.cluster.settle();
  }

  /** Calls `listener` on every stored change; returns the unsubscribe function. Build test controllers on it. */
  onChange(listener: (change: StoreChange) => void): () => void {
    return this.cluster.store.subscribe((c: Change) => {
      const change: StoreChange = { type: c.type, object: clone(c.object) };
      if (c.previous) change.previous = clone(c.previous);
      listener(change);
    });
  }

  // ------------------------------------------------------------------ faults

  /** Refuses matching requests with the RBAC authorizer's 403. Returns a function that lifts the rule. */
  forbid(rule: ForbidRule): () => void {
    this.forbids.push(rule);
    return () => {
      this.forbids = this.forbids.filter((r) => r !== rule);
    };
  }

  /**
   * Authorize like RBAC: from now on a resource request is allowed only when one of `grants` allows it (403
   * otherwise, the request logged with fault "forbidden"). Returns a function that lifts it.
   */
  authorize(grants: RbacGrant[]): () => void {
    this.rbacGrants = grants;
    return () => {
      if (this.rbacGrants === grants) this.rbacGrants = undefined;
    };
  }

  /** The next `n` matching requests fail with `status` (500, 503, 429 with Retry-After, 504, ...). */
  failNext(n: number, status = 500, match?: RequestMatch): () => void {
    return this.addFault({ action: status, remaining: n, match, seen: 0 });
  }

  /** Every `nth` matching request fails with `status` (deterministic). */
  failEvery(nth: number, status = 500, match?: RequestMatch): () => void {
    return this.addFault({ action: status, every: nth, match, seen: 0 });
  }

  /** Matching requests fail with probability `rate`, drawn from a PRNG seeded with `seed` (repeatable). */
  failRandomly(
    rate: number,
    opts: { status?: number; seed?: number; match?: RequestMatch } = {},
  ): () => void {
    return this.addFault({
      action: opts.status ?? 500,
      rate,
      random: prng(opts.seed ?? 42),
      match: opts.match,
      seen: 0,
    });
  }

  /** The next `n` matching requests get their connection destroyed before any response (ECONNRESET). */
  resetNext(n = 1, match?: RequestMatch): () => void {
    return this.addFault({ action: "reset", remaining: n, match, seen: 0 });
  }

  /** Delays every request (or as the function decides per request) before it is answered. */
  setLatency(ms: number | ((r: RequestRecord) => number)): void {
    this.latency = ms;
  }

  /** Lifts every forbid rule, injected failure and latency. */
  clearFaults(): void {
    this.faults = [];
    this.forbids = [];
    this.latency = 0;
  }

  private addFault(rule: FaultRule): () => void {
    this.faults.push(rule);
    return () => {
      this.faults = this.faults.filter((r) => r !== rule);
    };
  }

  private takeFault(r: RequestRecord): number | "reset" | undefined {
    for (const rule of this.faults) {
      if (!matchesRequest(rule.match, r)) continue;
      rule.seen++;
      if (rule.remaining !== undefined) {
        if (rule.remaining <= 0) continue;
        rule.remaining--;
        return rule.action;
      }
      if (rule.every !== undefined && rule.seen % rule.every === 0) return rule.action;
      if (rule.rate !== undefined && rule.random && rule.random() < rule.rate) return rule.action;
    }
    return undefined;
  }

  private forbiddenBy(route: Extract<Route, { type: "resource" }>): boolean {
    if (
      this.rbacGrants &&
      !rbacAllows(this.rbacGrants, {
        verb: route.verb,
        group: route.def.group,
        resource: route.def.resource,
        subresource: route.subresource,
        namespace: route.namespace,
      })
    )
      return true;
    return this.forbids.some((rule) => {
      const verbs = rule.verb === undefined ? undefined : Array.isArray(rule.verb) ? rule.verb : [rule.verb];
      if (verbs && !verbs.includes(route.verb)) return false;
      const [resource, sub] = rule.resource.split("/");
      if (resource !== route.def.resource || (sub ?? undefined) !== route.subresource) return false;
      if ((rule.group ?? "") !== route.def.group) return false;
      if (rule.namespace !== undefined && rule.namespace !== route.namespace) return false;
      if (rule.name !== undefined && rule.name !== route.name) return false;
      return true;
    });
  }

  // ------------------------------------------------------------------ request log

  /** Every request served since the last `resetCounters()`, oldest first (watches while open, too). */
  get requests(): readonly RequestRecord[] {
    return this.records;
  }

  requestsMatching(match: RequestMatch): RequestRecord[] {
    return this.records.filter((r) => matchesRequest(match, r));
  }

  /**
   * Calls `listener` with every authenticated request to a known route, before it is served: build test
   * actors that react to what the client does (a kubelet that finishes a Pod once someone watches it).
   * Returns the unsubscribe function.
   */
  onRequest(listener: (r: RequestRecord) => void): () => void {
    this.requestListeners.add(listener);
    return () => this.requestListeners.delete(listener);
  }

  resetCounters(): void {
    this.records = [];
    this.seq = 0;
  }

  // ------------------------------------------------------------------ HTTP

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "http://fake");
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const record: RequestRecord = {
      seq: ++this.seq,
      method: req.method ?? "GET",
      path: url.pathname,
      query,
      status: 0,
      bytes: 0,
      accept: req.headers.accept,
      contentType: req.headers["content-type"],
      userAgent: req.headers["user-agent"],
      metadataOnly: false,
      durationMs: 0,
    };
    this.records.push(record);
    const reply = new Reply(res, record, started);
    try {
      // Authentication comes first; a path error is only reported to an authenticated client.
      let route: Route | undefined;
      let routeError: unknown;
      try {
        route = this.classify(record.method, url.pathname, query);
      } catch (err) {
        routeError = err;
      }
      if (route?.type === "resource") {
        record.verb = route.verb;
        record.group = route.def.group;
        record.version = route.def.version;
        record.resource = route.def.resource;
        if (route.subresource) record.subresource = route.subresource;
        if (route.namespace) record.namespace = route.namespace;
        if (route.name) record.name = route.name;
        try {
          record.metadataOnly = negotiate(record.accept).representation !== "object";
        } catch {
          record.metadataOnly = false;
        }
      }
      if (req.headers.authorization !== `Bearer ${this.token}`) throw unauthorized();
      if (!route) throw routeError;
      for (const l of [...this.requestListeners]) l(record);
      const delay = typeof this.latency === "function" ? this.latency(record) : this.latency;
      if (delay > 0) await sleep(delay);
      const fault = this.takeFault(record);
      if (fault === "reset") {
        record.fault = "reset";
        record.durationMs = performance.now() - started;
        req.socket.destroy();
        return;
      }
      if (fault !== undefined) {
        record.fault = `status:${fault}`;
        throw injected(fault);
      }
      if (route.type === "resource" && this.forbiddenBy(route)) {
        record.fault = "forbidden";
        throw forbidden({
          user: this.user,
          verb: route.verb,
          group: route.def.group,
          resource: route.def.resource,
          subresource: route.subresource,
          namespace: route.namespace,
          name: route.name,
        });
      }
      const body = await readBody(req);
      if (route.type === "nonResource") return this.nonResource(reply, route.path);
      if (route.type === "discovery") return this.discovery(reply, route.group, route.version);
      await this.resource(req, res, reply, route, query, body);
    } catch (err) {
      if (err instanceof StatusError) reply.status(err.status, err.headers);
      else reply.status(internalError(err instanceof Error ? err.message : String(err)).status);
    }
  }

  private classify(method: string, path: string, query: Record<string, string>): Route {
    const segs = path
      .split("/")
      .filter((s) => s.length > 0)
      .map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === "api" && segs.length >= 2) {
      if (segs[1] !== "v1") return { type: "nonResource", path };
      [group, version, rest] = ["", "v1", segs.slice(2)];
    } else if (segs[0] === "apis" && segs.length >= 3) {
      [group, version, rest] = [segs[1]!, segs[2]!, segs.slice(3)];
    } else {
      return { type: "nonResource", path };
    }
    if (!this.cluster.registry.servesGroupVersion(group, version)) return { type: "nonResource", path };
    if (rest.length === 0) return { type: "discovery", group, version };
    let watchPath = false;
    if (rest[0] === "watch") {
      watchPath = true;
      rest = rest.slice(1);
    }
    let namespace: string | undefined;
    let resource: string;
    let name: string | undefined;
    let subresource: string | undefined;
    let extra: string[];
    if (
      rest[0] === "namespaces" &&
      rest.length >= 3 &&
      !(rest.length === 3 && ["status", "finalize"].includes(rest[2]!))
    ) {
      [namespace, resource, name, subresource, ...extra] = [
        rest[1]!,
        rest[2]!,
        rest[3],
        rest[4],
        ...rest.slice(5),
      ];
    } else {
      [resource, name, subresource, ...extra] = [rest[0]!, rest[1], rest[2], ...rest.slice(3)];
    }
    const def = this.cluster.registry.find(group, version, resource);
    if (!def || extra.length > 0) throw noSuchResource();
    if (namespace !== undefined && !def.namespaced) throw noSuchResource();
    if (namespace === undefined && name !== undefined && def.namespaced) throw noSuchResource();
    if (subresource !== undefined && !def.subresources.includes(subresource)) throw noSuchResource();
    const watch = watchPath || query.watch === "true" || query.watch === "1";
    let verb: Verb;
    switch (method) {
      case "GET":
        verb = name === undefined ? (watch ? "watch" : "list") : watch ? "watch" : "get";
        break;
      case "POST":
        if (name !== undefined) throw methodNotAllowed();
        verb = "create";
        break;
      case "PUT":
        if (name === undefined) throw methodNotAllowed();
        verb = "update";
        break;
      case "PATCH":
        if (name === undefined) throw methodNotAllowed();
        verb = "patch";
        break;
      case "DELETE":
        verb = name === undefined ? "deletecollection" : "delete";
        break;
      default:
        throw methodNotAllowed();
    }
    // Cluster-wide requests on namespaced resources: list and watch only.
    if (def.namespaced && namespace === undefined && verb !== "list" && verb !== "watch")
      throw methodNotAllowed();
    if (subresource === "log" && verb !== "get") throw methodNotAllowed();
    if (subresource === "status" && !["get", "update", "patch"].includes(verb)) throw methodNotAllowed();
    if (!subresource && !def.verbs.includes(verb) && !(verb === "watch" && def.verbs.includes("watch"))) {
      throw methodNotAllowed();
    }
    const route: Route = { type: "resource", def, verb };
    if (namespace !== undefined) route.namespace = namespace;
    if (name !== undefined) route.name = name;
    if (subresource !== undefined) route.subresource = subresource;
    return route;
  }

  private nonResource(reply: Reply, path: string): void {
    const p = path.replace(/\/+$/, "") || "/";
    const group = /^\/apis\/([^/]+)$/.exec(p)?.[1];
    const groupDoc = group === undefined ? undefined : apiGroup(this.cluster.registry, group);
    if (p === "/version") reply.json(200, versionDocument({ gitVersion: this.gitVersion }));
    else if (p === "/healthz" || p === "/livez" || p === "/readyz") reply.text(200, "ok");
    else if (p === "/api") reply.json(200, apiVersions(this.url.replace(/^http:\/\//, "")));
    else if (p === "/apis") reply.json(200, apiGroupList(this.cluster.registry));
    else if (groupDoc) reply.json(200, groupDoc);
    // Outside the API the real server's mux answers in plain text.
    else reply.text(404, "404 page not found\n");
  }

  private discovery(reply: Reply, group: string, version: string): void {
    const list = apiResourceList(this.cluster.registry, group, version);
    if (!list) throw noSuchResource();
    reply.json(200, list);
  }

  private async resource(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    reply: Reply,
    route: Extract<Route, { type: "resource" }>,
    query: Record<string, string>,
    body: string,
  ): Promise<void> {
    const { def, verb, namespace, name, subresource } = route;
    const dryRun = parseDryRun(query);
    const writeOpts: WriteOptions = { dryRun, userAgent: req.headers["user-agent"] };
    if (query.fieldManager) writeOpts.fieldManager = query.fieldManager;
    if (subresource) writeOpts.subresource = subresource;
    if (def.resource === "selfsubjectaccessreviews") return this.accessReview(reply, body);
    if (subresource === "log") return this.podLog(reply, def, namespace, name!, query);
    if (verb === "watch") return this.watch(req, res, reply, def, namespace, name, query);
    const target = negotiate(req.headers.accept);
    switch (verb) {
      case "get": {
        const o = this.cluster.get(def, namespace, name!);
        return reply.object(200, target, renderObject(target, def, def.toExternal(o)));
      }
      case "list": {
        const limit = query.limit ? Number.parseInt(query.limit, 10) : undefined;
        const r = this.cluster.list(def, namespace, {
          labelSelector: query.labelSelector,
          fieldSelector: query.fieldSelector,
          limit: Number.isFinite(limit) ? limit : undefined,
          continueToken: query.continue,
        });
        const meta = {
          resourceVersion: r.resourceVersion,
          continue: r.continueToken,
          remainingItemCount: r.remainingItemCount,
        };
        const items = r.items.map((o) => def.toExternal(o));
        return reply.object(200, target, renderList(target, def, meta, items));
      }
      case "create": {
        const o = this.cluster.create(def, namespace, parseObjectBody(def, req, body), writeOpts);
        return reply.object(201, target, renderObject(target, def, o));
      }
      case "update": {
        const r = this.cluster.update(def, namespace, name!, parseObjectBody(def, req, body), writeOpts);
        return reply.object(r.created ? 201 : 200, target, renderObject(target, def, r.object));
      }
      case "patch": {
        const ct = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
        const type = PATCH_CONTENT_TYPES[ct];
        if (!type) {
          throw unsupportedMediaType(
            `the body of the request was in an unknown format - accepted media types include: ${Object.keys(
              PATCH_CONTENT_TYPES,
            )
              .filter((t) => !(def.custom && t.includes("strategic")))
              .join(", ")}`,
          );
        }
        const force = query.force === undefined ? undefined : query.force === "true";
        const r = this.cluster.patch(def, namespace, name!, type, body, { ...writeOpts, force });
        return reply.object(r.created ? 201 : 200, target, renderObject(target, def, r.object));
      }
      case "delete": {
        const opts = deleteOptions(query, body);
        const { body: out } = this.cluster.delete(def, namespace, name!, opts);
        const headers: Record<string, string> = {};
        if (
          def.group === "batch" &&
          def.kind === "Job" &&
          opts.propagationPolicy === undefined &&
          opts.orphanDependents === undefined
        ) {
          headers.Warning = JOB_ORPHAN_WARNING;
        }
        if (out.kind === "Status") return reply.json(200, out as unknown as JsonObject, headers);
        return reply.object(200, target, renderObject(target, def, out as KubeObject), headers);
      }
      case "deletecollection": {
        const items = this.cluster.deleteCollection(
          def,
          namespace,
          { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector },
          deleteOptions(query, body),
        );
        const meta = { resourceVersion: String(this.cluster.store.resourceVersion) };
        return reply.object(200, target, renderList(target, def, meta, items));
      }
    }
  }

  /** SelfSubjectAccessReview answered from the forbid rules (everything else is allowed). */
  private accessReview(reply: Reply, body: string): void {
    const review = parseJson(body);
    const spec = isObject(review) && isObject(review.spec) ? review.spec : {};
    const ra = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
    let allowed = true;
    if (ra) {
      const def = this.cluster.registry
        .all()
        .find((d) => d.group === String(ra.group ?? "") && d.resource === String(ra.resource ?? ""));
      if (def) {
        const route: Extract<Route, { type: "resource" }> = {
          type: "resource",
          def,
          verb: String(ra.verb ?? "get") as Verb,
        };
        if (typeof ra.namespace === "string" && ra.namespace) route.namespace = ra.namespace;
        if (typeof ra.name === "string" && ra.name) route.name = ra.name;
        if (typeof ra.subresource === "string" && ra.subresource) route.subresource = ra.subresource;
        allowed = !this.forbiddenBy(route);
      }
    }
    reply.json(201, {
      kind: "SelfSubjectAccessReview",
      apiVersion: "authorization.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed },
    });
  }

  private podLog(
    reply: Reply,
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    q: Record<string, string>,
  ) {
    const pod = this.cluster.get(def, namespace, name);
    const spec = isObject(pod.spec) ? pod.spec : {};
    const containers = (Array.isArray(spec.containers) ? spec.containers : [])
      .filter(isObject)
      .map((c) => String(c.name));
    let container = q.container;
    if (!container) {
      if (containers.length !== 1) {
        throw badRequest(
          `a container name must be specified for pod ${name}, choose one of: [${containers.join(" ")}]`,
        );
      }
      container = containers[0]!;
    } else if (!containers.includes(container)) {
      throw badRequest(`container ${container} is not valid for pod ${name}`);
    }
    const statuses =
      isObject(pod.status) && Array.isArray(pod.status.containerStatuses) ? pod.status.containerStatuses : [];
    const st = statuses.filter(isObject).find((s) => s.name === container);
    const waiting = st && isObject(st.state) && isObject(st.state.waiting) ? st.state.waiting : undefined;
    if (waiting || (!st && isObject(pod.status) && pod.status.phase === "Pending")) {
      const reason = waiting && typeof waiting.reason === "string" ? waiting.reason : "ContainerCreating";
      throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${reason}`);
    }
    let text =
      this.podLogs.get(`${namespace}/${name}/${container}`) ?? this.podLogs.get(`${namespace}/${name}`) ?? "";
    const tail = q.tailLines ? Number.parseInt(q.tailLines, 10) : undefined;
    if (tail !== undefined && Number.isFinite(tail)) {
      const lines = text.split("\n");
      const trailing = lines[lines.length - 1] === "" ? lines.pop() : undefined;
      text = lines.slice(Math.max(0, lines.length - tail)).join("\n") + (trailing !== undefined ? "\n" : "");
    }
    const limitBytes = q.limitBytes ? Number.parseInt(q.limitBytes, 10) : undefined;
    if (limitBytes !== undefined && Number.isFinite(limitBytes))
      text = Buffer.from(text).subarray(0, limitBytes).toString();
    reply.text(200, text);
  }

  private watch(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    reply: Reply,
    def: ResourceDef,
    namespace: string | undefined,
    name: string | undefined,
    q: Record<string, string>,
  ): void {
    const target = negotiate(req.headers.accept);
    const fieldSelector = name
      ? [q.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(",")
      : q.fieldSelector;
    const filter = this.cluster.compileFilter(def, namespace, {
      labelSelector: q.labelSelector,
      fieldSelector,
    });
    const rvParam = q.resourceVersion;
    let replay: Change[] | "expired" = [];
    if (rvParam && rvParam !== "0") {
      const rv = Number(rvParam);
      if (!Number.isInteger(rv)) throw badRequest(`invalid resource version: ${rvParam}`);
      replay = this.cluster.store.changesSince(rv);
    }
    const record = reply.record;
    res.writeHead(200, {
      "Content-Type": "application/json",
      "Cache-Control": "no-cache, private",
      "Audit-Id": randomUUID(),
      "Transfer-Encoding": "chunked",
    });
    // Send the headers now: a client's fetch resolves on them, before any event exists.
    res.flushHeaders();
    record.status = 200;
    const render = (o: KubeObject): JsonObject => {
      const ext = def.toExternal(clone(o));
      return target.representation === "object"
        ? ext
        : {
            kind: "PartialObjectMetadata",
            apiVersion: `meta.k8s.io/${target.metaVersion}`,
            metadata: ext.metadata,
          };
    };
    const send = (type: string, object: JsonObject) => {
      if (res.writableEnded) return;
      const line = `${JSON.stringify({ type, object })}\n`;
      record.bytes += Buffer.byteLength(line);
      res.write(line);
    };
    const matches = (o: KubeObject | undefined) => o !== undefined && this.cluster.matches(def, filter, o);
    const onChange = (c: Change) => {
      if (c.storage !== def.storage) return;
      const before = c.type !== "ADDED" && matches(c.previous);
      const after = c.type !== "DELETED" && matches(c.object);
      // As the watch cache does: an object entering the selection is ADDED, one leaving it is DELETED.
      if (c.type === "DELETED") {
        if (matches(c.object)) send("DELETED", render(c.object));
      } else if (before && after) send("MODIFIED", render(c.object));
      else if (after) send("ADDED", render(c.object));
      else if (before) send("DELETED", render(c.object));
    };
    let timer: NodeJS.Timeout | undefined;
    const end = () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.watches.delete(end);
      record.durationMs = performance.now() - reply.started;
      if (!res.writableEnded) res.end();
    };
    if (replay === "expired") {
      send("ERROR", {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message: `too old resource version: ${rvParam} (${this.cluster.store.compactedRevision + 1})`,
        reason: "Expired",
        code: 410,
      });
      end();
      return;
    }
    if (!rvParam || rvParam === "0" || q.sendInitialEvents === "true") {
      for (const o of this.cluster.store.list(def.storage, filter.namespace)) {
        if (matches(o)) send("ADDED", render(o));
      }
      if (q.sendInitialEvents === "true") {
        send("BOOKMARK", {
          kind: def.kind,
          apiVersion: apiVersionOf(def),
          metadata: {
            resourceVersion: String(this.cluster.store.resourceVersion),
            annotations: { "k8s.io/initial-events-end": "true" },
          },
        });
      }
    } else {
      for (const c of replay) onChange(c);
    }
    const unsubscribe = this.cluster.store.subscribe(onChange);
    this.watches.add(end);
    const timeout = q.timeoutSeconds ? Number(q.timeoutSeconds) : undefined;
    if (timeout !== undefined && Number.isFinite(timeout) && timeout > 0)
      timer = setTimeout(end, timeout * 1000);
    req.on("close", end);
    res.on("close", end);
  }
}

/** Starts a fake API server on 127.0.0.1 with a random port. */
export function startFakeApiServer(opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
  return FakeApiServer.start(opts);
}

/** Writes responses and keeps the request record's status, byte count and duration. */
class Reply {
  readonly record: RequestRecord;
  readonly started: number;
  private readonly res: http.ServerResponse;

  constructor(res: http.ServerResponse, record: RequestRecord, started: number) {
    this.res = res;
    this.record = record;
    this.started = started;
  }

  private send(code: number, type: string, text: string, headers: Record<string, string> = {}): void {
    const bytes = Buffer.byteLength(text);
    this.record.status = code;
    this.record.bytes = bytes;
    this.record.durationMs = performance.now() - this.started;
    if (this.res.headersSent) {
      this.res.end();
      return;
    }
    this.res.writeHead(code, {
      "Content-Type": type,
      "Content-Length": String(bytes),
      "Cache-Control": "no-cache, private",
      "Audit-Id": randomUUID(),
      "X-Kubernetes-Pf-Flowschema-Uid": "fake-flowschema",
      "X-Kubernetes-Pf-Prioritylevel-Uid": "fake-prioritylevel",
      ...headers,
    });
    this.res.end(text);
  }

  json(code: number, body: JsonObject, headers?: Record<string, string>): void {
    this.send(code, "application/json", JSON.stringify(body), headers);
  }

  object(code: number, target: Target, body: JsonObject, headers?: Record<string, string>): void {
    const text = target.format === "yaml" ? stringifyYaml(body) : JSON.stringify(body);
    this.send(code, contentType(target), text, headers);
  }

  status(status: Status, headers?: Record<string, string>): void {
    this.send(status.code, "application/json", JSON.stringify(status), headers);
  }

  text(code: number, text: string): void {
    this.send(code, "text/plain; charset=utf-8", text);
  }
}

function matchesRequest(match: RequestMatch | undefined, r: RequestRecord): boolean {
  if (!match) return true;
  if (match.method !== undefined && match.method.toUpperCase() !== r.method) return false;
  if (match.verb !== undefined) {
    const verbs = Array.isArray(match.verb) ? match.verb : [match.verb];
    if (!r.verb || !verbs.includes(r.verb)) return false;
  }
  if (match.group !== undefined && match.group !== r.group) return false;
  if (match.resource !== undefined && match.resource !== r.resource) return false;
  if (match.subresource !== undefined && match.subresource !== r.subresource) return false;
  if (match.namespace !== undefined && match.namespace !== r.namespace) return false;
  if (match.name !== undefined && match.name !== r.name) return false;
  if (match.path !== undefined) {
    if (typeof match.path === "string" ? match.path !== r.path : !match.path.test(r.path)) return false;
  }
  return true;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(
          new StatusError({
            ...badRequest("request entity too large").status,
            code: 413,
            reason: "RequestEntityTooLarge",
          }),
        );
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(body: string): unknown {
  if (body.trim() === "") return undefined;
  try {
    return JSON.parse(body);
  } catch (err) {
    throw badRequest(`error decoding request body: ${(err as Error).message}`);
  }
}

/** A POST/PUT body: JSON (what client-node sends) or YAML. */
function parseObjectBody(def: ResourceDef, req: http.IncomingMessage, body: string): unknown {
  const ct = (req.headers["content-type"] ?? "application/json").toLowerCase();
  try {
    return ct.includes("yaml") ? parseYaml(body) : JSON.parse(body);
  } catch (err) {
    throw badRequest(
      `the object provided is unrecognized (must be of type ${def.kind}): couldn't get version/kind; json parse error: ${(err as Error).message}`,
    );
  }
}

function parseDryRun(q: Record<string, string>): boolean {
  const v = q.dryRun;
  if (v === undefined || v === "") return false;
  if (v !== "All") throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return true;
}

function deleteOptions(q: Record<string, string>, body: string): DeleteOptions {
  const opts: DeleteOptions = {};
  const b = parseJson(body);
  if (isObject(b)) {
    if (typeof b.propagationPolicy === "string") opts.propagationPolicy = b.propagationPolicy;
    if (typeof b.gracePeriodSeconds === "number") opts.gracePeriodSeconds = b.gracePeriodSeconds;
    if (typeof b.orphanDependents === "boolean") opts.orphanDependents = b.orphanDependents;
    if (Array.isArray(b.dryRun) && b.dryRun.includes("All")) opts.dryRun = true;
    if (isObject(b.preconditions)) {
      const p = b.preconditions;
      opts.preconditions = {};
      if (typeof p.uid === "string") opts.preconditions.uid = p.uid;
      if (typeof p.resourceVersion === "string") opts.preconditions.resourceVersion = p.resourceVersion;
    }
  }
  if (q.propagationPolicy) opts.propagationPolicy = q.propagationPolicy;
  if (q.gracePeriodSeconds) opts.gracePeriodSeconds = Number(q.gracePeriodSeconds);
  if (q.orphanDependents) opts.orphanDependents = q.orphanDependents === "true";
  if (parseDryRun(q)) opts.dryRun = true;
  return opts;
}

function flatten(input: unknown): KubeObject[] {
  const out: KubeObject[] = [];
  const visit = (o: unknown) => {
    if (Array.isArray(o)) {
      for (const x of o) visit(x);
      return;
    }
    if (!isObject(o)) throw new Error("fake-apiserver seed: not an object");
    if (typeof o.kind === "string" && o.kind.endsWith("List") && Array.isArray(o.items)) {
      // A List (kubectl's "List" or a typed list whose items may lack kind/apiVersion).
      const itemKind = o.kind === "List" ? undefined : o.kind.slice(0, -4);
      for (const item of o.items) {
        if (isObject(item) && itemKind && item.kind === undefined)
          visit({ apiVersion: o.apiVersion, kind: itemKind, ...item });
        else visit(item);
      }
      return;
    }
    if (typeof o.kind !== "string" || !isObject(o.metadata) || typeof o.metadata.name !== "string") {
      throw new Error(
        `fake-apiserver seed: object needs kind and metadata.name: ${JSON.stringify(o).slice(0, 200)}`,
      );
    }
    out.push(clone(o) as KubeObject);
  };
  visit(input);
  return out;
}
