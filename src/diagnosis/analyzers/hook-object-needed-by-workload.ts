// A ConfigMap, Secret, ServiceAccount or PVC that is a hook (usually so a migration Job can use it) while
// the release's workloads use it too.
//  - With `hook-succeeded`, Helm deletes it as soon as its hook phase succeeds: new or restarted pods of the
//    workloads then fail (CreateContainerConfigError, FailedMount, FailedCreate for a ServiceAccount).
//    Critical while it is missing; a warning when it exists now (restored by hand), since the next hook run
//    deletes it again.
//  - With `before-hook-creation` (the default) on an upgrade/rollback event, Helm deletes and recreates it on
//    every upgrade: generated values (randAlphaNum passwords) change under running pods, a PVC loses its data.
//    A warning.
// Objects that were regular resources in the previous revision and vanished in the transition are
// resource-moved-into-hook's, not this analyzer's.

import { effectiveDeletePolicies } from "../../helm/hooks.js";
import { kindKey, type ResourceRef } from "../../helm/keys.js";
import { parseYamlObject } from "../../helm/manifest.js";
import type { Hook, Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { absentEvidence } from "../history.js";
import { hookFacts, lastRun } from "../hook-helpers.js";
import { isPodReady } from "../pod-analyzer.js";
import { classifyPod } from "../pods.js";
import { podsSaying } from "../signals.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { ago, podSpecOf, type ReleaseWorkload, specUses, workloadsOf } from "../workloads.js";

const SHARED_KINDS = new Set(["ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim"]);
const RECURRING = ["pre-upgrade", "post-upgrade", "pre-rollback", "post-rollback"];
const RANDOM =
  /\b(randAlphaNum|randAlpha|randNumeric|randAscii|randBytes|uuidv4|genPrivateKey|genCA|genSelfSignedCert|genSignedCert|derivePassword)\b/;

// biome-ignore lint/suspicious/noExplicitAny: raw API shapes
type Any = any;

/** How a pod spec uses the object, e.g. "env DB_PASSWORD (key password)", "volume config". */
function usages(spec: Any, kind: string, name: string): string[] {
  const out: string[] = [];
  if (!spec) return out;
  if (kind === "ServiceAccount" && (spec.serviceAccountName ?? spec.serviceAccount) === name)
    out.push("serviceAccountName");
  for (const v of spec.volumes ?? []) {
    if (kind === "ConfigMap" && v.configMap?.name === name) out.push(`volume ${v.name}`);
    if (kind === "Secret" && v.secret?.secretName === name) out.push(`volume ${v.name}`);
    if (kind === "PersistentVolumeClaim" && v.persistentVolumeClaim?.claimName === name)
      out.push(`volume ${v.name}`);
    for (const s of v.projected?.sources ?? []) {
      if (kind === "ConfigMap" && s.configMap?.name === name) out.push(`projected volume ${v.name}`);
      if (kind === "Secret" && s.secret?.name === name) out.push(`projected volume ${v.name}`);
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const ef of c.envFrom ?? []) {
      if (
        (kind === "ConfigMap" && ef.configMapRef?.name === name) ||
        (kind === "Secret" && ef.secretRef?.name === name)
      )
        out.push(`envFrom in container ${c.name}`);
    }
    for (const e of c.env ?? []) {
      const ref =
        kind === "ConfigMap"
          ? e.valueFrom?.configMapKeyRef
          : kind === "Secret"
            ? e.valueFrom?.secretKeyRef
            : undefined;
      if (ref?.name === name) out.push(`env ${e.name} of container ${c.name} (key ${ref.key})`);
    }
  }
  if (kind === "Secret" && (spec.imagePullSecrets ?? []).some((s: Any) => s.name === name))
    out.push("imagePullSecrets");
  return out;
}

function chartTemplate(rel: Release, hookPath: string): string | undefined {
  const prefix = `${rel.chart?.metadata?.name ?? ""}/`;
  const name = hookPath.startsWith(prefix) ? hookPath.slice(prefix.length) : hookPath;
  const t = (rel.chart?.templates ?? []).find((x) => x.name === name);
  if (!t) return undefined;
  try {
    return Buffer.from(t.data, "base64").toString("utf8");
  } catch {
    return undefined;
  }
}

/** Did revision `r` get as far as Helm's Update step, where a transition deletes old manifest objects? */
function reachedUpdate(r: Release): boolean {
  const s = r.info.status;
  if (s === "deployed" || s === "superseded") return true;
  const d = r.info.description ?? "";
  return (
    s === "failed" &&
    /post-(upgrade|rollback)|timed out|context deadline|not ready/.test(d) &&
    !/pre-(upgrade|rollback)/.test(d)
  );
}

/** Which of the hook's events ran in revision `rel`: pre-install for an install, pre-upgrade for an upgrade… */
function phaseOf(rel: Release, h: Hook): string {
  const d = rel.info.description ?? "";
  const op = /^Rollback/.test(d)
    ? "rollback"
    : rel.version === 1 || /^Install/.test(d)
      ? "install"
      : "upgrade";
  return h.events.filter((e) => e.endsWith(`-${op}`)).join(",") || h.events.join(",");
}

/** The newest revision (≤ `upTo`) in which this hook ran and succeeded: the run whose policy deleted it. */
function lastSuccessfulRun(
  ix: SnapshotIndex,
  h: Hook,
  upTo: number,
): { rel: Release; hook: Hook } | undefined {
  for (let i = ix.releases.length - 1; i >= 0; i--) {
    const rel = ix.releases[i]!;
    if (rel.version > upTo) continue;
    const x = (rel.hooks ?? []).find((y) => y.kind === h.kind && y.name === h.name);
    if (x?.last_run?.phase === "Succeeded") return { rel, hook: x };
  }
  return undefined;
}

function analyzeRevision(ix: SnapshotIndex, cur: Release, seen: Set<string>): Finding[] {
  const out: Finding[] = [];
  const latest = ix.latest()!;
  const prev = ix.previous(cur);
  const users0 = [...workloadsOf(ix, cur), ...(latest === cur ? [] : workloadsOf(ix, latest))];
  for (const h of cur.hooks ?? []) {
    if (!SHARED_KINDS.has(h.kind)) continue;
    const { object } = parseYamlObject(h.manifest);
    const ns = object?.metadata?.namespace || cur.namespace || ix.namespace;
    const key = kindKey(h.kind, ns, h.name);
    if (seen.has(key)) continue;
    // The latest revision already makes it a regular resource: the chart moved on (resource-moved-out-of-hook covers that transition).
    if (cur !== latest && ix.manifest(latest).some((d) => d.key === key)) continue;
    const byKey = new Map<string, ReleaseWorkload>();
    for (const w of users0)
      if (specUses(podSpecOf(w.template), h.kind, h.name)) byKey.set(kindKey(w.kind, w.namespace, w.name), w);
    const users = [...byKey.values()];
    if (users.length === 0) continue;
    // The transition into a hook (a regular resource in the previous revision) is resource-moved-into-hook's finding.
    if (prev && reachedUpdate(cur) && ix.manifest(prev).some((d) => d.key === key)) continue;

    const policies = effectiveDeletePolicies(h);
    const explicit = (h.delete_policies ?? []).length > 0;
    const live = ix.get(h.kind, ns, h.name);
    const succeeded = policies.includes("hook-succeeded");
    const recurring =
      !succeeded && policies.includes("before-hook-creation") && h.events.some((e) => RECURRING.includes(e));
    if (!succeeded && !recurring) continue;
    if (recurring && !live) continue; // deleted by something else: not this failure mode
    seen.add(key);

    const ran = lastSuccessfulRun(ix, h, cur.version);
    const readGap = ix.snapshot.gaps.find((g) => g.what.toLowerCase().includes(h.kind.toLowerCase()));
    const tmpl = chartTemplate(cur, h.path);
    const random = tmpl ? RANDOM.exec(tmpl)?.[1] : undefined;

    // Pods of the users, and which of them fail because of this object.
    const failing: { pod: string; line: string; key: string }[] = [];
    const explains = [key];
    for (const w of users) {
      for (const p of w.pods) {
        const prob = classifyPod(ix, p);
        const pk = kindKey("Pod", p.metadata?.namespace ?? ns, p.metadata?.name ?? "");
        const blames =
          prob &&
          ((prob.missing?.kind === h.kind && prob.missing.name === h.name) ||
            (!prob.missing &&
              ["pod-config-missing", "pod-mount-failed", "pod-pvc-unbound"].includes(prob.code)));
        if (prob && blames) {
          failing.push({ pod: p.metadata?.name ?? "?", line: `${prob.state}: ${prob.message}`, key: pk });
          explains.push(pk);
        }
      }
    }

    const evidence: Evidence[] = [
      {
        source: `revision ${cur.version} hooks`,
        detail: `${h.kind} ${h.name} is a hook (${h.path}): ${hookFacts(h, "completed")}`,
      },
    ];
    if (ran && ran.rel !== cur)
      evidence.push({
        source: `revision ${ran.rel.version} hooks`,
        detail: `${h.kind} ${h.name} last ran in revision ${ran.rel.version}: ${lastRun(ran.hook, "completed").replace(/^last run /, "")}`,
      });
    for (const w of users) {
      const doc =
        ix.manifest(cur).find((d) => d.kind === w.kind && d.name === w.name) ??
        ix.manifest(latest).find((d) => d.kind === w.kind && d.name === w.name);
      const used = usages(podSpecOf(w.template), h.kind, h.name);
      evidence.push({
        source: `revision ${cur.version} manifest`,
        detail: `${w.kind} ${w.name}${doc?.source ? ` (${doc.source})` : ""} uses ${h.kind} ${h.name}: ${used.join(", ") || "in its pod spec"}; ${w.pods.length} live pod${w.pods.length === 1 ? "" : "s"}, ${w.pods.filter(isPodReady).length} ready`,
      });
    }
    if (!live) evidence.push(absentEvidence(h.kind, ns, h.name, readGap));
    else {
      const age = ix.ageMs(live.metadata?.creationTimestamp);
      const older = users
        .flatMap((w) => w.pods)
        .filter(
          (p) =>
            Date.parse(p.metadata?.creationTimestamp ?? "") <
            Date.parse(live.metadata?.creationTimestamp ?? ""),
        );
      evidence.push({
        source: "live cluster",
        detail: `${h.kind} ${ns}/${h.name} exists, created ${ago(age)} (${live.metadata?.creationTimestamp ?? "?"})${older.length ? `; ${older.length} running pod${older.length === 1 ? "" : "s"} started before it and still hold${older.length === 1 ? "s" : ""} the previous copy's values` : ""}`,
      });
    }
    if (failing.length)
      evidence.push({
        source: "live pods",
        detail: `${failing.length} pod${failing.length === 1 ? "" : "s"} of ${users.map((w) => w.name).join(", ")} fail because of it: ${failing[0]!.line} (${failing
          .slice(0, 5)
          .map((f) => f.pod)
          .join(", ")})`,
      });
    if (random)
      evidence.push({
        source: `chart template ${h.path}`,
        detail: `uses ${random}: every render produces a new value`,
      });

    const wl = users.map((w) => `${w.kind} ${w.name}`).join(" and ");
    const remediations: Remediation[] = [];
    const restoreFrom = ran?.rel ?? cur;
    let severity: Finding["severity"];
    let title: string;
    let explanation: string;
    if (succeeded) {
      severity = live ? "warning" : readGap ? "warning" : "critical";
      const when = ran
        ? `after the ${phaseOf(ran.rel, ran.hook)} hook phase of revision ${ran.rel.version} succeeded${ran.hook.last_run?.completed_at ? ` (${ran.hook.last_run.completed_at})` : ""}`
        : "after its hook phase succeeded";
      title = live
        ? `${h.kind} ${h.name} is a hook-succeeded hook that ${wl} needs: the next ${h.events.join("/")} run deletes it again`
        : `${h.kind} ${h.name} was deleted by its hook-succeeded policy, but ${wl} still needs it`;
      explanation =
        `${h.kind} ${h.name} is a hook in revision ${cur.version} (${h.path}, events ${h.events.join(",")}), with delete policy ${policies.join(",")}. ` +
        `Helm created it for the hook phase, and because of \`hook-succeeded\` deleted it again ${when} — Helm's delete policies do not know that anything else uses the object. ` +
        `But ${wl} ${users.length > 1 ? "use" : "uses"} it (${users.map((w) => usages(podSpecOf(w.template), h.kind, h.name).join(", ")).join("; ")}). ` +
        (live
          ? `It exists right now (restored or recreated since), so nothing fails yet, but the next time the hook runs Helm deletes it again.`
          : failing.length
            ? `So new pods cannot start: ${failing.length} pod${failing.length === 1 ? "" : "s"} fail${failing.length === 1 ? "s" : ""} (${failing[0]!.line}). Pods that were already running keep working until they restart.`
            : `Pods already running keep working until they restart; any new pod (a rollout, a reschedule, scaling) will fail to start.`) +
        ` Re-running the upgrade does not help: the hook recreates it and the same policy deletes it again.`;
      if (!live)
        remediations.push({
          action: "restore-hook-resources",
          revision: restoreFrom.version,
          summary: `Recreate ${h.kind} ${h.name} from revision ${restoreFrom.version}'s stored hook manifest${ran ? " (the copy the hook actually used)" : ""}, without a new revision; the waiting pods then start on their own.${random ? ` Its template uses ${random}, and only the stored manifest has the value the migration used.` : ""}`,
          resources: [{ kind: h.kind, name: h.name, namespace: ns }],
        });
      // An earlier successful revision where the object was a regular resource, if any.
      for (let i = ix.releases.length - 1; i >= 0; i--) {
        const r = ix.releases[i]!;
        if (r.version >= cur.version || !(r.info.status === "deployed" || r.info.status === "superseded"))
          continue;
        if (!ix.manifest(r).some((d) => d.key === key)) continue;
        remediations.push({
          action: "rollback",
          revision: r.version,
          summary: `Roll back to revision ${r.version}, where ${h.kind} ${h.name} is a regular resource that Helm keeps (writes revision ${latest.version + 1}).`,
          resources: [{ kind: h.kind, name: h.name, namespace: ns }],
        });
        break;
      }
      remediations.push({
        action: "manual",
        summary: `By hand: helm get hooks ${ix.snapshot.release} -n ${ns} --revision ${restoreFrom.version}, take the ${h.kind} ${h.name} document and kubectl apply it.`,
      });
      remediations.push({
        action: "chart-fix",
        summary: `In ${h.path}: never put \`hook-succeeded\` on an object that workloads use. Make ${h.kind} ${h.name} a regular resource and give the hook Job its own copy under another name${h.kind === "Secret" ? ", with `lookup` to keep a generated value stable" : ""}; or keep it a hook with \`before-hook-creation\` only.`,
      });
    } else {
      const upgradeEvents = h.events.filter((e) => RECURRING.includes(e));
      // Pods that read the new value and are refused: the credentials changed under whatever kept the old ones
      // (a database initialised with the first password).
      const refused = podsSaying(
        ix,
        users,
        (sig) => sig.type === "auth",
        Date.parse(live?.metadata?.creationTimestamp ?? ""),
      );
      severity = refused.length ? "critical" : "warning";
      const before = ran ? lastSuccessfulRun(ix, h, ran.rel.version - 1) : undefined;
      // Only the workloads whose pods are refused: others (the database that kept the old value) are fine.
      const refusedWl = [...new Set(refused.map((m) => `${m.workload.kind} ${m.workload.name}`))];
      title = refused.length
        ? `${h.kind} ${h.name} got a new ${random ? `${random} ` : ""}value when the ${upgradeEvents.join("/")} hook recreated it${ran ? ` in revision ${ran.rel.version}` : ""}, and ${refusedWl.join(" and ")} ${refusedWl.length > 1 ? "are" : "is"} refused with it`
        : `${h.kind} ${h.name} is recreated by every ${upgradeEvents.join("/")} hook run while ${wl} use${users.length > 1 ? "" : "s"} it${random ? ` (its ${random} value changes each time)` : ""}`;
      if (refused.length) {
        for (const m of refused)
          explains.push(
            kindKey(m.workload.kind, m.workload.namespace, m.workload.name),
            kindKey("Pod", m.pod.metadata?.namespace ?? ns, m.pod.metadata?.name ?? ""),
          );
        evidence.push({
          source: `pod ${refused[0]!.pod.metadata?.name}`,
          detail: `${refused.length} pod${refused.length === 1 ? "" : "s"} of ${refusedWl.join(", ")}, started after the ${h.kind} was recreated, ${refused.length === 1 ? "is" : "are"} refused: "${refused[0]!.signal.text}"`,
        });
        remediations.push({
          action: "manual",
          summary: before
            ? `Put back the value the other side still expects: revision ${before.rel.version}'s stored hook manifest has ${h.kind} ${h.name} as it was before this upgrade (\`helm get hooks ${ix.snapshot.release} -n ${ns} --revision ${before.rel.version}\`); apply that document, then restart ${wl} (\`kubectl rollout restart ${users[0]!.kind.toLowerCase()}/${users[0]!.name} -n ${ns}\`). Or set the new value where the old one is used (e.g. ALTER USER … PASSWORD).`
            : `Set the new value where the old one is still used (e.g. ALTER USER … PASSWORD in the database), or put the old value back into ${h.kind} ${h.name}, then restart ${wl}.`,
          resources: [{ kind: h.kind, name: h.name, namespace: ns }],
        });
      }
      explanation =
        `${h.kind} ${h.name} is a ${h.events.join(",")} hook (${h.path}) with delete policy ${policies.join(",")}${explicit ? "" : " (the default)"}. ` +
        `On every ${upgradeEvents.join(" and ")}, Helm deletes the live object and creates it again from the newly rendered template. For ${wl}, which ${users.length > 1 ? "use" : "uses"} it, that means: ` +
        (h.kind === "PersistentVolumeClaim"
          ? "the volume's data is lost each time (or the deletion hangs on the claim's protection finalizer while pods mount it, and the hook times out)."
          : h.kind === "ServiceAccount"
            ? "pods created while it is gone are refused, and tokens issued for the old account stop working."
            : `a new object each time — running pods keep the values they read at start (environment variables) until they restart${random ? `, and because the template uses ${random}, the new value differs — a password rotated under a running application shows up as authentication errors and crash loops` : ""}.`) +
        (refused.length
          ? ` That is what happened: the new pods of ${[...new Set(refused.map((m) => `${m.workload.kind} ${m.workload.name}`))].join(" and ")} read the new value and are refused ("${refused[0]!.signal.text}"). A rollback does not bring the old value back — it renders the Secret again only if the target's hooks include a rollback event, and then with yet another value.`
          : "") +
        " Hook objects are not part of the release manifest, so Helm never patches them in place and `helm.sh/resource-policy: keep` does not stop the delete.";
      remediations.push({
        action: "chart-fix",
        summary: `In ${h.path}: make ${h.kind} ${h.name} a regular resource${random ? ` and keep its generated value stable with \`lookup\` (reuse the existing ${h.kind}'s data)` : ""}; if the hook Job needs it before the manifest is applied, give the Job its own hook copy under another name.`,
      });
    }

    const resources: ResourceRef[] = [
      { kind: h.kind, name: h.name, namespace: ns },
      ...users.map((w) => ({ kind: w.kind, name: w.name, namespace: w.namespace })),
    ];
    const revisions = [...new Set([...(ran && ran.rel !== cur ? [ran.rel.version] : []), cur.version])].sort(
      (a, b) => a - b,
    );
    out.push({
      code: "hook-object-needed-by-workload",
      severity,
      role: "root",
      title,
      explanation,
      resources,
      revisions,
      evidence,
      remediations,
      explains,
    });
  }
  return out;
}

const analyzer: Analyzer = {
  run(ix) {
    const out: Finding[] = [];
    const seen = new Set<string>();
    const done = new Set<number>();
    for (const cur of [ix.latest(), ix.lastDeployed()]) {
      if (!cur || done.has(cur.version)) continue;
      done.add(cur.version);
      out.push(...analyzeRevision(ix, cur, seen));
    }
    return out;
  },
};

export default analyzer;
