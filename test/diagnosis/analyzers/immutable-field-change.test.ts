// immutable-field-change: an upgrade that changed a field the API server does not let change, named from the
// failed revision's error and the two manifests; near misses stay quiet.
import { describe, expect, it } from "vitest";
import {
  CAUSES_NOW,
  deploymentSelectorChange,
  statefulSetStorageChange,
  unknownFailure,
} from "../../support/scenarios/causes.js";
import { immutableJob, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import { actions, codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

describe("immutable-field-change", () => {
  it("a StatefulSet whose volumeClaimTemplates grew: the field, the sizes, and recreate-with-orphan", () => {
    const d = run(statefulSetStorageChange(), CAUSES_NOW);
    const f = only(d, "immutable-field-change");
    expect(d.findings[0]).toBe(f);
    expect(codes(d)).not.toContain("release-failed");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/StatefulSet db's immutable spec.volumeClaimTemplates/);
    expect(f.resources).toEqual([{ kind: "StatefulSet", name: "db", namespace: "data" }]);
    expect(f.revisions).toEqual([1, 2]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/volumeClaimTemplates\[data\] storage 10Gi → 50Gi/);
    expect(ev).toMatch(/Forbidden: updates to statefulset spec/);
    expect(summaries(f, "manual")).toMatch(/kubectl delete statefulset db -n data --cascade=orphan/);
    expect(summaries(f, "manual")).toMatch(/not resized/);
    // A rollback cannot make the change possible.
    expect(actions(f).map((a) => a[0])).not.toContain("rollback");
  });

  it("a Deployment whose selector changed names spec.selector and the orphaned pods", () => {
    const f = only(run(deploymentSelectorChange(), CAUSES_NOW), "immutable-field-change");
    expect(f.title).toMatch(/Deployment web's immutable spec.selector/);
    expect(evidenceText(f)).toMatch(/"app.kubernetes.io\/component":"frontend"/);
    expect(summaries(f, "manual")).toMatch(/--cascade=orphan.*old pods no longer match/);
  });

  it("near miss: the change was reverted and a later revision deployed", () => {
    expect(codes(run(statefulSetStorageChange({ fixedLater: true }), CAUSES_NOW))).toEqual([]);
  });

  it("near miss: a Job's pod template is immutable-job-in-manifest's, not this finding's", () => {
    expect(codes(run(immutableJob(), TRANSITIONS_NOW))).not.toContain("immutable-field-change");
  });

  it("near miss: an immutable error inside a hook is a hook failure", () => {
    const d = run(
      unknownFailure({
        description:
          'Upgrade "billing" failed: pre-upgrade hooks failed: warning: Hook pre-upgrade billing/templates/job.yaml failed: Job.batch "billing-migrate" is invalid: spec.template: Invalid value: core.PodTemplateSpec{}: field is immutable',
      }),
      CAUSES_NOW,
    );
    expect(codes(d)).not.toContain("immutable-field-change");
  });
});
