// Bot-token routes: gateway info, users, guild, channel, messages, reactions.
import { Errors, formError } from "./http-util.js";
import { hasPermission } from "./mentions.js";
import { buildMessage, editMessage, announce, isEphemeral, reactionEvent } from "./messages.js";
import { botPermissionsIn, channelById, channelJson, channelsOf, guildByChannel, type ChannelWorld } from "./channels.js";
import { P, guildById, guildJson, knownUsers, memberJson, userJson, type GuildWorld } from "./payloads.js";
import type { Ctx, Reply, RouteDef } from "./router.js";
import { emojiJson, type State } from "./state.js";
import { checkThreadState, threadById, type ThreadAction, type ThreadWorld } from "./threads.js";
import type { FakeMessage, FakeUser } from "./types.js";

type Json = Record<string, any>;
const NONCE_WINDOW_MS = 5 * 60_000;

const ok = (body: unknown): Reply => ({ status: 200, body });
const noContent = (): Reply => ({ status: 204 });

// What each route needs, as Discord documents it (resources/message, topics/permissions):
//   send a message: VIEW_CHANNEL + SEND_MESSAGES; files: ATTACH_FILES; embeds: EMBED_LINKS;
//   a reply (message_reference): READ_MESSAGE_HISTORY; read messages / reactions: READ_MESSAGE_HISTORY
//   (listing without it answers an empty list); add a reaction: READ_MESSAGE_HISTORY, and
//   ADD_REACTIONS when nobody reacted with that emoji yet; remove someone else's reaction, delete
//   someone else's message, edit the flags of someone else's message: MANAGE_MESSAGES.
//   The bot's permissions are those in the channel the route names (its role's, less the channel's
//   `botDeny`). In a thread the bot has its permissions in the parent channel, but posting (and
//   typing) needs SEND_MESSAGES_IN_THREADS instead of SEND_MESSAGES; what an archived or locked
//   thread allows is in threads.ts.
//   Interaction callbacks and webhooks need no channel permission (MENTION_EVERYONE still applies).
function has(where: Where, perm: bigint): boolean {
  return hasPermission(where.perms, perm);
}

function need(where: Where, perm: bigint): void {
  if (!has(where, P.VIEW_CHANNEL)) throw Errors.missingAccess();
  if (!has(where, perm)) throw Errors.missingPermissions();
}

/** Where a channel route acts: one of a guild's text channels, or one of its threads. */
interface Where {
  g: GuildWorld;
  channelId: string;
  channel?: ChannelWorld;
  thread?: ThreadWorld;
  /** The bot's permissions there (a thread: its parent's). */
  perms: bigint;
}

/** The channel the route names (any guild's channel or thread; else 10003 Unknown Channel). */
function channel(ctx: Ctx): Where {
  const w = ctx.state.world;
  const id = ctx.params.channel_id ?? "";
  const thread = threadById(w, id);
  const c = channelById(w, id);
  const g = guildByChannel(w, id);
  if (!g) throw Errors.unknownChannel();
  const where: Where = { g, channelId: id, perms: botPermissionsIn(w, id), ...(c ? { channel: c } : {}), ...(thread ? { thread } : {}) };
  if (!has(where, P.VIEW_CHANNEL)) throw Errors.missingAccess();
  return where;
}

/** What posting there needs: SEND_MESSAGES has no effect in a thread (topics/threads). */
function sendPermission(where: Where): bigint {
  return where.thread ? P.SEND_MESSAGES_IN_THREADS : P.SEND_MESSAGES;
}

/** Refuses `action` when the route's channel is a thread whose state forbids it. */
function threadAllows(where: Where, action: ThreadAction): void {
  if (where.thread) checkThreadState(where.thread, action, where.perms);
}

/** A message visible through channel routes (ephemeral messages are not), and where it is. */
function channelMessage(ctx: Ctx): { m: FakeMessage; where: Where } {
  const where = channel(ctx);
  const m = ctx.state.liveMessage(ctx.params.message_id ?? "");
  if (!m || m.channel_id !== where.channelId || isEphemeral(m)) throw Errors.unknownMessage();
  return { m, where };
}

const UNICODE_EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator}|[#*0-9]\uFE0F?\u20E3)/u;

/** Validates the decoded {emoji} path segment; the fake guild has no custom emojis. */
export function parseEmoji(raw: string): string {
  const e = raw.trim();
  if (/^(a:)?[\w~-]{2,32}:\d{17,20}$/.test(e) || /^\d{17,20}$/.test(e)) throw Errors.unknownEmoji();
  if (!UNICODE_EMOJI.test(e) || [...e].length > 12) throw Errors.unknownEmoji();
  return e;
}

function findUser(state: State, id: string): FakeUser | undefined {
  return knownUsers(state.world).find((u) => u.id === id);
}

function createMessage(ctx: Ctx): Reply {
  const { state } = ctx;
  const where = channel(ctx);
  const ch = where.channelId;
  const body = (ctx.json ?? {}) as Json;
  need(where, sendPermission(where));
  threadAllows(where, "post");
  if (ctx.files.length) need(where, P.ATTACH_FILES);
  if (Array.isArray(body.embeds) && body.embeds.length) need(where, P.EMBED_LINKS);
  const bot = state.world.botUser;
  const nonceKey = body.nonce != null ? `${bot.id}:${String(body.nonce)}` : undefined;
  if (nonceKey && body.enforce_nonce === true) {
    const seen = state.nonces.get(nonceKey);
    const orig = seen && Date.now() - seen.at < NONCE_WINDOW_MS ? state.messages.get(seen.messageId) : undefined;
    if (orig) return ok(state.messageJson(orig));
  }
  let reference: Json | undefined;
  let type = 0;
  const ref = body.message_reference as Json | null | undefined;
  if (ref) {
    need(where, P.READ_MESSAGE_HISTORY);
    const refType = (ref.type ?? 0) as number;
    // The message is looked up in the channel the reference names (default: this one). A reply
    // (type 0) naming another channel is refused whatever fail_if_not_exists says; one that names
    // none finds no message of another channel (nor a deleted one), and fail_if_not_exists: false
    // then sends it as a plain message, without a reference.
    const refChannel = ref.channel_id == null ? ch : String(ref.channel_id);
    if (refType === 0 && refChannel !== ch) {
      throw formError(["message_reference"], "REPLIES_CANNOT_REFERENCE_OTHER_CHANNEL", "Cannot reply to a message in a different channel");
    }
    const target = state.liveMessage(String(ref.message_id));
    const found = target && target.channel_id === refChannel && !isEphemeral(target);
    if (!found && ref.fail_if_not_exists !== false) {
      throw formError(["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message");
    }
    if (found) {
      reference = { type: refType, message_id: target.id, channel_id: target.channel_id, guild_id: target.guild_id };
      if (refType === 0) type = 19;
    }
  }
  const m = buildMessage({
    ctx: { state, channelId: ch, sizeLimit: state.opts.defaultAttachmentSizeLimit, requestBytes: ctx.bodyBytes, ephemeral: false },
    body, files: ctx.files, author: bot,
    extra: { type, ...(reference ? { message_reference: reference } : {}), ...(body.nonce != null ? { nonce: body.nonce } : {}) },
  });
  state.addMessage(m);
  if (nonceKey) state.nonces.set(nonceKey, { messageId: m.id, at: Date.now() });
  announce(state, "create", m);
  return { ...ok(state.messageJson(m)), made: { message: m, kind: "create" } };
}

function listMessages(ctx: Ctx): Reply {
  const where = channel(ctx);
  const ch = where.channelId;
  // "If the current user is missing the READ_MESSAGE_HISTORY permission in the channel, then no
  // messages will be returned."
  if (!has(where, P.READ_MESSAGE_HISTORY)) return ok([]);
  const limit = Math.min(100, Math.max(1, Number(ctx.query.limit ?? 50)));
  let list = ctx.state.listMessages(ch).filter((m) => !isEphemeral(m)).reverse(); // newest first
  const { before, after, around } = ctx.query;
  if (before) list = list.filter((m) => BigInt(m.id) < BigInt(before));
  if (after) list = list.filter((m) => BigInt(m.id) > BigInt(after)).slice(-limit);
  if (around) {
    const i = list.findIndex((m) => BigInt(m.id) <= BigInt(around));
    list = list.slice(Math.max(0, i - Math.floor(limit / 2)));
  }
  return ok(list.slice(0, limit).map((m) => ctx.state.messageJson(m)));
}

function patchMessage(ctx: Ctx): Reply {
  const { state } = ctx;
  const { m, where } = channelMessage(ctx);
  const body = (ctx.json ?? {}) as Json;
  const onlyFlags = Object.keys(body).every((k) => k === "flags") && ctx.files.length === 0;
  if (m.author.id !== state.world.botUser.id) {
    // Others' messages: only their flags (e.g. SUPPRESS_EMBEDS), and only with MANAGE_MESSAGES.
    if (!onlyFlags) throw Errors.cannotEditOthers();
    need(where, P.MANAGE_MESSAGES);
  }
  if (ctx.files.length) need(where, P.ATTACH_FILES);
  if (Array.isArray(body.embeds) && body.embeds.length) need(where, P.EMBED_LINKS);
  threadAllows(where, "edit");
  editMessage({ state, channelId: m.channel_id, sizeLimit: state.opts.defaultAttachmentSizeLimit, requestBytes: ctx.bodyBytes, ephemeral: false }, m, body, ctx.files);
  announce(state, "update", m);
  return { ...ok(state.messageJson(m)), made: { message: m, kind: "edit" } };
}

function deleteMessage(ctx: Ctx): Reply {
  const { m, where } = channelMessage(ctx);
  if (m.author.id !== ctx.state.world.botUser.id) need(where, P.MANAGE_MESSAGES);
  threadAllows(where, "delete");
  m.deleted = true;
  announce(ctx.state, "delete", m);
  return noContent();
}

function react(ctx: Ctx, add: boolean, userId: string): Reply {
  const { state } = ctx;
  const { m, where } = channelMessage(ctx);
  const emoji = parseEmoji(ctx.params.emoji_name ?? "");
  const list = state.reactionsByMessage.get(m.id) ?? [];
  const mine = list.findIndex((r) => r.emoji === emoji && r.userId === userId);
  const user = findUser(state, userId);
  if (!user) throw Errors.unknownUser();
  threadAllows(where, "react");
  if (add) {
    need(where, P.READ_MESSAGE_HISTORY);
    if (!list.some((r) => r.emoji === emoji)) need(where, P.ADD_REACTIONS);
    if (mine < 0) {
      list.push({ emoji, userId });
      state.reactionsByMessage.set(m.id, list);
      reactionEvent(state, true, m, emojiJson(emoji), user);
    }
  } else {
    if (userId !== state.world.botUser.id) need(where, P.MANAGE_MESSAGES);
    if (mine >= 0) {
      list.splice(mine, 1);
      reactionEvent(state, false, m, emojiJson(emoji), user);
    }
  }
  return noContent();
}

export function botRoutes(state: State): RouteDef[] {
  const w = state.world;
  const gatewayBot = () => ({
    url: state.gatewayUrl, shards: w.shardCount,
    session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
  });
  /** The guild the route names (any of the fake's guilds; else 10004 Unknown Guild). */
  const guild = (ctx: Ctx): GuildWorld => {
    const g = guildById(w, ctx.params.guild_id);
    if (!g) throw Errors.unknownGuild();
    return g;
  };
  return [
    { method: "GET", template: "/gateway", auth: false, handler: () => ok({ url: state.gatewayUrl }) },
    { method: "GET", template: "/gateway/bot", auth: true, handler: () => ok(gatewayBot()) },
    { method: "GET", template: "/users/@me", auth: true, handler: () => ok({ ...userJson(w.botUser), verified: true, mfa_enabled: false }) },
    {
      // the guilds the bot is in, by id, a page at a time (limit 1–200, default 200; before/after), whatever shard they are on
      method: "GET", template: "/users/@me/guilds", auth: true,
      handler: (ctx) => {
        const limit = Math.min(200, Math.max(1, Number(ctx.query.limit ?? 200)));
        const after = BigInt(ctx.query.after ?? "0");
        const before = ctx.query.before ? BigInt(ctx.query.before) : null;
        const all = [...w.guilds].sort((a, b) => (BigInt(a.guildId) < BigInt(b.guildId) ? -1 : 1));
        const page = all.filter((g) => BigInt(g.guildId) > after && (before === null || BigInt(g.guildId) < before)).slice(0, limit);
        return ok(page.map((g) => ({ id: g.guildId, name: guildJson(w, g).name, icon: null, banner: null, owner: false, permissions: w.botPermissions.toString(), features: [] })));
      },
    },
    {
      method: "GET", template: "/users/{user_id}", auth: true,
      handler: (ctx) => {
        const u = findUser(state, ctx.params.user_id!);
        if (!u) throw Errors.unknownUser();
        return ok(userJson(u));
      },
    },
    {
      method: "GET", template: "/applications/@me", auth: true,
      handler: () => ok({ id: w.applicationId, name: "FakeBot", icon: null, description: "", bot_public: true, bot_require_code_grant: false, verify_key: state.premium.webhooks.publicKey, flags: 0, bot: userJson(w.botUser), owner: userJson(w.owner), team: null, summary: "" }),
    },
    { method: "GET", template: "/guilds/{guild_id}", auth: true, handler: (ctx) => ok(guildJson(w, guild(ctx))) },
    { method: "GET", template: "/guilds/{guild_id}/channels", auth: true, handler: (ctx) => ok(channelsOf(w, guild(ctx)).map((c) => channelJson(w, c))) },
    { method: "GET", template: "/guilds/{guild_id}/roles", auth: true, handler: (ctx) => ok(guildJson(w, guild(ctx)).roles) },
    {
      method: "GET", template: "/guilds/{guild_id}/members/{user_id}", auth: true,
      handler: (ctx) => {
        const g = guild(ctx);
        const u = findUser(state, ctx.params.user_id!);
        if (!u) throw Errors.unknownMember();
        return ok(memberJson(w, g, u));
      },
    },
    {
      method: "GET", template: "/channels/{channel_id}", auth: true,
      handler: (ctx) => {
        const where = channel(ctx);
        return ok(where.thread ? state.threadJson(where.thread) : channelJson(w, where.channel!));
      },
    },
    {
      method: "POST", template: "/channels/{channel_id}/typing", auth: true,
      handler: (ctx) => {
        const where = channel(ctx);
        return (need(where, sendPermission(where)), noContent());
      },
    },
    { method: "GET", template: "/channels/{channel_id}/messages", auth: true, handler: listMessages },
    { method: "POST", template: "/channels/{channel_id}/messages", auth: true, limited: true, handler: createMessage },
    {
      method: "GET", template: "/channels/{channel_id}/messages/{message_id}", auth: true,
      handler: (ctx) => {
        need(channel(ctx), P.READ_MESSAGE_HISTORY);
        return ok(state.messageJson(channelMessage(ctx).m));
      },
    },
    { method: "PATCH", template: "/channels/{channel_id}/messages/{message_id}", auth: true, limited: true, handler: patchMessage },
    { method: "DELETE", template: "/channels/{channel_id}/messages/{message_id}", auth: true, limited: true, handler: deleteMessage },
    {
      method: "GET", template: "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}", auth: true,
      handler: (ctx) => {
        need(channel(ctx), P.READ_MESSAGE_HISTORY);
        const { m } = channelMessage(ctx);
        const emoji = parseEmoji(ctx.params.emoji_name ?? "");
        const ids = (state.reactionsByMessage.get(m.id) ?? []).filter((r) => r.emoji === emoji).map((r) => r.userId);
        return ok(ids.map((id) => findUser(state, id)).filter((u): u is FakeUser => Boolean(u)).map(userJson));
      },
    },
    { method: "PUT", template: "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", auth: true, handler: (ctx) => react(ctx, true, w.botUser.id) },
    { method: "DELETE", template: "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me", auth: true, handler: (ctx) => react(ctx, false, w.botUser.id) },
    { method: "DELETE", template: "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/{user_id}", auth: true, handler: (ctx) => react(ctx, false, ctx.params.user_id!) },
  ];
}
