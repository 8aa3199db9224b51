// Redaction of anything that looks like a secret, for text that leaves helm-doctor (Slack, Redis, logs).
// Two layers: known literals (the values of the release's Secrets and its sensitive values, configured tokens,
// learned as they become known) and patterns (key=value pairs with a sensitive key, credentials in URLs, bearer
// tokens, well-known token formats, private keys, long opaque blobs). No I/O: the boundaries call it.

export const REDACTED = "[redacted]";

/** Keys whose values are secret: password, token, apiKey, client_secret, DB_PASSWORD, … */
const SENSITIVE_KEY_RE =
  /(pass(word|wd|phrase)?|pwd|secret|token|api[-_]?key|access[-_]?key|private[-_]?key|credential|auth|dsn|connection[-_]?string|license[-_]?key)/i;
/** …unless the key names or points at a secret rather than holding one (secretName, tokenPath, authRef). */
const REFERENCE_KEY_RE = /(name|names|ref|refs|path|file|mount|volume|kind|type|policy|author\w*)$/i;

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY_RE.test(key) && !REFERENCE_KEY_RE.test(key) && !/^existing/i.test(key);
}

/** Literals too common to redact wherever they appear. */
const TOO_COMMON = new Set(["true", "false", "null", "none", "yes", "no", "default", "enabled", "disabled"]);

/** Whether a known secret value is specific enough to be redacted wherever it appears. */
export function redactableLiteral(v: string): boolean {
  const t = v.trim();
  if (t.length < 4) return false;
  if (TOO_COMMON.has(t.toLowerCase())) return false;
  if (/^\d+$/.test(t) && t.length < 6) return false;
  return true;
}

const PRIVATE_KEY_RE =
  /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|$)/g;
const URL_CREDENTIALS_RE = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]+):([^\s@/]+)@/gi;
const AUTH_HEADER_RE = /\b(bearer|basic)(\s+)([A-Za-z0-9._~+/=-]{8,})/gi;
const KEY_VALUE_RE = /([A-Za-z_][\w.-]*)(["']?[ \t]*[:=][ \t]*["']?)([^\s"',;&)}\]]+)/g;
const TOKEN_FORMATS: RegExp[] = [
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack
  /\bxapp-[A-Za-z0-9-]{10,}/g, // Slack app-level
  /\bgh[pousr]_[A-Za-z0-9]{20,}/g, // GitHub
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key id
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API key
  /\bsk-[A-Za-z0-9_-]{20,}/g, // OpenAI-style
  /\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}/g, // JWT
];
/** Long runs of base64/base64url/opaque token characters. */
const BLOB_RE = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/=_-])/g;

function looksOpaque(s: string): boolean {
  if (/^[0-9a-f]+$/i.test(s)) return false; // hex digests (image digests, checksums) are not secrets
  return /[A-Z]/.test(s) && /[a-z]/.test(s) && /[0-9]/.test(s);
}

/** Redact what looks like a secret, by pattern. */
export function redact(text: string): string {
  let out = text.replace(PRIVATE_KEY_RE, "[redacted private key]");
  out = out.replace(URL_CREDENTIALS_RE, (_m, head: string) => `${head}:${REDACTED}@`);
  out = out.replace(AUTH_HEADER_RE, (_m, scheme: string, sp: string) => `${scheme}${sp}${REDACTED}`);
  out = out.replace(KEY_VALUE_RE, (m, key: string, sep: string, value: string) =>
    isSensitiveKey(key) && value !== REDACTED && !value.startsWith("[redacted")
      ? `${key}${sep}${REDACTED}`
      : m,
  );
  for (const re of TOKEN_FORMATS) out = out.replace(re, REDACTED);
  out = out.replace(BLOB_RE, (m) => (looksOpaque(m) ? REDACTED : m));
  return out;
}

/** The shortest start of a secret that is still redacted where a message was clipped ("hunter2-Sup…"). */
const CLIPPED_MIN = 6;
/** Literals a Redactor keeps; the oldest go first (a long-running worker reads many snapshots). */
const MAX_LITERALS = 20_000;

/** Public names kept (the oldest go first), each with every run of its whole parts. */
const MAX_PUBLIC = 50_000;
/** What separates the parts of a Kubernetes name, an image reference or a chart version. */
const NAME_SEPARATOR_RE = /([-._/:@])/;

/**
 * Every run of whole parts of a name — `shop-db.v2` gives shop, db, v2, shop-db, db.v2 and shop-db.v2 — as
 * a report shows of it wherever it shows the name.
 */
export function nameRuns(name: string): string[] {
  const parts = name.split(NAME_SEPARATOR_RE);
  const words = (parts.length + 1) / 2;
  if (words > 16) return [name];
  const out: string[] = [];
  for (let i = 0; i < words; i++)
    for (let j = i; j < words; j++) out.push(parts.slice(2 * i, 2 * j + 1).join(""));
  return out;
}

/** Slack mrkdwn escapes these three: a literal holding them appears escaped in a message. */
function mrkdwnEscaped(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Redacts known secret literals (longest first, also mrkdwn-escaped and where a clip cut them short), then
 * patterns. It learns literals as they become known (configured tokens, each snapshot's secrets).
 */
export class Redactor {
  private readonly literals = new Set<string>();
  /** Literals kept even when a public name holds them (configured tokens and passwords). */
  private readonly pinned = new Set<string>();
  /** Runs of the public names (release, namespace, object, label, image and chart names): never literals. */
  private readonly publicNames = new Set<string>();
  /** Literals by their first four characters, longest first (rebuilt after learning). */
  private index: Map<string, string[]> | undefined;

  constructor(literals: Iterable<string> = []) {
    this.learn(literals);
  }

  get size(): number {
    return this.literals.size;
  }

  /**
   * Learns secret literals. A literal that is (part of) a public name the reports must show is not learned unless
   * `pinned`: the name already shows it, and redacting it would hide the name in every later message.
   */
  learn(literals: Iterable<string>, opts: { pinned?: boolean } = {}): void {
    const add = (l: string) => {
      if (opts.pinned) this.pinned.add(l);
      else if (this.publicNames.has(l) && !this.pinned.has(l)) return;
      this.literals.delete(l); // re-learning makes it the newest
      this.literals.add(l);
      const e = mrkdwnEscaped(l);
      if (e !== l) this.literals.add(e);
    };
    for (const l of literals) {
      if (typeof l !== "string") continue;
      if (redactableLiteral(l)) add(l);
      // Multi-line values (certificates, config files): each meaningful line as well.
      if (l.includes("\n")) {
        for (const line of l.split(/\r?\n/)) if (line.trim().length >= 8) add(line.trim());
      }
    }
    for (const l of this.literals) {
      if (this.literals.size <= MAX_LITERALS) break;
      if (!this.pinned.has(l)) this.literals.delete(l); // configured tokens are never the ones to go
    }
    this.index = undefined;
  }

  /**
   * Learns names the reports must show (a snapshot's release, namespace, object, label, image and chart names):
   * literals they hold, learned from any release before, are forgotten, and none is learned later.
   */
  learnPublic(names: Iterable<string>): void {
    let added = false;
    for (const name of names) {
      if (typeof name !== "string" || !redactableLiteral(name)) continue;
      for (const run of nameRuns(name.trim())) {
        if (!redactableLiteral(run)) continue;
        this.publicNames.delete(run);
        this.publicNames.add(run);
        added = true;
      }
    }
    if (!added) return;
    for (const n of this.publicNames) {
      if (this.publicNames.size <= MAX_PUBLIC) break;
      this.publicNames.delete(n);
    }
    let forgot = false;
    for (const l of this.literals)
      if (this.publicNames.has(l) && !this.pinned.has(l)) {
        this.literals.delete(l);
        forgot = true;
      }
    if (forgot) this.index = undefined;
  }

  private indexed(): Map<string, string[]> {
    if (this.index) return this.index;
    const idx = new Map<string, string[]>();
    for (const l of this.literals) {
      const k = l.slice(0, 4);
      const list = idx.get(k);
      if (list) list.push(l);
      else idx.set(k, [l]);
    }
    for (const list of idx.values()) list.sort((a, b) => b.length - a.length);
    this.index = idx;
    return idx;
  }

  text(s: string): string {
    if (this.literals.size === 0) return redact(s);
    const idx = this.indexed();
    let out = "";
    let last = 0;
    for (let i = 0; i + 4 <= s.length; ) {
      const hit = idx.get(s.slice(i, i + 4))?.find((l) => s.startsWith(l, i));
      if (hit) {
        out += `${s.slice(last, i)}${REDACTED}`;
        i += hit.length;
        last = i;
      } else i++;
    }
    out += s.slice(last);
    return redact(out.includes("…") ? this.clipped(out, idx) : out);
  }

  /** A literal's beginning right before an ellipsis: a clip cut it short. */
  private clipped(s: string, idx: Map<string, string[]>): string {
    let out = "";
    let last = 0;
    for (let at = s.indexOf("…"); at >= 0; at = s.indexOf("…", at + 1)) {
      let best = 0;
      for (let k = CLIPPED_MIN; k <= Math.min(at - last, 400); k++) {
        const tail = s.slice(at - k, at);
        if (idx.get(tail.slice(0, 4))?.some((l) => l.length > k && l.startsWith(tail))) best = k;
      }
      if (best === 0) continue;
      out += `${s.slice(last, at - best)}${REDACTED}`;
      last = at;
    }
    return out + s.slice(last);
  }

  /** A copy of `v` with every string value redacted (object keys are kept). */
  deep<T>(v: T): T {
    const walk = (x: unknown): unknown => {
      if (typeof x === "string") return this.text(x);
      if (Array.isArray(x)) return x.map(walk);
      if (x !== null && typeof x === "object" && !(x instanceof Date)) {
        const o: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(x)) o[k] = walk(val);
        return o;
      }
      return x;
    };
    return walk(v) as T;
  }
}

/**
 * Every secret this process knows: the configured tokens and the secrets of each snapshot it read. The
 * boundaries apply it to everything that leaves: Slack requests (src/slack/client.ts), the report store
 * (src/queue/store.ts) and log lines (src/observability/log.ts). One book, so a secret learned while diagnosing
 * is redacted from the log line about that diagnosis too.
 */
export const secrets = new Redactor();
