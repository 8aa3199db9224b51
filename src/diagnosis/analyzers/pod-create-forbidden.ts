// No pods at all — the ReplicaSet/Job/StatefulSet controller's create calls are refused (FailedCreate:
// `pods "x-" is forbidden: …`): a missing ServiceAccount, a ResourceQuota or LimitRange, PodSecurity admission,
// or a validating webhook.
//
// Severity: always critical — the controller keeps retrying, and no pod of that template will ever exist until
// the cause is fixed. Stale FailedCreate events (the controller has all the pods it wants by now) are ignored.
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { KubeEvent, KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { lastGoodBefore } from "../history.js";
import {
  type ChangeField,
  helmVerdict,
  isPodReady,
  rolloutKey,
  rolloutOf,
  rolloutSummary,
  templateOrigin,
} from "../pod-analyzer.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { ago, describeEvent, type ReleaseWorkload, releaseWorkloads } from "../workloads.js";

type CauseKind = "service-account" | "quota" | "limit-range" | "pod-security" | "webhook" | "other";

interface Cause {
  kind: CauseKind;
  short: string;
  long: string;
  serviceAccount?: string;
  relevant: ChangeField[];
}

export function createCause(msg: string): Cause {
  let m = /error looking up service account ([^/\s]+)\/([^:\s]+): serviceaccount "([^"]+)" not found/.exec(
    msg,
  );
  if (m)
    return {
      kind: "service-account",
      short: `ServiceAccount ${m[3]} not found`,
      long: `the pods run as ServiceAccount ${m[3]}, which does not exist in namespace ${m[1]}; the API server refuses pods whose ServiceAccount is missing`,
      serviceAccount: m[3]!,
      relevant: ["serviceAccount"],
    };
  m = /exceeded quota: ([^,]+), (requested: .*)$/.exec(msg);
  if (m)
    return {
      kind: "quota",
      short: `exceeded quota ${m[1]}`,
      long: `the namespace's ResourceQuota ${m[1]} has no room left for another pod (${m[2]})`,
      relevant: ["resources", "containers"],
    };
  if (/must specify (limits|requests)|failed quota/.test(msg))
    return {
      kind: "quota",
      short: "quota requires requests/limits",
      long: "a ResourceQuota in the namespace requires every pod to declare resource requests/limits, and these pods do not",
      relevant: ["resources", "containers"],
    };
  m = /(maximum|minimum) (cpu|memory|storage) usage per (Container|Pod) is ([^\s,]+)/.exec(msg);
  if (m)
    return {
      kind: "limit-range",
      short: `LimitRange ${m[1]} ${m[2]} per ${m[3]} is ${m[4]}`,
      long: `a LimitRange allows ${m[1]} ${m[2]} per ${m[3]} of ${m[4]}, and the pod template asks for more or less than that`,
      relevant: ["resources"],
    };
  m = /violates PodSecurity "([^"]+)": (.*)$/.exec(msg);
  if (m)
    return {
      kind: "pod-security",
      short: `violates PodSecurity "${m[1]}"`,
      long: `the namespace enforces the Pod Security Standard "${m[1]}" and the pod template breaks it: ${m[2]}`,
      relevant: ["securityContext", "volumes", "containers", "image"],
    };
  m = /admission webhook "([^"]+)" denied the request:?\s*(.*)$/.exec(msg);
  if (m)
    return {
      kind: "webhook",
      short: `admission webhook ${m[1]} denied the pods`,
      long: `the validating admission webhook "${m[1]}" (a policy engine or an operator) refuses the pods${m[2] ? `: ${m[2]}` : ""}`,
      relevant: [
        "image",
        "securityContext",
        "resources",
        "containers",
        "metadata",
        "volumes",
        "serviceAccount",
      ],
    };
  const forb = /is forbidden: (.*)$/.exec(msg);
  return {
    kind: "other",
    short: forb ? forb[1]!.slice(0, 120) : msg.slice(0, 120),
    long: `the API server refuses the pods: ${forb ? forb[1] : msg}`,
    relevant: ["serviceAccount", "securityContext", "resources", "image", "containers"],
  };
}

/** The pods a controller wants, or undefined when it is finished (a completed Job). */
function desiredPods(c: KubeObject): number | undefined {
  if (c.kind === "Job") {
    const done = (c.status?.conditions ?? []).some(
      (x: { type: string; status: string }) =>
        (x.type === "Complete" || x.type === "Failed") && x.status === "True",
    );
    return done ? undefined : (c.spec?.parallelism ?? 1);
  }
  if (c.kind === "DaemonSet") return c.status?.desiredNumberScheduled ?? 1;
  return c.spec?.replicas ?? 1;
}

const ts = (e: KubeEvent) => Date.parse(e.lastTimestamp ?? e.firstTimestamp ?? "") || 0;

function controllersOf(ix: SnapshotIndex, w: ReleaseWorkload): KubeObject[] {
  if (!w.live) return [];
  if (w.kind === "Deployment") {
    const r = rolloutOf(ix, w.live);
    return [...(r.newRs ? [r.newRs] : []), ...r.oldRs];
  }
  return [w.live];
}

function serviceAccountSource(ix: SnapshotIndex, name: string): string | undefined {
  for (let i = ix.releases.length - 1; i >= 0; i--) {
    const rel = ix.releases[i]!;
    const d = ix.manifest(rel).find((x) => x.kind === "ServiceAccount" && x.name === name);
    if (d) return `a regular resource of revision ${rel.version}${d.source ? ` (${d.source})` : ""}`;
    const h = (rel.hooks ?? []).find((x) => x.kind === "ServiceAccount" && x.name === name);
    if (h)
      return `a hook of revision ${rel.version} (${h.path}, events ${h.events.join(",")}, delete policy ${(h.delete_policies ?? ["before-hook-creation"]).join(",")})`;
  }
  return undefined;
}

function analyze(ix: SnapshotIndex, w: ReleaseWorkload): Finding[] {
  const out: Finding[] = [];
  const ns = w.namespace;
  const rollout = w.kind === "Deployment" && w.live ? rolloutOf(ix, w.live) : undefined;
  for (const c of controllersOf(ix, w)) {
    const events = ix
      .eventsFor(c)
      .filter((e) => e.reason === "FailedCreate")
      .sort((a, b) => ts(a) - ts(b));
    if (events.length === 0) continue;
    const want = desiredPods(c);
    const have = ix.children(c).filter((p) => p.kind === "Pod" && !p.metadata?.deletionTimestamp).length;
    if (want === undefined || have >= want) continue; // the controller has its pods: the events are old news
    const last = events[events.length - 1]!;
    const cause = createCause(last.message);
    const cName = c.metadata?.name ?? "?";
    const wl = `${w.kind} ${w.name}`;
    const isNewRs = !!rollout?.newRs && rollout.newRs === c;
    const origin = templateOrigin(ix, w, c.spec?.template?.spec, c.metadata?.creationTimestamp);
    const relevant = origin.changes.filter((x) => cause.relevant.includes(x.field));
    const introduced = origin.introduced && origin.before && relevant.length ? origin.introduced : undefined;
    const good = introduced ? lastGoodBefore(ix, introduced.rel.version) : undefined;
    const latest = ix.latest();

    const evidence: Evidence[] = [
      {
        source: `${c.kind} ${cName}`,
        detail: `${have} of ${want} pod${want === 1 ? "" : "s"} exist; event ${describeEvent(ix, last)}`,
      },
    ];
    const total = events.reduce((n, e) => n + e.count, 0);
    if (events.length > 1)
      evidence.push({
        source: `${c.kind} ${cName}`,
        detail: `${events.length} FailedCreate events (${total} attempts), the first ${ago(ix.ageMs(events[0]!.firstTimestamp))}`,
      });
    if (introduced && origin.before)
      evidence.push({
        source: `revision ${introduced.rel.version} manifest`,
        detail: `${wl}${introduced.source ? ` (${introduced.source})` : ""} changed since revision ${origin.before.rel.version}: ${relevant.map((x) => x.text).join("; ")}`,
      });
    const saSource = cause.serviceAccount ? serviceAccountSource(ix, cause.serviceAccount) : undefined;
    if (cause.serviceAccount)
      evidence.push({
        source: "live cluster",
        detail: `ServiceAccount ${ns}/${cause.serviceAccount} does not exist${saSource ? `; the release defines it as ${saSource}` : "; no stored revision of this release defines it"}`,
      });
    if (rollout?.newRs && w.kind === "Deployment")
      evidence.push({ source: `Deployment ${w.name}`, detail: rolloutSummary(rollout) });

    const ready = w.pods.filter(isPodReady).length;
    const parts = [
      `The ${c.kind === "ReplicaSet" ? "ReplicaSet controller" : `${c.kind} controller`} tries to create pods for ${c.kind} ${cName}${c.kind === "ReplicaSet" ? ` (of ${wl})` : ""} and the API server refuses every attempt: ${cause.long}.`,
    ];
    if (introduced && origin.before)
      parts.push(
        `Revision ${introduced.rel.version} made the change the refusal is about: ${relevant.map((x) => x.text).join("; ")}.`,
      );
    if (saSource) parts.push(`The release defines that ServiceAccount as ${saSource}.`);
    parts.push(
      isNewRs && ready > 0
        ? `No pod of the new template exists, so the rollout is stuck; ${ready} pod${ready === 1 ? "" : "s"} of the old ReplicaSet still serve.`
        : ready > 0
          ? `${ready} older pod${ready === 1 ? "" : "s"} of ${wl} still serve.`
          : `${wl} has no ready pod.`,
    );
    if (origin.from) parts.push(helmVerdict(origin.from.rel));

    const remediations: Remediation[] = [];
    if (good && introduced && latest)
      remediations.push({
        action: "rollback",
        revision: good.version,
        summary: `Roll back to revision ${good.version}, before revision ${introduced.rel.version} introduced the refused change (writes revision ${latest.version + 1}).`,
        resources: [{ kind: w.kind, name: w.name, namespace: ns }],
      });
    const where = origin.from?.source ?? origin.introduced?.source ?? `the ${w.kind} template`;
    switch (cause.kind) {
      case "service-account":
        remediations.push({
          action: "manual",
          summary: saSource
            ? `Create ServiceAccount ${cause.serviceAccount} (kubectl create serviceaccount -n ${ns} ${cause.serviceAccount}) or restore it from the release; the controller retries on its own.`
            : `Create ServiceAccount ${cause.serviceAccount} or let the chart create it (commonly serviceAccount.create=true), or fix serviceAccountName in ${where}.`,
        });
        break;
      case "quota":
      case "limit-range":
        remediations.push({
          action: "manual",
          summary: `kubectl describe resourcequota,limitrange -n ${ns}; raise the quota/limit range, or lower the requests and limits set in ${where} (or its values).`,
        });
        break;
      case "pod-security":
        remediations.push({
          action: "chart-fix",
          summary: `In ${where}: make the pod comply (securityContext: runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities.drop: [ALL], seccompProfile.type: RuntimeDefault; no hostPath/hostNetwork). Relabelling the namespace (pod-security.kubernetes.io/enforce) works too but weakens it.`,
        });
        break;
      case "webhook":
        remediations.push({
          action: "manual",
          summary: `Read the webhook's reason in the event and change the pod template in ${where} to satisfy that policy, or ask the policy's owners for an exception.`,
        });
        break;
      default:
        remediations.push({ action: "manual", summary: `Fix what the API server refuses: ${last.message}` });
    }

    const about = [kindKey(w.kind, ns, w.name), kindKey(c.kind ?? "", ns, cName)];
    if (cause.serviceAccount) about.push(kindKey("ServiceAccount", ns, cause.serviceAccount));
    const resources: ResourceRef[] = [
      { kind: w.kind, name: w.name, namespace: ns },
      ...(c === w.live ? [] : [{ kind: c.kind ?? "", name: cName, namespace: ns }]),
      ...(cause.serviceAccount
        ? [{ kind: "ServiceAccount", name: cause.serviceAccount, namespace: ns }]
        : []),
    ];
    const revs = introduced
      ? [...(good ? [good.version] : []), introduced.rel.version]
      : origin.from
        ? [origin.from.rel.version]
        : latest
          ? [latest.version]
          : [];
    const f: Finding = {
      code: "pod-create-forbidden",
      severity: "critical",
      role: "symptom",
      title: `${wl} cannot create pods: ${cause.short}${introduced ? ` (since revision ${introduced.rel.version})` : ""}`,
      explanation: parts.join(" "),
      resources,
      revisions: revs,
      evidence,
      remediations,
      about,
    };
    if (isNewRs) f.explains = [rolloutKey(ns, w.name)];
    out.push(f);
  }
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    return releaseWorkloads(ix).flatMap((w) => analyze(ix, w));
  },
};

export default analyzer;
