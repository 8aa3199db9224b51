// npm run bench: every benchmark, one table each. Figures vary by machine; the README quotes one run.
import { benchColdStart } from "./coldstart.js";
import { benchDecode } from "./decode.js";
import { benchDiagnose } from "./diagnose.js";
import { benchFaults } from "./faults.js";
import { benchLive } from "./live.js";
import { benchMemory } from "./memory.js";
import { benchScale } from "./scale.js";
import { benchSlack } from "./slack.js";
import { table } from "./table.js";
import { benchVerify } from "./verify.js";
import { benchWatch } from "./watch.js";

const only = process.argv.slice(2);
const want = (name: string) => only.length === 0 || only.includes(name);

if (want("coldstart"))
  table("cold start: the CLI vs starting Node (wall time, interleaved runs)", benchColdStart().rows);
if (want("decode")) table("release record decode", benchDecode().rows);
if (want("diagnose")) table("diagnosis: analysis time alone", benchDiagnose().rows);
if (want("verify")) table("proven fixes: verifying every remediation vs analysis alone", benchVerify().rows);
if (want("live"))
  table("live read vs helm-history-style full read (fake API server)", (await benchLive()).rows);
if (want("slack"))
  table(
    "Slack front end (HTTP receiver, BullMQ on a local redis-server, fake Slack)",
    (await benchSlack()).rows,
  );
if (want("scale"))
  table(
    "Scale-out: worker processes against a cluster 50 ms away (fake API server), backlog queued before they start",
    (await benchScale()).rows,
  );
if (want("memory")) table("Memory: a diagnosis worker's peak RSS", (await benchMemory()).rows);
if (want("faults"))
  table(
    "Faults: worker SIGKILLs and final chat.update failures (production defaults)",
    (await benchFaults()).rows,
  );
if (want("watch"))
  table("helm-doctor watch: 20 namespaces, 500 releases (fake API server)", (await benchWatch()).rows);
