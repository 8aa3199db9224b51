// resource-moved-out-of-hook: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { movedOutOfHook, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import {
  actions,
  codes,
  diagnoseScenario,
  evidenceText,
  only,
  type RunOptions,
  summaries,
} from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("resource-moved-out-of-hook", () => {
  it("a ConfigMap that was a hook in revision 1 and is a regular resource in revision 2 fails on ownership", () => {
    const d = run(movedOutOfHook());
    const f = d.findings[0]!;
    expect(f.code).toBe("resource-moved-out-of-hook");
    expect(f.severity).toBe("critical");
    expect(f.role).toBe("root");
    expect(f.resources[0]).toEqual({ kind: "ConfigMap", name: "web-settings", namespace: "shop" });
    expect(f.revisions).toEqual([1, 2]);
    expect(f.title).toMatch(
      /ConfigMap web-settings was a hook in revision 1 .* revision 2: the upgrade fails on ownership/,
    );
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 1 hooks: ConfigMap web-settings is a hook \(web-app\/templates\/configmap.yaml\): events pre-install,pre-upgrade/,
    );
    expect(ev).toMatch(/revision 2 manifest: ConfigMap web-settings is a regular release resource/);
    expect(ev).toMatch(
      /live cluster: ConfigMap shop\/web-settings exists .*no label app.kubernetes.io\/managed-by, no annotation meta.helm.sh\/release-name/,
    );
    expect(ev).toMatch(/revision 2 description: .*exists and cannot be imported into the current release/);
    expect(actions(f).map((a) => a[0])).toEqual(["manual", "chart-fix"]);
    const manual = summaries(f, "manual");
    expect(manual).toContain(
      "kubectl -n shop annotate configmap/web-settings meta.helm.sh/release-name=web meta.helm.sh/release-namespace=shop",
    );
    expect(manual).toContain(
      "kubectl -n shop label configmap/web-settings app.kubernetes.io/managed-by=Helm",
    );
    expect(manual).toContain("--take-ownership");
    expect(summaries(f, "chart-fix")).toContain("web-app/templates/configmap.yaml");
    expect(f.explanation).toMatch(/Helm checks this before it changes anything/);
  });

  it("a warning once the live object carries ownership (a retry passes)", () => {
    const f = only(run(movedOutOfHook({ ownershipFixed: true })), "resource-moved-out-of-hook");
    expect(f.severity).toBe("warning");
    expect(summaries(f, "manual")).toMatch(/Run the same helm upgrade again/);
    expect(evidenceText(f)).toMatch(/now carries Helm ownership for release web/);
  });

  it("predicts the failure while revision 2 is still pending", () => {
    const f = only(run(movedOutOfHook({ outcome: "pending" })), "resource-moved-out-of-hook");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/the upgrade will fail on ownership metadata/);
  });

  it("a rollback into the regular-resource revision fails on the leftover hook copy", () => {
    const f = only(run(movedOutOfHook({ rollback: true })), "resource-moved-out-of-hook");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(/the rollback to revision 1 fails on the leftover hook copy/);
    expect(f.revisions).toEqual([3, 4]);
    expect(actions(f)).toContainEqual(["rollback", 1]);
    expect(summaries(f, "manual")).toMatch(/kubectl -n shop delete configmap\/web-settings/);
    // The hook copy's hook-object-needed-by-workload warning for revision 3 is moot: the chart has moved on.
    expect(codes(run(movedOutOfHook({ rollback: true })))).not.toContain("hook-object-needed-by-workload");
  });

  it("near miss: the upgrade went through after the object was adopted", () => {
    expect(codes(run(movedOutOfHook({ outcome: "deployed" })))).not.toContain("resource-moved-out-of-hook");
  });
});
