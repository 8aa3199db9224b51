// §9 (the founding case): an object that was a regular resource in revision N−1 is a hook in N. The
// upgrade to N runs the hook (which recreates it), then deletes everything in N−1's manifest that N's
// manifest lacks, by kind and name — including the hook's fresh copy.
import { describeLastRun, effectiveDeletePolicies, hasPolicy } from "../../helm/hooks.js";
import { kindKey } from "../../helm/keys.js";
import { parseYamlObject } from "../../helm/manifest.js";
import type { Hook, Release } from "../../helm/types.js";
import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import { classifyPod } from "../pods.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { podSpecOf, specUses, workloadsOf } from "../workloads.js";

type Op = "upgrade" | "rollback";

function operationOf(r: Release): Op {
  return /^Rollback to \d+/.test(r.info.description ?? "") ? "rollback" : "upgrade";
}

/** Did revision `r` get as far as Helm's Update step (where the deletion happens)? */
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

function hookKeeps(h: Hook): boolean {
  const { object } = parseYamlObject(h.manifest);
  const v = object?.metadata?.annotations?.["helm.sh/resource-policy"];
  return typeof v === "string" && v === "keep";
}

function analyzeTransition(ix: SnapshotIndex, prev: Release, cur: Release): Finding[] {
  const op = operationOf(cur);
  if (!reachedUpdate(cur)) return [];
  const curKeys = new Set(ix.manifest(cur).map((d) => d.key));
  const ns = cur.namespace || ix.namespace;
  const out: Finding[] = [];
  for (const doc of ix.manifest(prev)) {
    if (!doc.kind || curKeys.has(doc.key)) continue;
    const hook = (cur.hooks ?? []).find((h) => h.kind === doc.kind && h.name === doc.name);
    if (!hook) continue;
    const preEvent = `pre-${op}`;
    const postEvent = `post-${op}`;
    const ranPre = hook.events.includes(preEvent);
    const ranPost = hook.events.includes(postEvent);
    // A post-* hook recreates the object after the deletion; the object is only briefly gone.
    if (ranPost && !ranPre) continue;
    // keep on the hook copy (created before the deletion) protects it; so does keep on an old live object
    // when the hook did not run at all.
    if (ranPre && hookKeeps(hook)) continue;
    const live = ix.get(doc.kind, doc.namespace, doc.name);
    if (live) continue; // present now: nothing is broken (recreated later, or kept)
    const readGap = ix.snapshot.gaps.find((g) => g.what.toLowerCase().includes(doc.kind.toLowerCase()));
    const key = kindKey(doc.kind, doc.namespace, doc.name);
    const latest = ix.latest()!;
    const deployed = ix.lastDeployed();

    // Who uses it now: workloads in the latest manifest whose pod spec references it.
    const users = workloadsOf(ix, latest).filter((w) => specUses(podSpecOf(w.template), doc.kind, doc.name));
    // It explains the missing object and the users' pods that cannot mount or read it — not unrelated
    // problems of the same workloads (an image typo in the same Deployment stays a finding of its own).
    const explains = [key];
    for (const w of users) {
      for (const p of w.pods) {
        const code = classifyPod(ix, p)?.code;
        if (code === "pod-mount-failed" || code === "pod-config-missing") {
          explains.push(kindKey("Pod", p.metadata?.namespace ?? ns, p.metadata?.name ?? ""));
        }
      }
    }

    const policies = effectiveDeletePolicies(hook);
    const explicitPolicies = hook.delete_policies && hook.delete_policies.length > 0;
    const evidence: Evidence[] = [
      {
        source: `revision ${prev.version} manifest`,
        detail: `${doc.kind} ${doc.name} is a regular release resource${doc.source ? ` (${doc.source})` : ""}`,
      },
      {
        source: `revision ${cur.version} hooks`,
        detail: `${doc.kind} ${doc.name} is a hook (${hook.path}): events ${hook.events.join(",")}, weight ${hook.weight ?? 0}, delete policy ${policies.join(",")}${explicitPolicies ? "" : " (default)"}, last run ${describeLastRun(hook)}${hook.last_run?.started_at ? ` at ${hook.last_run.started_at}` : ""}`,
      },
      {
        source: `revision ${cur.version} manifest`,
        detail: `${doc.kind} ${doc.name} is not in the manifest, so the ${op} to revision ${cur.version} deleted it as a resource that left the release`,
      },
      readGap
        ? {
            source: "live cluster",
            detail: `${doc.kind} ${doc.namespace}/${doc.name} was not found, but ${readGap.what} could not be fully read (${readGap.reason})`,
          }
        : { source: "live cluster", detail: `${doc.kind} ${doc.namespace}/${doc.name} does not exist` },
    ];
    for (const w of users) {
      evidence.push({
        source: `revision ${latest.version} manifest`,
        detail: `${w.kind} ${w.name} uses ${doc.kind} ${doc.name}${w.pods.length ? ` (${w.pods.length} live pod${w.pods.length > 1 ? "s" : ""})` : ""}`,
      });
    }

    const steps: string[] = [];
    if (ranPre) {
      steps.push(
        hasPolicy(hook, "before-hook-creation")
          ? `ran the ${preEvent} hook: deleted the existing ${doc.kind} (before-hook-creation) and created it again from the hook template`
          : `ran the ${preEvent} hook, creating the ${doc.kind} from the hook template`,
      );
    } else {
      steps.push(`did not run the hook (its events are ${hook.events.join(",")}, none of them ${preEvent})`);
    }
    steps.push(
      `compared revision ${prev.version}'s manifest with revision ${cur.version}'s, found ${doc.kind} ${doc.name} only in the old one, and deleted it${ranPre ? " — the copy the hook had just created" : ""}`,
    );
    const returns = hook.events.includes("pre-upgrade") || hook.events.includes("post-upgrade");
    const explanation =
      `In revision ${prev.version}, ${doc.kind} ${doc.name} was a regular chart resource. Revision ${cur.version}'s chart marks it as a ` +
      `\`${hook.events.join(",")}\` hook, so it left the release manifest (Helm keeps hooks out of the manifest). ` +
      `During the ${op} to revision ${cur.version}, Helm ${steps.map((s, i) => `(${i + 1}) ${s}`).join("; then ")}. ` +
      `Nothing creates it again until ${returns ? "the hook runs in another upgrade" : "a hook with this event runs again — and its events mean upgrades never will"}` +
      (users.length
        ? `, so ${users.map((w) => `${w.kind} ${w.name}`).join(" and ")} cannot start new pods that need it; pods already running keep their copy until they restart.`
        : ".") +
      ` No log says why: Helm only logs the deletion with --debug.`;

    const remediations: Remediation[] = [];
    const pending = ix.latest()?.info.status.startsWith("pending-");
    if (deployed && !pending && returns) {
      remediations.push({
        action: "rerun-upgrade",
        revision: deployed.version,
        summary: `Re-run the upgrade with revision ${deployed.version}'s chart and values (writes revision ${latest.version + 1}): the ${hook.events.includes("pre-upgrade") ? "pre-upgrade" : "post-upgrade"} hook creates ${doc.name} again and this time nothing deletes it.`,
        resources: [{ kind: doc.kind, name: doc.name, namespace: doc.namespace }],
      });
    }
    remediations.push({
      action: "rollback",
      revision: prev.version,
      summary: `Roll back to revision ${prev.version} (writes revision ${latest.version + 1}), where ${doc.name} is a regular resource: Helm recreates it with release ownership.`,
      resources: [{ kind: doc.kind, name: doc.name, namespace: doc.namespace }],
    });
    if (doc.kind !== "Job" && doc.kind !== "Pod") {
      remediations.push({
        action: "restore-hook-resources",
        revision: cur.version,
        summary: `Recreate ${doc.kind} ${doc.name} from revision ${cur.version}'s stored hook manifest, without a new revision.`,
        resources: [{ kind: doc.kind, name: doc.name, namespace: doc.namespace }],
      });
    }
    remediations.push({
      action: "chart-fix",
      summary: `In ${hook.path}: keep objects that workloads use out of hooks (give the hook Job its own copy under another name), or, if it must be a hook, annotate it \`helm.sh/resource-policy: keep\` — which only protects it if the annotation is on the live object before the transition, so annotate the live ${doc.kind} first on clusters not yet upgraded.`,
    });

    out.push({
      code: "resource-moved-into-hook",
      severity: readGap ? "warning" : "critical",
      role: "root",
      title: `${doc.kind} ${doc.name} became a ${hook.events.join(",")} hook in revision ${cur.version} and the ${op} deleted it`,
      explanation,
      resources: [{ kind: doc.kind, name: doc.name, namespace: doc.namespace }],
      revisions: [prev.version, cur.version],
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
    // Transitions into the latest revision and into the last deployed one.
    for (const cur of [ix.latest(), ix.lastDeployed()]) {
      if (!cur || seen.has(String(cur.version))) continue;
      seen.add(String(cur.version));
      const prev = ix.previous(cur);
      if (prev) out.push(...analyzeTransition(ix, prev, cur));
    }
    return out;
  },
};

export default analyzer;
