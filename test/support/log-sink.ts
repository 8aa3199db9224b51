// A log destination that keeps what is written, for tests that read a logger's lines.
import { Writable } from "node:stream";

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
