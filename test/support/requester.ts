// What a front end does to ask a worker for a diagnosis, for tests and benchmarks that run workers themselves: a
// producer, the report store and a Slack client on one Redis connection under a key prefix; a request enqueues
// <namespace>/yahoo and follows the job from a "queued…" message, as the slash command does.
import { webApi } from "@slack/bolt";
import type { Redis } from "ioredis";
import { followJob } from "../../src/queue/delivery.js";
import { Producer, type ProducerOptions } from "../../src/queue/producer.js";
import { closeConnection, type Log, producerConnection } from "../../src/queue/redis.js";
import { QUEUES } from "../../src/queue/schemas.js";
import { Store } from "../../src/queue/store.js";
import { FAST_RETRY, type FakeSlack } from "./fake-slack/index.js";
import { cleanPrefix } from "./redis.js";

export const REQUESTER = "U0ANA00001";

export interface RequesterOptions {
  redisUrl: string;
  fake: FakeSlack;
  prefix: string;
  log: Log;
  /** The producer's options besides the prefix (default: no deduplication). */
  producer?: Omit<ProducerOptions, "prefix">;
  /** The WebClient's options besides the fake's URL (default: FAST_RETRY). */
  client?: webApi.WebClientOptions;
}

export interface Requester {
  prefix: string;
  conn: Redis;
  producer: Producer;
  store: Store;
  client: webApi.WebClient;
  /**
   * Ask for a diagnosis of <namespace>/yahoo (default: default/yahoo) from `channel`, followed in message `ts`
   * (default: a new "queued…").
   */
  request(
    channel: string,
    ts?: string,
    namespace?: string,
  ): Promise<{ jobId: string; channel: string; ts: string }>;
  /** Closes the producer and the connection and deletes the prefix's keys. */
  close(): Promise<void>;
}

export function startRequester(o: RequesterOptions): Requester {
  const conn = producerConnection(o.redisUrl, o.log);
  const producer = new Producer(conn, { dedupWindowMs: 0, ...o.producer, prefix: o.prefix });
  const store = new Store(conn, o.prefix);
  const client = new webApi.WebClient(o.fake.token, {
    slackApiUrl: o.fake.apiUrl,
    retryConfig: FAST_RETRY,
    ...o.client,
  });
  return {
    prefix: o.prefix,
    conn,
    producer,
    store,
    client,
    request: async (channel, seeded, namespace = "default") => {
      const { jobId } = await producer.enqueueDiagnose({
        release: "yahoo",
        namespace,
        requestedBy: REQUESTER,
        channel,
        requestedAt: new Date().toISOString(),
      });
      const ts = seeded ?? o.fake.seedMessage(channel, { text: "queued…" });
      await followJob(client, store, QUEUES.diagnose, jobId, { channel, ts, user: REQUESTER }, o.log);
      return { jobId, channel, ts };
    },
    close: async () => {
      await producer.close();
      await closeConnection(conn);
      await cleanPrefix(o.redisUrl, o.prefix);
    },
  };
}
