// Discord's plain limits that the OpenAPI description does not (or not fully) express.
import type { FormErrors } from "./http-util.js";

type Json = Record<string, any>;
type Path = Array<string | number>;

export const MessageFlags = {
  SUPPRESS_EMBEDS: 1 << 2,
  EPHEMERAL: 1 << 6,
  LOADING: 1 << 7,
  SUPPRESS_NOTIFICATIONS: 1 << 12,
  IS_VOICE_MESSAGE: 1 << 13,
  IS_COMPONENTS_V2: 1 << 15,
} as const;

/** Flags a client may set when creating a message (others are dropped, like Discord does). */
export const CREATE_FLAGS =
  MessageFlags.SUPPRESS_EMBEDS | MessageFlags.SUPPRESS_NOTIFICATIONS | MessageFlags.IS_VOICE_MESSAGE | MessageFlags.IS_COMPONENTS_V2;
export const EDIT_FLAGS = MessageFlags.SUPPRESS_EMBEDS | MessageFlags.IS_COMPONENTS_V2;

export const MAX_CONTENT = 2000;
export const MAX_EMBEDS = 10;
export const MAX_EMBED_TOTAL = 6000;
export const MAX_ACTION_ROWS = 5;
/** Components V2: "Messages allow up to 40 total components" (components/reference), nested ones included. */
export const MAX_V2_COMPONENTS = 40;
/** Components V2: the Text Displays of one message hold at most 4000 characters together. */
export const MAX_V2_TEXT = 4000;
/** Maximum size of a whole message request (files + payload), Create Message docs. */
export const MAX_REQUEST_BYTES = 25 * 1024 * 1024;
/** Default per-file upload limit since 2026-09-03 (was 10 MiB). */
export const DEFAULT_ATTACHMENT_SIZE_LIMIT = 20 * 1024 * 1024;

function embedChars(e: Json): number {
  const s = (v: unknown) => (typeof v === "string" ? v.length : 0);
  let n = s(e.title) + s(e.description) + s(e.footer?.text) + s(e.author?.name);
  if (Array.isArray(e.fields)) for (const f of e.fields) n += s(f?.name) + s(f?.value);
  return n;
}

/**
 * Button fields by style (components/reference#button): link (5) needs `url`, no `custom_id`;
 * premium (6) needs `sku_id` and may have none of `custom_id`, `label`, `url`, `emoji` (Discord draws
 * the SKU's name and price itself); the others need `custom_id`. Only premium buttons have `sku_id`.
 * (Whether the SKU is the app's is checked by `checkPremiumSkus`, which knows the app.)
 */
function checkButton(c: Json, at: Path, errs: FormErrors): void {
  const style = c.style;
  if (style !== 6 && c.sku_id != null) {
    errs.add([...at, "sku_id"], "BUTTON_COMPONENT_SKU_ID_NOT_ALLOWED", "A sku_id can only be set on premium buttons");
  }
  if (style === 5) {
    if (!c.url) errs.add([...at, "url"], "BUTTON_COMPONENT_URL_REQUIRED", "A URL is required for link buttons");
    if (c.custom_id != null) errs.add([...at, "custom_id"], "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "A custom id cannot be set on link buttons");
  } else if (style === 6) {
    if (!c.sku_id) errs.add([...at, "sku_id"], "BUTTON_COMPONENT_SKU_ID_REQUIRED", "A sku_id is required for premium buttons");
    for (const field of ["custom_id", "label", "url", "emoji"]) {
      if (c[field] != null) errs.add([...at, field], `BUTTON_COMPONENT_${field.toUpperCase()}_NOT_ALLOWED`, `A ${field} cannot be set on premium buttons`);
    }
  } else {
    if (c.custom_id == null) errs.add([...at, "custom_id"], "BUTTON_COMPONENT_CUSTOM_ID_REQUIRED", "A custom id is required");
    if (c.url != null) errs.add([...at, "url"], "BUTTON_COMPONENT_URL_NOT_ALLOWED", "A URL can only be set on link buttons");
  }
  if (style !== 6 && !c.label && !c.emoji) {
    errs.add(at, "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A label or an emoji is required");
  }
}

/**
 * Per-component checks over the whole tree: custom_id 1–100 characters and unique, `id` unique
 * ("The `id` must be unique within the message"; 0 means "fill it in"), button fields by style.
 */
function walkComponents(list: unknown, at: Path, errs: FormErrors, ids: Map<string, Path>, numericIds = new Set<number>()): void {
  if (!Array.isArray(list)) return;
  list.forEach((c: Json, i) => {
    if (!c || typeof c !== "object") return;
    const here = [...at, i];
    if (typeof c.id === "number" && c.id !== 0) {
      if (numericIds.has(c.id)) errs.add([...here, "id"], "COMPONENT_ID_DUPLICATED", "Component id cannot be duplicated");
      numericIds.add(c.id);
    }
    if ("custom_id" in c && c.custom_id != null) {
      const id = c.custom_id;
      if (typeof id !== "string" || id.length < 1 || id.length > 100) {
        errs.add([...here, "custom_id"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
      } else if (ids.has(id)) {
        errs.add([...here, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated");
      } else ids.set(id, here);
    }
    if (c.type === 2) checkButton(c, here, errs);
    walkComponents(c.components, [...here, "components"], errs, ids, numericIds);
    if (c.accessory) walkComponents([c.accessory], [...here, "accessory"], errs, ids, numericIds);
  });
}

/** Visits every component of a tree (children, then a Section's accessory) with its error path. */
function eachComponent(list: unknown, at: Path, visit: (c: Json, here: Path) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((c: Json, i) => {
    if (!c || typeof c !== "object") return;
    const here = [...at, i];
    visit(c, here);
    eachComponent(c.components, [...here, "components"], visit);
    if (c.accessory) eachComponent([c.accessory], [...here, "accessory"], visit);
  });
}

/**
 * A premium button must offer a SKU of this application (the SKUs of GET /applications/{app}/skus);
 * another id is refused like any invalid field (50035). Applies to every component tree a message
 * request carries (legacy action rows and Components V2, accessories included).
 */
export function checkPremiumSkus(body: unknown, skuIds: ReadonlySet<string>, errs: FormErrors, base: Path = []): void {
  const comps = (body as Json | null | undefined)?.components;
  eachComponent(comps, [...base, "components"], (c, here) => {
    if (c.type === 2 && c.style === 6 && typeof c.sku_id === "string" && c.sku_id !== "" && !skuIds.has(c.sku_id)) {
      errs.add([...here, "sku_id"], "BUTTON_COMPONENT_INVALID_SKU", `Unknown SKU ${c.sku_id}: not a SKU of this application`);
    }
  });
}

/**
 * Components V2 totals (components/reference): at most 40 components in all, nested ones counted;
 * at most 4000 characters of Text Display content in all; a File shows an uploaded file only, so its
 * url must be an `attachment://` reference.
 */
function checkV2Components(comps: unknown[], base: Path, errs: FormErrors): void {
  let count = 0;
  let text = 0;
  eachComponent(comps, [...base, "components"], (c, here) => {
    count++;
    if (c.type === 10 && typeof c.content === "string") text += c.content.length;
    if (c.type === 13 && typeof c.file?.url === "string" && !c.file.url.startsWith("attachment://")) {
      errs.add([...here, "file", "url"], "UNFURLED_MEDIA_ITEM_ATTACHMENT_REQUIRED", "The File component only supports attachment:// references");
    }
  });
  if (count > MAX_V2_COMPONENTS) {
    errs.add([...base, "components"], "COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED", `A message may have at most ${MAX_V2_COMPONENTS} components in total (has ${count})`);
  }
  if (text > MAX_V2_TEXT) {
    errs.add([...base, "components"], "COMPONENT_MAX_TEXT_DISPLAY_LENGTH_EXCEEDED", `The text displays of a message may hold at most ${MAX_V2_TEXT} characters in total (have ${text})`);
  }
}

/** The `attachment://<name>` references of a component tree (Thumbnail, Media Gallery items, File), with their paths. */
function attachmentRefs(comps: unknown, base: Path): Array<{ name: string; at: Path }> {
  const out: Array<{ name: string; at: Path }> = [];
  const ref = (media: unknown, at: Path) => {
    const url = (media as Json | undefined)?.url;
    if (typeof url === "string" && url.startsWith("attachment://")) out.push({ name: url.slice("attachment://".length), at: [...at, "url"] });
  };
  eachComponent(comps, [...base, "components"], (c, here) => {
    if (c.type === 11) ref(c.media, [...here, "media"]);
    if (c.type === 13) ref(c.file, [...here, "file"]);
    if (c.type === 12 && Array.isArray(c.items)) c.items.forEach((item: Json, n: number) => ref(item?.media, [...here, "items", n, "media"]));
  });
  return out;
}

/**
 * Every `attachment://<name>` in the request's components must name a file of the resulting
 * message: one uploaded with this request, or one the edited message keeps (unfurled media item:
 * "Supports arbitrary urls and attachment://<filename> references").
 */
export function checkAttachmentRefs(body: Json, filenames: string[], errs: FormErrors, base: Path = []): void {
  for (const { name, at } of attachmentRefs(body.components, base)) {
    if (!filenames.includes(name)) {
      errs.add(at, "ATTACHMENT_NOT_FOUND", `attachment://${name} names no file of this message (has: ${filenames.join(", ") || "none"})`);
    }
  }
}

/**
 * A message with IS_COMPONENTS_V2 may not carry content or embeds (resources/message, components/
 * reference): checked on the message as an edit leaves it, since an edit may turn a message into a
 * V2 one only if it also clears what it had.
 */
export function checkV2Message(m: { content: string; embeds: unknown[]; flags: number }, errs: FormErrors, base: Path = []): void {
  if (!(m.flags & MessageFlags.IS_COMPONENTS_V2)) return;
  if (m.content !== "" || m.embeds.length > 0) {
    errs.add([...base, m.content !== "" ? "content" : "embeds"], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
      "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2 (an edit that sets the flag must clear them)");
  }
}

function checkComponents(body: Json, base: Path, errs: FormErrors, flags: number): void {
  const comps = body.components;
  if (!Array.isArray(comps)) return;
  const v2 = (flags & MessageFlags.IS_COMPONENTS_V2) !== 0;
  if (!v2) {
    if (comps.length > MAX_ACTION_ROWS) {
      errs.add([...base, "components"], "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_ACTION_ROWS} or fewer in length.`);
    }
    comps.forEach((row: Json, i) => {
      if (row?.type !== 1) {
        errs.add([...base, "components", i, "type"], "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,) unless the IS_COMPONENTS_V2 flag is set.');
        return;
      }
      const inner = Array.isArray(row.components) ? row.components : [];
      const selects = inner.filter((c: Json) => c && [3, 5, 6, 7, 8].includes(c.type)).length;
      if (selects > 0 && inner.length > 1) {
        errs.add([...base, "components", i, "components"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width");
      }
    });
  }
  walkComponents(comps, [...base, "components"], errs, new Map());
  if (v2) checkV2Components(comps, base, errs);
}

function checkAllowedMentions(am: unknown, at: Path, errs: FormErrors): void {
  if (am == null) return;
  if (typeof am !== "object" || Array.isArray(am)) {
    errs.add(at, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType");
    return;
  }
  const a = am as Json;
  const parse: unknown[] = Array.isArray(a.parse) ? a.parse : [];
  for (const [i, p] of parse.entries()) {
    if (!["users", "roles", "everyone"].includes(p as string)) {
      errs.add([...at, "parse", i], "BASE_TYPE_CHOICES", 'Value must be one of ("users", "roles", "everyone").');
    }
  }
  for (const kind of ["users", "roles"] as const) {
    const list = a[kind];
    if (list == null) continue;
    if (!Array.isArray(list)) continue; // type errors come from the schema
    if (list.length > 0 && parse.includes(kind)) {
      errs.add([...at, kind], "ALLOWED_MENTIONS_PARSE_EXCLUSIVE", `parse:["${kind}"] and ${kind}: [ids...] are mutually exclusive.`);
    }
    if (list.length > 100) errs.add([...at, kind], "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.");
    for (const [i, id] of list.entries()) {
      if (typeof id !== "string" || !/^\d{1,20}$/.test(id)) errs.add([...at, kind, i], "NUMBER_TYPE_COERCE", `Value "${String(id)}" is not snowflake.`);
    }
  }
}

/** Checks a message-shaped body (create/edit/webhook/callback data). `base` prefixes error paths. */
export function checkMessageLimits(body: unknown, errs: FormErrors, base: Path = [], existingFlags = 0): void {
  if (!body || typeof body !== "object" || Array.isArray(body)) return;
  const b = body as Json;
  if (typeof b.content === "string" && b.content.length > MAX_CONTENT) {
    errs.add([...base, "content"], "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_CONTENT} or fewer in length.`);
  }
  if (Array.isArray(b.embeds)) {
    if (b.embeds.length > MAX_EMBEDS) errs.add([...base, "embeds"], "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_EMBEDS} or fewer in length.`);
    const total = b.embeds.reduce((n: number, e: Json) => n + (e && typeof e === "object" ? embedChars(e) : 0), 0);
    if (total > MAX_EMBED_TOTAL) {
      errs.add([...base, "embeds"], "MAX_EMBED_SIZE_EXCEEDED", `Embed size exceeds maximum size of ${MAX_EMBED_TOTAL}`);
    }
  }
  const flags = (typeof b.flags === "number" ? b.flags : 0) | existingFlags;
  if (flags & MessageFlags.IS_COMPONENTS_V2) {
    // "the content and embeds fields will no longer work ... the poll and stickers fields are disabled"
    if ((typeof b.content === "string" && b.content.length > 0) || (Array.isArray(b.embeds) && b.embeds.length > 0)) {
      errs.add([...base, "content"], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "The 'content' and 'embeds' fields cannot be used when using MessageFlags.IS_COMPONENTS_V2");
    }
    if (b.poll != null) errs.add([...base, "poll"], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "The 'poll' field cannot be used when using MessageFlags.IS_COMPONENTS_V2");
    if (Array.isArray(b.sticker_ids) && b.sticker_ids.length > 0) {
      errs.add([...base, "sticker_ids"], "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2", "The 'sticker_ids' field cannot be used when using MessageFlags.IS_COMPONENTS_V2");
    }
  }
  // "Once a message has been sent with this flag, it can't be removed from that message."
  if (existingFlags & MessageFlags.IS_COMPONENTS_V2 && typeof b.flags === "number" && !(b.flags & MessageFlags.IS_COMPONENTS_V2)) {
    errs.add([...base, "flags"], "MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG", "The IS_COMPONENTS_V2 flag cannot be removed from a message once set");
  }
  checkComponents(b, base, errs, flags);
  checkAllowedMentions(b.allowed_mentions, [...base, "allowed_mentions"], errs);
}
