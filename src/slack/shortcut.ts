// The message shortcut "Diagnose with helm-doctor" (callback id `diagnose_message`): on a message that holds the
// output of a failed helm command (a CI bot's failure post), read the release and namespace where Helm names them,
// or ask for them in a form (modal); the diagnosis job carries the output as evidence, and its progress and report
// go to the message's thread. Authorized like the slash command. The message is untrusted input: read with zod,
// capped (only its helm error lines travel, at most HELM_OUTPUT_MAX_BYTES), and never echoed or logged.
import type { App, MessageShortcut, ViewSubmitAction } from "@slack/bolt";
import * as z from "zod";
import { namespaceProblem, releaseNameProblem } from "../helm/names.js";
import { HELM_ERROR_START, HELM_FAILURE_SENTENCE } from "../helm/output.js";
import type { SlackClient } from "../queue/delivery.js";
import { QueueUnavailableError } from "../queue/producer.js";
import { withTimeout } from "../queue/redis.js";
import { HELM_OUTPUT_MAX_BYTES, namedCluster, OPAQUE_ID_RE } from "../queue/schemas.js";
import { newDiagnosisId } from "../queue/store.js";
import { esc, renderNotice } from "../report/blockkit.js";
import { QUEUE_REACHABLE } from "./guard.js";
import { type HandlerContext, postAndFollow, producerOf } from "./handlers.js";
import { decide, QUEUE_DOWN, slackError } from "./shared.js";

export const SHORTCUT_CALLBACK_ID = "diagnose_message";
/** The form that asks for the release and namespace when the message does not name them with confidence. */
export const TARGET_VIEW_CALLBACK_ID = "diagnose_message_target";

// ---------------------------------------------------------------- reading the message (pure)

/** The most message text scanned (Slack caps a message's text at 40,000 characters; attachments add some). */
const MAX_SCAN_CHARS = 64 * 1024;
/** Bounds of the walk over untrusted attachments and blocks. */
const MAX_DEPTH = 12;
const MAX_NODES = 5000;

/** Inline rich-text elements: one line of text between them, not one line each. */
const INLINE = new Set([
  "text",
  "link",
  "emoji",
  "user",
  "usergroup",
  "channel",
  "broadcast",
  "date",
  "color",
]);

function inlineText(e: Record<string, unknown>): string {
  if (typeof e.text === "string") return e.text;
  if (typeof e.url === "string") return e.url;
  if (typeof e.name === "string" && e.type === "emoji") return `:${e.name}:`;
  return "";
}

/** The strings of attachments and blocks (section and context text, fields, rich text), in order. */
function collectText(v: unknown, out: string[], budget: { nodes: number }, depth = 0): void {
  if (depth > MAX_DEPTH || budget.nodes-- <= 0 || v === null || typeof v !== "object") return;
  if (Array.isArray(v)) {
    for (const x of v) collectText(x, out, budget, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  for (const k of ["pretext", "title", "text", "value"]) {
    const s = o[k];
    if (typeof s === "string") out.push(s);
    else if (s && typeof s === "object") collectText(s, out, budget, depth + 1);
  }
  const elements = o.elements;
  if (Array.isArray(elements)) {
    const inline = elements.every(
      (e) => e && typeof e === "object" && INLINE.has(String((e as { type?: unknown }).type)),
    );
    if (inline) out.push(elements.map((e) => inlineText(e as Record<string, unknown>)).join(""));
    else collectText(elements, out, budget, depth + 1);
  }
  for (const k of ["fields", "blocks"]) collectText(o[k], out, budget, depth + 1);
}

/** Slack's message encoding undone: links and mentions, entities, code markup, quotes, typographic quotes. */
export function slackPlainText(s: string): string {
  return s
    .replace(/<([^<>|]*)\|([^<>]*)>/g, "$2")
    .replace(/<([^<>]*)>/g, "$1")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u00a0\u2000-\u200b\u202f\u205f\u3000]/g, " ")
    .replace(/`/g, "")
    .replace(/^[ \t]*>[ \t]?/gm, "")
    .replace(/\r\n?/g, "\n");
}

/** Whitespace-insensitive form, to drop a part that repeats another (a bot's `text` is often its blocks again). */
function squash(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

/** The message's text as plain text: its `text`, attachments and blocks, each once, at most MAX_SCAN_CHARS. */
export function messageText(message: { text?: string; attachments?: unknown[]; blocks?: unknown[] }): string {
  const parts: string[] = [];
  if (message.text) parts.push(message.text);
  const budget = { nodes: MAX_NODES };
  collectText(message.attachments, parts, budget);
  collectText(message.blocks, parts, budget);
  const plain = parts.map((p) => slackPlainText(p.slice(0, MAX_SCAN_CHARS))).filter((p) => p.trim() !== "");
  const kept: { text: string; key: string }[] = [];
  // Longest first, so a part contained in a longer one is the one dropped.
  for (const text of [...plain].sort((a, b) => b.length - a.length)) {
    const key = squash(text);
    if (!kept.some((k) => k.key.includes(key))) kept.push({ text, key });
  }
  const order = new Map(plain.map((p, i) => [p, i]));
  return kept
    .sort((a, b) => (order.get(a.text) ?? 0) - (order.get(b.text) ?? 0))
    .map((k) => k.text)
    .join("\n")
    .slice(0, MAX_SCAN_CHARS);
}

/** Keep whole lines while they fit `max` UTF-8 bytes; a first line longer than that is cut. */
function capBytes(text: string, max: number): string {
  let out = "";
  for (const line of text.split("\n")) {
    const next = out === "" ? line : `${out}\n${line}`;
    if (Buffer.byteLength(next, "utf8") > max) {
      if (out !== "") break;
      let cut = line.slice(0, max);
      while (Buffer.byteLength(cut, "utf8") > max) cut = cut.slice(0, -1);
      return cut;
    }
    out = next;
  }
  return out;
}

/** The failed helm command's error lines in `text`: from where its error starts, at most HELM_OUTPUT_MAX_BYTES. */
export function helmErrorOutput(text: string): string | undefined {
  const starts = [HELM_ERROR_START.exec(text)?.index, HELM_FAILURE_SENTENCE.exec(text)?.index].filter(
    (i): i is number => i !== undefined,
  );
  if (starts.length === 0) return undefined;
  const out = capBytes(text.slice(Math.min(...starts)).trimEnd(), HELM_OUTPUT_MAX_BYTES);
  return out.trim() === "" ? undefined : out;
}

interface Candidate {
  value: string;
  /** Named by Helm itself (or an unambiguous command line), not inferred. */
  strong: boolean;
}

/**
 * Where Helm's error names the release: the ownership metadata it wants (validate.go), its failure sentences
 * (upgrade.go, rollback.go, install.go), its "not found" errors. Read in the error lines only: in a CI post's prose,
 * "release build failed" is no release name.
 */
const RELEASE_IN_ERROR: RegExp[] = [
  /"meta\.helm\.sh\/release-name": must be set to "([^"]+)"/g,
  /key "meta\.helm\.sh\/release-name" must equal "([^"]+)"/g,
  /\b(?:Release|Upgrade|Rollback) "([^"]+)" failed/g,
  /\brelease ([a-z0-9][a-z0-9.-]*) failed\b/g,
  /"([^"]+)" has no deployed releases/g,
  /\buninstall: Release not loaded: ([a-z0-9][a-z0-9.-]*)/g,
];
/** What `helm upgrade` prints before its error (pkg/cmd/upgrade.go). */
const RELEASE_IN_PROGRESS = [/\bRelease "([^"]+)" (?:does not exist\. Installing it now|has been upgraded)/g];
const NAMESPACE_NAMED: RegExp[] = [
  /"meta\.helm\.sh\/release-namespace": must be set to "([^"]+)"/g,
  /key "meta\.helm\.sh\/release-namespace" must equal "([^"]+)"/g,
];
/** An object's namespace in Helm's errors (validate.go's resourceString): usually, not always, the release's. */
const OBJECT_NAMESPACE = /\bin namespace "([^"]+)"/g;

/** helm flags that take a value as the next argument (pkg/cmd and pkg/cli flags; kubectl-style globals). */
const VALUE_FLAGS = new Set([
  "namespace",
  "values",
  "set",
  "set-string",
  "set-file",
  "set-json",
  "set-literal",
  "version",
  "timeout",
  "description",
  "labels",
  "output",
  "post-renderer",
  "post-renderer-args",
  "history-max",
  "max",
  "revision",
  "cascade",
  "name-template",
  "repo",
  "username",
  "password",
  "ca-file",
  "cert-file",
  "key-file",
  "keyring",
  "kube-context",
  "kubeconfig",
  "kube-apiserver",
  "kube-as-user",
  "kube-as-group",
  "kube-ca-file",
  "kube-token",
  "kube-tls-server-name",
  "registry-config",
  "repository-cache",
  "repository-config",
  "content-cache",
  "burst-limit",
  "qps",
  "color",
  "colour",
]);
const BOOL_FLAGS = new Set([
  "install",
  "atomic",
  "rollback-on-failure",
  "wait",
  "wait-for-jobs",
  "dry-run",
  "debug",
  "force",
  "force-replace",
  "force-conflicts",
  "take-ownership",
  "cleanup-on-fail",
  "create-namespace",
  "dependency-update",
  "devel",
  "disable-openapi-validation",
  "enable-dns",
  "hide-notes",
  "hide-secret",
  "ignore-not-found",
  "insecure-skip-tls-verify",
  "kube-insecure-skip-tls-verify",
  "keep-history",
  "no-hooks",
  "pass-credentials",
  "plain-http",
  "recreate-pods",
  "render-subchart-notes",
  "replace",
  "reset-values",
  "reset-then-reuse-values",
  "reuse-values",
  "skip-crds",
  "skip-schema-validation",
  "verify",
  "generate-name",
  "show-rollback-revision",
]);
const SHORT_VALUE = new Set(["n", "f", "o", "l"]);
const SHORT_BOOL = new Set(["i", "g", "h"]);
/** upgrade/rollback's --server-side takes true|false|auto (Helm 4); install's is a plain switch. */
const SERVER_SIDE_VALUE = /^(?:true|false|auto)$/;
const RELEASE_SUBCOMMANDS = new Set([
  "upgrade",
  "install",
  "rollback",
  "uninstall",
  "delete",
  "del",
  "un",
  "status",
  "history",
  "hist",
]);

function shellTokens(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) {
    const t = m[1] ?? m[2] ?? m[3] ?? "";
    // The command ends at a shell operator or redirection (`2>&1 | tee upgrade.log`, `&& …`, `; …`).
    if (m[3] !== undefined && /^(?:\||&&|;|&|\d?>)/.test(t)) break;
    if (m[3]?.endsWith(";")) {
      out.push(t.slice(0, -1));
      break;
    }
    out.push(t);
  }
  return out;
}

/** The release and namespace of a helm command line (`helm upgrade --install web ./chart -n shop …`). */
function helmCommand(
  args: string[],
): { release?: Candidate; namespace?: string; ambiguous: boolean } | undefined {
  const positionals: string[] = [];
  let namespace: string | undefined;
  let ambiguous = false;
  let generateName = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (a === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      let value = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (value === undefined && VALUE_FLAGS.has(name)) {
        value = next;
        i++;
      } else if (value === undefined && name === "server-side") {
        if (next !== undefined && SERVER_SIDE_VALUE.test(next)) i++;
      } else if (value === undefined && !BOOL_FLAGS.has(name)) {
        // Unknown: whether it takes the next argument is not known, so neither is the release after it.
        if (next !== undefined && !next.startsWith("-") && positionals.length < 2) ambiguous = true;
      }
      if (name === "namespace" && value !== undefined) namespace = value;
      if (name === "generate-name") generateName = true;
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      const letter = a[1]!;
      if (SHORT_VALUE.has(letter)) {
        let value = a.slice(2).replace(/^=/, "");
        if (value === "") {
          value = next ?? "";
          i++;
        }
        if (letter === "n") namespace = value;
      } else if ([...a.slice(1)].every((c) => SHORT_BOOL.has(c))) {
        if (a.includes("g")) generateName = true;
      } else if (next !== undefined && !next.startsWith("-") && positionals.length < 2) {
        ambiguous = true;
      }
      continue;
    }
    positionals.push(a);
  }
  const sub = positionals[0];
  if (!sub || !RELEASE_SUBCOMMANDS.has(sub)) return undefined;
  const name = generateName && sub === "install" ? undefined : positionals[1];
  return {
    ...(name !== undefined && releaseNameProblem(name) === undefined
      ? { release: { value: name, strong: !ambiguous } }
      : {}),
    ...(namespace !== undefined && namespaceProblem(namespace) === undefined ? { namespace } : {}),
    ambiguous,
  };
}

/** The helm command lines in a text, with their shell line continuations joined. */
function helmCommands(text: string): NonNullable<ReturnType<typeof helmCommand>>[] {
  const out: NonNullable<ReturnType<typeof helmCommand>>[] = [];
  for (const line of text.replace(/\\\n[ \t]*/g, " ").split("\n")) {
    // `helm`, `helm3`, a path to it, after a prompt or a shell operator; not helmfile or helm-doctor.
    const m = /(?:^|[\s;&|(`$'"])(?:[\w./-]*\/)?helm3?(?:\.exe)?[ \t]+(.*)$/.exec(line);
    if (!m) continue;
    const c = helmCommand(shellTokens(m[1]!));
    if (c) out.push(c);
  }
  return out;
}

function matches(text: string, patterns: RegExp[], valid: (v: string) => boolean): string[] {
  const out: string[] = [];
  for (const re of patterns)
    for (const m of text.matchAll(re)) if (m[1] !== undefined && valid(m[1])) out.push(m[1]);
  return out;
}

const validRelease = (v: string) => releaseNameProblem(v) === undefined;
const validNamespace = (v: string) => namespaceProblem(v) === undefined;

/** One value when the strong candidates agree (or, when allowed, the only weak one); else the best guess. */
function settle(cands: Candidate[], weakSuffices: boolean): { value?: string; confident: boolean } {
  const strong = [...new Set(cands.filter((c) => c.strong).map((c) => c.value))];
  if (strong.length > 0) return { value: strong[0]!, confident: strong.length === 1 };
  const weak = [...new Set(cands.map((c) => c.value))];
  return weak.length > 0
    ? { value: weak[0]!, confident: weakSuffices && weak.length === 1 }
    : { confident: false };
}

/** What a message holding helm output says. */
export interface HelmMessage {
  /** The failed command's error lines (from where the error starts, at most HELM_OUTPUT_MAX_BYTES). */
  output: string;
  /** The release, as read or best guessed. */
  release?: string;
  namespace?: string;
  /** Both read with confidence: one release and one namespace named, nothing contradicting them. */
  confident: boolean;
  /** Several releases are named. */
  releases: string[];
}

/** Read a message's plain text: undefined when it holds no helm error output. */
export function readHelmMessage(text: string): HelmMessage | undefined {
  const output = helmErrorOutput(text);
  if (output === undefined) return undefined;
  const releases: Candidate[] = [];
  const namespaces: Candidate[] = [];
  // The error lines first: when several names are found, the guess is the one the error gives.
  for (const v of matches(output, RELEASE_IN_ERROR, validRelease)) releases.push({ value: v, strong: true });
  for (const v of matches(text, RELEASE_IN_PROGRESS, validRelease)) releases.push({ value: v, strong: true });
  for (const v of matches(output, NAMESPACE_NAMED, validNamespace))
    namespaces.push({ value: v, strong: true });
  for (const c of helmCommands(text)) {
    if (c.release) releases.push(c.release);
    if (c.namespace) namespaces.push({ value: c.namespace, strong: true });
  }
  for (const v of matches(output, [OBJECT_NAMESPACE], validNamespace))
    namespaces.push({ value: v, strong: false });
  const r = settle(releases, false);
  const n = settle(namespaces, true);
  return {
    output,
    ...(r.value !== undefined ? { release: r.value } : {}),
    ...(n.value !== undefined ? { namespace: n.value } : {}),
    confident: r.confident && n.confident,
    releases: [...new Set(releases.map((c) => c.value))],
  };
}

// ---------------------------------------------------------------- the form (Block Kit, pure)

const NO_HELM_ERROR =
  "This message holds no helm error output, so there is nothing to diagnose. Use *Diagnose with helm-doctor* on a message with the output of a failed `helm install`, `upgrade`, `rollback` or `uninstall` (a line such as `Error: UPGRADE FAILED: …`), or run `/helm-doctor <release> -n <namespace>`.";

function plain(text: string) {
  return { type: "plain_text" as const, text, emoji: true };
}

function textInput(blockId: string, label: string, max: number, hint: string, initial?: string) {
  return {
    type: "input",
    block_id: blockId,
    label: plain(label),
    hint: plain(hint),
    element: {
      type: "plain_text_input",
      action_id: "value",
      max_length: max,
      ...(initial ? { initial_value: initial } : {}),
    },
  };
}

/** The form asking which release (and namespace) the message's helm output belongs to. */
export function targetForm(id: string, m: HelmMessage, defaultNamespace: string) {
  const why =
    m.releases.length > 1
      ? `This message names more than one release (${m.releases.slice(0, 5).map(esc).join(", ")}).`
      : m.release
        ? `The message names release *${esc(m.release)}* but not, with certainty, its namespace.`
        : "This message holds helm error output, but does not say which release it belongs to.";
  return {
    type: "modal" as const,
    callback_id: TARGET_VIEW_CALLBACK_ID,
    private_metadata: id,
    title: plain("Diagnose helm output"),
    submit: plain("Diagnose"),
    close: plain("Cancel"),
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `${why} Which release should I diagnose?` } },
      textInput(
        "release",
        "Release",
        53,
        "The Helm release the failed command installed, upgraded or rolled back.",
        m.release,
      ),
      textInput("namespace", "Namespace", 63, "The release's namespace.", m.namespace ?? defaultNamespace),
      {
        type: "context",
        elements: [{ type: "mrkdwn", text: "The report goes to the message's thread." }],
      },
    ],
  };
}

// ---------------------------------------------------------------- listeners

const userId = z.string().regex(/^[UW][A-Z0-9]+$/);
const channelId = z.string().regex(/^[CGD][A-Z0-9]+$/);
const ts = z.string().regex(/^\d+\.\d+$/);

const shortcutSchema = z.object({
  trigger_id: z.string().min(1).max(256),
  user: z.object({ id: userId }),
  channel: z.object({ id: channelId }),
  message: z.object({
    ts,
    thread_ts: ts.optional(),
    text: z.string().optional(),
    attachments: z.array(z.unknown()).max(100).optional(),
    blocks: z.array(z.unknown()).max(100).optional(),
  }),
});

const submissionSchema = z.object({
  user: z.object({ id: userId }),
  view: z.object({
    private_metadata: z.string().regex(OPAQUE_ID_RE),
    state: z.object({
      values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }))),
    }),
  }),
});

interface Start {
  release: string;
  namespace: string;
  helmOutput: string;
  user: string;
  channel: string;
  thread: string;
}

export function registerShortcutHandlers(app: App, ctx: HandlerContext): void {
  const { log } = ctx;
  const timeout = ctx.redisTimeoutMs ?? 1500;
  const defaultNs = ctx.config.defaultNamespace;

  /** Tell the user privately; without a response_url (a form's submission), ephemeral in the channel. */
  function teller(
    client: SlackClient,
    channel: string,
    user: string,
    respond?: (m: object) => Promise<unknown>,
  ) {
    return async (icon: string, mrkdwn: string) => {
      const m = renderNotice(icon, mrkdwn);
      try {
        if (!respond) throw new Error("no response_url");
        await respond({ response_type: "ephemeral", replace_original: false, ...m });
      } catch {
        await client.chat
          .postEphemeral({ channel, user, ...m })
          .catch((e: unknown) => log.warn(`could not tell ${user}: ${slackError(e)}`));
      }
    };
  }

  /** Queue the diagnosis with the output and follow it in the message's thread. */
  async function start(client: SlackClient, s: Start, tell: (icon: string, m: string) => Promise<void>) {
    const rel = `${s.namespace}/${s.release}`;
    // The channel's cluster (routing file), else the front end's own.
    const cluster = ctx.clusters?.clusterFor(s.channel);
    const named = namedCluster(cluster);
    let enq: { jobId: string; joined: boolean };
    try {
      enq = await producerOf(ctx, cluster).enqueueDiagnose({
        release: s.release,
        namespace: s.namespace,
        requestedBy: s.user,
        channel: s.channel,
        requestedAt: new Date().toISOString(),
        helmOutput: s.helmOutput,
        ...named,
      });
    } catch (e) {
      log.warn(`enqueue (message shortcut) failed: ${(e as Error).message}`);
      await tell(
        ":warning:",
        e instanceof QueueUnavailableError
          ? QUEUE_DOWN
          : `helm-doctor could not queue this request: ${esc((e as Error).message)}`,
      );
      return;
    }
    log.info(
      `message shortcut: diagnosing ${rel} with ${Buffer.byteLength(s.helmOutput)} bytes of helm output (job ${enq.jobId})`,
    );
    const place = { channel: s.channel, user: s.user, thread: s.thread, command: "/helm-doctor" };
    await postAndFollow(
      ctx,
      client,
      enq.jobId,
      { release: s.release, namespace: s.namespace, ...named },
      place,
      enq.joined,
      (m) => tell(":warning:", m),
    );
  }

  app.shortcut<MessageShortcut>(
    { callback_id: SHORTCUT_CALLBACK_ID, type: "message_action" },
    async ({ shortcut, ack, client, respond, context }) => {
      const parsed = shortcutSchema.safeParse(shortcut);
      if (!parsed.success) {
        await ack();
        log.warn(`message shortcut: unreadable payload (${parsed.error.issues[0]?.path.join(".") ?? "?"})`);
        const ch = (shortcut as { channel?: { id?: string } }).channel?.id;
        const user = (shortcut as { user?: { id?: string } }).user?.id;
        if (ch && user)
          await teller(client, ch, user, respond)(":warning:", "helm-doctor could not read this message.");
        return;
      }
      const s = parsed.data;
      const tell = teller(client, s.channel.id, s.user.id, respond);
      const found = readHelmMessage(messageText(s.message));
      if (!found) {
        await ack();
        await tell(":information_source:", NO_HELM_ERROR);
        return;
      }
      const thread = s.message.thread_ts ?? s.message.ts;
      if (found.confident && found.release && found.namespace) {
        const decision = await decide(
          ctx.authorizer.canDiagnose({ user: s.user.id, channel: s.channel.id, namespace: found.namespace }),
          log,
        );
        await ack();
        if (!decision.allowed) {
          await tell(":no_entry:", `Refused: ${decision.reason}`);
          return;
        }
        if (context[QUEUE_REACHABLE] === false) {
          await tell(":warning:", QUEUE_DOWN);
          return;
        }
        await start(
          client,
          {
            release: found.release,
            namespace: found.namespace,
            helmOutput: found.output,
            user: s.user.id,
            channel: s.channel.id,
            thread,
          },
          tell,
        );
        return;
      }
      // Not sure which release: ask, keeping the output in Redis meanwhile (a form carries at most 3000 characters).
      await ack();
      if (context[QUEUE_REACHABLE] === false) {
        await tell(":warning:", QUEUE_DOWN);
        return;
      }
      const id = newDiagnosisId();
      try {
        await withTimeout(
          ctx.store.savePendingShortcut({
            id,
            user: s.user.id,
            channel: s.channel.id,
            thread,
            helmOutput: found.output,
            createdAt: new Date().toISOString(),
          }),
          timeout,
          "Redis did not answer",
        );
      } catch (e) {
        log.warn(`message shortcut: keeping the output failed: ${(e as Error).message}`);
        await tell(":warning:", QUEUE_DOWN);
        return;
      }
      try {
        await client.views.open({ trigger_id: s.trigger_id, view: targetForm(id, found, defaultNs) });
      } catch (e) {
        const code = slackError(e);
        log.warn(`message shortcut: views.open failed: ${code}`);
        await tell(
          ":warning:",
          `I could not open the form that asks for the release (${esc(code)}). Run \`/helm-doctor <release> -n <namespace>\` instead.`,
        );
      }
    },
  );

  app.view<ViewSubmitAction>(
    { callback_id: TARGET_VIEW_CALLBACK_ID, type: "view_submission" },
    async ({ ack, body, client, context }) => {
      const parsed = submissionSchema.safeParse(body);
      if (!parsed.success) {
        log.warn("message shortcut form: unreadable submission");
        await ack({
          response_action: "errors",
          errors: { release: "helm-doctor could not read this form." },
        });
        return;
      }
      const { user, view } = parsed.data;
      const value = (block: string) => (view.state.values[block]?.value?.value ?? "").trim();
      const release = value("release");
      const namespace = value("namespace");
      const errors: Record<string, string> = {};
      const rp = releaseNameProblem(release);
      const np = namespaceProblem(namespace);
      if (rp) errors.release = rp.replace(/^invalid release name "[^"]*": /, "");
      if (np) errors.namespace = np.replace(/^invalid namespace "[^"]*": /, "");
      if (Object.keys(errors).length > 0) {
        await ack({ response_action: "errors", errors });
        return;
      }
      if (context[QUEUE_REACHABLE] === false) {
        await ack({ response_action: "errors", errors: { namespace: QUEUE_DOWN } });
        return;
      }
      let pending: Awaited<ReturnType<typeof ctx.store.getPendingShortcut>>;
      try {
        pending = await withTimeout(
          ctx.store.getPendingShortcut(view.private_metadata),
          timeout,
          "Redis did not answer",
        );
      } catch (e) {
        log.warn(`message shortcut form: reading its output failed: ${(e as Error).message}`);
        await ack({ response_action: "errors", errors: { namespace: QUEUE_DOWN } });
        return;
      }
      if (!pending || pending.user !== user.id) {
        await ack({
          response_action: "errors",
          errors: {
            release:
              "This form has expired (it works for 30 minutes). Close it and use the shortcut on the message again.",
          },
        });
        return;
      }
      const decision = await decide(
        ctx.authorizer.canDiagnose({ user: user.id, channel: pending.channel, namespace }),
        log,
      );
      if (!decision.allowed) {
        await ack({ response_action: "errors", errors: { namespace: `Refused: ${decision.reason}` } });
        return;
      }
      await ack();
      const tell = teller(client, pending.channel, user.id);
      await start(
        client,
        {
          release,
          namespace,
          helmOutput: pending.helmOutput,
          user: user.id,
          channel: pending.channel,
          thread: pending.thread,
        },
        tell,
      );
    },
  );
}
