// Pods Pending because a PersistentVolumeClaim they mount is not bound (no storage class, provisioning
// failed, no matching volume) or does not exist.
//
// Severity: always critical — the pod cannot start until the claim binds, and nothing retries for the user
// except the provisioner.

import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  eventGapEvidence,
  impact,
  originRevisions,
  type PodGroup,
  podAnalyzer,
  rollbackToGood,
  rolloutEvidence,
  verdict,
} from "../pod-analyzer.js";
import type { Evidence, Remediation } from "../types.js";
import { describeEvent } from "../workloads.js";

interface Claim {
  name: string;
  live?: KubeObject;
  /** Where the release defines it: "revision 3 manifest (x/templates/pvc.yaml)", "revision 3 hooks (…)". */
  definedIn?: string;
  manifestClass?: string;
}

function claims(ix: SnapshotIndex, g: PodGroup): Claim[] {
  const p = g.problems[0]!;
  const names = new Set<string>();
  if (p.missing?.kind === "PersistentVolumeClaim") names.add(p.missing.name);
  for (const v of p.pod.spec?.volumes ?? [])
    if (v.persistentVolumeClaim?.claimName) names.add(v.persistentVolumeClaim.claimName);
  const ns = g.workload.namespace;
  const out: Claim[] = [];
  for (const name of names) {
    const c: Claim = { name };
    const live = ix.get("PersistentVolumeClaim", ns, name);
    if (live) c.live = live;
    for (let i = ix.releases.length - 1; i >= 0 && !c.definedIn; i--) {
      const rel = ix.releases[i]!;
      const d = ix.manifest(rel).find((x) => x.kind === "PersistentVolumeClaim" && x.name === name);
      if (d) {
        c.definedIn = `revision ${rel.version} manifest${d.source ? ` (${d.source})` : ""}`;
        // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
        const sc = (d.object as any)?.spec?.storageClassName;
        if (sc !== undefined) c.manifestClass = String(sc);
        continue;
      }
      const h = (rel.hooks ?? []).find((x) => x.kind === "PersistentVolumeClaim" && x.name === name);
      if (h) c.definedIn = `revision ${rel.version} hooks (${h.path}, events ${h.events.join(",")})`;
    }
    out.push(c);
  }
  // Unbound ones first: a pod lists every claim, but only some block it.
  return out.sort((a, b) => Number(isBound(a)) - Number(isBound(b)));
}

const isBound = (c: Claim) => c.live?.status?.phase === "Bound";

function claimState(c: Claim): string {
  if (!c.live)
    return c.definedIn
      ? "does not exist"
      : "is not in the snapshot (it may not exist, or it was created by a StatefulSet volumeClaimTemplate, which helm-doctor does not collect)";
  const sc = c.live.spec?.storageClassName;
  return `is ${c.live.status?.phase ?? "in an unknown phase"} (storageClassName ${sc === undefined ? "unset: the cluster default, if there is one" : `"${sc}"`})`;
}

function claimEvents(ix: SnapshotIndex, c: Claim) {
  return c.live ? ix.eventsFor(c.live).filter((e) => e.type === "Warning") : [];
}

function why(g: PodGroup, ix: SnapshotIndex): string {
  const cs = claims(ix, g);
  const c = cs[0];
  const wl = `${g.workload.kind} ${g.workload.name}`;
  const parts = [
    `${g.problems.length} pod${g.problems.length > 1 ? "s" : ""} of ${wl} cannot be scheduled because ${c ? `PersistentVolumeClaim ${c.name}` : "a PersistentVolumeClaim they mount"} ${c ? claimState(c) : "is not bound"}; the scheduler only places a pod once its claims are bound (or can be bound on a node).`,
  ];
  const ev = c ? claimEvents(ix, c) : [];
  if (ev.length)
    parts.push(
      `The claim's own events say why: ${ev[ev.length - 1]!.reason}: ${ev[ev.length - 1]!.message}.`,
    );
  if (c?.definedIn) parts.push(`The release defines it in ${c.definedIn}.`);
  parts.push(impact(g));
  parts.push(verdict(g));
  return parts.join(" ");
}

function remediations(g: PodGroup, ix: SnapshotIndex): Remediation[] {
  const c = claims(ix, g)[0];
  const out: Remediation[] = [];
  if (g.ctx.origin.changes.some((x) => x.field === "volumes")) {
    const rb = rollbackToGood(
      ix,
      g,
      `revision ${g.ctx.origin.introduced?.rel.version} changed the pod's volumes`,
    );
    if (rb) out.push(rb);
  }
  out.push({
    action: "manual",
    summary: c?.live
      ? `Make PersistentVolumeClaim ${c.name} bindable: name an existing StorageClass (kubectl get storageclass) or create a matching PersistentVolume. storageClassName cannot be changed on an existing claim: if it is empty, delete it and let the upgrade recreate it (this loses nothing only while it is unbound).`
      : `Create PersistentVolumeClaim ${c?.name ?? "<claim>"} (or fix the claim name in the pod template); the pods start once it is bound.`,
  });
  return out;
}

const analyzer: Analyzer = podAnalyzer({
  code: "pod-pvc-unbound",
  severity: "critical",
  what: "wait for an unbound PersistentVolumeClaim",
  title: (g, ix) => {
    const n = g.problems.length;
    const c = claims(ix, g)[0];
    const ev = c ? claimEvents(ix, c) : [];
    const why = ev.length
      ? ev[ev.length - 1]!.message
      : c?.live
        ? `claim ${c.live.status?.phase ?? "not bound"}`
        : c
          ? "claim not found"
          : g.problems[0]!.message;
    return `${g.workload.kind} ${g.workload.name}: ${n} pod${n > 1 ? "s" : ""} Pending on PersistentVolumeClaim ${c?.name ?? "?"} (${why})`;
  },
  why,
  remediations,
  revisions: (g, ix) => originRevisions(ix, g),
  evidence: (g, ix) => {
    const tail: Evidence[] = [];
    for (const c of claims(ix, g).slice(0, 3)) {
      tail.push({
        source: `PersistentVolumeClaim ${c.name}`,
        detail: `${claimState(c)}${c.definedIn ? `; defined in ${c.definedIn}` : ""}`,
      });
      for (const e of claimEvents(ix, c).slice(-2))
        tail.push({ source: `PersistentVolumeClaim ${c.name}`, detail: `event ${describeEvent(ix, e)}` });
    }
    return { tail: [...tail, ...rolloutEvidence(g), ...eventGapEvidence(ix, g)] };
  },
});

export default analyzer;
