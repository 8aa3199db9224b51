// A helm-doctor process for process-level tests and benchmarks: output collected, readiness awaited by a line it
// prints, exit status observed.
import { type ChildProcess, spawn } from "node:child_process";
import { eventually } from "./slack-app.js";

export interface Child {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  out(): string;
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** Wait until its output matches `re`; resolves with the match. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Send `signal` and wait for the exit code; "still running" (then SIGKILL) after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null | "still running">;
}

export function spawnChild(args: string[], env: NodeJS.ProcessEnv, cwd?: string): Child {
  const child = spawn(process.execPath, args, {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    ...(cwd ? { cwd } : {}),
  });
  let out = "";
  child.stdout!.on("data", (d) => {
    out += d;
  });
  child.stderr!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    out: () => out,
    exited,
    waitFor: (re, timeoutMs = 20_000) =>
      eventually(() => re.exec(out) ?? undefined, timeoutMs, `${re} in: ${out}`),
    stop: async (signal = "SIGTERM", timeoutMs = 15_000) => {
      child.kill(signal);
      const code = await Promise.race([
        exited,
        new Promise<"still running">((r) => setTimeout(() => r("still running"), timeoutMs)),
      ]);
      if (code === "still running") child.kill("SIGKILL");
      return code;
    },
  };
}
