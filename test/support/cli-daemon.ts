// `helm-doctor serve` or `worker` from the built CLI as a child process, configured by the environment only (as
// in a container), waited for until /readyz answers 200; stop() sends SIGTERM and waits for the exit.
import { type ChildProcess, spawn } from "node:child_process";
import { BIN, ROOT } from "./cli.js";
import { freePort } from "./redis.js";
import { eventually } from "./slack-app.js";

export interface CliDaemon {
  child: ChildProcess;
  port: number;
  /** http://127.0.0.1:PORT */
  base: string;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

export interface CliDaemonOptions {
  mode: "serve" | "worker" | "watch";
  /** Arguments after the mode (e.g. --watch). */
  args?: string[];
  /** The environment (PATH and HOME are added; PORT is chosen). */
  env: Record<string, string>;
  /** A command that runs the CLI, e.g. unshare(1) with a setup script: `[...wrapper, node, bin, mode]`. */
  wrapper?: string[];
  readyTimeoutMs?: number;
  /** Which /readyz status counts as started (default 200; a daemon expected to be unready answers 503). */
  readyStatus?: number;
}

export async function startCliDaemon(o: CliDaemonOptions): Promise<CliDaemon> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const [cmd, ...args] = [...(o.wrapper ?? []), process.execPath, BIN, o.mode, ...(o.args ?? [])];
  const child = spawn(cmd!, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...o.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`helm-doctor ${o.mode} exited ${child.exitCode}: ${err}`);
      const status = (await fetch(`${base}/readyz`).catch(() => undefined))?.status;
      return status === (o.readyStatus ?? 200) ? true : undefined;
    },
    o.readyTimeoutMs ?? 20_000,
    `helm-doctor ${o.mode} ready`,
  );
  return {
    child,
    port,
    base,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
