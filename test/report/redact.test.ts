// Redaction of secrets in text and structured values: sensitive keys in the usual notations, and known values.
import { describe, expect, it } from "vitest";
import { isSensitiveKey, nameRuns, REDACTED, Redactor, redact } from "../../src/report/redact.js";

describe("redact()", () => {
  it("redacts values of sensitive keys in the usual notations", () => {
    expect(redact("password=hunter2 user=ana")).toBe(`password=${REDACTED} user=ana`);
    expect(redact('{"dbPassword": "s3cret", "user": "ana"}')).toBe(
      `{"dbPassword": "${REDACTED}", "user": "ana"}`,
    );
    expect(redact("API_KEY: abc123def")).toBe(`API_KEY: ${REDACTED}`);
    expect(redact("client_secret='xyz789'")).toBe(`client_secret='${REDACTED}'`);
    expect(redact("auth-token=qwerty1234")).toBe(`auth-token=${REDACTED}`);
  });

  it("keeps references to secrets and ordinary words", () => {
    expect(redact("secretName: db-credentials")).toBe("secretName: db-credentials");
    expect(redact("existingSecret: db-credentials")).toBe("existingSecret: db-credentials");
    expect(redact('configmap "basic-app-config" not found')).toBe('configmap "basic-app-config" not found');
    expect(redact("hook-delete-policy: before-hook-creation")).toBe(
      "hook-delete-policy: before-hook-creation",
    );
    const digest = `image nginx@sha256:${"ab12".repeat(16)}`;
    expect(redact(digest)).toBe(digest);
    expect(redact("author: ana")).toBe("author: ana");
    expect(isSensitiveKey("password")).toBe(true);
    expect(isSensitiveKey("passwordSecretRef")).toBe(false);
  });

  it("redacts credentials in URLs, bearer tokens, well-known tokens, private keys and opaque blobs", () => {
    expect(redact("postgres://app:pa55w0rd@db:5432/app")).toBe(`postgres://app:${REDACTED}@db:5432/app`);
    expect(redact("Authorization: Bearer abcdefghijklmnop")).not.toContain("abcdefghijklmnop");
    expect(redact("token xoxb-1234567890-abcdefghij")).not.toContain("xoxb-1234567890");
    expect(redact("key AKIAABCDEFGHIJKLMNOP here")).toBe(`key ${REDACTED} here`);
    expect(redact("jwt eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0NTY3.SflKxwRJSMeKKF2QT4fw")).toBe(`jwt ${REDACTED}`);
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----";
    expect(redact(`key:\n${pem}\nrest`)).toBe("key:\n[redacted private key]\nrest");
    expect(redact("data c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2g9PQ== end")).toBe(`data ${REDACTED} end`);
  });
});

describe("Redactor", () => {
  it("redacts known literals anywhere, longest first, then patterns", () => {
    const r = new Redactor([
      "hunter2-Sup3r",
      "hunter2",
      "true",
      "ab",
      "line one of a cert\nline two of a cert",
    ]);
    expect(r.text("pw is hunter2-Sup3r, or hunter2")).toBe(`pw is ${REDACTED}, or ${REDACTED}`);
    expect(r.text("enabled: true")).toBe("enabled: true");
    expect(r.text("ab cd")).toBe("ab cd");
    expect(r.text("got line two of a cert")).toBe(`got ${REDACTED}`);
  });

  it("deep() redacts every string value of a structure, keeping keys", () => {
    const r = new Redactor(["s3cr3t-value"]);
    const out = r.deep({ a: ["x s3cr3t-value"], b: { "s3cr3t-value": 1, c: "password=abc" }, n: 2 });
    expect(out).toEqual({ a: [`x ${REDACTED}`], b: { "s3cr3t-value": 1, c: `password=${REDACTED}` }, n: 2 });
  });
});

describe("Redactor as the process's book of secrets", () => {
  it("learns literals later; redacts them mrkdwn-escaped and where a clip cut them short", () => {
    const r = new Redactor();
    expect(r.text("pw a&b<c>-Sup3rSecret-42")).toBe("pw a&b<c>-Sup3rSecret-42");
    r.learn(["a&b<c>-Sup3rSecret-42", "another-l0ng-secret-value"]);
    expect(r.text("pw a&b<c>-Sup3rSecret-42")).toBe(`pw ${REDACTED}`);
    expect(r.text("pw a&amp;b&lt;c&gt;-Sup3rSecret-42")).toBe(`pw ${REDACTED}`);
    // A clip ("…") that cut a secret short still leaves nothing of it.
    expect(r.text("tried another-l0ng-se…")).toBe(`tried ${REDACTED}…`);
    // Near misses stay: a word that only starts like a secret, without a clip; a short start before a clip.
    expect(r.text("another-l0ng day")).toBe("another-l0ng day");
    expect(r.text("see anot…")).toBe("see anot…");
  });
});

describe("Redactor's public names", () => {
  it("every run of a name's whole parts is the name's", () => {
    expect(nameRuns("shop-db.v2")).toEqual(["shop", "shop-db", "shop-db.v2", "db", "db.v2", "v2"]);
    expect(nameRuns("nginx:1.16.0")).toContain("nginx");
  });

  it("a literal a public name shows is not learned, and one learned before is forgotten", () => {
    const r = new Redactor();
    r.learn(["storefront", "checkout", "Real-pa55word-77"]);
    expect(r.text("storefront/yahoo checkout")).toBe(`${REDACTED}/yahoo ${REDACTED}`);
    r.learnPublic(["storefront", "yahoo-basic-app"]);
    r.learn(["yahoo", "basic-app"]);
    expect(r.text("storefront/yahoo uses yahoo-basic-app")).toBe("storefront/yahoo uses yahoo-basic-app");
    // Near misses stay redacted: a secret no name shows, and one that only starts like a name's part.
    expect(r.text("checkout Real-pa55word-77 storefronts1")).toBe(`${REDACTED} ${REDACTED} storefronts1`);
    r.learn(["storefronts1"]);
    expect(r.text("storefronts1")).toBe(REDACTED);
  });

  it("a pinned literal (a configured token or password) stays redacted whatever names are public", () => {
    const r = new Redactor();
    r.learn(["redis-pa55"], { pinned: true });
    r.learnPublic(["redis-pa55"]);
    r.learn(["redis-pa55"]);
    expect(r.text("auth redis-pa55")).toBe(`auth ${REDACTED}`);
  });

  it("a pinned literal outlives the oldest-first eviction of a long-running process's learned literals", () => {
    const r = new Redactor();
    r.learn(["0123456789abcdef0123456789abcdef"], { pinned: true }); // a signing secret: hex, no pattern catches it
    r.learn(Array.from({ length: 20_001 }, (_, i) => `learned-secret-${i}`));
    expect(r.text("secret 0123456789abcdef0123456789abcdef")).toBe(`secret ${REDACTED}`);
    expect(r.text("learned-secret-0")).toBe("learned-secret-0"); // the oldest learned one went
    expect(r.text("learned-secret-20000")).toBe(REDACTED);
  });
});
