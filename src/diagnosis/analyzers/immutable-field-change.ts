// An upgrade changed a field the API server does not let change on an existing object: a StatefulSet's spec
// outside replicas/template/updateStrategy/… (`Forbidden: updates to statefulset spec for fields other than …`),
// a Deployment's, DaemonSet's or ReplicaSet's selector (`field is immutable`), a Service's clusterIP, a bound
// claim's spec. Helm patches manifest objects (pkg/kube/client.go), the API server refuses the patch, and Helm
// records the revision failed with the API server's words. The revision's manifest and the one it started from
// say which field changed. Jobs' pod templates are immutable-job-in-manifest's.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { Release } from "../../helm/types.js";
import type { ManifestEntry, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyHelmError, type HelmError } from "../helm-errors.js";
import { baseOf, descriptionOf, failedAttempts, revisionEvidence, revisionKey } from "../history.js";
import { canonical } from "../pod-analyzer.js";
import type { Evidence, Finding, Remediation } from "../types.js";

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
type Any = any;

/** StatefulSet spec fields an update may change (apps/v1 validation, Kubernetes 1.27+). */
const STS_UPDATABLE = new Set([
  "replicas",
  "ordinals",
  "template",
  "updateStrategy",
  "persistentVolumeClaimRetentionPolicy",
  "minReadySeconds",
]);

function get(o: Any, path: string): unknown {
  return path.split(".").reduce((v: Any, k) => (v === undefined || v === null ? undefined : v[k]), o);
}

function short(v: unknown): string {
  const t = canonical(v) ?? "unset";
  return t.length > 160 ? `${t.slice(0, 159)}…` : t;
}

/** `volumeClaimTemplates[data] storage 10Gi → 50Gi` and the like, for the spec fields that changed. */
function describeField(field: string, before: unknown, after: unknown): string {
  if (field === "spec.volumeClaimTemplates" && Array.isArray(before) && Array.isArray(after)) {
    const parts: string[] = [];
    for (const a of after as Any[]) {
      const b = (before as Any[]).find((x) => x?.metadata?.name === a?.metadata?.name);
      if (!b) {
        parts.push(`volumeClaimTemplates: ${a?.metadata?.name} added`);
        continue;
      }
      const bs = b.spec?.resources?.requests?.storage;
      const as = a.spec?.resources?.requests?.storage;
      if (bs !== as)
        parts.push(`volumeClaimTemplates[${a.metadata.name}] storage ${bs ?? "unset"} → ${as ?? "unset"}`);
      if (canonical(b.spec?.storageClassName) !== canonical(a.spec?.storageClassName))
        parts.push(
          `volumeClaimTemplates[${a.metadata.name}] storageClassName ${b.spec?.storageClassName ?? "unset"} → ${a.spec?.storageClassName ?? "unset"}`,
        );
      if (canonical(b.spec?.accessModes) !== canonical(a.spec?.accessModes))
        parts.push(`volumeClaimTemplates[${a.metadata.name}] accessModes changed`);
    }
    for (const b of before as Any[])
      if (!(after as Any[]).some((x) => x?.metadata?.name === b?.metadata?.name))
        parts.push(`volumeClaimTemplates: ${b?.metadata?.name} removed`);
    if (parts.length) return parts.join("; ");
  }
  return `${field} ${short(before)} → ${short(after)}`;
}

/** The immutable fields that differ between the object's old and new rendering. */
function changedFields(kind: string, before: Any, after: Any, named: string[]): string[] {
  const out: string[] = [];
  if (kind === "StatefulSet") {
    const keys = new Set([...Object.keys(before?.spec ?? {}), ...Object.keys(after?.spec ?? {})]);
    for (const k of keys) {
      if (STS_UPDATABLE.has(k)) continue;
      if (canonical(before?.spec?.[k]) !== canonical(after?.spec?.[k])) out.push(`spec.${k}`);
    }
    return out;
  }
  const candidates = named.length
    ? named.filter((f) => f !== "spec")
    : ["spec.selector", "spec.clusterIP", "spec.clusterIPs", "spec.volumeName", "spec.storageClassName"];
  for (const f of candidates) if (canonical(get(before, f)) !== canonical(get(after, f))) out.push(f);
  return out;
}

function docFor(ix: SnapshotIndex, rel: Release, e: HelmError, ns: string): ManifestEntry | undefined {
  return ix
    .manifest(rel)
    .find(
      (d) =>
        d.kind === e.object!.kind &&
        d.name === e.object!.name &&
        (d.namespace === ns || !e.object!.namespace),
    );
}

function analyzeAttempt(ix: SnapshotIndex, r: Release): Finding[] {
  const ns = r.namespace || ix.namespace;
  const latest = ix.latest()!;
  const base = baseOf(ix, r);
  const out: Finding[] = [];
  const errors = classifyHelmError(r.info.description).filter(
    (e) => e.kind === "immutable" && e.object && !e.hookEvent && e.object.kind !== "Job",
  );
  for (const e of errors) {
    const o = e.object!;
    const after = docFor(ix, r, e, ns);
    const before = base ? docFor(ix, base, e, ns) : undefined;
    const fields = after && before ? changedFields(o.kind, before.object, after.object, e.fields ?? []) : [];
    const ref: ResourceRef = { kind: o.kind, name: o.name, namespace: after?.namespace ?? ns };
    const live = ix.get(o.kind, ref.namespace!, o.name);
    const changes = fields.map((f) => describeField(f, get(before?.object, f), get(after?.object, f)));
    const what = changes.length ? changes.join("; ") : (e.fields ?? []).join(", ") || "an immutable field";
    const rolledBack = r !== latest;
    const evidence: Evidence[] = [revisionEvidence(r)];
    if (before && after)
      evidence.push({
        source: `revisions ${base!.version} and ${r.version} manifests`,
        detail: `${o.kind} ${o.name}${after.source ? ` (${after.source})` : ""}: ${changes.length ? changes.join("; ") : "no difference found in the fields the API server names"}`,
      });
    evidence.push({
      source: "live cluster",
      detail: live
        ? `${o.kind} ${ref.namespace}/${o.name} exists (created ${live.metadata?.creationTimestamp ?? "at an unknown time"}) and keeps revision ${base?.version ?? "?"}'s spec`
        : `${o.kind} ${ref.namespace}/${o.name} does not exist`,
    });
    if (rolledBack)
      evidence.push({
        source: `revision ${latest.version}`,
        detail: `status ${latest.info.status}, description "${descriptionOf(latest)}": the release went back, but the next upgrade with this change fails the same way`,
      });

    const kubectlKind = o.kind.toLowerCase();
    const isController = ["StatefulSet", "Deployment", "DaemonSet", "ReplicaSet"].includes(o.kind);
    const selector = fields.includes("spec.selector");
    const remediations: Remediation[] = [];
    if (isController)
      remediations.push({
        action: "manual",
        summary:
          `Recreate the ${o.kind} without touching its pods: \`kubectl delete ${kubectlKind} ${o.name} -n ${ref.namespace} --cascade=orphan\`, then run the upgrade again — Helm creates it with the new spec` +
          (o.kind === "StatefulSet"
            ? `, and it adopts the existing pods and PersistentVolumeClaims.${fields.includes("spec.volumeClaimTemplates") ? ` Existing claims are not resized by a new template: expand them one by one (\`kubectl patch pvc <claim> -n ${ref.namespace} -p '{"spec":{"resources":{"requests":{"storage":"<size>"}}}}'\`, if the storage class allows expansion).` : ""}`
            : selector
              ? ". The old pods no longer match the new selector: once the new ones are ready, delete the old ReplicaSet and its pods."
              : ", and it adopts the existing pods when they match its selector."),
        resources: [ref],
      });
    remediations.push({
      action: "chart-fix",
      summary: `Or keep ${o.kind} ${o.name}'s immutable fields as they are (${what}): revert that change in the chart or values${o.kind === "StatefulSet" && fields.includes("spec.volumeClaimTemplates") ? "; grow storage by expanding the existing claims instead" : ""}${selector ? "; a selector can only change by replacing the object" : ""}.`,
      resources: [ref],
    });

    out.push({
      code: "immutable-field-change",
      severity: rolledBack ? "warning" : "critical",
      role: "root",
      title: `Revision ${r.version} changes ${o.kind} ${o.name}'s immutable ${fields.length === 1 ? fields[0] : fields.length ? fields.join(", ") : "fields"}, so the API server refuses the upgrade${rolledBack ? ` (rolled back in revision ${latest.version})` : ""}`,
      explanation:
        `Helm applies a revision by patching each object that already exists. Revision ${r.version} changes ${what} of ${o.kind} ${o.name}, and the API server refuses that change on an existing ${o.kind}` +
        (o.kind === "StatefulSet"
          ? " (only replicas, ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds may change)"
          : selector
            ? " (a selector is fixed when the object is created)"
            : "") +
        `, so Helm stopped and recorded revision ${r.version} failed. Objects applied before it may already be on revision ${r.version}; nothing was deleted. ` +
        `Every upgrade with this change fails the same way until the ${o.kind} is recreated or the change is reverted; a rollback only clears the failed state.`,
      resources: [ref],
      revisions: base ? [base.version, r.version] : [r.version],
      evidence,
      remediations,
      // The failed revision's key even when an atomic rollback followed: atomic-rollback-masked-failure is about it.
      explains: [kindKey(o.kind, ref.namespace!, o.name), revisionKey(ix, r.version)],
    });
  }
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    return failedAttempts(ix).flatMap((r) => analyzeAttempt(ix, r));
  },
};

export default analyzer;
