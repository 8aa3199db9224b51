// Reading a Slack message that holds a failed helm command's output (the message shortcut's pure part): where the
// error starts and how much of it travels, the release and namespace where Helm names them (its error wording, the
// command line), when they are certain enough to diagnose without asking, and the form that asks otherwise.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { diagnoseDedupId } from "../../src/queue/producer.js";
import { diagnoseJobSchema, HELM_OUTPUT_MAX_BYTES } from "../../src/queue/schemas.js";
import {
  helmErrorOutput,
  messageText,
  readHelmMessage,
  SHORTCUT_CALLBACK_ID,
  slackPlainText,
  targetForm,
} from "../../src/slack/shortcut.js";
import { validateView } from "../support/fake-slack/index.js";
import { OWNERSHIP_OUTPUT } from "../support/scenarios/causes.js";

const OWNERSHIP = OWNERSHIP_OUTPUT("ConfigMap", "web-settings", "shop", "web");

function read(text: string) {
  return readHelmMessage(text);
}

describe("where the helm error is", () => {
  it("starts at Helm's 'Error:' and keeps the lines after it, not the job log before it", () => {
    const text = [
      "Run helm upgrade --install web ./chart -n shop --wait",
      'Release "web" has been upgraded?',
      "WARNING: Kubernetes configuration file is group-readable.",
      `2024-05-02T10:00:01Z ${OWNERSHIP}`,
      "Error: Process completed with exit code 1.",
    ].join("\n");
    const out = helmErrorOutput(text)!;
    expect(out.startsWith("Error: UPGRADE FAILED: Unable to continue with update")).toBe(true);
    expect(out).toContain("exit code 1");
    expect(out).not.toContain("WARNING");
  });

  it("a CI runner's own 'Error:' and helm's success lines are no helm error", () => {
    expect(read("Deploy job failed\nError: Process completed with exit code 1.")).toBeUndefined();
    expect(read('Release "web" has been upgraded. Happy Helming!\nNAME: web')).toBeUndefined();
    expect(read("the release build failed, see the logs")).toBeUndefined();
    expect(read("")).toBeUndefined();
  });

  it("Helm's stored failure sentence counts without an 'Error:' prefix", () => {
    const m = read(
      'helm history shows: Upgrade "web" failed: pre-upgrade hooks failed: job failed: BackoffLimitExceeded',
    )!;
    expect(m.output.startsWith('Upgrade "web" failed')).toBe(true);
    expect(m.release).toBe("web");
  });

  it("carries at most a few KiB: whole lines from the error on, whatever the size of the message", () => {
    const noise = "x".repeat(200);
    const before = Array.from({ length: 200 }, (_, i) => `step ${i} ${noise}`).join("\n");
    const after = Array.from({ length: 200 }, (_, i) => `  detail ${i}: ${noise}`).join("\n");
    const out = helmErrorOutput(`${before}\n${OWNERSHIP}\n${after}`)!;
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(HELM_OUTPUT_MAX_BYTES);
    expect(out.startsWith("Error: UPGRADE FAILED")).toBe(true);
    expect(out.endsWith(noise)).toBe(true); // cut between lines, not inside one
    // One endless line is cut to the cap (on a character, not inside a UTF-8 sequence).
    const long = helmErrorOutput(`Error: UPGRADE FAILED: ${"é".repeat(10_000)}`)!;
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(HELM_OUTPUT_MAX_BYTES);
    expect(long).not.toContain("\uFFFD");
    // What the job schema accepts is what the reader produces.
    expect(() => diagnoseJobSchema.parse(job(out))).not.toThrow();
    expect(() => diagnoseJobSchema.parse(job(`${out}${"y".repeat(HELM_OUTPUT_MAX_BYTES)}`))).toThrow(
      /4096 bytes/,
    );
  });
});

function job(helmOutput: string) {
  return {
    release: "web",
    namespace: "shop",
    requestedBy: "U0ANA00001",
    channel: "C0HELMOPS1",
    requestedAt: new Date().toISOString(),
    helmOutput,
  };
}

describe("release and namespace, where Helm names them", () => {
  it("the ownership error names both in the metadata it wants", () => {
    expect(read(OWNERSHIP)).toMatchObject({ release: "web", namespace: "shop", confident: true });
  });

  it("another release's object: 'must equal' names ours, not the current owner", () => {
    const m = read(
      'Error: UPGRADE FAILED: Unable to continue with update: ConfigMap "web-settings" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata; annotation validation error: key "meta.helm.sh/release-name" must equal "web": current value is "search"; annotation validation error: key "meta.helm.sh/release-namespace" must equal "shop": current value is "shop"',
    )!;
    expect(m).toMatchObject({ release: "web", namespace: "shop", confident: true });
  });

  it("the command line: flags with values, --install, -n in its forms, a pipe to tee, line continuations", () => {
    const err = "Error: UPGRADE FAILED: timed out waiting for the condition";
    for (const cmd of [
      "helm upgrade --install web ./chart -n shop --wait --timeout 5m",
      "$ helm upgrade -i -f values.yaml --set image.tag=1.2 web ./chart --namespace shop 2>&1 | tee upgrade.log",
      "helm --kube-context prod upgrade web oci://registry/charts/web --version 1.2.3 --namespace=shop",
      "/usr/local/bin/helm3 upgrade web ./chart -nshop --atomic",
      "helm upgrade web ./chart \\\n  -n shop \\\n  --wait",
      "helm upgrade --server-side true web ./chart -n shop",
    ]) {
      expect(read(`${cmd}\n${err}`), cmd).toMatchObject({
        release: "web",
        namespace: "shop",
        confident: true,
      });
    }
  });

  it("helm's own sentences: atomic rollback, rollback, 'does not exist. Installing it now.', no deployed releases", () => {
    expect(
      read(
        "helm upgrade web ./chart -n shop --atomic\nError: UPGRADE FAILED: release web failed, and has been rolled back due to atomic being set: context deadline exceeded",
      ),
    ).toMatchObject({ release: "web", namespace: "shop", confident: true });
    expect(
      read("helm rollback web 3 -n shop\nError: release web failed: timed out waiting for the condition"),
    ).toMatchObject({
      release: "web",
      namespace: "shop",
      confident: true,
    });
    const install = read(
      'Release "web" does not exist. Installing it now.\nError: INSTALLATION FAILED: rendered manifests contain a resource that already exists. Unable to continue with install: ConfigMap "web-settings" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata',
    )!;
    expect(install).toMatchObject({ release: "web", namespace: "shop", confident: true });
    expect(read('Error: UPGRADE FAILED: "web" has no deployed releases')).toMatchObject({
      release: "web",
      confident: false, // no namespace anywhere
    });
  });

  it("an object's namespace serves when nothing else names one; -n wins over it", () => {
    const m = read(
      'helm upgrade web ./chart\nError: UPGRADE FAILED: Unable to continue with update: Service "web" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata',
    )!;
    expect(m).toMatchObject({ release: "web", namespace: "shop", confident: true });
    const both = read(
      'helm upgrade web ./chart -n shop\nError: UPGRADE FAILED: Unable to continue with update: ServiceAccount "x" in namespace "kube-system" exists and cannot be imported into the current release: invalid ownership metadata',
    )!;
    expect(both).toMatchObject({ namespace: "shop", confident: true });
  });

  it("not certain: no name, an unknown flag before the release, two releases, a shell variable", () => {
    const noName = read(
      'Error: UPGRADE FAILED: Unable to continue with update: ConfigMap "web-settings" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": must be set to "Helm"',
    )!;
    expect(noName).toMatchObject({ namespace: "shop", confident: false });
    expect(noName.release).toBeUndefined();

    const unknownFlag = read(
      "helm upgrade --some-new-flag web ./chart -n shop\nError: UPGRADE FAILED: boom",
    )!;
    expect(unknownFlag).toMatchObject({ release: "web", namespace: "shop", confident: false });

    const two = read(
      "helm upgrade api ./api -n shop\nhelm upgrade web ./web -n shop\nError: UPGRADE FAILED: release web failed: boom",
    )!;
    expect(two.confident).toBe(false);
    expect(two.release).toBe("web"); // the error's own name comes first
    expect(two.releases).toEqual(["web", "api"]);

    const variable = read("helm upgrade $RELEASE ./chart -n shop\nError: UPGRADE FAILED: boom")!;
    expect(variable.release).toBeUndefined();
    expect(variable.confident).toBe(false);
  });

  it("helmfile and helm-doctor lines are not helm command lines", () => {
    const m = read("helmfile -e prod apply web\nhelm-doctor diagnose api -n x\nError: UPGRADE FAILED: boom")!;
    expect(m.release).toBeUndefined();
  });
});

describe("Slack's message encoding", () => {
  it("entities, links, code fences, quotes and typographic quotes are undone", () => {
    expect(
      slackPlainText("&gt; ```Error: UPGRADE FAILED: see <https://ci.example.com/42|the log> &amp; “web”```"),
    ).toBe('Error: UPGRADE FAILED: see the log & "web"');
  });

  it("text, attachments and blocks are read once each, however a bot posted them", () => {
    const rich = {
      type: "rich_text",
      elements: [
        { type: "rich_text_section", elements: [{ type: "text", text: "Deploy of web failed" }] },
        {
          type: "rich_text_preformatted",
          elements: [
            { type: "text", text: "helm upgrade web ./chart -n shop\n" },
            { type: "text", text: "Error: UPGRADE FAILED: release web failed: boom" },
          ],
        },
      ],
    };
    const text = messageText({
      text: "Deploy of web failed\n```helm upgrade web ./chart -n shop\nError: UPGRADE FAILED: release web failed: boom```",
      blocks: [rich],
    });
    expect(text.match(/UPGRADE FAILED/g)).toHaveLength(1);
    expect(readHelmMessage(text)).toMatchObject({ release: "web", namespace: "shop", confident: true });

    const attachments = messageText({
      text: "",
      attachments: [
        {
          color: "danger",
          pretext: "Deploy failed",
          fields: [
            { title: "Command", value: "`helm upgrade web ./chart -n shop`" },
            { title: "Output", value: "```Error: UPGRADE FAILED: release web failed: boom```" },
          ],
        },
      ],
    });
    expect(readHelmMessage(attachments)).toMatchObject({
      release: "web",
      namespace: "shop",
      confident: true,
    });
  });

  it("an absurdly nested payload is walked within bounds", () => {
    let deep: unknown = { type: "text", text: "Error: UPGRADE FAILED: x" };
    for (let i = 0; i < 10_000; i++) deep = { elements: [deep, { type: "divider" }] };
    expect(() => messageText({ blocks: [deep] })).not.toThrow();
  });
});

describe("the form and the job", () => {
  it("asks with what was guessed prefilled, within Slack's view limits, echoing no output", () => {
    const m = read(
      'Error: UPGRADE FAILED: Unable to continue with update: ConfigMap "web-settings" in namespace "shop" exists and cannot be imported into the current release: invalid ownership metadata; password=hunter2hunter2',
    )!;
    const view = targetForm("abcdefgh12345678", m, "default");
    expect(validateView(view)).toEqual([]);
    const json = JSON.stringify(view);
    expect(json).not.toContain("hunter2");
    expect(json).not.toContain("UPGRADE FAILED");
    const inputs = view.blocks.filter((b) => b.type === "input") as {
      block_id: string;
      element: { initial_value?: string };
    }[];
    expect(inputs.map((b) => [b.block_id, b.element.initial_value])).toEqual([
      ["release", undefined],
      ["namespace", "shop"],
    ]);
    // Nothing guessed: the namespace falls back to the configured default.
    const bare = targetForm("abcdefgh12345678", read("Error: UPGRADE FAILED: boom")!, "team-a");
    expect(JSON.stringify(bare)).toContain('"initial_value":"team-a"');
  });

  it("a diagnosis with output is deduplicated apart from a plain one, and with the same output only", () => {
    const plain = diagnoseDedupId("shop", "web");
    const a = diagnoseDedupId("shop", "web", OWNERSHIP);
    expect(a).not.toBe(plain);
    expect(a.startsWith(`${plain}:output:`)).toBe(true);
    expect(diagnoseDedupId("shop", "web", OWNERSHIP)).toBe(a);
    expect(diagnoseDedupId("shop", "web", `${OWNERSHIP}\n`)).not.toBe(a);
  });
});

describe("the Slack app manifest", () => {
  it("declares the message shortcut with interactivity enabled", () => {
    const manifest = parse(
      readFileSync(fileURLToPath(new URL("../../deploy/slack-app-manifest.yaml", import.meta.url)), "utf8"),
    );
    const shortcuts = manifest.features.shortcuts as Record<string, string>[];
    expect(shortcuts).toContainEqual(
      expect.objectContaining({
        type: "message",
        name: "Diagnose with helm-doctor",
        callback_id: SHORTCUT_CALLBACK_ID,
      }),
    );
    for (const s of shortcuts) expect(s.description?.length).toBeLessThanOrEqual(150);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.oauth_config.scopes.bot).toContain("commands");
  });
});
