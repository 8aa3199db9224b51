// What a failing pod's words say about its cause, as real programs print them: controller-runtime's JSON logs and
// klog escape quotes; Postgres, MySQL, SQLite and Prisma word a missing table or column each their own way.
import { describe, expect, it } from "vitest";
import { namesKind, signalsIn } from "../../src/diagnosis/signals.js";

const types = (t: string) => signalsIn(t).map((s) => s.type);

describe("signals", () => {
  it("a missing kind, plain, in controller-runtime's JSON and in klog's key=value form", () => {
    for (const t of [
      'failed to wait for caches to sync: no matches for kind "KafkaTopic" in version "kafka.example.io/v1beta2"',
      '{"level":"error","msg":"unable to start manager","error":"no matches for kind \\"KafkaTopic\\" in version \\"kafka.example.io/v1beta2\\""}',
      'E1120 11:31:02.114 1 main.go:88] "unable to start" err="no matches for kind \\"KafkaTopic\\" in version \\"kafka.example.io/v1beta2\\""',
    ]) {
      const [s] = signalsIn(t);
      expect(s, t).toMatchObject({
        type: "missing-kind",
        kind: "KafkaTopic",
        group: "kafka.example.io",
        version: "v1beta2",
      });
      expect(namesKind(s!, "KafkaTopic", "kafka.example.io")).toBe(true);
      expect(namesKind(s!, "KafkaTopic", "other.example.io")).toBe(false);
      expect(namesKind(s!, "KafkaUser", "kafka.example.io")).toBe(false);
    }
  });

  it("a missing resource by its plural (client-go) and a missing group version (discovery)", () => {
    const [a] = signalsIn(
      "the server could not find the requested resource (get certificates.certs.acme.io)",
    );
    expect(namesKind(a!, "Certificate", "certs.acme.io", "certificates")).toBe(true);
    const [b] = signalsIn(
      "unable to retrieve the complete list of server APIs: certs.acme.io/v1: the server could not find the requested resource",
    );
    expect(namesKind(b!, "Certificate", "certs.acme.io")).toBe(true);
  });

  it("an unmigrated schema in the words of each database", () => {
    for (const t of [
      'ERROR: relation "order_items" does not exist (SQLSTATE 42P01)',
      'ERROR: column "tenant_id" of relation "invoices" does not exist',
      "ERROR: column accounts_invoice.tenant_id does not exist (SQLSTATE 42703)",
      "pq: column o0.default_app_eui does not exist",
      "Error 1146 (42S02): Table 'shop.order_items' doesn't exist",
      "Error 1054 (42S22): Unknown column 'tenant_id' in 'field list'",
      "sqlite3.OperationalError: no such table: orders",
      "Invalid `prisma.invoice.findMany()` invocation: The column `invoice.tenant_id` does not exist in the current database.",
      "ActiveRecord::PendingMigrationError: Migrations are pending.",
    ])
      expect(types(t), t).toEqual(["schema"]);
  });

  it("refused credentials", () => {
    for (const t of [
      'FATAL: password authentication failed for user "shop"',
      "Error 1045 (28000): Access denied for user 'shop'@'10.0.0.7' (using password: YES)",
      "WRONGPASS invalid username-password pair or user is disabled.",
    ])
      expect(types(t), t).toEqual(["auth"]);
  });

  it("near misses: words that only look alike", () => {
    for (const t of [
      "panic: runtime error: invalid memory address or nil pointer dereference",
      "dial tcp 10.0.0.5:5432: connect: connection refused",
      "the column widths do not exist in this report",
      "file /etc/app/config.yaml does not exist",
    ])
      expect(types(t), t).toEqual([]);
  });
});
