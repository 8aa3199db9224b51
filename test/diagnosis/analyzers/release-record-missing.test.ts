// release-record-missing: a record Helm wrote is gone (deleted by hand, lost in a restore); pruning by
// --history-max is not that.
import { describe, expect, it } from "vitest";
import { CAUSES_NOW, recordDeleted } from "../../support/scenarios/causes.js";
import { codes, evidenceText, only, diagnoseScenario as run, summaries } from "../support.js";

describe("release-record-missing", () => {
  it("the newest record is superseded: the revision after it was deleted, and its objects still run", () => {
    const d = run(recordDeleted(), CAUSES_NOW);
    const f = only(d, "release-record-missing");
    expect(f.severity).toBe("warning");
    expect(f.title).toBe(
      "Revision 4 of notify has no record: revision 3 is superseded by a revision that is gone",
    );
    expect(f.revisions).toEqual([4]);
    const ev = evidenceText(f);
    expect(ev).toMatch(/stored revisions 1 superseded, 2 superseded, 3 superseded; no record for revision 4/);
    expect(ev).toMatch(
      /1 object carry release notify's ownership but are in no stored manifest.*ConfigMap notify-templates/,
    );
    expect(summaries(f, "manual")).toMatch(/kubectl get secret sh.helm.release.v1.notify.v4 -n shop -o yaml/);
  });

  it("a hole in the middle of the history", () => {
    const f = only(run(recordDeleted("hole"), CAUSES_NOW), "release-record-missing");
    expect(f.title).toMatch(
      /^Revision 3 of notify has no record: it was deleted from the middle of the history/,
    );
  });

  it("near miss: the oldest revisions pruned by --history-max", () => {
    expect(codes(run(recordDeleted("pruned"), CAUSES_NOW))).toEqual([]);
  });

  it("near miss: a hole that pruning made (only the kept deployed revision is older)", () => {
    expect(codes(run(recordDeleted("pruned-deployed"), CAUSES_NOW))).not.toContain("release-record-missing");
  });
});
