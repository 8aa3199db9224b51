// Block Kit limits as Slack enforces them on chat.postMessage / chat.update / views.open.
// Messages mimic Slack's: "<rule> [json-pointer:/blocks/3/text/text]". Lengths count code points.

export type Surface = "message" | "modal";

export const BLOCK_KIT_LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  headerText: 150,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  messageText: 40000,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
} as const;

const KNOWN_BLOCK_TYPES = new Set([
  "section",
  "header",
  "actions",
  "context",
  "divider",
  "image",
  "input",
  "rich_text",
  "markdown",
  "file",
  "video",
  "table",
  "context_actions",
]);

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const len = (s: string): number => [...s].length;

class Collector {
  readonly errors: string[] = [];
  add(rule: string, pointer: string): void {
    this.errors.push(`${rule} [json-pointer:${pointer}]`);
  }
  maxLen(value: unknown, max: number, pointer: string): void {
    if (typeof value === "string" && len(value) > max)
      this.add(`must be less than ${max + 1} characters`, pointer);
  }
  maxItems(value: unknown, max: number, pointer: string): void {
    if (Array.isArray(value) && value.length > max) this.add(`no more than ${max} items allowed`, pointer);
  }
}

/** A text object: {type: plain_text|mrkdwn, text}. `plainOnly` for headers, buttons, modal titles. */
function checkText(c: Collector, t: unknown, pointer: string, max: number, plainOnly = false): void {
  if (!isObj(t)) {
    c.add("must provide an object", pointer);
    return;
  }
  const allowed = plainOnly ? ["plain_text"] : ["plain_text", "mrkdwn"];
  if (typeof t.type !== "string" || !allowed.includes(t.type)) {
    c.add(`must be ${allowed.map((a) => `"${a}"`).join(" or ")}`, `${pointer}/type`);
  }
  if (typeof t.text !== "string") {
    c.add("must provide a string", `${pointer}/text`);
    return;
  }
  if (len(t.text) === 0) c.add("must be more than 0 characters", `${pointer}/text`);
  c.maxLen(t.text, max, `${pointer}/text`);
}

function checkConfirm(c: Collector, conf: unknown, pointer: string): void {
  if (conf === undefined) return;
  if (!isObj(conf)) {
    c.add("must provide an object", pointer);
    return;
  }
  const L = BLOCK_KIT_LIMITS;
  checkText(c, conf.title, `${pointer}/title`, L.confirmTitle, true);
  checkText(c, conf.text, `${pointer}/text`, L.confirmText);
  checkText(c, conf.confirm, `${pointer}/confirm`, L.confirmButton, true);
  checkText(c, conf.deny, `${pointer}/deny`, L.confirmButton, true);
  if (conf.style !== undefined && conf.style !== "danger" && conf.style !== "primary") {
    c.add('must be "danger" or "primary"', `${pointer}/style`);
  }
}

function checkElement(c: Collector, el: unknown, pointer: string): void {
  if (!isObj(el)) {
    c.add("must provide an object", pointer);
    return;
  }
  const L = BLOCK_KIT_LIMITS;
  c.maxLen(el.action_id, L.actionId, `${pointer}/action_id`);
  if (el.type === "button") {
    checkText(c, el.text, `${pointer}/text`, L.buttonText, true);
    c.maxLen(el.value, L.buttonValue, `${pointer}/value`);
    c.maxLen(el.url, L.buttonUrl, `${pointer}/url`);
    c.maxLen(el.accessibility_label, L.buttonText, `${pointer}/accessibility_label`);
    if (el.style !== undefined && el.style !== "danger" && el.style !== "primary") {
      c.add('must be "danger" or "primary"', `${pointer}/style`);
    }
    checkConfirm(c, el.confirm, `${pointer}/confirm`);
  } else if (typeof el.type !== "string") {
    c.add("must provide a string", `${pointer}/type`);
  }
}

function checkBlock(c: Collector, block: unknown, pointer: string): void {
  if (!isObj(block)) {
    c.add("must provide an object", pointer);
    return;
  }
  const L = BLOCK_KIT_LIMITS;
  if (typeof block.type !== "string" || !KNOWN_BLOCK_TYPES.has(block.type)) {
    c.add(`unsupported type: ${String(block.type)}`, `${pointer}/type`);
    return;
  }
  c.maxLen(block.block_id, L.blockId, `${pointer}/block_id`);
  switch (block.type) {
    case "section": {
      if (block.text === undefined && block.fields === undefined) {
        c.add("must provide either text or fields", pointer);
      }
      if (block.text !== undefined) checkText(c, block.text, `${pointer}/text`, L.sectionText);
      if (block.fields !== undefined) {
        if (!Array.isArray(block.fields)) c.add("must provide an array", `${pointer}/fields`);
        else {
          c.maxItems(block.fields, L.sectionFields, `${pointer}/fields`);
          block.fields.forEach((f, i) => {
            checkText(c, f, `${pointer}/fields/${i}`, L.sectionFieldText);
          });
        }
      }
      if (block.accessory !== undefined) checkElement(c, block.accessory, `${pointer}/accessory`);
      break;
    }
    case "header":
      checkText(c, block.text, `${pointer}/text`, L.headerText, true);
      break;
    case "actions": {
      if (!Array.isArray(block.elements)) {
        c.add("must provide an array", `${pointer}/elements`);
        break;
      }
      if (block.elements.length === 0) c.add("must provide at least 1 items", `${pointer}/elements`);
      c.maxItems(block.elements, L.actionsElements, `${pointer}/elements`);
      const seen = new Set<string>();
      block.elements.forEach((el, i) => {
        checkElement(c, el, `${pointer}/elements/${i}`);
        const id = isObj(el) ? el.action_id : undefined;
        if (typeof id === "string") {
          if (seen.has(id)) c.add("duplicate action_id", `${pointer}/elements/${i}/action_id`);
          seen.add(id);
        }
      });
      break;
    }
    case "context":
      if (!Array.isArray(block.elements)) c.add("must provide an array", `${pointer}/elements`);
      else c.maxItems(block.elements, L.contextElements, `${pointer}/elements`);
      break;
    default:
      break;
  }
}

/**
 * Validate a blocks array for a surface; returns Slack-style error strings (empty when valid).
 * `base` is the JSON pointer of the array ("/blocks" for messages, "/view/blocks" for modals).
 */
export function validateBlocks(blocks: unknown, surface: Surface, base = "/blocks"): string[] {
  const c = new Collector();
  if (!Array.isArray(blocks)) {
    c.add("must provide an array", base);
    return c.errors;
  }
  const max = surface === "modal" ? BLOCK_KIT_LIMITS.modalBlocks : BLOCK_KIT_LIMITS.messageBlocks;
  c.maxItems(blocks, max, base);
  const ids = new Set<string>();
  blocks.forEach((b, i) => {
    checkBlock(c, b, `${base}/${i}`);
    const id = isObj(b) ? b.block_id : undefined;
    if (typeof id === "string") {
      if (ids.has(id)) c.add("duplicate block_id", `${base}/${i}/block_id`);
      ids.add(id);
    }
  });
  return c.errors;
}

/** Validate a modal view object (views.open / views.push / views.update). */
export function validateView(view: unknown): string[] {
  const c = new Collector();
  if (!isObj(view)) {
    c.add("must provide an object", "/view");
    return c.errors;
  }
  const L = BLOCK_KIT_LIMITS;
  if (view.type !== "modal" && view.type !== "home") c.add('must be "modal" or "home"', "/view/type");
  if (view.type === "modal") {
    checkText(c, view.title, "/view/title", L.modalTitle, true);
    if (view.submit !== undefined) checkText(c, view.submit, "/view/submit", L.modalButton, true);
    if (view.close !== undefined) checkText(c, view.close, "/view/close", L.modalButton, true);
  }
  c.maxLen(view.private_metadata, L.privateMetadata, "/view/private_metadata");
  c.maxLen(view.callback_id, L.callbackId, "/view/callback_id");
  c.errors.push(...validateBlocks(view.blocks, "modal", "/view/blocks"));
  return c.errors;
}
