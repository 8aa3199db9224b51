// Redaction of anything that looks like a secret, for text that leaves the cluster (Slack messages).
// Two layers: known literals (the values of the release's Secrets and its sensitive values, handed in by the
// caller) and patterns (key=value pairs with a sensitive key, credentials in URLs, bearer tokens, well-known
// token formats, private keys, long opaque blobs). Pure; no I/O.

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

/** Redacts known secret literals (longest first), then patterns. */
export class Redactor {
  private readonly literals: string[];

  constructor(literals: Iterable<string> = []) {
    const set = new Set<string>();
    for (const l of literals) {
      if (typeof l !== "string") continue;
      if (redactableLiteral(l)) set.add(l);
      // Multi-line values (certificates, config files): each meaningful line as well.
      if (l.includes("\n")) {
        for (const line of l.split(/\r?\n/)) if (line.trim().length >= 8) set.add(line.trim());
      }
    }
    this.literals = [...set].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.literals.length;
  }

  text(s: string): string {
    let out = s;
    for (const l of this.literals) if (out.includes(l)) out = out.split(l).join(REDACTED);
    return redact(out);
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
