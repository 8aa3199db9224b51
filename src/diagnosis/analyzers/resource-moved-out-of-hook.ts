// An object that is a hook in revision N−1 is a regular (manifest) resource in revision N. Helm never puts
// ownership metadata on hook objects, so the leftover hook copy is a "foreign" object to the upgrade: it refuses
// to adopt it (`… exists and cannot be imported into the current release: invalid ownership metadata …`).
// A rollback into such a revision fails on the same object differently (Helm 3: `no <Kind> with the name "x"
// found`; Helm 4: `original object <Kind> with the name "x" not found`): it is neither in the current manifest
// nor absent from the cluster.
//
// Severity: critical when the failure is recorded and the live object still lacks ownership; a warning when it
// is recorded but the object has since been fixed or removed (a retry will pass), or when the failure is only
// predicted (the revision is pending, or failed before Helm reached the object).

import { effectiveDeletePolicies } from "../../helm/hooks.js";
import { kindKey } from "../../helm/keys.js";
import type { Hook, Release } from "../../helm/types.js";
import type { KubeObject, ManifestEntry, SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  absentEvidence,
  baseOf,
  failureKeys,
  hookBefore,
  outputFailure,
  outputKey,
  recentAttempts,
} from "../history.js";
import { hookFacts } from "../hook-helpers.js";
import type { Evidence, Finding, Remediation } from "../types.js";
import { ago } from "../workloads.js";

const OWNERSHIP =
  /(\w+) "([^"]+)" in namespace "([^"]*)" exists and cannot be imported into the current release: invalid ownership metadata/;
const NO_ORIGINAL = /(?:\bno|original object) (\w+) with the name "([^"]+)" (?:not )?found/;

type Op = "upgrade" | "rollback" | "install";

function operationOf(r: Release): Op {
  const d = r.info.description ?? "";
  if (/^Rollback\b/.test(d) || r.info.status === "pending-rollback") return "rollback";
  if (r.info.status === "pending-install" || /^(Release "[^"]*" failed|Initial install)/.test(d))
    return "install";
  return "upgrade";
}

interface Ownership {
  ok: boolean;
  problems: string[];
  otherRelease?: string;
}

function ownership(live: KubeObject, release: string, ns: string): Ownership {
  const ann = live.metadata?.annotations ?? {};
  const lab = live.metadata?.labels ?? {};
  const problems: string[] = [];
  const check = (what: string, key: string, v: string | undefined, want: string) => {
    if (v === undefined) problems.push(`no ${what} ${key}`);
    else if (v !== want) problems.push(`${what} ${key}="${v}" (must be "${want}")`);
  };
  check("label", "app.kubernetes.io/managed-by", lab["app.kubernetes.io/managed-by"], "Helm");
  check("annotation", "meta.helm.sh/release-name", ann["meta.helm.sh/release-name"], release);
  check("annotation", "meta.helm.sh/release-namespace", ann["meta.helm.sh/release-namespace"], ns);
  const o: Ownership = { ok: problems.length === 0, problems };
  const other = ann["meta.helm.sh/release-name"];
  if (other && other !== release) o.otherRelease = other;
  return o;
}

interface Moved {
  doc: ManifestEntry;
  hookRev: Release;
  hook: Hook;
}

/** The revision a rollback record copied: "Rollback to K", else the newest earlier revision with the same manifest. */
function rollbackTarget(ix: SnapshotIndex, r: Release): Release | undefined {
  const m = /^Rollback to (\d+)/.exec(r.info.description ?? "");
  if (m) return ix.revision(Number(m[1]));
  return ix.releases.filter((x) => x.version < r.version && x.manifest === r.manifest).pop();
}

function kubectlKind(kind: string): string {
  return kind.toLowerCase();
}

function analyzeAttempt(ix: SnapshotIndex, r: Release, seen: Set<string>): Finding[] {
  const out: Finding[] = [];
  const op = operationOf(r);
  if (op === "install") return out;
  const base = baseOf(ix, r);
  if (!base) return out;
  const desc = r.info.description ?? "";
  const own = OWNERSHIP.exec(desc);
  const noOrig = NO_ORIGINAL.exec(desc);
  const named = own
    ? { kind: own[1]!, name: own[2]!, ns: own[3]! }
    : noOrig
      ? { kind: noOrig[1]!, name: noOrig[2]!, ns: r.namespace || ix.namespace }
      : undefined;
  const baseKeys = new Set(ix.manifest(base).map((d) => d.key));
  const moved: Moved[] = [];
  for (const doc of ix.manifest(r)) {
    if (!doc.kind || baseKeys.has(doc.key)) continue;
    const hb = hookBefore(ix, r, doc);
    if (hb) moved.push({ doc, hookRev: hb.rel, hook: hb.hook });
  }
  const latest = ix.latest()!;
  const ns0 = r.namespace || ix.namespace;
  const release = ix.snapshot.release;
  for (const m of moved) {
    const { doc, hook, hookRev } = m;
    if (seen.has(doc.key)) continue;
    const confirmed =
      !!named && named.kind === doc.kind && named.name === doc.name && (named.ns || ns0) === doc.namespace;
    const live = ix.get(doc.kind, doc.namespace, doc.name);
    const o = live ? ownership(live, release, ns0) : undefined;
    const readGap = ix.snapshot.gaps.find((g) => g.what.toLowerCase().includes(doc.kind.toLowerCase()));
    // Predicted only: the latest attempt has not reached this object, and the leftover hook copy is still there.
    const notApplied =
      r.info.status.startsWith("pending-") ||
      (r.info.status === "failed" && /pre-(upgrade|rollback)|failed pre-/.test(desc) && !confirmed);
    if (!confirmed && !(r === latest && notApplied && live && o && !o.ok)) continue;
    seen.add(doc.key);

    let severity: Finding["severity"] = "critical";
    if (!confirmed || !live || o?.ok || readGap) severity = "warning";

    const evidence: Evidence[] = [
      {
        source: `revision ${hookRev.version} hooks`,
        detail: `${doc.kind} ${doc.name} is a hook (${hook.path}): ${hookFacts(hook)}`,
      },
      {
        source: `revision ${r.version} manifest`,
        detail: `${doc.kind} ${doc.name} is a regular release resource${doc.source ? ` (${doc.source})` : ""}; revision ${base.version}'s manifest, which Helm compared against, does not have it`,
      },
    ];
    if (live) {
      const age = ix.ageMs(live.metadata?.creationTimestamp);
      evidence.push({
        source: "live cluster",
        detail: o?.ok
          ? `${doc.kind} ${doc.namespace}/${doc.name} exists and now carries Helm ownership for release ${release}`
          : `${doc.kind} ${doc.namespace}/${doc.name} exists (created ${ago(age)}) with ${o?.problems.join(", ")}`,
      });
    } else evidence.push(absentEvidence(doc.kind, doc.namespace, doc.name, readGap, " (any more)"));
    if (desc) evidence.push({ source: `revision ${r.version} description`, detail: desc });

    const what = `${doc.kind} ${doc.name}`;
    const hookWord = `a \`${hook.events.join(",")}\` hook`;
    const steps: string[] = [
      `In revision ${hookRev.version}, ${what} was ${hookWord} (${hook.path}). Helm creates hook objects as they are — without the ownership metadata it puts on release resources (label app.kubernetes.io/managed-by=Helm, annotations meta.helm.sh/release-name and meta.helm.sh/release-namespace) — and with delete policy ${effectiveDeletePolicies(hook).join(",")} it left the last copy in the cluster.`,
      op === "rollback"
        ? `Revision ${r.version} is a rollback${rollbackTarget(ix, r) ? ` to revision ${rollbackTarget(ix, r)!.version}` : ""}, whose manifest has ${what} as a regular resource${doc.source ? ` (${doc.source})` : ""}.`
        : `Revision ${r.version}'s chart makes ${what} a regular resource${doc.source ? ` (${doc.source})` : ""}.`,
    ];
    let title: string;
    if (op === "upgrade") {
      steps.push(
        `The upgrade compared revision ${base.version}'s manifest (without ${doc.name}) with revision ${r.version}'s, so it treated ${what} as new, found it already in the cluster, and refused to adopt an object that does not say it belongs to release ${release}${confirmed ? ` (Helm's error: ${(own?.[0] ?? desc).slice(0, 200)})` : ""}.`,
      );
      steps.push(
        confirmed
          ? `Helm checks this before it changes anything, so the cluster is as revision ${base.version} left it.`
          : `Revision ${r.version} is ${r.info.status} and has not reached that step; when it does (or when the upgrade is retried) it stops there.`,
      );
      title = confirmed
        ? `${what} was a hook in revision ${hookRev.version} and is a regular resource in revision ${r.version}: the upgrade fails on ownership metadata`
        : `${what} was a hook in revision ${hookRev.version} and is a regular resource in revision ${r.version}: the upgrade will fail on ownership metadata`;
    } else {
      steps.push(
        `The rollback applies that manifest against revision ${base.version}'s. ${what} is not in revision ${base.version}'s manifest but exists in the cluster, and a rollback — unlike an upgrade — has no adoption step: Helm 3 stops with "no ${doc.kind} with the name \\"${doc.name}\\" found" (Helm 4: "original object … not found").`,
      );
      const target = rollbackTarget(ix, r);
      const to = target ? ` to revision ${target.version}` : "";
      title = confirmed
        ? `${what} was a hook in revision ${hookRev.version} and is a regular resource in revision ${r.version}: the rollback${to} fails on the leftover hook copy`
        : `${what} was a hook in revision ${hookRev.version} and is a regular resource in revision ${r.version}: the rollback${to} will fail on the leftover hook copy`;
    }
    if (o?.otherRelease)
      steps.push(
        `The live object says it belongs to release "${o.otherRelease}": taking it over moves it out of that release.`,
      );
    if (confirmed && live && o?.ok)
      steps.push("The live object carries the right ownership now, so a retry should pass.");
    if (confirmed && !live && !readGap)
      steps.push(`${what} no longer exists, so a retry creates it and passes.`);

    const remediations: Remediation[] = [];
    const k = `${kubectlKind(doc.kind)}/${doc.name}`;
    if (op === "upgrade") {
      if (live && !o?.ok)
        remediations.push({
          action: "manual",
          summary: `Let Helm adopt the leftover hook copy, then run the same helm upgrade again: kubectl -n ${doc.namespace} annotate ${k} meta.helm.sh/release-name=${release} meta.helm.sh/release-namespace=${ns0} --overwrite && kubectl -n ${doc.namespace} label ${k} app.kubernetes.io/managed-by=Helm --overwrite. On Helm ≥ 3.17, \`helm upgrade --take-ownership\` does the same.`,
          resources: [{ kind: doc.kind, name: doc.name, namespace: doc.namespace }],
        });
      else
        remediations.push({
          action: "manual",
          summary: `Run the same helm upgrade again (to revision ${r.version}'s chart and values): ${what} ${live ? "now carries ownership" : "is gone"}, so it will pass.`,
        });
    } else {
      const target = rollbackTarget(ix, r);
      if (live)
        remediations.push({
          action: "manual",
          summary: `Delete the leftover hook copy so the rollback can create it as a release resource: kubectl -n ${doc.namespace} delete ${k}${doc.kind === "ConfigMap" || doc.kind === "Secret" ? " (running pods keep their mounted copy; pods starting in the gap fail until the rollback recreates it)" : ""}.`,
          resources: [{ kind: doc.kind, name: doc.name, namespace: doc.namespace }],
        });
      if (target)
        remediations.push({
          action: "rollback",
          revision: target.version,
          summary: `Then roll back to revision ${target.version} again (writes revision ${latest.version + 1}).`,
        });
    }
    remediations.push({
      action: "chart-fix",
      summary: `In ${doc.source ?? hook.path}: before turning a hook into a regular resource, ship one release whose hook version carries the ownership metadata (label app.kubernetes.io/managed-by: Helm, annotations meta.helm.sh/release-name: {{ .Release.Name }} and meta.helm.sh/release-namespace: {{ .Release.Namespace }}); or give the regular resource a new name.`,
    });

    out.push({
      code: "resource-moved-out-of-hook",
      severity,
      role: "root",
      title,
      explanation: steps.join(" "),
      resources: [{ kind: doc.kind, name: doc.name, namespace: doc.namespace }],
      revisions: [...new Set([hookRev.version, base.version, r.version])].sort((a, b) => a - b),
      evidence,
      remediations,
      explains: [kindKey(doc.kind, doc.namespace, doc.name), ...failureKeys(ix, r)],
    });
  }
  return out;
}

/**
 * The usual case: the upgrade that makes the hook a regular resource fails its ownership check before Helm stores
 * a revision (pkg/action/upgrade.go checks existing resources before Releases.Create), so the failure is only in
 * the command's output, which names the object; the stored history says it is a hook of ours.
 */
function analyzeOutput(ix: SnapshotIndex, seen: Set<string>): Finding[] {
  const out = outputFailure(ix);
  if (!out || out.recorded) return [];
  const latest = ix.latest();
  const release = ix.snapshot.release;
  const ns0 = ix.namespace;
  const next = (latest?.version ?? 0) + 1;
  const findings: Finding[] = [];
  for (const e of out.errors) {
    if (e.kind !== "ownership" || !e.object) continue;
    const o = e.object;
    const ns = o.namespace || ns0;
    const key = kindKey(o.kind, ns, o.name);
    if (seen.has(key)) continue;
    const hb = hookBefore(ix, { version: next } as Release, {
      key,
      kind: o.kind,
      name: o.name,
      namespace: ns,
    });
    if (!hb) continue;
    seen.add(key);
    const { rel: hookRev, hook } = hb;
    const live = ix.get(o.kind, ns, o.name);
    const own = live ? ownership(live, release, ns0) : undefined;
    const what = `${o.kind} ${o.name}`;
    const k = `${kubectlKind(o.kind)}/${o.name}`;
    const ref = { kind: o.kind, name: o.name, namespace: ns };
    const evidence: Evidence[] = [
      { source: "helm output", detail: e.text },
      {
        source: `revision ${hookRev.version} hooks`,
        detail: `${what} is a hook (${hook.path}): ${hookFacts(hook)}`,
      },
      {
        source: "live cluster",
        detail: live
          ? own?.ok
            ? `${o.kind} ${ns}/${o.name} exists and now carries Helm ownership for release ${release}`
            : `${o.kind} ${ns}/${o.name} exists with ${own?.problems.join(", ")}`
          : `${o.kind} ${ns}/${o.name} does not exist (any more)`,
      },
    ];
    if (latest)
      evidence.push({
        source: "release history",
        detail: `ends at revision ${latest.version} (${latest.info.status}): the failed ${out.op} stored no revision`,
      });
    const fixed = !live || own?.ok;
    findings.push({
      code: "resource-moved-out-of-hook",
      severity: fixed ? "warning" : "critical",
      role: "root",
      title: `${what} was a hook in revision ${hookRev.version} and the new chart makes it a regular resource: the ${out.op} fails on ownership metadata`,
      explanation:
        `In revision ${hookRev.version}, ${what} was a \`${hook.events.join(",")}\` hook (${hook.path}). Helm creates hook objects as they are — without the ownership metadata it puts on release resources (label app.kubernetes.io/managed-by=Helm, annotations meta.helm.sh/release-name and meta.helm.sh/release-namespace) — and with delete policy ${effectiveDeletePolicies(hook).join(",")} it left the last copy in the cluster. ` +
        `The chart you are deploying makes ${what} a regular resource, so Helm treats it as new, finds it already in the cluster and refuses to adopt it. It checks this before it stores a revision or changes anything, so \`helm history\` still ends at revision ${latest?.version ?? "?"} and only the command's output shows the error.` +
        (fixed
          ? ` ${live ? "The live object carries the right ownership now" : `${what} no longer exists`}, so a retry should pass.`
          : ""),
      resources: [ref],
      revisions: [...new Set([hookRev.version, ...(latest ? [latest.version] : [])])].sort((a, b) => a - b),
      evidence,
      remediations: [
        fixed
          ? { action: "manual", summary: `Run the same helm ${out.op} again.` }
          : {
              action: "manual",
              summary: `Let Helm adopt the leftover hook copy, then run the same helm ${out.op} again: kubectl -n ${ns} annotate ${k} meta.helm.sh/release-name=${release} meta.helm.sh/release-namespace=${ns0} --overwrite && kubectl -n ${ns} label ${k} app.kubernetes.io/managed-by=Helm --overwrite. On Helm ≥ 3.17, \`helm upgrade --take-ownership\` does the same.`,
              resources: [ref],
            },
        {
          action: "chart-fix",
          summary: `In ${hook.path}: before turning a hook into a regular resource, ship one release whose hook version carries the ownership metadata (label app.kubernetes.io/managed-by: Helm, annotations meta.helm.sh/release-name: {{ .Release.Name }} and meta.helm.sh/release-namespace: {{ .Release.Namespace }}); or give the regular resource a new name.`,
        },
      ],
      explains: [key, outputKey(ix)],
    });
  }
  return findings;
}

const analyzer: Analyzer = {
  run(ix) {
    const seen = new Set<string>();
    return [...recentAttempts(ix).flatMap((r) => analyzeAttempt(ix, r, seen)), ...analyzeOutput(ix, seen)];
  },
};

export default analyzer;
