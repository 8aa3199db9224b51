// A Job that is a regular manifest resource (not a hook) and whose pod template changes between
// revisions. A Job's spec.template is immutable, and Helm patches manifest objects, so the upgrade fails:
// `cannot patch "x" with kind Job: Job.batch "x" is invalid: spec.template: Invalid value: …: field is immutable`.
// Helm's Update keeps going after a failed patch, so every other object is already at the new revision while
// the release says "failed", and nothing that left the chart was deleted.
//
// Severity: critical when the failure is recorded and the old Job is still there; a warning when it is recorded
// but the Job has since gone (a retry will pass), or when it is predicted (the revision is pending, or failed
// before Helm reached the apply step).
import { kindKey } from "../../helm/keys.js";
import type { Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { absentEvidence, baseOf, failureKeys, recentAttempts } from "../history.js";
import { canonical, describeChanges } from "../pod-analyzer.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { ago } from "../workloads.js";

const PATCH_FAILED = /cannot patch "([^"]+)" with kind Job/;
const INVALID = /Job\.batch "([^"]+)" is invalid: ([^:]+):.*field is immutable/;

function jobState(job: {
  status?: { conditions?: { type: string; status: string }[]; active?: number };
}): string {
  const c = (job.status?.conditions ?? []).find(
    (x) => x.status === "True" && (x.type === "Complete" || x.type === "Failed"),
  );
  if (c) return c.type === "Complete" ? "Complete" : "Failed";
  return job.status?.active ? "running" : "not finished";
}

function analyzeAttempt(ix: SnapshotIndex, r: Release, seen: Set<string>): Finding[] {
  const out: Finding[] = [];
  const base = baseOf(ix, r);
  if (!base) return out;
  const desc = r.info.description ?? "";
  const namedJobs = new Set<string>();
  for (const re of [PATCH_FAILED, INVALID]) {
    const g = new RegExp(re.source, "g");
    for (const m of desc.matchAll(g)) if (/field is immutable/.test(desc)) namedJobs.add(m[1]!);
  }
  const latest = ix.latest()!;
  const notApplied =
    r.info.status.startsWith("pending-") ||
    (r.info.status === "failed" && /pre-(upgrade|rollback)|failed pre-/.test(desc));
  for (const doc of ix.manifest(r)) {
    if (doc.kind !== "Job" || seen.has(doc.key)) continue;
    const old = ix.manifest(base).find((d) => d.key === doc.key);
    // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
    const before = (old?.object as any)?.spec?.template;
    // biome-ignore lint/suspicious/noExplicitAny: raw API shapes
    const after = (doc.object as any)?.spec?.template;
    const changed = !!old && canonical(before) !== canonical(after);
    const confirmed = namedJobs.has(doc.name);
    const live = ix.get("Job", doc.namespace, doc.name);
    if (!confirmed && !(r === latest && notApplied && changed && live)) continue;
    seen.add(doc.key);
    const field = INVALID.exec(desc)?.[2] ?? "spec.template";
    const changes = changed ? describeChanges(before, after) : [];
    const readGap = ix.snapshot.gaps.find((g) => /job/i.test(g.what));

    const evidence: Evidence[] = [
      {
        source: `revision ${r.version} manifest`,
        detail: `Job ${doc.name} is a regular release resource${doc.source ? ` (${doc.source})` : ""}, not a hook`,
      },
    ];
    if (old)
      evidence.push({
        source: `revision ${base.version} → ${r.version}`,
        detail: changed
          ? `the Job's pod template changed: ${changes.map((c) => c.text).join("; ") || "fields helm-doctor does not itemise"}`
          : "the Job's pod template is the same; another immutable field changed",
      });
    if (live) {
      const age = ix.ageMs(live.metadata?.creationTimestamp);
      evidence.push({
        source: "live cluster",
        detail: `Job ${doc.namespace}/${doc.name} exists (${jobState(live)}, created ${ago(age)})${live.spec?.ttlSecondsAfterFinished !== undefined ? `, ttlSecondsAfterFinished ${live.spec.ttlSecondsAfterFinished}` : ""}`,
      });
    } else evidence.push(absentEvidence("Job", doc.namespace, doc.name, readGap, " (any more)"));
    if (desc) evidence.push({ source: `revision ${r.version} description`, detail: desc });

    const severity: Finding["severity"] = confirmed && live && !readGap ? "critical" : "warning";
    const parts = [
      `Job ${doc.name} is a regular resource of the chart${doc.source ? ` (${doc.source})` : ""}, not a hook, so Helm treats it like a Deployment: on upgrade it patches the live Job to the new spec.`,
      changed
        ? `Revision ${r.version} renders a different pod template than revision ${base.version} (${changes.map((c) => c.text).join("; ") || "see the manifests"}).`
        : `Revision ${r.version} changes an immutable field of it (${field}).`,
      `A Job's ${field} cannot be changed once it exists, so the API server rejects the patch${confirmed ? "" : " — and will, when this revision is applied"}.`,
    ];
    if (confirmed)
      parts.push(
        `Helm applied every other object of revision ${r.version} anyway (its update continues past a failed patch), then stopped before deleting objects that left the chart and marked revision ${r.version} failed: the cluster now runs revision ${r.version}'s workloads with revision ${base.version}'s Job, and the release history says ${base.version} is current.`,
      );
    if (confirmed && !live)
      parts.push(`The Job has since been deleted, so running the upgrade again creates it and passes.`);

    const remediations: Remediation[] = [];
    if (live)
      remediations.push({
        action: "manual",
        summary: `Delete the finished Job, then run the same helm upgrade again (it creates the Job from revision ${r.version}'s template): kubectl -n ${doc.namespace} delete job ${doc.name}. Save its logs first if you need them (kubectl logs job/${doc.name}).`,
        resources: [{ kind: "Job", name: doc.name, namespace: doc.namespace }],
      });
    else
      remediations.push({
        action: "manual",
        summary: `Run the same helm upgrade again (revision ${r.version}'s chart and values): the Job no longer exists, so Helm creates it.`,
      });
    if (confirmed && (base.info.status === "deployed" || base.info.status === "superseded"))
      remediations.push({
        action: "rollback",
        revision: base.version,
        summary: `Or return everything else to revision ${base.version} too: roll back to revision ${base.version} (writes revision ${latest.version + 1}); the Job already has that template.`,
      });
    remediations.push({
      action: "chart-fix",
      summary: `In ${doc.source ?? "the Job's template"}: make the Job a hook (helm.sh/hook: pre-upgrade,pre-install or post-*, helm.sh/hook-delete-policy: before-hook-creation) so Helm recreates it instead of patching it; or put the revision or a checksum of its inputs in its name (${doc.name}-{{ .Release.Revision }}); or set ttlSecondsAfterFinished so the finished Job is gone before the next upgrade.`,
    });

    out.push({
      code: "immutable-job-in-manifest",
      severity,
      role: "root",
      title: confirmed
        ? `Job ${doc.name} is a regular resource whose pod template changed in revision ${r.version}: the upgrade fails with "field is immutable"`
        : `Job ${doc.name} is a regular resource whose pod template changes in revision ${r.version}: the upgrade will fail with "field is immutable"`,
      explanation: parts.join(" "),
      resources: [{ kind: "Job", name: doc.name, namespace: doc.namespace }],
      revisions: [...new Set([base.version, r.version])].sort((a, b) => a - b),
      evidence,
      remediations,
      explains: [kindKey("Job", doc.namespace, doc.name), ...failureKeys(ix, r)],
    });
  }
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    const seen = new Set<string>();
    return recentAttempts(ix).flatMap((r) => analyzeAttempt(ix, r, seen));
  },
};

export default analyzer;
