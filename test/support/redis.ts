// A real Redis for tests: a private `redis-server` on a free port when one is on PATH (no persistence, killed
// after), else the server at REDIS_URL. Each test picks its own key prefix with `uniquePrefix()` and cleans up.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, Socket } from "node:net";

export interface TestRedis {
  /** redis://127.0.0.1:PORT */
  url: string;
  port: number;
  /** True when this process started the server (so it can be stopped and restarted). */
  owned: boolean;
  /** Kill the server (SIGKILL: like a crash). Only when owned. */
  kill(): Promise<void>;
  /** Start it again on the same port. Only when owned. */
  restart(): Promise<void>;
  /** Stop for good. */
  stop(): Promise<void>;
}

export function redisServerOnPath(): boolean {
  const r = spawnSync("redis-server", ["--version"], { stdio: "ignore" });
  return r.status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves once the server at host:port answers PING with PONG. */
async function waitForPong(port: number, child?: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null))
      throw new Error(
        `redis-server on port ${port} exited at start (${child.exitCode ?? child.signalCode}): port in use?`,
      );
    const ok = await new Promise<boolean>((resolve) => {
      const sock = new Socket();
      let buf = "";
      const done = (v: boolean) => {
        sock.destroy();
        resolve(v);
      };
      sock.setTimeout(500, () => done(false));
      sock.once("error", () => done(false));
      sock.on("data", (d) => {
        buf += d.toString();
        if (buf.includes("PONG")) done(true);
      });
      sock.connect(port, "127.0.0.1", () => sock.write("PING\r\n"));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function spawnRedis(port: number): ChildProcess {
  const child = spawn(
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--loglevel",
      "warning",
    ],
    { stdio: "ignore" },
  );
  child.unref();
  return child;
}

async function killChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    // The child is unref'd while it runs; waiting for its exit must keep the event loop alive.
    child.ref();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

export async function startTestRedis(opts: { port?: number } = {}): Promise<TestRedis> {
  if (!redisServerOnPath()) {
    const url = process.env.REDIS_URL;
    if (!url) throw new Error("tests need redis-server on PATH or REDIS_URL");
    const port = Number(new URL(url).port || 6379);
    const unsupported = async () => {
      throw new Error("this Redis is not owned by the test (REDIS_URL): cannot kill or restart it");
    };
    return { url, port, owned: false, kill: unsupported, restart: unsupported, stop: async () => {} };
  }
  const port = opts.port ?? (await freePort());
  let child: ChildProcess | undefined = spawnRedis(port);
  await waitForPong(port, child);
  const onExit = () => child?.kill("SIGKILL");
  process.once("exit", onExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    owned: true,
    kill: async () => {
      await killChild(child);
      child = undefined;
    },
    restart: async () => {
      await killChild(child);
      child = spawnRedis(port);
      await waitForPong(port, child);
    },
    stop: async () => {
      await killChild(child);
      child = undefined;
      process.off("exit", onExit);
    },
  };
}

/** A key prefix of its own for one test (BullMQ prefix and helm-doctor keys). */
export function uniquePrefix(name = "t"): string {
  return `hdtest-${name}-${randomBytes(4).toString("hex")}`;
}

/** Delete every key under `prefix` (SCAN + DEL through a short-lived connection). */
export async function cleanPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import("ioredis");
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  r.on("error", () => {});
  try {
    await r.connect();
    let cursor = "0";
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== "0");
  } catch {
    // the server may be gone already (a test that killed it): nothing to clean
  } finally {
    r.disconnect();
  }
}
