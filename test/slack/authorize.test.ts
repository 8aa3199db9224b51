// Authorization on the ack path: a policy that lets a user group diagnose is decided before the ack from the
// group's membership, read from Slack when serve starts — no Slack call while a request waits for its ack. When
// the membership is not known yet (Slack failed at start), the command is acked and decided after: a refusal
// then follows the ack, and nothing is queued.
import { beforeAll, describe, expect, it } from "vitest";
import { parsePolicy } from "../../src/slack/policy.js";
import { redisAndSlack } from "../support/redis-slack.js";
import { eventually, SIGNING_SECRET, startTestServe, type TestServe } from "../support/slack-app.js";
import { sendSlashCommand } from "../support/slack-request.js";

const POLICY = parsePolicy("version: 1\ndiagnose:\n  usergroups: [S0ONCALL01]\n", "policy.yaml");
const CAROL = "U0CAROL003"; // in the group
const BOB = "U0BOB00002"; // not in it

const rs = redisAndSlack();

beforeAll(async () => {
  rs.fake.setUsergroup("S0ONCALL01", [CAROL]);
});

async function run(serve: TestServe, user: string, channel: string, responseId: string) {
  const res = await sendSlashCommand({
    url: serve.url,
    signingSecret: SIGNING_SECRET,
    text: "yahoo -n default",
    userId: user,
    channelId: channel,
    responseUrl: rs.fake.responseUrl(responseId),
  });
  expect(res.status).toBe(200);
  return JSON.stringify(res.json());
}

const reportIn = (channel: string) =>
  eventually(() => {
    const posted = rs.fake.okCallsTo("chat.postMessage").find((c) => c.args.channel === channel);
    const m = posted && rs.fake.message(channel, String(posted.response.ts));
    return JSON.stringify(m?.blocks ?? "").includes("remediate-") ? true : undefined;
  }, 15_000);

describe("diagnose authorization by user group", () => {
  it("membership read at start: members diagnose, others are refused in the ack, and no Slack call waits", async () => {
    rs.fake.reset();
    const serve = await startTestServe({ fake: rs.fake, redisUrl: rs.redis.url, policy: POLICY });
    try {
      await rs.fake.waitFor("usergroups.users.list", 5000);
      // One round trip through serve after Slack answered: its answer has been read by then.
      await sendSlashCommand({ url: serve.url, signingSecret: SIGNING_SECRET, text: "help" });
      const lookups = rs.fake.callsTo("usergroups.users.list").length;

      const refused = await run(serve, BOB, "C0AUTH0001", "bob-1");
      expect(refused).toContain("Refused: you may not run diagnoses");
      expect(refused).toContain("<!subteam^S0ONCALL01>");

      const ack = await run(serve, CAROL, "C0AUTH0002", "carol-1");
      expect(ack).toContain("Diagnosing default/yahoo");
      await reportIn("C0AUTH0002");

      expect(rs.fake.callsTo("usergroups.users.list")).toHaveLength(lookups);
      expect(rs.fake.okCallsTo("chat.postMessage").filter((c) => c.args.channel === "C0AUTH0001")).toEqual(
        [],
      );
    } finally {
      await serve.stop();
    }
  });

  it("membership not known yet: acked, then decided — a refusal follows the ack and nothing is queued", async () => {
    rs.fake.reset();
    rs.fake.fail("usergroups.users.list", "internal_error", { times: 1 });
    const serve = await startTestServe({ fake: rs.fake, redisUrl: rs.redis.url, policy: POLICY });
    try {
      await rs.fake.waitFor((c) => c.method === "usergroups.users.list" && !c.ok, 5000);

      const ack = await run(serve, BOB, "C0AUTH0003", "bob-2");
      expect(ack).toContain("Diagnosing default/yahoo");
      const refusal = await rs.fake.waitForResponse("bob-2", 5000);
      expect(JSON.stringify(refusal.body)).toContain("Refused: you may not run diagnoses");

      const later = await run(serve, CAROL, "C0AUTH0004", "carol-2");
      expect(later).toContain("Diagnosing default/yahoo");
      await reportIn("C0AUTH0004");
      expect(rs.fake.okCallsTo("chat.postMessage").filter((c) => c.args.channel === "C0AUTH0003")).toEqual(
        [],
      );
      expect(rs.fake.responsesTo("carol-2")).toEqual([]);
    } finally {
      await serve.stop();
    }
  });

  it("a group Slack will not list refuses after the ack, naming the failure", async () => {
    rs.fake.reset();
    rs.fake.fail("usergroups.users.list", "missing_scope", { times: 10 });
    const serve = await startTestServe({ fake: rs.fake, redisUrl: rs.redis.url, policy: POLICY });
    try {
      await run(serve, CAROL, "C0AUTH0005", "carol-3");
      const refusal = await rs.fake.waitForResponse("carol-3", 5000);
      expect(JSON.stringify(refusal.body)).toContain("could not read user group <!subteam^S0ONCALL01>");
      expect(rs.fake.okCallsTo("chat.postMessage").filter((c) => c.args.channel === "C0AUTH0005")).toEqual(
        [],
      );
    } finally {
      await serve.stop();
    }
  });
});
