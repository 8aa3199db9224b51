// pod-pvc-unbound: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { pvcCase, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import { actions, codes, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("pod-pvc-unbound", () => {
  it("names the claim and why it does not bind", () => {
    const d = run(pvcCase());
    const f = only(d, "pod-pvc-unbound");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Pending on PersistentVolumeClaim storefront-uploads \(storageclass.storage.k8s.io "fast-ssd" not found\)/,
    );
    expect(evidenceText(f)).toMatch(
      /PersistentVolumeClaim storefront-uploads: is Pending \(storageClassName "fast-ssd"\); defined in revision 3 manifest \(storefront\/templates\/pvc.yaml\)/,
    );
    expect(actions(f)).toContainEqual(["rollback", 2]);
    expect(codes(d)).not.toContain("pod-unschedulable");
  });
});
