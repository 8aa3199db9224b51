// admission-rejected: the API server's admission refused an object Helm applied (webhook, quota, Pod Security);
// near misses stay quiet.
import { describe, expect, it } from "vitest";
import { CAUSES_NOW, ingressRejected, unknownFailure } from "../../support/scenarios/causes.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

describe("admission-rejected", () => {
  it("an ingress-nginx webhook refuses a first install's Ingress: the webhook, its reason, the object", () => {
    const d = run(ingressRejected(), CAUSES_NOW);
    const f = only(d, "admission-rejected");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("release-failed");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /^Admission webhook validate.nginx.ingress.kubernetes.io refused Ingress storefront: host "shop.example.com" and path "\/" is already defined in ingress shop\/legacy-storefront/,
    );
    // The error names no object: it is the one object of the install that does not exist.
    expect(f.resources).toEqual([{ kind: "Ingress", name: "storefront", namespace: "shop" }]);
    expect(f.explanation).toMatch(/objects applied before it exist/);
    expect(summaries(f, "manual")).toMatch(/helm upgrade --install/);
    expect(evidenceText(f)).toMatch(/denied the request/);
  });

  it("a ResourceQuota refusing a Deployment names the quota", () => {
    const f = only(
      run(
        unknownFailure({
          description:
            'Upgrade "billing" failed: failed to create resource: deployments.apps "billing-worker" is forbidden: exceeded quota: compute, requested: limits.cpu=2, used: limits.cpu=3, limited: limits.cpu=4',
        }),
        CAUSES_NOW,
      ),
      "admission-rejected",
    );
    expect(f.title).toMatch(/^ResourceQuota compute refused Deployment billing-worker/);
    expect(summaries(f, "manual")).toMatch(/kubectl describe resourcequota compute -n shop/);
  });

  it("near miss: a webhook refusing a hook object is hook-failed's", () => {
    const d = run(
      unknownFailure({
        description:
          'Upgrade "billing" failed: pre-upgrade hooks failed: warning: Hook pre-upgrade billing/templates/job.yaml failed: admission webhook "policy.example.com" denied the request: no',
      }),
      CAUSES_NOW,
    );
    expect(codes(d)).not.toContain("admission-rejected");
  });

  it("near miss: an old refusal followed by a healthy revision", () => {
    expect(
      codes(
        run(
          unknownFailure({
            fixedLater: true,
            description:
              'Upgrade "billing" failed: failed to create resource: admission webhook "x.example.com" denied the request: no',
          }),
          CAUSES_NOW,
        ),
      ),
    ).toEqual([]);
  });
});
