// The report store is a redaction boundary: what a stored plan, diagnosis or result shows is redacted on the way
// into Redis, while what a later button press acts on (release, namespace, resources, revisions) is kept as it is.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobResult, StoredDiagnosis, StoredPlan } from "../../src/queue/schemas.js";
import { Store } from "../../src/queue/store.js";
import { REDACTED, secrets } from "../../src/report/redact.js";
import { cleanPrefix, startTestRedis, type TestRedis, uniquePrefix } from "../support/redis.js";

const SECRET = "st0red-S3cret-value-991";
/** A release whose name happens to equal a learned secret literal: acting on it must still work. */
const NAMED_LIKE_A_SECRET = "payments-db-7788";

let redis: TestRedis;
let conn: Redis;
let store: Store;
const prefix = uniquePrefix("store");

beforeAll(async () => {
  redis = await startTestRedis();
  conn = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  store = new Store(conn, prefix);
  secrets.learn([SECRET, NAMED_LIKE_A_SECRET]);
});

afterAll(async () => {
  await cleanPrefix(redis.url, prefix);
  conn?.disconnect();
  await redis?.stop();
});

const message = (t: string) => ({
  text: t,
  blocks: [{ type: "section", text: { type: "mrkdwn", text: t } }],
});

describe("Store", () => {
  it("a plan: its label and head redacted, what Confirm acts on kept", async () => {
    const plan: StoredPlan = {
      id: "PLANid000000000001",
      diagnosisId: "DIAGid00000000001",
      label: `Roll back (saw ${SECRET})`,
      action: "rollback",
      revision: 1,
      resources: [{ kind: "ConfigMap", name: NAMED_LIKE_A_SECRET }],
      release: NAMED_LIKE_A_SECRET,
      namespace: "default",
      expectedRevision: 2,
      requestedBy: { id: "U0ANA00001" },
      channel: "C0STORE001",
      reportTs: "1700000000.000100",
      head: message(`event quoted password=${SECRET}`),
      executable: true,
      createdAt: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await store.savePlan(plan);
    const raw = (await conn.get(`${prefix}:hd:plan:${plan.id}`)) ?? "";
    expect(raw).not.toContain(SECRET);
    const back = await store.getPlan(plan.id);
    expect(back?.label).toBe(`Roll back (saw ${REDACTED})`);
    expect(JSON.stringify(back?.head)).toContain(REDACTED);
    expect(back?.release).toBe(NAMED_LIKE_A_SECRET);
    expect(back?.resources).toEqual([{ kind: "ConfigMap", name: NAMED_LIKE_A_SECRET }]);
    expect(back?.expectedRevision).toBe(2);
  });

  it("a diagnosis and a job result: report, summaries and messages redacted; ids and targets kept", async () => {
    const d: StoredDiagnosis = {
      id: "DIAGid00000000002",
      release: NAMED_LIKE_A_SECRET,
      namespace: "default",
      revision: 2,
      status: "failed",
      remediations: [
        {
          action: "rollback",
          revision: 1,
          summary: `Roll back: the event said ${SECRET}`,
          label: "Roll back to revision 1",
          findingCode: "hook-failed",
          resources: [],
        },
      ],
      createdAt: new Date().toISOString(),
      report: message(`tried ${SECRET}`),
    };
    await store.saveDiagnosis(d);
    const got = await store.getDiagnosis(d.id);
    expect(got?.release).toBe(NAMED_LIKE_A_SECRET);
    expect(got?.remediations[0]?.summary).toBe(`Roll back: the event said ${REDACTED}`);
    expect(JSON.stringify(got?.report)).not.toContain(SECRET);

    const result: JobResult = {
      kind: "report",
      diagnosisId: d.id,
      main: message(`main ${SECRET}`),
      thread: [message(`thread ${SECRET}`)],
    };
    const stored = await store.setResult("diagnose", "job-1", result);
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(stored.diagnosisId).toBe(d.id);
    await store.saveLast("default", NAMED_LIKE_A_SECRET, result);
    expect(JSON.stringify(await store.getLast("default", NAMED_LIKE_A_SECRET))).not.toContain(SECRET);
    const everything = JSON.stringify(
      await Promise.all((await conn.keys(`${prefix}:*`)).map((k) => conn.get(k))),
    );
    expect(everything).not.toContain(SECRET);
  });
  it("one report stored three times is redacted alike each time, and a secret learned in between is redacted", async () => {
    const late = "l4te-Learned-secret-5521";
    const main = message(`saw ${SECRET} and ${late}`);
    const result: JobResult = { kind: "report", diagnosisId: "DIAGid00000000003", main, thread: [main] };
    await store.saveDiagnosis({
      id: "DIAGid00000000003",
      release: "web",
      namespace: "default",
      revision: 1,
      status: "failed",
      remediations: [],
      createdAt: new Date().toISOString(),
      report: main,
    });
    const first = JSON.stringify((await store.getDiagnosis("DIAGid00000000003"))?.report);
    expect(first).not.toContain(SECRET);
    expect(first).toContain(late); // not a secret yet: this process has not read it anywhere
    secrets.learn([late]);
    await store.saveLast("default", "web", result);
    const last = JSON.stringify(await store.getLast("default", "web"));
    expect(last).not.toContain(late);
    expect(last).not.toContain(SECRET);
    const stored = await store.setResult("diagnose", "job-3", result);
    expect(JSON.stringify(stored)).not.toContain(late);
    expect(stored.main.text).toBe(`saw ${REDACTED} and ${REDACTED}`);
    // The message given to the store is left as it was.
    expect(main.text).toBe(`saw ${SECRET} and ${late}`);
  });
});
