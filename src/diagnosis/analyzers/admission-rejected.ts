// The API server's admission refused an object Helm applied: a validating webhook denied it (ingress-nginx's
// "host … is already defined", Kyverno, Gatekeeper), a webhook could not be called at all, a ResourceQuota is
// exhausted, or Pod Security admission rejects a pod Helm creates itself. Helm records the revision failed with
// the API server's words (`failed to create resource: admission webhook "…" denied the request: …`); objects
// applied before it exist, nothing was rolled back. Hooks refused the same way are hook-failed's.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyHelmError, type HelmError } from "../helm-errors.js";
import { failedAttempts, operationOf, revisionEvidence, revisionKey } from "../history.js";
import type { Finding, Remediation } from "../types.js";

const KINDS = new Set(["admission-denied", "webhook-unavailable", "quota", "pod-security"]);

/** The admission's own reason: what follows "denied the request:", "exceeded quota:", "violates PodSecurity …:". */
function reasonOf(e: HelmError): string {
  const m =
    /denied the request:?\s*([\s\S]*)$/.exec(e.text) ??
    /(exceeded quota: [\s\S]*)$/.exec(e.text) ??
    /(failed quota: [\s\S]*)$/.exec(e.text) ??
    /(violates PodSecurity [\s\S]*)$/.exec(e.text) ??
    /(failed calling webhook [\s\S]*)$/.exec(e.text);
  const t = (m?.[1] ?? e.text).trim();
  return t.length > 300 ? `${t.slice(0, 299)}…` : t;
}

/**
 * The object a refusal names — or, when the API server's message names none (webhooks often do not), the one
 * object of the revision that is missing live while the objects Helm applied before it exist; failing that, a
 * missing object whose kind the webhook's name mentions.
 */
function refusedObject(ix: SnapshotIndex, r: Release, e: HelmError): HelmError["object"] {
  if (e.object) return e.object;
  const missing = ix.manifest(r).filter((d) => d.kind && !ix.get(d.kind, d.namespace, d.name));
  const pick =
    missing.length === 1
      ? missing[0]
      : missing.find((d) => `${e.by ?? ""} ${e.text}`.toLowerCase().includes(d.kind.toLowerCase()));
  return pick ? { kind: pick.kind, name: pick.name, namespace: pick.namespace } : undefined;
}

function finding(ix: SnapshotIndex, r: Release, e: HelmError): Finding {
  const ns = r.namespace || ix.namespace;
  const op = operationOf(ix, r);
  const latest = ix.latest()!;
  const obj = refusedObject(ix, r, e);
  const what = obj ? `${obj.kind} ${obj.name}` : "an object of the release";
  const ref: ResourceRef | undefined = obj
    ? { kind: obj.kind, name: obj.name, namespace: obj.namespace ?? ns }
    : undefined;
  const reason = reasonOf(e);
  const remediations: Remediation[] = [];
  let title: string;
  let why: string;
  switch (e.kind) {
    case "admission-denied":
      title = `Admission webhook ${e.by} refused ${what}: ${reason}`;
      why = `The validating admission webhook "${e.by}" refused ${what} with: "${reason}". The webhook enforces a rule of the cluster, not of Helm: change the object (its values) so it passes, or resolve the conflict the message names.`;
      remediations.push({
        action: "manual",
        summary: `Make ${what} acceptable to ${e.by} — the message says what it objects to — then run the ${op} again${op === "install" ? " (`helm upgrade --install` continues a failed install)" : ""}.`,
        ...(ref ? { resources: [ref] } : {}),
      });
      break;
    case "webhook-unavailable":
      title = `Admission webhook ${e.by} could not be called, so ${what} was refused`;
      why = `The API server could not call the admission webhook "${e.by}" (${reason}), and the webhook's failurePolicy is Fail, so every object it covers is refused — this release's and everyone else's. Its service or pods are down or unreachable.`;
      remediations.push({
        action: "manual",
        summary: `Find the webhook's service (\`kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations -o wide | grep ${e.by}\`), bring its pods back, then run the ${op} again.`,
      });
      break;
    case "quota":
      title = `ResourceQuota ${e.by} refused ${what}: ${reason}`;
      why = `The namespace's ResourceQuota "${e.by}" has no room for ${what} (${reason}).`;
      remediations.push({
        action: "manual",
        summary: `Raise the quota (\`kubectl describe resourcequota ${e.by} -n ${ref?.namespace ?? ns}\` shows used and hard limits) or lower the release's requests, then run the ${op} again.`,
        ...(ref ? { resources: [ref] } : {}),
      });
      break;
    default:
      title = `Pod Security admission refused ${what}: ${reason}`;
      why = `The namespace enforces the Pod Security level "${e.by}", and ${what} does not meet it (${reason}).`;
      remediations.push({
        action: "chart-fix",
        summary: `Set the securityContext fields the message names in the chart (runAsNonRoot, allowPrivilegeEscalation: false, capabilities drop ALL, seccompProfile RuntimeDefault), or run the release in a namespace with a looser pod-security.kubernetes.io/enforce label.`,
        ...(ref ? { resources: [ref] } : {}),
      });
  }
  const rolledBack = r !== latest;
  return {
    code: "admission-rejected",
    severity: rolledBack ? "warning" : "critical",
    role: "root",
    title: title.length > 300 ? `${title.slice(0, 299)}…` : title,
    explanation:
      `Helm applies a revision object by object. During the ${op} ${op === "install" ? `(revision ${r.version})` : `to revision ${r.version}`} the API server's admission refused ${what}, so Helm stopped and recorded revision ${r.version} failed; the objects applied before it exist, nothing was deleted or rolled back. ` +
      why,
    resources: ref ? [ref] : [],
    revisions: [r.version],
    evidence: [revisionEvidence(r)],
    remediations,
    explains: [...(ref ? [kindKey(ref.kind, ref.namespace!, ref.name)] : []), revisionKey(ix, r.version)],
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const out: Finding[] = [];
    for (const r of failedAttempts(ix))
      for (const e of classifyHelmError(r.info.description))
        if (KINDS.has(e.kind) && !e.hookEvent) out.push(finding(ix, r, e));
    return out;
  },
};

export default analyzer;
