// Every cluster state the scenario builders make: each fix a report offers was carried out on the snapshot and
// proven, or it says why it is not a fix; one proven fix per finding is recommended and comes first, in the text
// report, in Slack's buttons and in the JSON report alike.
import { describe, expect, it } from "vitest";
import { diagnoseVerified } from "../../src/remediation/verify.js";
import { remediationOptions } from "../../src/report/blockkit.js";
import { diagnosisJson } from "../../src/report/json.js";
import { isExecutable, orderedRemediations, remediationLabel } from "../../src/report/present.js";
import { makeStyle } from "../../src/report/style.js";
import { renderText } from "../../src/report/text.js";
import { ALL_SCENARIOS, snapshotOf } from "../support/scenarios/all.js";

describe("every offered fix is proven or says why not", () => {
  for (const c of ALL_SCENARIOS) {
    it(c.name, () => {
      const d = diagnoseVerified(snapshotOf(c));
      for (const f of d.findings) {
        const ordered = orderedRemediations(f).filter(isExecutable);
        for (const r of ordered) {
          expect(typeof r.verified, `${f.code}: ${r.action} ${r.revision ?? ""}`).toBe("boolean");
          expect(Array.isArray(r.predicted)).toBe(true);
          if (r.verified) expect(r.reason).toBeUndefined();
          else expect(r.reason, `${f.code}: ${r.action} ${r.revision ?? ""}`).toMatch(/\w{3,}/);
        }
        const proven = ordered.filter((r) => r.verified);
        const recommended = ordered.filter((r) => r.recommended);
        expect(recommended).toHaveLength(proven.length > 0 ? 1 : 0);
        if (proven.length > 0) expect(ordered[0]).toBe(recommended[0]);
        // The finding a fix is proven for is gone in its prediction.
        for (const r of proven) expect(r.predicted).not.toContain(f.code);
      }
      // Buttons: offered fixes only, the top finding's recommended one first (Slack's primary button).
      const buttons = remediationOptions(d);
      for (const b of buttons)
        expect(
          d.findings.some((f) =>
            f.remediations.some(
              (r) => r.action === b.action && r.revision === b.revision && r.verified !== false,
            ),
          ),
        ).toBe(true);
      const top = d.findings[0] ? orderedRemediations(d.findings[0]).find((r) => r.recommended) : undefined;
      if (top) expect(buttons[0]).toMatchObject({ action: top.action, revision: top.revision });
      const rejected = d.findings.flatMap((f) => f.remediations.filter((r) => r.verified === false));
      // Text: the summary lists no rejected fix; the details say "Not a fix" once for each.
      const text = renderText(d, makeStyle(false));
      const summary = text.split("\n\n")[0]!;
      for (const r of rejected) {
        expect(summary).not.toContain(`. ${remediationLabel(r)}  `);
        expect(text.replace(/\s+/g, " ")).toContain(`Not a fix: ${remediationLabel(r)} —`);
      }
      // JSON: the same fields, and the label and command the text prints.
      for (const f of diagnosisJson(d).findings)
        for (const r of f.remediations) expect(r.label).toBe(remediationLabel(r));
    });
  }
});
