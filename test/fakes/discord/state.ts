// In-memory state of the fake Discord.
import { randomBytes } from "node:crypto";
import { snowflake, UrlSigner } from "./ids.js";
import { DEFAULT_ATTACHMENT_SIZE_LIMIT } from "./limits.js";
import { Premium } from "./entitlements.js";
import { DEFAULT_EVENT_WEBHOOK_RETRY, type EventWebhookRetry } from "./event-webhooks.js";
import { emptyPings } from "./mentions.js";
import { guildByChannel } from "./channels.js";
import { createWorld, messageJson, type GuildWorld, type World } from "./payloads.js";
import { mediaUrls, readableText } from "./readable.js";
import { threadJson, type ThreadWorld } from "./threads.js";
import type {
  FakeAttachment,
  FakeDiscordOptions,
  FakeMessage,
  FakeReaction,
  FakeSkuInput,
  FakeUser,
  Ping,
  RecordedRequest,
  Rejection,
} from "./types.js";

/** Host of the images members link to: `.invalid` never resolves, so only the proxy URL can be fetched. */
export const LINKED_IMAGE_HOST = "images.example.invalid";

const IMAGE_EXTENSIONS: Record<string, string> = {
  "image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp", "image/avif": "avif",
};

export const Intents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  GuildMessageReactions: 1 << 10,
  MessageContent: 1 << 15,
} as const;

export interface ResolvedOptions {
  token: string;
  interactionTokenTtlMs: number;
  ackDeadlineMs: number;
  rateLimit: { limit: number; windowMs: number } | false;
  defaultAttachmentSizeLimit: number;
  heartbeatIntervalMs: number;
  privilegedIntents: number;
  cdnUrlTtlMs: number;
  debug: boolean;
  shards: number;
  skus: FakeSkuInput[] | undefined;
  eventWebhookRetry: EventWebhookRetry;
}

export function resolveOptions(o: FakeDiscordOptions = {}): ResolvedOptions {
  return {
    token: o.token ?? "fake-bot-token",
    interactionTokenTtlMs: o.interactionTokenTtlMs ?? 15 * 60_000,
    ackDeadlineMs: o.ackDeadlineMs ?? 3000,
    rateLimit: o.rateLimit === undefined ? { limit: 5, windowMs: 5000 } : o.rateLimit,
    defaultAttachmentSizeLimit: o.defaultAttachmentSizeLimit ?? DEFAULT_ATTACHMENT_SIZE_LIMIT,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 41_250,
    privilegedIntents: o.privilegedIntents ?? 0,
    cdnUrlTtlMs: o.cdnUrlTtlMs ?? 24 * 3600_000,
    debug: o.debug ?? process.env.FAKE_DISCORD_DEBUG === "1",
    shards: o.shards ?? 1,
    skus: o.skus,
    eventWebhookRetry: { ...DEFAULT_EVENT_WEBHOOK_RETRY, ...o.eventWebhookRetry },
  };
}

export interface InteractionState {
  id: string;
  token: string;
  /** 2 APPLICATION_COMMAND, 3 MESSAGE_COMPONENT, 5 MODAL_SUBMIT. */
  type: 2 | 3 | 5;
  dispatchedAt: number;
  user: FakeUser;
  /** Where the interaction happened (its responses and follow-ups are posted there). */
  guildId: string;
  channelId: string;
  commandName?: string;
  /** For type 2: 1 CHAT_INPUT (slash), 3 MESSAGE (context menu). */
  commandType?: 1 | 3;
  /** For a message command: the message it was used on. */
  targetMessageId?: string;
  attachmentSizeLimit: number;
  /** Callback type of the initial response, once acknowledged. */
  ackType?: number;
  ackedAt?: number;
  /** @original: the response message (types 4/5) or the component's message (types 6/7). */
  originalMessageId?: string;
  componentMessageId?: string;
  followUpIds: string[];
  /** The modal this interaction was answered with (callback type 9), component ids filled in. */
  modal?: Record<string, any>;
  /** Set once a submit of that modal was acknowledged: Discord's client then closes it. */
  modalClosed?: boolean;
  /** For type 5: the interaction whose modal was submitted. */
  modalOf?: string;
  /** Expired before its time (`fake.expireToken()` or a fault policy's `expireToken`). */
  expired?: boolean;
}

/**
 * Sends a gateway dispatch for a guild: only the session(s) of the shard that owns `guildId` get it
 * (and only those that asked for `intent`). An event without a guild names `shard: 0` instead:
 * Discord sends those (entitlements included) to shard 0 only.
 */
export type Dispatch = (t: string, d: unknown, scope: { guildId: string; intent?: number } | { shard: 0; intent?: number }) => void;

export class State {
  readonly world: World;
  readonly signer: UrlSigner;
  readonly requests: RecordedRequest[] = [];
  readonly rejections: Rejection[] = [];
  /** Message creates/edits the fake served, with whom each pinged. */
  readonly pings: Ping[] = [];
  rateLimited = 0;
  tokenTtlMs: number;
  cdnUrl = "";
  gatewayUrl = "";
  readonly messages = new Map<string, FakeMessage>();
  readonly reactionsByMessage = new Map<string, FakeReaction[]>();
  readonly interactions = new Map<string, InteractionState>();
  readonly interactionsByToken = new Map<string, InteractionState>();
  readonly attachments = new Map<string, FakeAttachment>();
  /** Linked images the fake's media proxy serves, by URL path (/external/...). */
  readonly linkedImages = new Map<string, { bytes: Buffer; contentType: string }>();
  readonly nonces = new Map<string, { messageId: string; at: number }>();
  globalCommands: Record<string, unknown>[] = [];
  readonly guildCommands = new Map<string, Record<string, unknown>[]>();
  /** Successful bulk overwrites of the global command list (PUT /applications/{app}/commands). */
  globalCommandPuts = 0;
  /** The `shard` of every accepted IDENTIFY, in order. */
  readonly identifies: Array<[number, number]> = [];
  dispatch: Dispatch = () => {};
  /** SKUs, entitlements and webhook events (Premium Apps). */
  readonly premium: Premium;

  constructor(readonly opts: ResolvedOptions, botPermissions?: string) {
    this.world = createWorld(botPermissions, opts.shards);
    this.signer = new UrlSigner(opts.cdnUrlTtlMs);
    this.tokenTtlMs = opts.interactionTokenTtlMs;
    this.premium = new Premium(this.world, opts.skus, opts.eventWebhookRetry, (t, d) => this.dispatch(t, d, { shard: 0 }), (...a) => this.log(...a));
  }

  log(...args: unknown[]): void {
    if (this.opts.debug) console.error("[fake-discord]", ...args);
  }

  /** Stores bytes and returns an attachment with a signed CDN URL served by this fake. */
  storeAttachment(
    channelId: string,
    bytes: Buffer,
    filename: string,
    contentType: string | null,
    extra: Partial<FakeAttachment> = {},
    folder: "attachments" | "ephemeral-attachments" = "attachments",
  ): FakeAttachment {
    const id = snowflake();
    const path = `/${folder}/${channelId}/${id}/${encodeURIComponent(filename)}`;
    const url = `${this.cdnUrl}${path}?${this.signer.sign(path)}`;
    const a: FakeAttachment = {
      id, filename, size: bytes.length, url, proxy_url: url,
      ...(contentType ? { content_type: contentType } : {}),
      ...extra,
      bytes,
    };
    this.attachments.set(id, a);
    return a;
  }

  /**
   * Stores an image "hosted elsewhere" that a member linked to, and returns its made-up link and the
   * URL this fake serves it at, shaped like Discord's media proxy
   * (https://images-ext-1.discordapp.net/external/<hash>/https/<host>/<path>) but on the CDN origin,
   * so a bot that downloads from the CDN origin only (as it should) can fetch it.
   */
  storeLinkedImage(bytes: Buffer, contentType: string): { url: string; proxyUrl: string } {
    const ext = IMAGE_EXTENSIONS[contentType.split(";")[0]!.trim().toLowerCase()] ?? (contentType.split("/")[1]?.replace(/[^\w]/g, "") || "bin");
    const name = `${this.linkedImages.size + 1}.${ext}`;
    const url = `https://${LINKED_IMAGE_HOST}/${name}`;
    const path = `/external/${randomBytes(32).toString("base64url")}/https/${LINKED_IMAGE_HOST}/${name}`;
    this.linkedImages.set(path, { bytes, contentType });
    return { url, proxyUrl: `${this.cdnUrl}${path}` };
  }

  addMessage(m: FakeMessage): FakeMessage {
    this.messages.set(m.id, m);
    return m;
  }

  newMessage(channelId: string, author: FakeUser, fields: Partial<FakeMessage>): FakeMessage {
    const g = guildByChannel(this.world, channelId);
    if (!g) throw new Error(`fake Discord: channel ${channelId} is not one of the fake's channels`);
    const now = Date.now();
    const id = snowflake(now);
    const m: FakeMessage = {
      id, channel_id: channelId, guild_id: g.guildId, type: 0, content: "", embeds: [], components: [],
      attachments: [], flags: 0, author, tts: false, timestamp: new Date(now).toISOString(), edited_timestamp: null,
      editHistory: [], mentions: emptyPings(), text: "", media: [], ...fields,
    };
    return refreshReadable(m);
  }

  liveMessage(id: string): FakeMessage | undefined {
    const m = this.messages.get(id);
    return m && !m.deleted ? m : undefined;
  }

  messageJson(m: FakeMessage, extra: Record<string, unknown> = {}): Record<string, unknown> {
    const reactions = this.reactionsByMessage.get(m.id) ?? [];
    const byEmoji = new Map<string, FakeReaction[]>();
    for (const r of reactions) byEmoji.set(r.emoji, [...(byEmoji.get(r.emoji) ?? []), r]);
    const inter = m.interactionId ? this.interactions.get(m.interactionId) : undefined;
    const parent = inter?.modalOf ? this.interactions.get(inter.modalOf) : undefined;
    return messageJson(this.world, m, {
      ...(byEmoji.size
        ? {
            reactions: [...byEmoji].map(([emoji, rs]) => ({
              emoji: emojiJson(emoji), count: rs.length, count_details: { burst: 0, normal: rs.length },
              me: rs.some((r) => r.userId === this.world.botUser.id), me_burst: false, burst_colors: [],
            })),
          }
        : {}),
      ...(inter ? interactionLink(inter, m, parent) : {}),
      ...extra,
    });
  }

  listMessages(channelId?: string, includeDeleted = false): FakeMessage[] {
    // Map iteration order is insertion (= creation) order.
    return [...this.messages.values()].filter((m) => (includeDeleted || !m.deleted) && (!channelId || m.channel_id === channelId));
  }

  /** Token no longer usable (its lifetime ran out, or a test expired it)? */
  tokenExpired(i: InteractionState, now = Date.now()): boolean {
    return i.expired === true || now - i.dispatchedAt > this.tokenTtlMs;
  }

  /** Expires the token of an interaction of this fake now; false when no interaction has it. */
  expireToken(token: string): boolean {
    const i = this.interactionsByToken.get(token);
    if (i) i.expired = true;
    return i !== undefined;
  }

  /** The thread's channel object, its message counts current. */
  threadJson(t: ThreadWorld): Record<string, unknown> {
    return threadJson(t, this.listMessages(t.id, true));
  }

  /** The guild's active (not archived) threads, as GUILD_CREATE lists them. */
  activeThreadsJson(g: GuildWorld): Record<string, unknown>[] {
    return this.world.threads.filter((t) => t.guild === g && !t.archived).map((t) => this.threadJson(t));
  }

  record(r: Omit<Rejection, "at">): void {
    this.rejections.push({ ...r, at: Date.now() });
    this.log("rejected", r.method, r.path, r.status, r.code, JSON.stringify(r.errors ?? r.message));
  }
}

export function emojiJson(emoji: string): { id: string | null; name: string; animated?: boolean } {
  const custom = /^(a:)?([\w~-]{2,32}):(\d{17,20})$/.exec(emoji);
  if (custom) return { id: custom[3]!, name: custom[2]!, animated: Boolean(custom[1]) };
  return { id: null, name: emoji };
}

/**
 * The Message Interaction Metadata of an interaction (resources/message#message-interaction-metadata-object):
 * command_type / target_message_id for commands, interacted_message_id for components, and for a
 * modal submit the metadata of the interaction that opened the modal (triggering_interaction_metadata).
 */
function interactionMetadata(i: InteractionState, user: Record<string, unknown>, parent?: InteractionState): Record<string, unknown> {
  return {
    id: i.id, type: i.type, user,
    authorizing_integration_owners: { "0": i.guildId },
    ...(i.type === 3 && i.componentMessageId ? { interacted_message_id: i.componentMessageId } : {}),
    ...(i.type === 2 && i.commandName ? { name: i.commandName, command_type: i.commandType ?? 1 } : {}),
    ...(i.type === 2 && i.targetMessageId ? { target_message_id: i.targetMessageId } : {}),
    ...(i.type === 5 && parent ? { triggering_interaction_metadata: interactionMetadata(parent, user) } : {}),
  };
}

function interactionLink(i: InteractionState, m: FakeMessage, parent?: InteractionState): Record<string, unknown> {
  const user = { id: i.user.id, username: i.user.username, global_name: i.user.global_name, discriminator: i.user.discriminator, avatar: i.user.avatar, public_flags: 0 };
  const isFollowUp = i.followUpIds.includes(m.id) && m.id !== i.originalMessageId;
  return {
    interaction_metadata: {
      ...interactionMetadata(i, user, parent),
      ...(isFollowUp && i.originalMessageId ? { original_response_message_id: i.originalMessageId } : {}),
    },
    ...(i.type === 2 ? { interaction: { id: i.id, type: i.type, name: i.commandName ?? "", user } } : {}),
  };
}

/** Recomputes `text` and `media` from `content` and `components` (after every create and edit). */
export function refreshReadable(m: FakeMessage): FakeMessage {
  m.text = readableText(m.content, m.components);
  m.media = mediaUrls(m.components);
  return m;
}
