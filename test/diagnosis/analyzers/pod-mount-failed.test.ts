// pod-mount-failed: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import { diagnose } from "../../../src/diagnosis/diagnose.js";
import { buildSnapshot } from "../../../src/snapshot/build.js";
import type { Obj } from "../../support/scenario.js";
import { FOUNDING_NOW, foundingCase } from "../../support/scenarios/founding.js";
import { only, summaries } from "../support.js";

describe("pod-mount-failed", () => {
  it("a warning, not an alarm, when the missing ConfigMap exists again after the pods' events", () => {
    const s = foundingCase();
    const cm = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "basic-app-config",
        namespace: "default",
        creationTimestamp: new Date(Date.parse(FOUNDING_NOW) - 60_000).toISOString(),
      },
      data: { "app.conf": "x" },
    };
    const d = diagnose(
      buildSnapshot({
        release: s.release,
        namespace: s.namespace,
        objects: [...(s.bundle().items as Obj[]), cm],
        now: new Date(FOUNDING_NOW),
        gaps: [],
        source: "test",
      }),
    );
    expect(d.findings.filter((f) => f.severity === "critical").map((f) => f.code)).toEqual([]);
    const f = only(d, "pod-mount-failed");
    expect(f.severity).toBe("warning");
    expect(f.explanation).toContain(
      "ConfigMap basic-app-config exists now, created 1 min before this diagnosis",
    );
    expect(summaries(f, "manual")).toMatch(/^Wait a few minutes for the pods to start/);
  });
});
