// Properties every diagnosis keeps, checked over every cluster state the scenario builders make: a release whose
// latest revision failed or is stuck is never "no problems" and the report quotes Helm's own words; causes come
// before the symptoms they explain; every code is a registered analyzer's.
import { describe, expect, it } from "vitest";
import { diagnose } from "../../src/diagnosis/diagnose.js";
import { FINDING_CODES } from "../../src/diagnosis/registry.js";
import { type Diagnosis, SEVERITY_RANK } from "../../src/diagnosis/types.js";
import { ALL_SCENARIOS, snapshotOf } from "../support/scenarios/all.js";

function run(c: (typeof ALL_SCENARIOS)[number]): Diagnosis {
  return diagnose(snapshotOf(c));
}

const UNHEALTHY = /^(failed|pending-.*|uninstalling|uninstalled)$/;

describe("every scenario", () => {
  for (const c of ALL_SCENARIOS) {
    it(c.name, () => {
      const d = run(c);
      for (const f of d.findings) expect(FINDING_CODES).toContain(f.code);
      // Ranked: most severe first, and within a severity causes before symptoms.
      for (let i = 1; i < d.findings.length; i++) {
        const a = d.findings[i - 1]!;
        const b = d.findings[i]!;
        expect(SEVERITY_RANK[a.severity]).toBeLessThanOrEqual(SEVERITY_RANK[b.severity]);
        if (a.severity === b.severity) expect(a.role === "symptom" && b.role === "root").toBe(false);
      }
      if (!UNHEALTHY.test(d.status ?? "")) {
        expect(d.findings.map((f) => f.code)).not.toContain("release-failed");
        return;
      }
      // A failed or stuck latest revision: at least one warning-or-worse finding that quotes Helm's own words.
      const latest = d.revisions.find((r) => r.revision === d.revision)!;
      const words = latest.description.replace(/\s*\n\s*/g, " ").trim();
      const quoting = d.findings.filter(
        (f) =>
          f.severity !== "info" &&
          [f.title, f.explanation, ...f.evidence.map((e) => e.detail)].some((t) =>
            t.replace(/\s*\n\s*/g, " ").includes(words),
          ),
      );
      expect(
        quoting.length,
        `${d.findings.map((f) => `${f.severity} ${f.code}`).join(", ")}`,
      ).toBeGreaterThan(0);
    });
  }
});
