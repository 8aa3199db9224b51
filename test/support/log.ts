// Logs in tests: a destination that keeps what is written (tests that read a logger's lines), and a Log that
// says nothing.
import { Writable } from "node:stream";
import type { Log } from "../../src/queue/redis.js";

export const quietLog: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function memorySink(): Writable & { text: () => string } {
  let buf = "";
  const w = new Writable({
    write(chunk, _enc, cb) {
      buf += chunk;
      cb();
    },
  }) as Writable & { text: () => string };
  w.text = () => buf;
  return w;
}
