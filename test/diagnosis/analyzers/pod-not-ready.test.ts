// pod-not-ready: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Scenario } from "../../support/scenario.js";
import { notReadyCase, TRANSITIONS_NOW } from "../../support/scenarios/transitions.js";
import { actions, codes, diagnoseScenario, evidenceText, only, type RunOptions } from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("pod-not-ready", () => {
  it("the readiness probe changed in revision 3 fails on the new pods", () => {
    const f = only(run(notReadyCase()), "pod-not-ready");
    expect(f.severity).toBe("critical");
    expect(f.title).toMatch(
      /2 pods running but not Ready since revision 3 — Readiness probe failed: HTTP probe failed with statuscode: 404/,
    );
    expect(evidenceText(f)).toMatch(
      /readiness probe HTTP GET \/healthz on port http → HTTP GET \/ready on port http/,
    );
    expect(actions(f)).toContainEqual(["rollback", 2]);
  });

  it("near miss: pods that started a minute ago and have not failed a probe", () => {
    expect(codes(run(notReadyCase({ young: true })))).not.toContain("pod-not-ready");
  });
});

describe("pod-not-ready inside the progress deadline", () => {
  it("new pods failing readiness four minutes into the rollout, the old pods serving: a rollout in progress, a warning", () => {
    const f = only(run(notReadyCase({ inProgress: true })), "pod-not-ready");
    expect(f.severity).toBe("warning");
    expect(f.title).toMatch(/\(rollout in progress\)$/);
    expect(f.explanation).toMatch(/inside its progress deadline \(until 2026-11-20T12:06:00.000Z\)/);
    expect(f.explanation).toMatch(/nothing is down/);
    // Waiting is the advice, not undoing a deploy that may yet finish.
    expect(f.remediations.map((r) => r.action)).toEqual(["manual"]);
    expect(f.remediations[0]!.summary).toMatch(
      /^Wait: the rollout has until 2026-11-20T12:06:00.000Z .*kubectl rollout status deployment\//,
    );
  });

  it("near miss: past the deadline it is stuck — critical, and the rollback is offered", () => {
    const f = only(run(notReadyCase()), "pod-not-ready");
    expect(f.severity).toBe("critical");
    expect(f.remediations.map((r) => r.action)).toContain("rollback");
  });
});
