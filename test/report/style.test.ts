// Line wrapping of the terminal report.
import { describe, expect, it } from "vitest";
import { wrapText } from "../../src/report/style.js";

describe("wrapText", () => {
  it("never splits a time across lines, and keeps the words in order", () => {
    const text =
      "last run Failed after 4m50s (started 2026-11-24 11:10:00 UTC), then again at 2026-11-24 11:15:00 UTC";
    for (let width = 20; width <= 60; width++) {
      const out = wrapText(text, width, "  ");
      expect(out, `width ${width}`).not.toMatch(/\d{4}-\d\d-\d\d\n|\d\d:\d\d:\d\d\n/);
      expect(out.replace(/\s+/g, " ").trim()).toBe(text);
    }
  });
});

describe("remediationCommand", () => {
  it("a leftover hook is deleted with kubectl, then the step that needed it gone runs", async () => {
    const { remediationCommand } = await import("../../src/report/present.js");
    const d = { release: "ledger", namespace: "fin" };
    expect(
      remediationCommand(d, {
        action: "delete-leftover-hook",
        revision: 3,
        summary: "Delete the leftover Job",
        resources: [{ kind: "Job", name: "ledger-migrate", namespace: "fin" }],
        followedBy: { action: "rerun-upgrade", revision: 3 },
      }),
    ).toBe("kubectl delete job -n fin ledger-migrate && helm-doctor rerun ledger -n fin --revision 3");
    expect(
      remediationCommand(d, { action: "delete-leftover-hook", summary: "Delete it", resources: [] }),
    ).toBeUndefined();
  });
});
