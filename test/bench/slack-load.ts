// The load generator of the Slack benchmark, in a process of its own so that neither the server measured nor the
// fake Slack shares its event loop: sends `n` signed slash commands at once to `url` (one connection each, as
// Slack's requests come) and prints one JSON line: each answer's status and latency (ms), in sending order.
// Usage: tsx test/bench/slack-load.ts '{"url":…,"secret":…,"n":200,"text":"r1-{i} -n default","channel":"C0B1{i}"}'
import { sendSlashCommand } from "../support/slack-request.js";

interface LoadSpec {
  url: string;
  secret: string;
  n: number;
  /** Command text; {i} is the command's index. */
  text: string;
  /** Channel id; {i} is the command's index, zero-padded to 5 digits. */
  channel: string;
}

export interface LoadResult {
  status: number[];
  ms: number[];
}

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
const results = await Promise.all(
  Array.from({ length: spec.n }, (_, i) =>
    sendSlashCommand({
      url: spec.url,
      signingSecret: spec.secret,
      text: spec.text.replaceAll("{i}", String(i)),
      channelId: spec.channel.replaceAll("{i}", String(i).padStart(5, "0")),
      timeoutMs: 60_000,
    }).then(
      (r) => ({ status: r.status, ms: r.elapsedMs }),
      () => ({ status: 0, ms: Number.NaN }),
    ),
  ),
);
const out: LoadResult = { status: results.map((r) => r.status), ms: results.map((r) => r.ms) };
process.stdout.write(`${JSON.stringify(out)}\n`);
