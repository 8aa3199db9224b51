// healthy: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import type { Diagnosis, FindingCode } from "../../src/diagnosis/types.js";
import type { Scenario } from "../support/scenario.js";
import { HOOKS_NOW, healthyWithHooks } from "../support/scenarios/hooks.js";
import { diagnoseScenario, type RunOptions } from "./support.js";

const run = (s: Scenario, o: RunOptions = {}) => diagnoseScenario(s, HOOKS_NOW, o);

const GROUP_B: FindingCode[] = [
  "hook-failed",
  "hook-leftover-blocks",
  "pre-install-hook-needs-manifest-object",
  "hook-sidecar-blocks-completion",
  "post-hook-wait-deadlock",
  "hook-order-dependency",
];
const seriousOfGroupB = (d: Diagnosis) =>
  d.findings.filter((f) => GROUP_B.includes(f.code) && f.severity !== "info").map((f) => f.code);

describe("healthy", () => {
  it("a release whose hooks all Succeeded gives nothing at warning or above", () => {
    const d = run(healthyWithHooks());
    expect(seriousOfGroupB(d)).toEqual([]);
  });
});
