// The redacting fetch every Slack client sends through: form bodies (Web API, with Block Kit as JSON fields) and
// JSON bodies (response_url), with addressing fields left as they are.
import { describe, expect, it } from "vitest";
import { REDACTED, secrets } from "../../src/report/redact.js";
import { redactBody, redactingFetch } from "../../src/slack/client.js";

const SECRET = "Qw3rty-s3cret-for-client-test";
secrets.learn([SECRET]);

describe("redactBody", () => {
  it("a Web API form: text and JSON fields redacted, ids untouched", () => {
    const form = new URLSearchParams({
      channel: "C0CHAN0001",
      ts: "1700000000.000100",
      text: `found ${SECRET}`,
      blocks: JSON.stringify([
        { type: "section", text: { type: "mrkdwn", text: `token=${"a1".repeat(8)}` } },
      ]),
    }).toString();
    const out = new URLSearchParams(redactBody(form, "application/x-www-form-urlencoded"));
    expect(out.get("channel")).toBe("C0CHAN0001");
    expect(out.get("ts")).toBe("1700000000.000100");
    expect(out.get("text")).toBe(`found ${REDACTED}`);
    expect(JSON.parse(out.get("blocks")!)).toEqual([
      { type: "section", text: { type: "mrkdwn", text: `token=${REDACTED}` } },
    ]);
  });

  it("a response_url JSON body: every word redacted, response_type kept", () => {
    const body = JSON.stringify({ response_type: "ephemeral", replace_original: false, text: `x ${SECRET}` });
    expect(JSON.parse(redactBody(body, "application/json"))).toEqual({
      response_type: "ephemeral",
      replace_original: false,
      text: `x ${REDACTED}`,
    });
  });
});

describe("redactingFetch", () => {
  it("sends the redacted body to the inner fetch; other bodies pass as they are", async () => {
    const seen: unknown[] = [];
    const inner = (async (_url: unknown, init?: RequestInit) => {
      seen.push(init?.body);
      return new Response("{}");
    }) as typeof fetch;
    const f = redactingFetch(inner);
    await f("http://slack.test/api/chat.postMessage", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ text: SECRET }).toString(),
    });
    const form = new FormData();
    await f("http://slack.test/api/files.upload", { method: "POST", body: form });
    expect(seen[0]).toBe(new URLSearchParams({ text: REDACTED }).toString());
    expect(seen[1]).toBe(form);
  });
});
