// A helm-doctor process for process-level tests and benchmarks: output collected, readiness awaited by a line it
// prints, exit status observed.
import { type ChildProcess, spawn } from "node:child_process";

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
  // Waiters are checked on every chunk of output: no polling.
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d;
    for (const w of [...waiters]) w();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => {
      exitCode = code;
      for (const w of [...waiters]) w();
      resolve(code);
    }),
  );
  return {
    child,
    out: () => out,
    exited,
    waitFor: (re, timeoutMs = 30_000) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        const done = () => {
          waiters.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          const m = re.exec(out);
          if (m) {
            done();
            resolve(m);
          } else if (exitCode !== undefined) {
            done();
            reject(new Error(`exited (${exitCode}) before ${re} in: ${out}`));
          }
        };
        // A generous guard for a process that never gets there; the test's own timeout is the real limit.
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${re} in: ${out}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: async (signal = "SIGTERM", timeoutMs = 20_000) => {
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<"still running">((r) => {
          timer = setTimeout(() => r("still running"), timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (code === "still running") child.kill("SIGKILL");
      return code;
    },
  };
}
