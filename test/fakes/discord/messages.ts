// Building and editing stored messages from request bodies + uploaded files (shared by all routes).
import { Errors, FormErrors, formError } from "./http-util.js";
import { CREATE_FLAGS, EDIT_FLAGS, MAX_REQUEST_BYTES, MessageFlags, checkAttachmentRefs, checkMessageLimits, checkPremiumSkus, checkV2Message } from "./limits.js";
import { canMentionEveryone, computeMentions, repliedUserId } from "./mentions.js";
import { Intents, refreshReadable, type State } from "./state.js";
import type { FakeAttachment, FakeMessage, FakeUser, PingSet, RecordedFile } from "./types.js";
import { guildOfMessage, memberJson } from "./payloads.js";

type Json = Record<string, any>;

const EXT_TYPES: Record<string, string> = {
  png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp",
  mp4: "video/mp4", webm: "video/webm", mov: "video/quicktime", txt: "text/plain; charset=utf-8",
  json: "application/json; charset=utf-8", mp3: "audio/mpeg",
};

/** Discord sanitises uploaded file names (spaces → "_", odd characters dropped). */
export function sanitizeFilename(name: string): string {
  const s = name.replace(/\s+/g, "_").replace(/[^\w.\-]/g, "");
  return s.length ? s : "unknown";
}

/** Width and height of a PNG or GIF, read from its header (other formats: undefined). */
export function imageSize(b: Buffer): { width: number; height: number } | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47) return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 10 && b.toString("latin1", 0, 3) === "GIF") return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  return undefined;
}

export interface AttachmentContext {
  state: State;
  channelId: string;
  sizeLimit: number;
  /** Size of the whole request body; over max(25 MiB, sizeLimit) it answers 413 like Discord. */
  requestBytes?: number;
  ephemeral: boolean;
  /** Path prefix for errors, e.g. ["data"] for interaction callbacks. */
  base?: Array<string | number>;
}

function fileIndex(f: RecordedFile, fallback: number): number {
  const m = /^files\[(\d+)\]$/.exec(f.field) ?? /^file(\d*)$/.exec(f.field);
  return m ? Number(m[1] || 0) : fallback;
}

/**
 * Resolves the attachments of a created/edited message. `existing` is null on create.
 * Returns undefined when an edit does not touch attachments.
 */
export function resolveAttachments(
  ctx: AttachmentContext,
  body: Json,
  files: RecordedFile[],
  existing: FakeAttachment[] | null,
): FakeAttachment[] | undefined {
  const base = ctx.base ?? [];
  if (files.length > 10) throw formError([...base, "files"], "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.");
  for (const f of files) if (f.bytes.length > ctx.sizeLimit) throw Errors.tooLarge();
  if ((ctx.requestBytes ?? 0) > Math.max(MAX_REQUEST_BYTES, ctx.sizeLimit)) throw Errors.tooLarge();
  const uploads = new Map<number, RecordedFile>();
  files.forEach((f, i) => uploads.set(fileIndex(f, i), f));
  const used = new Set<number>();
  const store = (f: RecordedFile, meta: Json = {}): FakeAttachment => {
    const filename = sanitizeFilename(typeof meta.filename === "string" ? meta.filename : f.filename);
    const ext = filename.split(".").pop()?.toLowerCase() ?? "";
    const ct = f.contentType === "application/octet-stream" ? (EXT_TYPES[ext] ?? f.contentType) : f.contentType;
    const size = imageSize(f.bytes);
    const extra: Partial<FakeAttachment> = {
      ...(size ?? {}),
      ...(typeof meta.description === "string" ? { description: meta.description } : {}),
      ...(typeof meta.title === "string" ? { title: meta.title } : {}),
      ...(typeof meta.duration_secs === "number" ? { duration_secs: meta.duration_secs } : {}),
      ...(typeof meta.waveform === "string" ? { waveform: meta.waveform } : {}),
    };
    const folder = ctx.ephemeral ? "ephemeral-attachments" : "attachments";
    return ctx.state.storeAttachment(ctx.channelId, f.bytes, filename, ct, { ...extra, ...(ctx.ephemeral ? { ephemeral: true } : {}) }, folder);
  };
  if (Array.isArray(body.attachments)) {
    const errs = new FormErrors();
    const out: FakeAttachment[] = [];
    body.attachments.forEach((a: Json, i: number) => {
      const id = String(a?.id ?? "");
      const prior = existing?.find((x) => x.id === id);
      if (prior) out.push(prior);
      else if (/^\d{1,4}$/.test(id) && uploads.has(Number(id))) {
        used.add(Number(id));
        out.push(store(uploads.get(Number(id))!, a));
      } else {
        errs.add([...base, "attachments", i, "id"], "ATTACHMENT_NOT_FOUND",
          existing ? `Unknown attachment ${id}: neither an uploaded files[n] index nor an attachment of this message` : `Unknown attachment ${id}: no files[${id}] part was uploaded`);
      }
    });
    errs.throwIfAny();
    for (const [n, f] of uploads) if (!used.has(n)) out.push(store(f));
    return out;
  }
  if (files.length === 0) return existing ? undefined : [];
  return [...(existing ?? []), ...[...uploads.values()].map((f) => store(f))];
}

function normalizeEmbeds(embeds: unknown, attachments: FakeAttachment[]): unknown[] {
  if (!Array.isArray(embeds)) return [];
  const resolve = (media: Json | undefined) => {
    if (!media || typeof media.url !== "string" || !media.url.startsWith("attachment://")) return media;
    const a = attachments.find((x) => x.filename === media.url.slice("attachment://".length));
    return a ? { ...media, url: a.url, proxy_url: a.proxy_url, width: a.width ?? 0, height: a.height ?? 0 } : media;
  };
  return embeds.map((e: Json) => ({
    type: "rich", ...e,
    ...(e.image ? { image: resolve(e.image) } : {}),
    ...(e.thumbnail ? { thumbnail: resolve(e.thumbnail) } : {}),
    content_scan_version: 0,
  }));
}

export function assertNotEmpty(m: Pick<FakeMessage, "content" | "embeds" | "attachments" | "components" | "flags">, body: Json): void {
  if (m.flags & MessageFlags.LOADING) return;
  const empty = m.content === "" && m.embeds.length === 0 && m.attachments.length === 0 && m.components.length === 0 && !body.sticker_ids?.length && !body.poll;
  if (empty) throw Errors.emptyMessage();
}

/**
 * Whom `m` pings with its current text, given the allowed_mentions of the request that set it: the
 * content, or a Components V2 message's Text Displays (Discord parses mentions there the same way).
 */
export function mentionsOf(state: State, m: FakeMessage, allowedMentions: unknown): PingSet {
  const w = state.world;
  const replied = repliedUserId(state.messages, m);
  return computeMentions(w, guildOfMessage(w, m), {
    content: m.text,
    allowedMentions,
    canMentionEveryone: canMentionEveryone(w, m.author, m.channel_id),
    ...(replied ? { repliedUserId: replied } : {}),
  });
}

/** The app's SKU ids (premium buttons may offer these only). */
function skuIdsOf(state: State): Set<string> {
  return new Set(state.premium.skus.map((s) => s.id));
}

export interface CreateArgs {
  ctx: AttachmentContext;
  body: Json;
  files: RecordedFile[];
  author: FakeUser;
  allowedFlags?: number;
  extra?: Partial<FakeMessage>;
}

/** Validates limits and builds a (not yet stored) message. */
export function buildMessage({ ctx, body, files, author, allowedFlags = CREATE_FLAGS, extra = {} }: CreateArgs): FakeMessage {
  const errs = new FormErrors();
  checkMessageLimits(body, errs, ctx.base ?? []);
  checkPremiumSkus(body, skuIdsOf(ctx.state), errs, ctx.base ?? []);
  errs.throwIfAny();
  const attachments = resolveAttachments(ctx, body, files, null) ?? [];
  checkAttachmentRefs(body, attachments.map((a) => a.filename), errs, ctx.base ?? []);
  errs.throwIfAny();
  const content = typeof body.content === "string" ? body.content : "";
  const m = ctx.state.newMessage(ctx.channelId, author, {
    content,
    embeds: normalizeEmbeds(body.embeds, attachments),
    components: Array.isArray(body.components) ? body.components : [],
    attachments,
    tts: body.tts === true,
    ...(body.allowed_mentions !== undefined ? { allowed_mentions: body.allowed_mentions } : {}),
    ...extra,
    editHistory: [content],
  });
  // Flags a client may not set (e.g. EPHEMERAL on a channel message) are dropped, as Discord does.
  m.flags = ((typeof body.flags === "number" ? body.flags : 0) & allowedFlags) | (extra.flags ?? 0);
  assertNotEmpty(m, body);
  refreshReadable(m);
  m.mentions = mentionsOf(ctx.state, m, body.allowed_mentions);
  return m;
}

/** Applies a PATCH body to a stored message (validates first; mutates only on success). */
export function editMessage(ctx: AttachmentContext, m: FakeMessage, body: Json, files: RecordedFile[]): FakeMessage {
  const errs = new FormErrors();
  checkMessageLimits(body, errs, ctx.base ?? [], m.flags & MessageFlags.IS_COMPONENTS_V2);
  checkPremiumSkus(body, skuIdsOf(ctx.state), errs, ctx.base ?? []);
  errs.throwIfAny();
  const attachments = resolveAttachments(ctx, body, files, m.attachments) ?? m.attachments;
  if ("components" in body) checkAttachmentRefs(body, attachments.map((a) => a.filename), errs, ctx.base ?? []);
  errs.throwIfAny();
  const next: FakeMessage = { ...m, attachments };
  if ("content" in body) next.content = typeof body.content === "string" ? body.content : "";
  if ("embeds" in body) next.embeds = normalizeEmbeds(body.embeds ?? [], attachments);
  if ("components" in body) next.components = Array.isArray(body.components) ? body.components : [];
  if ("allowed_mentions" in body) next.allowed_mentions = body.allowed_mentions;
  let flags = m.flags & ~MessageFlags.LOADING;
  if (typeof body.flags === "number") flags = (flags & ~EDIT_FLAGS) | (body.flags & EDIT_FLAGS);
  next.flags = flags;
  checkV2Message(next, errs, ctx.base ?? []);
  errs.throwIfAny();
  assertNotEmpty(next, body);
  refreshReadable(next);
  // Discord rebuilds the mentions when the content is edited, with the edit's allowed_mentions or,
  // if it has none, the default allowances (whatever the message was created with).
  // A Components V2 message's text is in its components: editing them is editing the content.
  const v2Text = "components" in body && (next.flags & MessageFlags.IS_COMPONENTS_V2) !== 0;
  if ("content" in body || v2Text || "allowed_mentions" in body) next.mentions = mentionsOf(ctx.state, next, body.allowed_mentions);
  next.edited_timestamp = new Date().toISOString();
  next.editHistory = [...m.editHistory, next.content];
  Object.assign(m, next);
  return m;
}

export function isEphemeral(m: FakeMessage): boolean {
  return (m.flags & MessageFlags.EPHEMERAL) !== 0;
}

/** Gateway MESSAGE_CREATE / MESSAGE_UPDATE / MESSAGE_DELETE (ephemeral messages are not dispatched). */
export function announce(state: State, kind: "create" | "update" | "delete", m: FakeMessage): void {
  if (isEphemeral(m)) return;
  const w = state.world;
  if (kind === "delete") {
    state.dispatch("MESSAGE_DELETE", { id: m.id, channel_id: m.channel_id, guild_id: m.guild_id }, { guildId: m.guild_id, intent: Intents.GuildMessages });
    return;
  }
  const member = m.webhook_id ? {} : { member: { ...memberJson(w, guildOfMessage(w, m), m.author), user: undefined } };
  state.dispatch(kind === "create" ? "MESSAGE_CREATE" : "MESSAGE_UPDATE", state.messageJson(m, member), { guildId: m.guild_id, intent: Intents.GuildMessages });
}

/** MESSAGE_REACTION_ADD / _REMOVE as the gateway sends them. */
export function reactionEvent(state: State, add: boolean, m: FakeMessage, emoji: Json, user: FakeUser): void {
  const w = state.world;
  state.dispatch(
    add ? "MESSAGE_REACTION_ADD" : "MESSAGE_REACTION_REMOVE",
    {
      user_id: user.id, channel_id: m.channel_id, message_id: m.id, guild_id: m.guild_id, emoji,
      ...(add ? { member: memberJson(w, guildOfMessage(w, m), user), message_author_id: m.author.id, burst: false, burst_colors: [], type: 0 } : { burst: false, type: 0 }),
    },
    { guildId: m.guild_id, intent: Intents.GuildMessageReactions },
  );
}
