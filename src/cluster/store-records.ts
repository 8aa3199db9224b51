// Release records in Secrets or ConfigMaps, exactly as Helm's pkg/storage/driver/secrets.go and cfgmaps.go
// write them: name `sh.helm.release.v1.<rel>.v<N>`, Secret type `helm.sh/release.v1`, labels name / owner /
// status / version plus the custom labels, `createdAt` on create and `modifiedAt` on update, and
// data.release = base64(gzip(json)) with the JSON as Go's encoding/json writes Helm's structs (gojson.ts), in
// the dialect of the Helm that wrote the release, chart and config copied byte for byte.
import { decodeReleaseString, encodePayload, recordLabels, recordName, recordObject } from "../helm/codec.js";
import {
  type Dialect,
  dialectOf,
  markDialect,
  markRawJson,
  payloadJson,
  releaseJson,
  storedDialect,
  topLevelSpans,
} from "../helm/gojson.js";
import type { Release } from "../helm/types.js";
import type { KubeObject } from "../snapshot/types.js";
import { type KubeClient, KubeError } from "./kubeclient.js";
import {
  customLabels,
  ReleaseExistsError,
  type ReleaseHead,
  ReleaseNotFoundError,
  type ReleaseStore,
  type StoreWriteOptions,
} from "./store.js";

/** The annotations each release was read with, kept for its rewrite. */
const annotationsRead = new WeakMap<Release, Record<string, string>>();

/** The release a Secret's or ConfigMap's data.release holds, with what a byte-exact rewrite needs remembered. */
export function decodeRecordObject(o: KubeObject, driver: "secret" | "configmap"): Release {
  const data = (o as { data?: Record<string, string> }).data?.release;
  if (typeof data !== "string" || data === "")
    throw new Error(`record ${o.metadata?.name} has no data.release`);
  const encoded = driver === "secret" ? Buffer.from(data, "base64").toString("latin1") : data;
  const rel = decodeReleaseString(encoded);
  const spans = topLevelSpans(payloadJson(encoded));
  if (rel.chart && spans?.has("chart")) markRawJson(rel.chart, spans.get("chart")!);
  if (rel.config && spans?.has("config")) markRawJson(rel.config, spans.get("config")!);
  markDialect(rel, storedDialect(rel));
  rel.labels = customLabels(o.metadata?.labels);
  annotationsRead.set(rel, { ...(o.metadata?.annotations ?? {}) });
  return rel;
}

/** The Secret or ConfigMap Helm's driver writes for `rel`. */
export function encodeRecordObject(
  rel: Release,
  driver: "secret" | "configmap",
  o: {
    annotations?: Record<string, string>;
    createdAt?: number;
    modifiedAt?: number;
    dialect?: Dialect;
  } = {},
): KubeObject {
  const labels = recordLabels(rel, rel.labels, o);
  const annotations = o.annotations ?? annotationsRead.get(rel) ?? {};
  const metadata = {
    name: recordName(rel.name, rel.version),
    namespace: rel.namespace,
    labels,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  const json = releaseJson(rel, o.dialect ?? dialectOf(rel));
  return recordObject(driver, metadata, encodePayload(json)) as KubeObject;
}

const now = () => Math.floor(Date.now() / 1000);

export class RecordStore implements ReleaseStore {
  constructor(
    private readonly kube: KubeClient,
    private readonly namespace: string,
    readonly driver: "secret" | "configmap",
  ) {}

  private get kind() {
    return this.driver === "secret" ? "Secret" : "ConfigMap";
  }

  private ref(name: string, revision: number) {
    return { apiVersion: "v1", kind: this.kind, namespace: this.namespace, name: recordName(name, revision) };
  }

  describe(): string {
    return `${this.kind}s in ${this.namespace} (${this.kube.describe()})`;
  }

  async list(name: string): Promise<ReleaseHead[]> {
    const items = await this.kube.list(
      { apiVersion: "v1", kind: this.kind, namespace: this.namespace },
      { labelSelector: `owner=helm,name=${name}`, metadataOnly: true },
    );
    const out: ReleaseHead[] = [];
    for (const o of items) {
      const labels = o.metadata?.labels ?? {};
      const m = /\.v(\d+)$/.exec(o.metadata?.name ?? "");
      const revision = Number(labels.version ?? m?.[1] ?? Number.NaN);
      if (!Number.isFinite(revision)) continue;
      out.push({
        name,
        revision,
        status: labels.status ?? "unknown",
        labels: { ...labels },
        annotations: { ...(o.metadata?.annotations ?? {}) },
      });
    }
    return out.sort((a, b) => a.revision - b.revision);
  }

  async get(name: string, revision: number): Promise<Release> {
    const o = await this.kube.get(this.ref(name, revision));
    if (!o) throw new ReleaseNotFoundError();
    return decodeRecordObject(o, this.driver);
  }

  async history(name: string): Promise<Release[]> {
    const items = await this.kube.list(
      { apiVersion: "v1", kind: this.kind, namespace: this.namespace },
      { labelSelector: `owner=helm,name=${name}` },
    );
    return items.map((o) => decodeRecordObject(o, this.driver)).sort((a, b) => a.version - b.version);
  }

  async create(rel: Release, opts: StoreWriteOptions = {}): Promise<void> {
    const obj = encodeRecordObject(rel, this.driver, {
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      createdAt: opts.now ?? now(),
    });
    try {
      await this.kube.create(obj, {
        fieldManager: "helm",
        // A retried create that meets 409 is ours when the stored record carries our payload.
        isOwnWrite: (live) => JSON.stringify(live.data) === JSON.stringify(obj.data),
      });
    } catch (e) {
      if (e instanceof KubeError && e.code === 409) throw new ReleaseExistsError(e.message);
      throw e;
    }
  }

  async update(rel: Release, opts: StoreWriteOptions = {}): Promise<void> {
    await this.kube.replace(
      encodeRecordObject(rel, this.driver, {
        ...(opts.annotations ? { annotations: opts.annotations } : {}),
        modifiedAt: opts.now ?? now(),
      }),
    );
  }

  async delete(name: string, revision: number): Promise<void> {
    if (!(await this.kube.delete(this.ref(name, revision)))) throw new ReleaseNotFoundError();
  }
}
