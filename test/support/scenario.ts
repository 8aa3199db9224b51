// Scenario builders: write release records exactly as Helm's storage driver does (JSON field order, gzip,
// base64 layers, labels) plus the live objects of a cluster state, so analyzers are tested on realistic input.

import { stringify } from "yaml";
import { encodeRecord } from "../../src/helm/codec.js";
import { classify } from "../../src/helm/manifest.js";
import type { Hook, Release, StorageDriver } from "../../src/helm/types.js";

// pkg/releaseutil/kind_sorter.go InstallOrder.
const INSTALL_ORDER = [
  "PriorityClass",
  "Namespace",
  "NetworkPolicy",
  "ResourceQuota",
  "LimitRange",
  "PodSecurityPolicy",
  "PodDisruptionBudget",
  "ServiceAccount",
  "Secret",
  "SecretList",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "CustomResourceDefinition",
  "ClusterRole",
  "ClusterRoleList",
  "ClusterRoleBinding",
  "ClusterRoleBindingList",
  "Role",
  "RoleList",
  "RoleBinding",
  "RoleBindingList",
  "Service",
  "DaemonSet",
  "Pod",
  "ReplicationController",
  "ReplicaSet",
  "Deployment",
  "HorizontalPodAutoscaler",
  "StatefulSet",
  "Job",
  "CronJob",
  "IngressClass",
  "Ingress",
  "APIService",
];
const kindRank = (k: string) => {
  const i = INSTALL_ORDER.indexOf(k);
  return i < 0 ? INSTALL_ORDER.length : i;
};

// biome-ignore lint/suspicious/noExplicitAny: scenario objects are free-form Kubernetes JSON
export type Obj = Record<string, any>;

export interface TemplateDoc {
  /** Template path inside the chart, e.g. templates/configmap.yaml */
  path: string;
  object: Obj;
}

export interface RevisionSpec {
  templates: TemplateDoc[];
  status: string;
  description?: string;
  /** Minutes after the scenario start when this revision was deployed. */
  at: number;
  chartVersion?: string;
  appVersion?: string;
  config?: Record<string, unknown>;
  /** last_run per hook name; default: Succeeded when the revision ran hooks of its operation. */
  hookRuns?: Record<string, { phase: string; startedAt?: number; completedAt?: number }>;
  /** Helm 4 record (apply_method, omitted zero times). */
  helm4?: boolean;
}

export interface ScenarioOptions {
  release: string;
  namespace: string;
  chart: string;
  driver?: StorageDriver;
  /** ISO time of minute 0. */
  start?: string;
}

export class Scenario {
  readonly release: string;
  readonly namespace: string;
  readonly chart: string;
  driver: StorageDriver;
  readonly start: number;
  readonly releases: Release[] = [];
  readonly live: Obj[] = [];
  private uidSeq = 0;

  constructor(o: ScenarioOptions) {
    this.release = o.release;
    this.namespace = o.namespace;
    this.chart = o.chart;
    this.driver = o.driver ?? "secret";
    this.start = Date.parse(o.start ?? "2026-11-20T10:00:00Z");
  }

  time(min: number): string {
    return new Date(this.start + min * 60_000).toISOString();
  }

  uid(): string {
    this.uidSeq++;
    return `00000000-0000-4000-8000-${String(this.uidSeq).padStart(12, "0")}`;
  }

  /** Add a revision; its number is the next one. Returns the stored release. */
  revision(spec: RevisionSpec): Release {
    const version = this.releases.length + 1;
    const prefix = `${this.chart}/`;
    const docs = [...spec.templates].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const manifestDocs: { path: string; text: string; kind: string }[] = [];
    const hooks: (Hook & { _rank: number })[] = [];
    for (const d of docs) {
      const text = stringify(d.object, { lineWidth: 0 }).trimEnd();
      const c = classify(d.object.metadata?.annotations);
      if (c.type === "dropped") continue;
      if (c.type === "manifest") {
        manifestDocs.push({ path: prefix + d.path, text, kind: d.object.kind });
        continue;
      }
      const run = spec.hookRuns?.[d.object.metadata.name];
      const zero = spec.helm4 ? undefined : "";
      const lastRun = run
        ? {
            started_at: run.startedAt !== undefined ? this.time(run.startedAt) : zero,
            completed_at: run.completedAt !== undefined ? this.time(run.completedAt) : zero,
            phase: run.phase,
          }
        : { started_at: zero, completed_at: zero, phase: "" };
      if (spec.helm4) {
        if (lastRun.started_at === undefined) delete lastRun.started_at;
        if (lastRun.completed_at === undefined) delete lastRun.completed_at;
      }
      const h: Hook & { _rank: number } = {
        name: d.object.metadata.name,
        kind: d.object.kind,
        path: prefix + d.path,
        manifest: text,
        events: c.events,
        last_run: lastRun as Hook["last_run"],
        _rank: kindRank(d.object.kind),
      };
      if (c.weight !== 0) h.weight = c.weight;
      // execHook persists [before-hook-creation] on hooks that ran with no policy.
      const policies = c.deletePolicies.filter((p) => p !== "");
      if (policies.length > 0) h.delete_policies = policies;
      else if (run?.phase) h.delete_policies = ["before-hook-creation"];
      if (c.outputLogPolicies.filter(Boolean).length > 0) h.output_log_policies = c.outputLogPolicies;
      hooks.push(h);
    }
    manifestDocs.sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
    hooks.sort((a, b) => a._rank - b._rank);
    const manifest = manifestDocs.map((d) => `---\n# Source: ${d.path}\n${d.text}\n`).join("");
    const deployedAt = this.time(spec.at);
    const first = this.releases[0]?.info.first_deployed ?? deployedAt;
    const info: Release["info"] = spec.helm4
      ? {
          first_deployed: first,
          last_deployed: deployedAt,
          description: spec.description ?? defaultDescription(spec.status, version),
          status: spec.status,
        }
      : {
          first_deployed: first,
          last_deployed: deployedAt,
          deleted: "",
          description: spec.description ?? defaultDescription(spec.status, version),
          status: spec.status,
        };
    const templates = docs.map((d) => ({
      name: d.path,
      data: Buffer.from(stringify(d.object)).toString("base64"),
    }));
    const rel: Release = {
      name: this.release,
      info,
      chart: {
        metadata: {
          name: this.chart,
          version: spec.chartVersion ?? "0.1.0",
          description: "A Helm chart for Kubernetes",
          apiVersion: "v2",
          appVersion: spec.appVersion ?? "1.16.0",
          type: "application",
        },
        lock: null,
        templates,
        values: { replicaCount: 1, image: { repository: "nginx", tag: "" } },
        schema: null,
        files: [],
      },
      ...(spec.config && Object.keys(spec.config).length > 0 ? { config: spec.config } : {}),
      manifest,
      ...(hooks.length > 0 ? { hooks: hooks.map(({ _rank, ...h }) => h) } : {}),
      version,
      namespace: this.namespace,
      ...(spec.helm4 ? { apply_method: "csa" } : {}),
    };
    this.releases.push(rel);
    return rel;
  }

  /** A live object; namespace, uid and creationTimestamp filled in. `at` in scenario minutes. */
  add(o: Obj, at = 0): Obj {
    o.metadata ??= {};
    o.metadata.namespace ??= this.namespace;
    o.metadata.uid ??= this.uid();
    o.metadata.creationTimestamp ??= this.time(at);
    this.live.push(o);
    return o;
  }

  /** Ownership metadata Helm puts on manifest objects at apply time. */
  owned(o: Obj): Obj {
    const c = structuredClone(o);
    c.metadata.labels = { ...(c.metadata.labels ?? {}), "app.kubernetes.io/managed-by": "Helm" };
    c.metadata.annotations = {
      ...(c.metadata.annotations ?? {}),
      "meta.helm.sh/release-name": this.release,
      "meta.helm.sh/release-namespace": this.namespace,
    };
    return c;
  }

  event(
    involved: Obj,
    type: string,
    reason: string,
    message: string,
    count: number,
    firstMin: number,
    lastMin: number,
  ): Obj {
    const name = `${involved.metadata.name}.${(this.uidSeq + 1).toString(16).padStart(16, "0")}`;
    return this.add(
      {
        apiVersion: "v1",
        kind: "Event",
        metadata: { name },
        involvedObject: {
          apiVersion: involved.apiVersion,
          kind: involved.kind,
          name: involved.metadata.name,
          namespace: this.namespace,
          uid: involved.metadata.uid,
        },
        reason,
        message,
        type,
        count,
        firstTimestamp: this.time(firstMin),
        lastTimestamp: this.time(lastMin),
        source: {
          component:
            reason === "FailedMount"
              ? "kubelet"
              : reason === "FailedCreate"
                ? "replicaset-controller"
                : "kubelet",
        },
      },
      firstMin,
    );
  }

  /** Helm's release records, as the storage driver writes them (finished revisions carry modifiedAt). */
  records(): Obj[] {
    return this.releases.map((r) => {
      const secs = Math.floor(Date.parse(r.info.last_deployed ?? this.time(0)) / 1000);
      const pending = r.info.status.startsWith("pending-");
      const rec = encodeRecord(r, {
        driver: this.driver,
        ...(pending ? { createdAt: secs } : { modifiedAt: secs }),
      });
      (rec.metadata as Obj).uid = this.uidFor(r.version);
      (rec.metadata as Obj).creationTimestamp = r.info.last_deployed;
      return rec;
    });
  }

  private uidFor(v: number): string {
    return `11111111-0000-4000-8000-${String(v).padStart(12, "0")}`;
  }

  /** Kubernetes List, as `kubectl get … -o json` prints it. */
  bundle(): Obj {
    return {
      apiVersion: "v1",
      kind: "List",
      metadata: { resourceVersion: "" },
      items: [...this.records(), ...this.live],
    };
  }
}

function defaultDescription(status: string, version: number): string {
  if (status === "pending-install") return "Initial install underway";
  if (status === "pending-upgrade") return "Preparing upgrade";
  if (version === 1) return "Install complete";
  return "Upgrade complete";
}
