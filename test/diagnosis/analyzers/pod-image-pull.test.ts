// pod-image-pull: cluster states built with the scenario builders, diagnosed as the CLI does, and near misses that
// must stay quiet.

import { describe, expect, it } from "vitest";
import { diagnose } from "../../../src/diagnosis/diagnose.js";
import { buildSnapshot } from "../../../src/snapshot/build.js";
import type { Obj, Scenario } from "../../support/scenario.js";
import {
  healthyRelease,
  IMAGE_TYPO,
  imagePullCase,
  progressDeadlineExceeded,
  TRANSITIONS_NOW,
} from "../../support/scenarios/transitions.js";
import {
  actions,
  codes,
  diagnoseScenario,
  evidenceText,
  only,
  type RunOptions,
  serious,
  summaries,
} from "../support.js";

const run = (s: Scenario, o: RunOptions & { now?: string } = {}) =>
  diagnoseScenario(s, o.now ?? TRANSITIONS_NOW, o);

describe("pod-image-pull", () => {
  it("an image typo in the new ReplicaSet comes first, naming the revision and rolling back to the previous one", () => {
    const d = run(imagePullCase());
    const f = d.findings[0]!;
    expect(f.code).toBe("pod-image-pull");
    expect(f.severity).toBe("critical");
    expect(f.resources[0]).toEqual({ kind: "Deployment", name: "storefront", namespace: "shop" });
    expect(f.title).toBe(
      `Deployment storefront cannot pull image ${IMAGE_TYPO} (introduced in revision 3): 2 pods in ImagePullBackOff (not found)`,
    );
    expect(f.revisions).toEqual([2, 3]);
    expect(actions(f)[0]).toEqual(["rollback", 2]);
    expect(summaries(f, "manual")).toMatch(/image.tag=1.17-typo/);
    const ev = evidenceText(f);
    expect(ev).toMatch(
      /revision 3 manifest: Deployment storefront .*image nginx:1.17-typo; revision 2 had nginx:1.16.0/,
    );
    expect(ev).toMatch(/Failed ×8.*nginx:1.17-typo: not found/);
    expect(ev).toMatch(/old ReplicaSet storefront-6c8f7d9b8 still serves 2 ready pods/);
    expect(f.explanation).toMatch(/rollout of Deployment storefront is stuck/);
  });

  it("keeps the cause when the kubelet's later Failed events only say ErrImagePull / ImagePullBackOff", () => {
    const s = imagePullCase();
    const items = s.bundle().items as Obj[];
    const pulls = items.filter(
      (o) => o.kind === "Event" && o.reason === "Failed" && /^Failed to pull image/.test(String(o.message)),
    );
    expect(pulls.length).toBeGreaterThan(0);
    const later = (pull: Obj, n: number, message: string): Obj => ({
      ...pull,
      metadata: { ...(pull.metadata as Obj), name: `${(pull.metadata as Obj).name}-${n}` },
      message,
      lastTimestamp: new Date(Date.parse(TRANSITIONS_NOW) - 1000 * n).toISOString(),
    });
    const extra = pulls.flatMap((p) => [
      later(p, 2, "Error: ErrImagePull"),
      later(p, 1, "Error: ImagePullBackOff"),
    ]);
    const d = diagnose(
      buildSnapshot({
        release: s.release,
        namespace: s.namespace,
        objects: [...items, ...extra],
        now: new Date(TRANSITIONS_NOW),
        gaps: [],
        source: "test",
      }),
    );
    expect(d.findings[0]!.title).toMatch(/\(not found\)$/);
  });

  it("the stalled rollout folds into the image pull finding", () => {
    const d = run(imagePullCase({ conditions: progressDeadlineExceeded() }));
    expect(d.findings[0]!.code).toBe("pod-image-pull");
    expect(codes(d)).not.toContain("rollout-stalled");
    expect(evidenceText(d.findings[0]!)).toMatch(/ProgressDeadlineExceeded/);
  });

  it("says so when events could not be read", () => {
    const d = run(imagePullCase(), {
      drop: (o) => o.kind === "Event",
      gaps: [{ what: "events", reason: "forbidden", detail: "add list events" }],
    });
    const f = only(d, "pod-image-pull");
    expect(evidenceText(f)).toMatch(/events: could not be read \(forbidden: add list events\)/);
  });

  it("near miss: a healthy release gives nothing at warning or above", () => {
    expect(serious(run(healthyRelease()))).toEqual([]);
  });
});
