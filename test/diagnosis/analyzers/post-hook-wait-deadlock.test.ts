// post-hook-wait-deadlock: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { HOOKS_NOW, postHookDeadlock } from "../../support/scenarios/hooks.js";
import { actions, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions = {}) => diagnoseScenario(s, HOOKS_NOW, o);

describe("post-hook-wait-deadlock", () => {
  it("the Deployment needs a Secret only a post-install hook creates; --wait timed out", () => {
    const d = run(postHookDeadlock());
    const f = d.findings[0]!;
    expect(f.code).toBe("post-hook-wait-deadlock");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /Deployment keycloak cannot become ready: Secret keycloak-db-credentials is only created by a post-install hook/,
    );
    expect(f.resources[0]).toEqual({ kind: "Secret", name: "keycloak-db-credentials", namespace: "auth" });
    expect(f.revisions).toEqual([1]);
    expect(actions(f)).toEqual([
      ["restore-hook-resources", 1],
      ["rerun-upgrade", 1],
      ["chart-fix", undefined],
    ]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/context deadline exceeded/);
    expect(ev).toMatch(/post-install hooks never ran: Secret keycloak-db-credentials; Job keycloak-db-setup/);
    expect(ev).toMatch(/Secret auth\/keycloak-db-credentials does not exist/);
    expect(ev).toMatch(/CreateContainerConfigError/);
    // The stuck pod is evidence, not a finding of its own.
    expect(d.findings.map((x) => x.code)).not.toContain("pod-config-missing");
  });

  it("an --atomic upgrade rolled back: a warning that the next upgrade deadlocks again", () => {
    const f = only(run(postHookDeadlock({ atomicUpgrade: true })), "post-hook-wait-deadlock");
    expect(f.severity).toBe("warning");
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)).toContainEqual(["rerun-upgrade", 2]);
  });

  it("near miss: the Secret exists, so the timeout had another cause", () => {
    expect(run(postHookDeadlock({ secretLive: true })).findings.map((f) => f.code)).not.toContain(
      "post-hook-wait-deadlock",
    );
  });
});
