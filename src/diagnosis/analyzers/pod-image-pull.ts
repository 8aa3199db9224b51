// Pods that cannot pull their image (ErrImagePull / ImagePullBackOff / InvalidImageName). Usually a tag
// or registry typo in the values of the latest upgrade, or a missing imagePullSecret.
//
// Severity: always critical. When the new ReplicaSet fails while the old one still serves, nothing is down yet,
// but the rollout is stuck for good (the kubelet keeps backing off), the release does not run what Helm
// recorded, and the next restart of an old pod is an outage.

import type { SnapshotIndex } from "../../snapshot/index.js";
import type { Analyzer } from "../analyzer.js";
import {
  attributeOrigin,
  eventGapEvidence,
  impact,
  originRevisions,
  type PodGroup,
  podAnalyzer,
  rollbackToGood,
  rolloutEvidence,
  templatePath,
  valuePaths,
  verdict,
} from "../pod-analyzer.js";
import type { Remediation } from "../types.js";

function cause(msg: string, state: string): { short: string; long: string } {
  if (state === "InvalidImageName" || /invalid reference format|InvalidImageName/i.test(msg))
    return { short: "invalid image name", long: "the image reference is not a valid image name" };
  if (
    /pull access denied|unauthorized|authorization failed|authentication required|\b40[13]\b|forbidden/i.test(
      msg,
    )
  )
    return {
      short: "access denied",
      long: 'the registry refused access: the image is private and the pod has no valid imagePullSecret, or the repository name is wrong (Docker Hub answers "pull access denied" for repositories that do not exist)',
    };
  if (/not found|manifest unknown|NotFound|does not exist/i.test(msg))
    return {
      short: "not found",
      long: "the registry has no such image: the tag or repository does not exist",
    };
  if (/i\/o timeout|no such host|connection refused|dial tcp|TLS handshake|x509|context deadline/i.test(msg))
    return {
      short: "registry unreachable",
      long: "the node cannot reach the registry (network, DNS or TLS)",
    };
  return { short: "pull failed", long: "the kubelet cannot pull it" };
}

function imageOf(g: PodGroup): { container: string; image: string } {
  const p = g.problems[0]!;
  return { container: p.container ?? "?", image: p.image ?? "?" };
}

function imageHistory(g: PodGroup) {
  const { container } = imageOf(g);
  return attributeOrigin(g.ctx.origin, (t) => {
    const cs = [...(t?.spec?.initContainers ?? []), ...(t?.spec?.containers ?? [])];
    return cs.find((c: { name?: string }) => c.name === container)?.image;
  });
}

function introducedPhrase(g: PodGroup): string {
  const h = imageHistory(g);
  if (!h.introduced) return "";
  return h.before ? ` (introduced in revision ${h.introduced.rel.version})` : "";
}

function why(g: PodGroup): string {
  const { container, image } = imageOf(g);
  const p = g.problems[0]!;
  const c = cause(p.message, p.state);
  const h = imageHistory(g);
  const wl = `${g.workload.kind} ${g.workload.name}`;
  const parts: string[] = [];
  if (h.introduced && h.before)
    parts.push(
      `Revision ${h.introduced.rel.version} changed the image of container ${container} in ${wl} from ${h.previous ?? "?"} (revision ${h.before.rel.version}) to ${image}.`,
    );
  else if (h.introduced)
    parts.push(
      `${wl} has run image ${image} in container ${container} since revision ${h.introduced.rel.version}, so no upgrade changed it: the image was removed from the registry, or the pull credentials or the node's access changed.`,
    );
  else parts.push(`Container ${container} of ${wl} runs image ${image}, which no stored revision renders.`);
  const rs = g.ctx.inNewRs ? g.ctx.rollout?.newRs?.metadata?.name : undefined;
  parts.push(
    `${rs ? `The Deployment created ReplicaSet ${rs} for the new template; its` : "Its"} ${g.problems.length} pod${g.problems.length > 1 ? "s" : ""} cannot start because the kubelet cannot pull ${image}: ${c.long}. The kubelet keeps retrying with a growing back-off, so this does not fix itself.`,
  );
  parts.push(impact(g));
  parts.push(verdict(g));
  return parts.join(" ");
}

function remediations(g: PodGroup, ix: SnapshotIndex): Remediation[] {
  const { image } = imageOf(g);
  const p = g.problems[0]!;
  const c = cause(p.message, p.state);
  const h = imageHistory(g);
  const out: Remediation[] = [];
  const rb = rollbackToGood(
    ix,
    g,
    `image ${image} was introduced`,
    h.before && h.introduced ? h.introduced.rel.version : undefined,
  );
  if (rb) out.push(rb);
  const rel = g.ctx.origin.from?.rel ?? ix.latest();
  const paths = rel ? valuePaths(rel, image) : [];
  const where = paths.length
    ? `it comes from the values ${paths.join(", ")}`
    : `it is set in ${templatePath(g)}`;
  if (c.short === "access denied")
    out.push({
      action: "manual",
      summary: `Check that ${image} exists and that the pods can authenticate: create or fix the imagePullSecret (kubectl create secret docker-registry …) and list it under imagePullSecrets, or correct the repository name (${where}).`,
    });
  else if (c.short === "registry unreachable")
    out.push({
      action: "manual",
      summary: `Check that the nodes can reach the registry of ${image} (DNS, proxy, firewall, TLS certificates); the pods start on their own once the pull succeeds.`,
    });
  else
    out.push({
      action: "manual",
      summary: `Fix the image reference ${image} (${where}) to a tag that exists (check with \`crane ls\` or \`docker manifest inspect\`), then run helm upgrade again.`,
    });
  return out;
}

const analyzer: Analyzer = podAnalyzer({
  code: "pod-image-pull",
  severity: "critical",
  what: "cannot pull their image",
  title: (g) => {
    const { image } = imageOf(g);
    const p = g.problems[0]!;
    const n = g.problems.length;
    return `${g.workload.kind} ${g.workload.name} cannot pull image ${image}${introducedPhrase(g)}: ${n} pod${n > 1 ? "s" : ""} in ${p.state} (${cause(p.message, p.state).short})`;
  },
  why,
  remediations,
  revisions: (g, ix) => {
    const h = imageHistory(g);
    return originRevisions(ix, g, h.introduced?.rel.version, !!h.before);
  },
  evidence: (g, ix) => {
    const h = imageHistory(g);
    const { container, image } = imageOf(g);
    const lead = h.introduced
      ? [
          {
            source: `revision ${h.introduced.rel.version} manifest`,
            detail: h.before
              ? `${g.workload.kind} ${g.workload.name}${h.introduced.source ? ` (${h.introduced.source})` : ""} container ${container} image ${image}; revision ${h.before.rel.version} had ${h.previous ?? "?"}`
              : `${g.workload.kind} ${g.workload.name} container ${container} image ${image}, unchanged since revision ${h.introduced.rel.version}`,
          },
        ]
      : [];
    return { lead, tail: [...rolloutEvidence(g), ...eventGapEvidence(ix, g)] };
  },
});

export default analyzer;
