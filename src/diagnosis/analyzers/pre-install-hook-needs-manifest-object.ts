// A pre-install hook Job/Pod uses a ServiceAccount, ConfigMap, Secret or PVC that only the release
// manifest creates. Pre-install hooks run before any manifest object exists and Helm resolves no
// dependencies, so the hook cannot start (FailedCreate "error looking up service account", FailedMount,
// CreateContainerConfigError, FailedScheduling) and the install times out. Upgrades work; fresh installs fail.
import { hooksFor } from "../../helm/hooks.js";
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import type { Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { absentEvidence, failureKeys, gapFor, revisionEvidence } from "../history.js";
import {
  type Dependency,
  eventEvidence,
  eventNamesMissing,
  hookDependencies,
  hookEvidence,
  hookKey,
  hookNamespace,
  hookPods,
  hookRef,
  liveHook,
  liveHookEvidence,
  podKeys,
  podsEvidence,
  usesEvidence,
} from "../hook-helpers.js";
import type { Evidence, Finding, Remediation } from "../types.js";

/** Is this the install of the release (revision 1, or a reinstall over uninstalled history)? */
function isInstall(ix: SnapshotIndex, rel: Release): boolean {
  const s = rel.info.status;
  if (s === "pending-install") return true;
  if (s !== "failed") return false;
  const d = rel.info.description ?? "";
  if (/failed pre-install/.test(d)) return true;
  const prev = ix.previous(rel);
  return (!prev || prev.info.status === "uninstalled") && !/^Upgrade "/.test(d);
}

const WHAT_FAILS: Record<Dependency["kind"], string> = {
  ServiceAccount:
    "the job controller cannot create its pods (FailedCreate: error looking up service account)",
  ConfigMap: "its pods cannot start (FailedMount or CreateContainerConfigError: configmap not found)",
  Secret: "its pods cannot start (FailedMount or CreateContainerConfigError: secret not found)",
  PersistentVolumeClaim: "its pods cannot be scheduled (persistentvolumeclaim not found)",
};

const analyzer: Analyzer = {
  run(ix) {
    const rel = ix.latest();
    if (!rel || !isInstall(ix, rel)) return [];
    const manifest = ix.manifest(rel);
    const order = hooksFor(rel.hooks, "pre-install");
    const out: Finding[] = [];
    for (const hook of order) {
      const ns = hookNamespace(ix, rel, hook);
      const deps = hookDependencies(hook).filter((d) => {
        const doc = manifest.find((m) => m.kind === d.kind && m.name === d.name && m.namespace === ns);
        if (!doc) return false;
        // A pre-install hook of the same event creates it (earlier: fine; later: hook-order-dependency).
        if (order.some((h) => h.kind === d.kind && h.name === d.name)) return false;
        // Present anyway (pre-created, or left from an earlier install): the hook can use it.
        return !ix.get(d.kind, ns, d.name);
      });
      if (deps.length === 0) continue;
      const live = liveHook(ix, rel, hook);
      const pods = hookPods(ix, live);
      const neverRan = !hook.last_run?.phase;
      const gap = gapFor(ix, ...deps.map((d) => d.kind), ...deps.map((d) => `${d.kind.toLowerCase()}s`));
      const names = deps.map((d) => `${d.kind} ${d.name}`).join(" and ");
      const depRefs: ResourceRef[] = deps.map((d) => ({ kind: d.kind, name: d.name, namespace: ns }));

      const evidence: Evidence[] = [revisionEvidence(rel), hookEvidence(rel, hook)];
      for (const d of deps) {
        const doc = manifest.find((m) => m.kind === d.kind && m.name === d.name)!;
        evidence.push({
          source: `revision ${rel.version} manifest`,
          detail: `${d.kind} ${d.name} is a regular resource${doc.source ? ` (${doc.source})` : ""}: Helm creates it only after every pre-install hook has succeeded; no pre-install hook creates it`,
        });
        evidence.push(usesEvidence(hook, d));
        evidence.push(absentEvidence(d.kind, ns, d.name, gap));
      }
      if (live) {
        evidence.push(liveHookEvidence(ix, live));
        evidence.push(...eventEvidence(ix, live, { max: 3, first: (e) => eventNamesMissing(e, deps) }));
        if (pods.length === 0 && live.kind === "Job")
          evidence.push({ source: "live cluster", detail: `Job ${hook.name} has no pods` });
        evidence.push(...podsEvidence(ix, pods));
      } else if (!neverRan) {
        evidence.push({
          source: "live cluster",
          detail: `${hook.kind} ${ns}/${hook.name} does not exist (deleted by its delete policy or by hand), so its events are gone too`,
        });
      }

      const plural = deps.length > 1;
      const waited =
        rel.info.status === "pending-install"
          ? `Revision ${rel.version} is still pending-install${hook.last_run?.phase === "Running" ? ` with ${hook.name} Running` : ""}: Helm is waiting for the ${hook.kind} until its --timeout, or died waiting`
          : `Helm waited for the ${hook.kind} until it failed or its --timeout ran out, and marked revision ${rel.version} failed`;
      const explanation =
        `Installing revision ${rel.version}, Helm runs the pre-install hooks first, one by one, and only then creates the chart's regular resources. ` +
        `The pre-install hook ${hook.kind} ${hook.name} (${hook.path}) uses ${names}, which ${plural ? "are regular resources" : "is a regular resource"} of the manifest, not ${plural ? "hooks" : "a hook"}. ` +
        (neverRan
          ? `The hook has not run yet (an earlier hook stopped the phase), but when it does, ${deps.map((d) => WHAT_FAILS[d.kind]).join("; ")}. `
          : `So when Helm created ${hook.name}, ${names} did not exist yet: ${deps.map((d) => WHAT_FAILS[d.kind]).join("; ")}. ` +
            `${waited}. The manifest — including ${names} — is never applied while the hook is stuck, so the hook cannot succeed on its own. `) +
        `This only bites fresh installs: on upgrades the object already exists.`;

      const remediations: Remediation[] = [];
      const adopt = deps
        .map((d) =>
          d.kind === "ServiceAccount"
            ? `\`kubectl -n ${ns} create serviceaccount ${d.name}\``
            : `create ${d.kind} ${d.name} from its document in \`helm get manifest ${rel.name} -n ${rel.namespace} --revision ${rel.version}\``,
        )
        .join(" and ");
      const label = deps.map((d) => `${d.kind.toLowerCase()}/${d.name}`).join(" ");
      remediations.push({
        action: "manual",
        summary:
          `Unblock this install: ${adopt}, then give ${deps.length > 1 ? "them" : "it"} Helm's ownership metadata so Helm adopts ${deps.length > 1 ? "them" : "it"} instead of failing: ` +
          `\`kubectl -n ${ns} label ${label} app.kubernetes.io/managed-by=Helm\` and \`kubectl -n ${ns} annotate ${label} meta.helm.sh/release-name=${rel.name} meta.helm.sh/release-namespace=${rel.namespace}\`. ` +
          (rel.info.status === "pending-install"
            ? `If Helm is still waiting, the ${hook.kind} then starts and the install can finish; otherwise install again.`
            : `Then install again (\`helm uninstall ${rel.name} -n ${rel.namespace}\` and \`helm install\`, or \`helm upgrade --install\`, which upgrades the failed revision ${rel.version} and runs pre-upgrade rather than pre-install hooks).`),
        resources: [...depRefs, hookRef(ix, rel, hook)],
      });
      const depPaths = deps
        .map((d) => manifest.find((m) => m.kind === d.kind && m.name === d.name)?.source)
        .filter(Boolean)
        .join(", ");
      remediations.push({
        action: "chart-fix",
        summary:
          `Give the hook what it needs before it runs: ${depPaths ? `in ${depPaths}, ` : ""}add a hook copy of ${names} for ${hook.name} ` +
          `(under another name, annotated \`helm.sh/hook: pre-install,pre-upgrade\`, \`helm.sh/hook-weight: "${(hook.weight ?? 0) - 10}"\` — lower than the Job's ${hook.weight ?? 0} — and \`helm.sh/hook-delete-policy: before-hook-creation\`), keeping the regular resource for the workloads; ` +
          `or, in ${hook.path}, drop or \`lookup\`-guard the reference, or run the work as a post-install hook or an initContainer instead.`,
      });

      const jobKey = hookKey(ix, rel, hook);
      out.push({
        code: "pre-install-hook-needs-manifest-object",
        severity: neverRan ? "warning" : "critical",
        role: "root",
        title: `Pre-install hook ${hook.kind} ${hook.name} needs ${names}, which only the release manifest creates — the install cannot finish`,
        explanation,
        resources: [...depRefs, hookRef(ix, rel, hook)],
        revisions: [rel.version],
        evidence,
        remediations,
        explains: [
          jobKey,
          ...podKeys(ix, pods),
          ...deps.map((d) => kindKey(d.kind, ns, d.name)),
          ...failureKeys(ix, rel),
        ],
      });
    }
    return out;
  },
};

export default analyzer;
