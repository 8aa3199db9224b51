// One redis-server and one fake Slack Web API for a test file: the setup the queue and Slack tests share.
import { afterAll, beforeAll } from "vitest";
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from "./fake-slack/index.js";
import { startTestRedis, type TestRedis } from "./redis.js";

export interface RedisAndSlack {
  readonly redis: TestRedis;
  readonly fake: FakeSlack;
}

/**
 * Starts both before the file's first test and stops them after its last. Call it at the top of the file, before
 * the file's own hooks: vitest runs after-hooks in reverse order, so the file's own run first and may still use them.
 */
export function redisAndSlack(o: FakeSlackOptions = {}): RedisAndSlack {
  let redis: TestRedis | undefined;
  let fake: FakeSlack | undefined;
  beforeAll(async () => {
    redis = await startTestRedis();
    fake = await startFakeSlack(o);
  });
  afterAll(async () => {
    await fake?.close();
    await redis?.stop();
  });
  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`redisAndSlack: ${what} used before the file's tests started`);
    return v;
  };
  return {
    get redis() {
      return started(redis, "redis");
    },
    get fake() {
      return started(fake, "the fake Slack");
    },
  };
}
