// LiveSource: the snapshot of one release read from a cluster, fetching only what the analysis needs: the
// release's records are listed metadata-only, the revisions that matter are chosen from their labels, and
// only those are read in full; then the objects their manifests and hooks name, the workloads' pods and
// ReplicaSets, and the events — each with whichever call costs fewer bytes and calls.
import { KubeConfig } from "@kubernetes/client-node";
import { decodeRecord, parseRecordName, type RecordObject } from "../helm/codec.js";
import { kindKey } from "../helm/keys.js";
import { parseManifest, parseYamlObject } from "../helm/manifest.js";
import { otherRelease } from "../helm/output.js";
import { ownedBy } from "../helm/ownership.js";
import type { Release } from "../helm/types.js";
import {
  buildSnapshot,
  chartCrdNames,
  listReleases,
  objectsNamedIn,
  type ReleaseListing,
} from "../snapshot/build.js";
import type { KubeObject, Snapshot } from "../snapshot/types.js";
import { DEFAULT_RETRY, KINDS, KubeReader, type RetryPolicy } from "./kube.js";
import { type LoadHints, type SnapshotSource, SourceError } from "./source.js";

export interface LiveOptions {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  /** secret | configmap | auto (default: HELM_DRIVER, else auto) */
  driver?: string | undefined;
  env: NodeJS.ProcessEnv;
  retry?: Partial<RetryPolicy>;
}

type Driver = "secret" | "configmap";

export interface LoadOptions extends LoadHints {
  /** Revisions to read in full as well (e.g. a rollback's target). */
  revisions?: number[];
}

/** Kinds a chart ships among those the reader knows (pods and ReplicaSets belong to their workloads). */
const OWNED_KINDS = Object.keys(KINDS).filter((k) => !["Event", "Pod", "ReplicaSet"].includes(k));

/** Kinds a new chart version most often adds, searched for objects of a revision whose record is gone. */
const ADDED_KINDS = ["ConfigMap", "Secret", "Service"];

/** How many other releases' latest records a diagnosis reads, at most. */
const NEIGHBOURS = 20;

export interface RecordHead {
  objectName: string;
  revision: number;
  status: string;
  driver: Driver;
}

/** Which revisions the analyzers need, from the record labels alone. */
export function chooseRevisions(heads: RecordHead[]): Set<number> {
  const revs = [...new Set(heads.map((h) => h.revision))].sort((a, b) => a - b);
  const chosen = new Set<number>();
  if (revs.length === 0) return chosen;
  const prev = (r: number) => revs.filter((x) => x < r).pop();
  const latest = revs[revs.length - 1]!;
  const deployed = heads.filter((h) => h.status === "deployed").map((h) => h.revision);
  const lastDeployed = deployed.length > 0 ? Math.max(...deployed) : undefined;
  const add = (r: number | undefined) => r !== undefined && chosen.add(r);
  add(latest);
  add(prev(latest));
  add(lastDeployed);
  if (lastDeployed !== undefined) add(prev(lastDeployed));
  // Every revision after the last deployed one (failed attempts, pending locks), at most 20.
  const after = revs.filter((r) => lastDeployed === undefined || r > lastDeployed).slice(-20);
  for (const r of after) add(r);
  // The first revision tells installs from upgrades (pre-install hooks, first_deployed).
  if (revs.length <= 3) add(revs[0]);
  return chosen;
}

const RESOURCE: Record<Driver, string> = { secret: "secrets", configmap: "configmaps" };

/**
 * Without its records there is no release to diagnose, so a forbidden read of them is an error naming the missing
 * rules (exit 1), never "release not found".
 */
function recordsForbidden(namespace: string | undefined, rules: string[]): SourceError {
  const where = namespace === undefined ? "in any namespace" : `in namespace "${namespace}"`;
  return new SourceError(
    `cannot read the Helm release records ${where}: forbidden (${rules.join("; ")}). Grant these rules to helm-doctor's identity, or name the driver that holds the records with --driver / HELM_DRIVER.`,
  );
}

function headOf(o: KubeObject, driver: Driver): RecordHead | undefined {
  const name = o.metadata?.name ?? "";
  const labels = o.metadata?.labels ?? {};
  const revision = Number(labels.version ?? parseRecordName(name)?.revision ?? Number.NaN);
  if (!Number.isFinite(revision)) return undefined;
  return { objectName: name, revision, status: labels.status ?? "unknown", driver };
}

export class LiveSource implements SnapshotSource {
  /** API calls made by the last load/releases call (for benchmarks and tests). */
  lastCalls = 0;
  /** The objects the last load read (what `capture` writes). */
  lastObjects: KubeObject[] = [];

  private constructor(
    private readonly kc: KubeConfig,
    private readonly driver: Driver | "auto",
    private readonly retry: RetryPolicy,
  ) {}

  static async fromKubeconfig(o: LiveOptions): Promise<LiveSource> {
    const kc = new KubeConfig();
    try {
      if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
      else if (o.env.KUBECONFIG) {
        // kubectl merges a colon-separated list; client-node's loadFromDefault does the same.
        const saved = process.env.KUBECONFIG;
        process.env.KUBECONFIG = o.env.KUBECONFIG;
        try {
          kc.loadFromDefault();
        } finally {
          if (saved === undefined) delete process.env.KUBECONFIG;
          else process.env.KUBECONFIG = saved;
        }
      } else kc.loadFromDefault();
    } catch (e) {
      throw new SourceError(
        `cannot load kubeconfig${o.kubeconfig ? ` ${o.kubeconfig}` : ""}: ${(e as Error).message}`,
      );
    }
    if (o.context) {
      if (!kc.getContexts().some((c) => c.name === o.context)) {
        throw new SourceError(
          `context "${o.context}" not found in kubeconfig; contexts: ${
            kc
              .getContexts()
              .map((c) => c.name)
              .join(", ") || "(none)"
          }`,
        );
      }
      kc.setCurrentContext(o.context);
    }
    if (!kc.getCurrentCluster()) {
      throw new SourceError(
        "no Kubernetes cluster configured: set KUBECONFIG or --kubeconfig, or run inside a cluster",
      );
    }
    const d = (o.driver ?? o.env.HELM_DRIVER ?? "").toLowerCase();
    let driver: Driver | "auto";
    if (d === "" || d === "auto") driver = "auto";
    else if (d === "secret" || d === "secrets") driver = "secret";
    else if (d === "configmap" || d === "configmaps") driver = "configmap";
    else
      throw new SourceError(`unsupported driver "${d}": helm-doctor reads the secret and configmap drivers`);
    return new LiveSource(kc, driver, { ...DEFAULT_RETRY, ...(o.retry ?? {}) });
  }

  /** The loaded kubeconfig (the remediation writer talks to the same cluster). */
  get kubeConfig(): KubeConfig {
    return this.kc;
  }

  describe(): string {
    return `cluster ${this.kc.getCurrentCluster()?.server ?? "?"} (context ${this.kc.getCurrentContext()})`;
  }

  defaultNamespace(): string {
    const ctx = this.kc.getContextObject(this.kc.getCurrentContext());
    return ctx?.namespace || "default";
  }

  private drivers(): Driver[] {
    return this.driver === "auto" ? ["secret", "configmap"] : [this.driver];
  }

  async releases(namespace?: string): Promise<ReleaseListing[]> {
    const r = new KubeReader(this.kc, this.retry);
    const objs: KubeObject[] = [];
    const forbidden: string[] = [];
    for (const d of this.drivers()) {
      const items = await r.listMetadata(d === "secret" ? "Secret" : "ConfigMap", namespace, "owner=helm");
      const rule = items === undefined ? r.forbiddenRule(RESOURCE[d], "list") : undefined;
      if (rule) forbidden.push(rule);
      objs.push(...(items ?? []));
      if (this.driver === "auto" && objs.length > 0) break;
    }
    this.lastCalls = r.stats.calls;
    if (objs.length === 0 && forbidden.length > 0) throw recordsForbidden(namespace, forbidden);
    return listReleases(objs, namespace);
  }

  /**
   * The newest record of each other release in `namespace`, the most recently written first (at most NEIGHBOURS),
   * and the newest record's head of every other release, for reading more of them later.
   */
  private async neighbours(
    r: KubeReader,
    namespace: string,
    release: string,
    driver: Driver | undefined,
  ): Promise<{ read: KubeObject[]; newest: Map<string, RecordHead>; kind: "Secret" | "ConfigMap" }> {
    const d = driver ?? this.drivers()[0]!;
    const kind = d === "secret" ? "Secret" : "ConfigMap";
    const items = (await r.listMetadata(kind, namespace, "owner=helm")) ?? [];
    const newest = new Map<string, { head: RecordHead; at: number }>();
    for (const o of items) {
      const name = o.metadata?.labels?.name;
      const head = headOf(o, d);
      if (!name || name === release || !head) continue;
      const at = Number(o.metadata?.labels?.modifiedAt ?? o.metadata?.labels?.createdAt ?? 0);
      const cur = newest.get(name);
      if (!cur || head.revision > cur.head.revision) newest.set(name, { head, at });
    }
    const pick = [...newest.values()].sort((a, b) => b.at - a.at).slice(0, NEIGHBOURS);
    const got = await Promise.all(pick.map((p) => r.get(kind, namespace, p.head.objectName)));
    return {
      read: got.filter((o): o is KubeObject => !!o),
      newest: new Map([...newest].map(([n, v]) => [n, v.head])),
      kind,
    };
  }

  async load(release: string, namespace: string, now: Date, opts: LoadOptions = {}): Promise<Snapshot> {
    const r = new KubeReader(this.kc, this.retry);
    const step = opts.onStep ?? (() => {});
    step(`reading the release records of ${release} in ${namespace}`);
    // 1. The release's records, metadata only.
    let heads: RecordHead[] = [];
    const forbidden: string[] = [];
    for (const d of this.drivers()) {
      const items = await r.listMetadata(
        d === "secret" ? "Secret" : "ConfigMap",
        namespace,
        `owner=helm,name=${release}`,
      );
      const rule = items === undefined ? r.forbiddenRule(RESOURCE[d], "list") : undefined;
      if (rule) forbidden.push(rule);
      heads = (items ?? []).map((o) => headOf(o, d)).filter((h): h is RecordHead => !!h);
      if (heads.length > 0) break;
    }
    if (heads.length === 0 && forbidden.length > 0) throw recordsForbidden(namespace, forbidden);
    // 2. The revisions that matter, read in full.
    const chosen = opts.allRevisions ? new Set(heads.map((h) => h.revision)) : chooseRevisions(heads);
    for (const rev of opts.revisions ?? []) chosen.add(rev);
    const records: KubeObject[] = [];
    const readRecords = async (hs: RecordHead[]) => {
      const got = await Promise.all(
        hs.map((h) => r.get(h.driver === "secret" ? "Secret" : "ConfigMap", namespace, h.objectName)),
      );
      for (const o of got) if (o) records.push(o);
    };
    step(`reading ${chosen.size} of ${heads.length} revision${heads.length === 1 ? "" : "s"} in full`);
    await readRecords(heads.filter((h) => chosen.has(h.revision)));
    if (records.length === 0 && heads.length > 0) {
      const rule = r.forbiddenRule(RESOURCE[heads[0]!.driver], "get");
      if (rule) throw recordsForbidden(namespace, [rule]);
    }
    // A rollback's target revision (named only in the payload's description) is needed too.
    const extra = new Set<number>();
    for (const o of records) {
      const m = /^Rollback to (\d+)/.exec(decodeRecord(o as RecordObject).release?.info.description ?? "");
      if (m && !chosen.has(Number(m[1]))) extra.add(Number(m[1]));
    }
    await readRecords(heads.filter((h) => extra.has(h.revision)));
    for (const x of extra) chosen.add(x);
    // 2b. The namespace's other releases (neighbours): their latest records, whose hooks and manifests can touch
    // this release's objects. Metadata first; at most NEIGHBOURS records read in full, the most recent first.
    step(`reading the latest records of ${namespace}'s other releases`);
    const neighbourhood = await this.neighbours(r, namespace, release, heads[0]?.driver);
    const neighbourRecords = neighbourhood.read;
    const releases = records
      .map((o) => decodeRecord(o as RecordObject).release)
      .filter((x): x is Release => !!x);

    // 3. The live objects the chosen revisions name.
    const named = new Map<string, { kind: string; name: string }>();
    for (const rel of releases) {
      const relNs = rel.namespace || namespace;
      for (const d of parseManifest(rel.manifest)) {
        const m = d.object?.metadata;
        if (d.object?.kind && m?.name && (m.namespace || relNs) === namespace)
          named.set(kindKey(d.object.kind, namespace, m.name), { kind: d.object.kind, name: m.name });
      }
      for (const h of rel.hooks ?? []) {
        const { object } = parseYamlObject(h.manifest);
        if ((object?.metadata?.namespace || relNs) === namespace)
          named.set(kindKey(h.kind, namespace, h.name), { kind: h.kind, name: h.name });
      }
    }
    // The objects a failed helm command's output names (a new chart's objects are in no stored manifest); those of
    // another namespace (a chart that sets one) are read there, one by one.
    const away: { kind: string; name: string; namespace: string }[] = [];
    if (opts.helmOutput && !otherRelease(opts.helmOutput, release, namespace))
      for (const o of objectsNamedIn(opts.helmOutput, namespace))
        if (o.namespace === namespace)
          named.set(kindKey(o.kind, namespace, o.name), { kind: o.kind, name: o.name });
        else if (KINDS[o.kind] && away.length < 5) away.push(o);
    const live: KubeObject[] = [];
    const byKind = new Map<string, string[]>();
    /** Kinds read with one list of the whole namespace, and what it returned. */
    const listed = new Map<string, KubeObject[]>();
    for (const { kind, name } of named.values()) {
      if (!KINDS[kind] || kind === "Event") continue;
      byKind.set(kind, [...(byKind.get(kind) ?? []), name]);
    }
    step(`reading ${named.size} object${named.size === 1 ? "" : "s"} the release names`);
    for (const o of await Promise.all(away.map((a) => r.get(a.kind, a.namespace, a.name))))
      if (o) live.push(o);
    await Promise.all(
      [...byKind].map(async ([kind, names]) => {
        // A few names: GET each; more: one list of the kind.
        if (names.length <= 2) {
          for (const o of await Promise.all(names.map((n) => r.get(kind, namespace, n)))) if (o) live.push(o);
        } else {
          const wanted = new Set(names);
          const all = (await r.list(kind, namespace)) ?? [];
          listed.set(kind, all);
          for (const o of all) if (wanted.has(o.metadata?.name ?? "")) live.push(o);
        }
      }),
    );

    // 3a. Objects that carry the release's ownership but that no revision read names: what a revision whose record
    // was deleted applied (release-record-missing). One metadata-only list, by Helm's managed-by label, per kind
    // the read revisions ship and the kinds a new chart version most often adds (a kind already listed in full
    // above is searched there); only ours are read in full.
    if (heads.length > 0) {
      const have = new Set(live.map((o) => o.metadata?.uid));
      const kinds = [...new Set([...byKind.keys(), ...ADDED_KINDS])].filter((k) => OWNED_KINDS.includes(k));
      const found = await Promise.all(
        kinds.map(
          async (k) =>
            ((byKind.get(k)?.length ?? 0) > 2
              ? listed.get(k)
              : await r.listMetadata(k, namespace, "app.kubernetes.io/managed-by=Helm")) ?? [],
        ),
      );
      const more = found
        .flat()
        .filter(
          (o) =>
            ownedBy(o, release, namespace) &&
            !have.has(o.metadata?.uid) &&
            !named.has(kindKey(o.kind ?? "", namespace, o.metadata?.name ?? "")),
        );
      const full = await Promise.all(
        more
          .slice(0, 20)
          .map((o) =>
            listed.has(o.kind ?? "") ? o : r.get(o.kind ?? "", namespace, o.metadata?.name ?? ""),
          ),
      );
      for (const o of full) if (o) live.push(o);
    }

    // 3b. No records at all: the objects that carry the release's ownership are the only trace of it (records
    // deleted by hand, lost in a storage move). Helm labels every object it applies app.kubernetes.io/managed-by=Helm,
    // so one list per kind a chart ships, by that label, finds them.
    if (heads.length === 0) {
      step(`looking for objects that carry ${release}'s ownership in ${namespace}`);
      const found = await Promise.all(
        OWNED_KINDS.map((k) => r.list(k, namespace, { labelSelector: "app.kubernetes.io/managed-by=Helm" })),
      );
      for (const o of found.flat())
        if (o && ownedBy(o, release, namespace) && !live.some((x) => x.metadata?.uid === o.metadata?.uid))
          live.push(o);
    }

    // 3c. Releases our objects' ownership annotations name, beyond the most recent neighbours: whether such a
    // release still has records decides whose the object is.
    const readNames = new Set(neighbourRecords.map((o) => o.metadata?.labels?.name));
    const named2 = new Set<string>();
    for (const o of live) {
      const a = o.metadata?.annotations ?? {};
      const owner = a["meta.helm.sh/release-name"];
      if (!owner || owner === release || readNames.has(owner)) continue;
      if ((a["meta.helm.sh/release-namespace"] ?? namespace) !== namespace) continue;
      if (neighbourhood.newest.has(owner)) named2.add(owner);
    }
    for (const o of await Promise.all(
      [...named2].map((n) => r.get(neighbourhood.kind, namespace, neighbourhood.newest.get(n)!.objectName)),
    ))
      if (o) neighbourRecords.push(o);

    // 4. What the workloads own: ReplicaSets of Deployments, pods of everything.
    const selectorOf = (o: KubeObject) => {
      const ml = o.spec?.selector?.matchLabels as Record<string, string> | undefined;
      return ml && Object.keys(ml).length > 0
        ? Object.entries(ml)
            .map(([k, v]) => `${k}=${v}`)
            .join(",")
        : undefined;
    };
    const workloads = live.filter((o) => ["Deployment", "StatefulSet", "DaemonSet"].includes(o.kind ?? ""));
    const jobs = live.filter((o) => o.kind === "Job");
    const podSelectors = workloads.map(selectorOf).filter((s): s is string => !!s);
    if (jobs.length > 0) podSelectors.push(`job-name in (${jobs.map((j) => j.metadata?.name).join(",")})`);
    const deployments = workloads.filter((o) => o.kind === "Deployment");
    const owned: KubeObject[] = [];
    const tasks: Promise<void>[] = [];
    if (deployments.length > 0) {
      const sels = deployments.map(selectorOf).filter((s): s is string => !!s);
      tasks.push(
        (async () => {
          const lists =
            sels.length <= 2
              ? await Promise.all(sels.map((s) => r.list("ReplicaSet", namespace, { labelSelector: s })))
              : [await r.list("ReplicaSet", namespace)];
          for (const l of lists) owned.push(...(l ?? []));
        })(),
      );
    }
    if (podSelectors.length > 0) {
      tasks.push(
        (async () => {
          const lists =
            podSelectors.length <= 2
              ? await Promise.all(podSelectors.map((s) => r.list("Pod", namespace, { labelSelector: s })))
              : [await r.list("Pod", namespace)];
          for (const l of lists) owned.push(...(l ?? []));
        })(),
      );
    }
    step(`reading pods, ReplicaSets and events in ${namespace}`);
    // 5. Events of the namespace (buildSnapshot keeps those about the release's objects).
    const events: KubeObject[] = [];
    tasks.push(
      (async () => {
        events.push(...((await r.list("Event", namespace)) ?? []));
      })(),
    );
    await Promise.all(tasks);

    // Secret data other than release records never leaves the reader.
    const redactedLive = live.map((o) => (o.kind === "Secret" ? redactSecret(o) : o));
    const seen = new Set<string>();
    const objects = [...records, ...neighbourRecords, ...redactedLive, ...owned, ...events].filter((o) => {
      const id = o.metadata?.uid ?? `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    this.lastCalls = r.stats.calls;
    this.lastObjects = objects;
    const snap = buildSnapshot({
      release,
      namespace,
      objects,
      now,
      gaps: [...r.gaps, ...crdGap(releases)],
      source: this.describe(),
      ...(opts.helmOutput ? { helmOutput: opts.helmOutput } : {}),
    });
    snap.unread = heads
      .filter((h) => !chosen.has(h.revision))
      .map((h) => ({ revision: h.revision, status: h.status, objectName: h.objectName }));
    return snap;
  }
}

/**
 * A live read has no cluster-wide rights (its RBAC is namespaced), so it reads no CustomResourceDefinition: when the
 * chart ships crds/, whether the cluster's CRDs match them is unknown, and the report says so rather than "missing".
 */
function crdGap(releases: Release[]): { what: string; reason: string; detail: string }[] {
  const names = [...new Set(releases.flatMap((rel) => chartCrdNames(rel)))];
  if (names.length === 0) return [];
  return [
    {
      what: "customresourcedefinitions",
      reason: "not read",
      detail: `the chart ships ${names.slice(0, 4).join(", ")}${names.length > 4 ? ", …" : ""} in crds/; a live diagnosis does not read cluster-scoped CRDs, so whether the cluster's match is not checked (a bundle with them is: kubectl get crd <name> -o json)`,
    },
  ];
}

/** Keep a Secret's key names (a diagnosis may need "couldn't find key"), drop every value. */
export function redactSecret(o: KubeObject): KubeObject {
  const c = { ...o } as KubeObject & { data?: Record<string, string>; stringData?: unknown };
  if (c.data) c.data = Object.fromEntries(Object.keys(c.data).map((k) => [k, ""]));
  delete c.stringData;
  const ann = c.metadata?.annotations;
  if (ann?.["kubectl.kubernetes.io/last-applied-configuration"]) {
    c.metadata = {
      ...c.metadata,
      annotations: { ...ann, "kubectl.kubernetes.io/last-applied-configuration": "<redacted>" },
    };
  }
  return c;
}
