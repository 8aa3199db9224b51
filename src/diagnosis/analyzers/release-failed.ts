// The latest revision is failed, pending, uninstalling or uninstalled: whatever else is found, the report says
// what Helm recorded, in Helm's words. A finding that explains why this revision is in that state lists the
// revision's key in `explains`, and this finding then becomes its evidence; when nothing does, this is the
// finding: Helm's error, classified, where the operation stopped, and where to look.
import { kindKey } from "../../helm/keys.js";
import { isPending, type Release } from "../../helm/types.js";
import type { KubeObject, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyHelmError, type HelmError, stripPrefix } from "../helm-errors.js";
import {
  descriptionOf,
  lastGoodBefore,
  oneLine,
  operationOf,
  outputFailure,
  outputKey,
  type Progress,
  progressOf,
  recordFor,
  revisionEvidence,
  revisionKey,
} from "../history.js";
import type { Evidence, Finding, Remediation, Severity } from "../types.js";
import { WORKLOAD_KINDS } from "../workloads.js";

const PROGRESS: Record<Progress, string> = {
  complete: "",
  "before-update":
    "It stopped before applying the manifest, so the cluster still runs the previous revision's objects.",
  "in-update":
    "It stopped while applying the manifest: objects before the failing one may already be created or changed, nothing was deleted, and the cluster is partly on this revision.",
  "after-update":
    "The manifest was applied (and objects that left the chart deleted); it stopped while waiting for the resources to become ready, or in the post hooks.",
  unknown: "The record does not say how far it got.",
};

/** What each kind of error means, and what to do about it, when no more specific analyzer took it. */
function hint(e: HelmError): string {
  const o = e.object ? `${e.object.kind} ${e.object.name}` : "an object";
  switch (e.kind) {
    case "rbac":
      return `Helm's own credentials were refused (${e.by ?? "RBAC"}): grant that permission to the identity that runs helm, then upgrade again.`;
    case "invalid":
      return `The API server rejected ${o} as invalid${e.fields?.length ? ` (${e.fields.join(", ")})` : ""}: fix the template or values that render it.`;
    case "already-exists":
      return `${o} already exists, and Helm creates it rather than adopting it: find out who created it (\`kubectl get ${(e.object?.kind ?? "<kind>").toLowerCase()} ${e.object?.name ?? "<name>"} -o yaml\`) before deleting it.`;
    case "timeout":
      return "Helm waited for the release's resources (--wait, --atomic or a hook) and gave up: find the resource that never became ready.";
    case "render":
      if (/values don't meet the specifications of the schema/.test(e.text)) {
        // Helm validates the values against the chart's values.schema.json before it renders anything.
        const bad = [...e.text.matchAll(/^\s*- ([^:\n]+): ([^\n]+)$/gm)].map(
          (m) => `${m[1]!.trim()} (${m[2]!.trim().replace(/\.\s*/g, ", ").replace(/,\s*$/, "")})`,
        );
        return `The values break the chart's values.schema.json${bad.length ? `: ${bad.slice(0, 4).join("; ")}` : ""}. Fix the value${bad.length === 1 ? "" : "s"} (--set, -f values file) and run the command again; \`helm lint --values <file>\` checks them without the cluster.`;
      }
      return "The chart did not render with these values: run `helm template` with the same values to see the error with its line.";
    case "kind-missing":
      return `The API server does not serve ${e.missingKind ? `kind ${e.missingKind.kind} in version ${e.missingKind.apiVersion}` : "a kind the chart uses"}: its CustomResourceDefinition is not installed, or that version was removed. Helm installs a chart's crds/ directory on first install only and never upgrades it: apply the CRDs first (\`kubectl apply --server-side -f <chart>/crds/\`), and check \`kubectl api-resources\`.`;
    case "pending-lock":
      return "Another operation holds the release's lock (a pending revision): find out whether it is still running; a stuck one is cleared with `helm rollback` to the last good revision.";
    case "no-deployed":
      return "There is no revision to upgrade from: check the namespace, the kube context and HELM_DRIVER (`helm list -A -a`); `helm upgrade --install` installs when nothing is there.";
    case "ownership":
    case "not-in-original":
      return `${o} exists in the cluster without this release's ownership metadata: find out who created it (\`kubectl get ${(e.object?.kind ?? "<kind>").toLowerCase()} ${e.object?.name ?? "<name>"} -o yaml\`) before adopting or deleting it.`;
    case "too-large":
      return "The release record is larger than the API server accepts (1 MiB for a Secret): keep big files out of the chart (.helmignore) or use the SQL storage driver.";
    default:
      if (/unable to build kubernetes objects/.test(e.text)) {
        // Built (and validated against the API's schema) before anything is applied: nothing changed in the cluster.
        const v =
          /ValidationError\(([^)]+)\): (unknown field "[^"]+"|missing required field "[^"]+"|[^\n;]+)/.exec(
            e.text,
          );
        return v
          ? `Helm could not build the chart's objects, so nothing was applied: ${v[1]} — ${v[2]}. Fix that field in the template that renders it (\`helm template\` shows the rendered object), then run the command again.`
          : "Helm could not build the chart's objects from the rendered manifest, so nothing was applied: the error names the object and field; fix the template that renders it (`helm template` shows the rendered object).";
      }
      return "Run the same helm command again with --debug: it logs each object as Helm applies it, so the last one before the error is the one that failed.";
  }
}

/** Workloads of `rel`'s manifest that are not ready now, for a wait that timed out. */
function unready(ix: SnapshotIndex, rel: Release): string[] {
  const out: string[] = [];
  for (const d of ix.manifest(rel)) {
    if (!WORKLOAD_KINDS.has(d.kind) || d.kind === "Pod" || d.kind === "ReplicaSet") continue;
    const live = ix.get(d.kind, d.namespace, d.name);
    if (!live) {
      out.push(`${d.kind} ${d.name} does not exist`);
      continue;
    }
    const st = live.status ?? {};
    if (d.kind === "Job") {
      // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
      const done = (st.conditions ?? []).some((c: any) => c.type === "Complete" && c.status === "True");
      if (!done) out.push(`Job ${d.name} has not completed`);
      continue;
    }
    const want = d.kind === "DaemonSet" ? st.desiredNumberScheduled : (live.spec?.replicas ?? 1);
    const ready = d.kind === "DaemonSet" ? st.numberReady : st.readyReplicas;
    if (typeof want === "number" && (ready ?? 0) < want)
      out.push(`${d.kind} ${d.name}: ${ready ?? 0} of ${want} ready`);
  }
  return out;
}

function liveLine(o: KubeObject | undefined, e: HelmError, ns: string): Evidence | undefined {
  if (!e.object) return undefined;
  const what = `${e.object.kind} ${e.object.namespace ? `${e.object.namespace}/` : ""}${e.object.name}`;
  if (!o) return { source: "live cluster", detail: `${what} does not exist` };
  const a = o.metadata?.annotations ?? {};
  const ownerNs = a["meta.helm.sh/release-namespace"];
  // A release of another namespace is named with it (the same name there is another release).
  const owner = a["meta.helm.sh/release-name"]
    ? `${ownerNs && ownerNs !== ns ? `${ownerNs}/` : ""}${a["meta.helm.sh/release-name"]}`
    : undefined;
  return {
    source: "live cluster",
    detail: `${what} exists (created ${o.metadata?.creationTimestamp ?? "at an unknown time"})${owner ? `, owned by release ${owner}` : ", with no Helm ownership"}`,
  };
}

/**
 * The failure a helm command printed without storing a revision: Helm checks ownership, renders the chart,
 * validates values and builds the objects before it creates the new record (pkg/action/upgrade.go, install.go).
 */
function outputFinding(ix: SnapshotIndex): Finding | undefined {
  const out = outputFailure(ix);
  if (!out || out.recorded) return undefined;
  const ns = ix.namespace;
  const name = ix.snapshot.release;
  const latest = ix.latest();
  const first = out.errors[0]!;
  if (first.kind === "pending-lock" && latest && !isPending(latest.info.status))
    return lockReleased(ix, out.op, first, latest);
  const cause = oneLine(stripPrefix(first.text), 140);
  const evidence: Evidence[] = out.errors.map((e) => ({ source: "helm output", detail: e.text }));
  for (const e of out.errors) {
    if (!e.object) continue;
    const l = liveLine(ix.get(e.object.kind, e.object.namespace ?? ns, e.object.name), e, ns);
    if (l) evidence.push(l);
  }
  if (latest) evidence.push(revisionEvidence(latest));
  const stored = latest
    ? `\`helm history\` still ends at revision ${latest.version} (${latest.info.status}), so this failure exists only in the command's output`
    : "no revision was stored at all, so this failure exists only in the command's output";
  return {
    code: "release-failed",
    severity: "critical",
    role: "symptom",
    title: `The helm ${out.op} of ${name} failed before it stored a revision: ${cause}`,
    explanation:
      `Helm checks ownership, renders the chart, validates the values and builds the objects before it stores a new revision; the ${out.op} stopped there. ${stored}: "${oneLine(out.text, 400)}". ` +
      `Nothing in the cluster changed. ${out.errors.map(hint).join(" ")}`,
    resources: out.errors
      .filter((e) => e.object)
      .map((e) => ({ kind: e.object!.kind, name: e.object!.name, namespace: e.object!.namespace ?? ns })),
    revisions: latest ? [latest.version] : [],
    evidence,
    remediations: [{ action: "manual", summary: hint(first) }],
    about: [
      outputKey(ix),
      ...out.errors
        .filter((e) => e.object)
        .map((e) => kindKey(e.object!.kind, e.object!.namespace ?? ns, e.object!.name)),
    ],
    lends: "warning",
  };
}

/**
 * "another operation … is in progress" while no revision is pending now: Helm refuses only while the latest
 * record is pending (pkg/action/upgrade.go prepareUpgrade returns errPending when Last() is pending), so the
 * operation that held the lock has finished since — the command collided with it and only needs running again.
 */
function lockReleased(ix: SnapshotIndex, op: string, e: HelmError, latest: Release): Finding {
  const name = ix.snapshot.release;
  const ns = ix.namespace;
  const rec = recordFor(ix, latest);
  const at = rec?.creationTimestamp ?? latest.info.last_deployed;
  return {
    code: "release-failed",
    severity: "warning",
    role: "symptom",
    title: `The helm ${op} of ${name} collided with another operation that has finished since: revision ${latest.version} is ${latest.info.status} now`,
    explanation:
      `Helm refuses an operation while the release's latest revision is pending — its lock — and prints "another operation (install/upgrade/rollback) is in progress"; it stored nothing for this ${op}. ` +
      `No revision is pending now: the latest is revision ${latest.version} (${latest.info.status}${at ? `, written ${at}` : ""}), so the operation that held the lock (another pipeline, a colleague, a GitOps controller) finished after your command was refused. Nothing is stuck and nothing needs clearing: run the ${op} again — and check first that it does not undo what revision ${latest.version} deployed.`,
    resources: [],
    revisions: [latest.version],
    evidence: [{ source: "helm output", detail: e.text }, revisionEvidence(latest)],
    remediations: [
      {
        action: "manual",
        summary: `Run the ${op} again: no revision holds the lock now (\`helm history ${name} -n ${ns}\` ends at revision ${latest.version}, ${latest.info.status}).`,
      },
    ],
    about: [outputKey(ix)],
    lends: "warning",
  };
}

const analyzer: Analyzer = {
  run(ix) {
    const fromOutput = outputFinding(ix);
    return [...latestFinding(ix), ...(fromOutput ? [fromOutput] : [])];
  },
};

function latestFinding(ix: SnapshotIndex): Finding[] {
  {
    const rel = ix.latest();
    if (!rel) return [];
    const status = rel.info.status;
    const failed = status === "failed";
    if (!(failed || isPending(status) || status === "uninstalling" || status === "uninstalled")) return [];
    const n = rel.version;
    const name = rel.name || ix.snapshot.release;
    const ns = rel.namespace || ix.namespace;
    const desc = descriptionOf(rel);
    const op = operationOf(ix, rel);
    const progress = progressOf(ix, rel);
    const errors = failed ? classifyHelmError(rel.info.description) : [];
    const evidence: Evidence[] = [revisionEvidence(rel)];
    for (const e of errors) {
      if (errors.length > 1) evidence.push({ source: "Helm's error", detail: e.text });
      const live = e.object ? ix.get(e.object.kind, e.object.namespace ?? ns, e.object.name) : undefined;
      const l = liveLine(live, e, ix.namespace);
      if (l) evidence.push(l);
    }
    const timedOut = errors.some((e) => e.kind === "timeout");
    if (timedOut) {
      const u = unready(ix, rel);
      evidence.push({
        source: `revision ${n} workloads`,
        detail: u.length
          ? `not ready now: ${u.slice(0, 6).join("; ")}${u.length > 6 ? "; …" : ""}`
          : "all are ready now: they became ready after Helm stopped waiting (a --timeout too short for them)",
      });
    }

    const good = lastGoodBefore(ix, n);
    const severity: Severity = failed || status === "uninstalling" ? "critical" : "warning";
    const first = errors[0];
    const cause = first ? oneLine(stripPrefix(first.text), 140) : oneLine(desc, 140);
    let title: string;
    if (failed)
      title =
        op === "install"
          ? `The install of ${name} (revision ${n}) failed: ${cause}`
          : op === "rollback"
            ? `The rollback recorded as revision ${n} failed: ${cause}`
            : `The upgrade to revision ${n} failed: ${cause}`;
    else title = `Revision ${n} is ${status}: "${oneLine(desc, 100)}"`;

    const parts: string[] = [`Helm recorded revision ${n} as ${status}: "${desc}".`];
    if (failed) {
      parts.push(PROGRESS[progress]);
      if (good && op !== "install")
        parts.push(
          `Revision ${good.version} (${good.info.status}) is the last revision Helm deployed successfully.`,
        );
      for (const e of errors) parts.push(hint(e));
      if (errors.length === 0) parts.push(hint({ kind: "unknown", text: desc }));
    } else if (isPending(status)) {
      parts.push(
        `A pending revision is Helm's lock: until it is finished or cleared, every \`helm upgrade\` of ${name} fails with "another operation (install/upgrade/rollback) is in progress".`,
      );
    } else if (status === "uninstalling") {
      parts.push(
        `An uninstall started and did not finish: \`helm upgrade\` now fails with "has no deployed releases". Run \`helm uninstall ${name} -n ${ns}\` again once its pre-delete hooks can run.`,
      );
    } else {
      parts.push(
        `The release was uninstalled with its history kept: \`helm upgrade\` fails with "has no deployed releases"; \`helm upgrade --install\` installs it again.`,
      );
    }

    const remediations: Remediation[] = [];
    if (failed) {
      remediations.push({
        action: "manual",
        summary: errors.length ? hint(errors[0]!) : hint({ kind: "unknown", text: desc }),
      });
      if (good && op !== "install")
        remediations.push({
          action: "rollback",
          revision: good.version,
          summary: `Roll back to revision ${good.version}, the last successful revision (writes revision ${n + 1}): the cluster returns to its objects and the release to a deployed state while you fix the cause.`,
        });
    }
    const finding: Finding = {
      code: "release-failed",
      severity,
      role: "symptom",
      title,
      explanation: parts.filter(Boolean).join(" "),
      resources: errors
        .filter((e) => e.object)
        .map((e) => ({ kind: e.object!.kind, name: e.object!.name, namespace: e.object!.namespace ?? ns })),
      revisions: good && good.version !== n ? [good.version, n] : [n],
      evidence,
      remediations,
      about: [revisionKey(ix, n)],
      // Folded into the finding that explains the failure, it only makes sure the report says at least "warning":
      // that finding judges how bad it is (a failed upgrade whose cause is since fixed needs only a retry).
      lends: "warning",
    };
    // Objects Helm's error names: a finding about them explains the failure too.
    for (const e of errors)
      if (e.object) finding.about!.push(kindKey(e.object.kind, e.object.namespace ?? ns, e.object.name));
    return [finding];
  }
}

export default analyzer;
