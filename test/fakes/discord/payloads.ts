// Static world (guilds, channels, users, roles) and the JSON shapes Discord sends for them.
import { DISCORD_EPOCH, snowflake } from "./ids.js";
import type { ChannelWorld } from "./channels.js";
import type { ThreadWorld } from "./threads.js";
import type { FakeAttachment, FakeMessage, FakeUser, PingSet } from "./types.js";

export const P = {
  CREATE_INSTANT_INVITE: 1n << 0n,
  ADMINISTRATOR: 1n << 3n,
  MANAGE_GUILD: 1n << 5n,
  ADD_REACTIONS: 1n << 6n,
  STREAM: 1n << 9n,
  VIEW_CHANNEL: 1n << 10n,
  SEND_MESSAGES: 1n << 11n,
  MANAGE_MESSAGES: 1n << 13n,
  EMBED_LINKS: 1n << 14n,
  ATTACH_FILES: 1n << 15n,
  READ_MESSAGE_HISTORY: 1n << 16n,
  MENTION_EVERYONE: 1n << 17n,
  USE_EXTERNAL_EMOJIS: 1n << 18n,
  CONNECT: 1n << 20n,
  SPEAK: 1n << 21n,
  CHANGE_NICKNAME: 1n << 26n,
  USE_APPLICATION_COMMANDS: 1n << 31n,
  MANAGE_THREADS: 1n << 34n,
  CREATE_PUBLIC_THREADS: 1n << 35n,
  SEND_MESSAGES_IN_THREADS: 1n << 38n,
} as const;

export const DEFAULT_EVERYONE_PERMISSIONS =
  P.CREATE_INSTANT_INVITE | P.ADD_REACTIONS | P.STREAM | P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS |
  P.ATTACH_FILES | P.READ_MESSAGE_HISTORY | P.USE_EXTERNAL_EMOJIS | P.CONNECT | P.SPEAK | P.CHANGE_NICKNAME |
  P.USE_APPLICATION_COMMANDS | P.CREATE_PUBLIC_THREADS | P.SEND_MESSAGES_IN_THREADS;

/**
 * What the README's invite link grants (permissions=274878024768): View Channel, Send Messages, Send
 * Messages in Threads, Embed Links, Attach Files, Add Reactions, Read Message History. Nothing else, in
 * particular no Manage Messages and no Mention Everyone.
 */
export const INVITE_PERMISSIONS =
  P.VIEW_CHANNEL | P.SEND_MESSAGES | P.SEND_MESSAGES_IN_THREADS | P.EMBED_LINKS | P.ATTACH_FILES | P.ADD_REACTIONS | P.READ_MESSAGE_HISTORY;

/** The bot's effective permissions in the channel unless `botPermissions` says otherwise. */
export const DEFAULT_BOT_PERMISSIONS = INVITE_PERMISSIONS;

/** Everything (the owner's implicit permissions). */
export const ALL_PERMISSIONS = (1n << 53n) - 1n;

/** One guild of the world: its text channel and roles, and the gateway shard it lives on. */
export interface GuildWorld {
  /** Index into `World.guilds` (= the shard it lives on). */
  index: number;
  /** `(guildId >> 22) % shardCount`, Discord's routing rule. */
  shard: number;
  guildId: string;
  /** Its first text channel ("general"; `World.channels` has it and those `fake.addChannel()` adds). */
  channelId: string;
  /** `everyone` = guildId (as on Discord); the bot's managed role, `Admin` (Manage Guild), `Pingable` (mentionable). */
  roles: { everyone: string; bot: string; admin: string; pingable: string; moderator: string };
}

export interface World {
  applicationId: string;
  /** Number of gateway shards; guild i lives on shard i. */
  shardCount: number;
  /** Guild 0 first (the one `fake.guildId` names). */
  guilds: GuildWorld[];
  /** Every guild's text channels: each guild's first one, then those of `fake.addChannel()`, oldest first. */
  channels: ChannelWorld[];
  /** Public threads in the guilds' text channels (`fake.addThread()`), oldest first. */
  threads: ThreadWorld[];
  botUser: FakeUser;
  owner: FakeUser;
  /** `moderator` has Manage Messages (not Manage Server), as a server's moderators usually do. */
  users: { requester: FakeUser; stranger: FakeUser; admin: FakeUser; moderator: FakeUser };
  /** Permissions of the @everyone role (Discord's defaults for a new server), in every guild. */
  everyonePermissions: bigint;
  /** The bot's managed role's permissions: its effective permissions in every channel without a `botDeny`. */
  botPermissions: bigint;
  joinedAt: string;
}

function user(id: string, username: string, bot = false): FakeUser {
  return { id, username, global_name: bot ? null : username[0]!.toUpperCase() + username.slice(1), discriminator: "0", avatar: null, ...(bot ? { bot: true } : {}) };
}

/** The shard a guild id routes to: `(guild_id >> 22) % num_shards` (Discord's rule). */
export function shardOf(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** The first millisecond at or after `at` whose snowflakes route to `shard` of `count`. */
function msOnShard(at: number, shard: number, count: number): number {
  const off = Number((BigInt(at) - DISCORD_EPOCH) % BigInt(count));
  return at + ((shard - off + count) % count);
}

export function createWorld(botPermissions?: string, shardCount = 1): World {
  if (!Number.isInteger(shardCount) || shardCount < 1) throw new Error(`fake Discord: shards must be a positive integer (got ${shardCount})`);
  // Old timestamps give 18-digit ids, like long-lived Discord objects. The snowflakes are made in the
  // same order as with one guild, so guild 0's ids are what they always were (with 1 or 2 shards,
  // t + 1000 already routes to shard 0; otherwise guild 0 moves a few ms later until it does).
  const t = Date.UTC(2021, 5, 1);
  const applicationId = snowflake(t);
  const guildId = snowflake(msOnShard(t + 1000, 0, shardCount));
  const bot = BigInt(botPermissions ?? DEFAULT_BOT_PERMISSIONS.toString());
  const channelId = snowflake(t + 2000);
  const owner = user(snowflake(t + 3000), "owner");
  const users = {
    requester: user(snowflake(t + 4000), "requester"),
    stranger: user(snowflake(t + 5000), "stranger"),
    admin: user(snowflake(t + 6000), "admin"),
    moderator: user(snowflake(t + 6500), "moderator"),
  };
  const guild0: GuildWorld = {
    index: 0, shard: 0, guildId, channelId,
    roles: { everyone: guildId, bot: snowflake(t + 7000), admin: snowflake(t + 8000), pingable: snowflake(t + 8500), moderator: snowflake(t + 8700) },
  };
  const guilds = [guild0];
  for (let i = 1; i < shardCount; i++) {
    // Guild i: created after guild 0, at the first millisecond that routes to shard i.
    const at = msOnShard(t + 10_000 + i * 1000, i, shardCount);
    const id = snowflake(at);
    guilds.push({
      index: i, shard: i, guildId: id, channelId: snowflake(at + 100),
      roles: { everyone: id, bot: snowflake(at + 200), admin: snowflake(at + 300), pingable: snowflake(at + 400), moderator: snowflake(at + 500) },
    });
  }
  for (const g of guilds) {
    if (shardOf(g.guildId, shardCount) !== g.shard) throw new Error(`fake Discord: guild ${g.guildId} does not route to shard ${g.shard}`);
  }
  return {
    applicationId,
    shardCount,
    guilds,
    channels: guilds.map((g) => ({ id: g.channelId, guild: g, name: "general", nsfw: false, botDeny: 0n, position: 0 })),
    threads: [],
    botUser: user(applicationId, "FakeBot", true), // bot user id == application id, as for modern apps
    owner,
    users,
    everyonePermissions: DEFAULT_EVERYONE_PERMISSIONS,
    botPermissions: bot,
    joinedAt: new Date(t + 9000).toISOString(),
  };
}

export function guildById(w: World, guildId: string | undefined): GuildWorld | undefined {
  return w.guilds.find((g) => g.guildId === guildId);
}

/** The guild a stored message lives in (every message the fake stores is in one of its guilds). */
export function guildOfMessage(w: World, m: Pick<FakeMessage, "id" | "guild_id">): GuildWorld {
  const g = guildById(w, m.guild_id);
  if (!g) throw new Error(`fake Discord: message ${m.id} is in unknown guild ${m.guild_id}`);
  return g;
}

export function userJson(u: FakeUser): Record<string, unknown> {
  return {
    id: u.id, username: u.username, global_name: u.global_name, discriminator: u.discriminator, avatar: u.avatar,
    bot: u.bot ?? false, system: false, public_flags: 0, flags: 0, banner: null, accent_color: null,
    avatar_decoration_data: null, collectibles: null, primary_guild: null,
  };
}

export function memberRoles(w: World, g: GuildWorld, u: FakeUser): string[] {
  if (u.id === w.botUser.id) return [g.roles.bot];
  if (u.id === w.users.admin.id) return [g.roles.admin];
  if (u.id === w.users.moderator.id) return [g.roles.moderator];
  return [];
}

export function memberPermissions(w: World, u: FakeUser): bigint {
  if (u.id === w.owner.id) return ALL_PERMISSIONS;
  if (u.id === w.botUser.id) return w.botPermissions;
  if (u.id === w.users.admin.id) return w.everyonePermissions | P.MANAGE_GUILD;
  if (u.id === w.users.moderator.id) return w.everyonePermissions | P.MANAGE_MESSAGES;
  return w.everyonePermissions;
}

export function memberJson(w: World, g: GuildWorld, u: FakeUser, withPermissions = false): Record<string, unknown> {
  return {
    user: userJson(u), nick: null, avatar: null, banner: null, roles: memberRoles(w, g, u), joined_at: w.joinedAt,
    premium_since: null, deaf: false, mute: false, flags: 0, pending: false, communication_disabled_until: null,
    ...(withPermissions ? { permissions: memberPermissions(w, u).toString() } : {}),
  };
}

export function knownUsers(w: World): FakeUser[] {
  return [w.botUser, w.owner, w.users.requester, w.users.stranger, w.users.admin, w.users.moderator];
}

function role(id: string, name: string, position: number, permissions: bigint, extra: Record<string, unknown> = {}) {
  return {
    id, name, color: 0, colors: { primary_color: 0, secondary_color: null, tertiary_color: null }, hoist: false,
    icon: null, unicode_emoji: null, position, permissions: permissions.toString(), managed: false,
    mentionable: false, flags: 0, ...extra,
  };
}

/** The bot's managed role, as GUILD_CREATE and GUILD_ROLE_UPDATE carry it. */
export function botRoleJson(w: World, g: GuildWorld): Record<string, unknown> {
  return role(g.roles.bot, "FakeBot", 3, w.botPermissions, { managed: true, tags: { bot_id: w.botUser.id } });
}

export function guildJson(w: World, g: GuildWorld): Record<string, unknown> {
  return {
    id: g.guildId, name: g.index === 0 ? "Fake Guild" : `Fake Guild ${g.index}`, icon: null, icon_hash: null, splash: null, discovery_splash: null,
    owner_id: w.owner.id, afk_channel_id: null, afk_timeout: 300, widget_enabled: false, verification_level: 0,
    default_message_notifications: 0, explicit_content_filter: 0, features: [], mfa_level: 0,
    application_id: null, system_channel_id: g.channelId, system_channel_flags: 0, rules_channel_id: null,
    max_members: 500000, vanity_url_code: null, description: null, banner: null, premium_tier: 0,
    premium_subscription_count: 0, preferred_locale: "en-US", public_updates_channel_id: null,
    max_video_channel_users: 25, nsfw_level: 0, nsfw: false, premium_progress_bar_enabled: false,
    safety_alerts_channel_id: null, incidents_data: null,
    roles: [
      role(g.roles.everyone, "@everyone", 0, w.everyonePermissions),
      role(g.roles.pingable, "Pingable", 1, 0n, { mentionable: true }),
      role(g.roles.admin, "Admin", 2, P.MANAGE_GUILD),
      role(g.roles.moderator, "Moderator", 2, P.MANAGE_MESSAGES),
      botRoleJson(w, g),
    ],
    emojis: [],
    stickers: [],
  };
}

/**
 * GUILD_CREATE; `channels`: the guild's channel objects; `threads`: its active threads (the gateway
 * syncs those only, topics/threads).
 */
export function guildCreateJson(w: World, g: GuildWorld, channels: unknown[], threads: unknown[] = []): Record<string, unknown> {
  return {
    ...guildJson(w, g),
    joined_at: w.joinedAt, large: false, unavailable: false, member_count: knownUsers(w).length, lazy: true,
    voice_states: [], members: knownUsers(w).map((u) => memberJson(w, g, u)), channels,
    threads, presences: [], stage_instances: [], guild_scheduled_events: [], soundboard_sounds: [],
    embedded_activities: [],
  };
}

/** READY for one shard: only the guilds that live on it, unavailable until their GUILD_CREATE. */
export function readyJson(w: World, sessionId: string, resumeUrl: string, shard: [number, number]) {
  return {
    v: 10,
    user: { ...userJson(w.botUser), verified: true, mfa_enabled: false, email: null, locale: "en-US" },
    guilds: guildsOnShard(w, shard[0]).map((g) => ({ id: g.guildId, unavailable: true })),
    session_id: sessionId,
    session_type: "normal",
    resume_gateway_url: resumeUrl,
    shard,
    application: { id: w.applicationId, flags: 0 },
    private_channels: [],
    relationships: [],
    presences: [],
    guild_join_requests: [],
    geo_ordered_rtc_regions: [],
    auth: {},
    user_settings: {},
  };
}

export function guildsOnShard(w: World, shard: number): GuildWorld[] {
  return w.guilds.filter((g) => g.shard === shard);
}

export function attachmentJson(a: FakeAttachment): Record<string, unknown> {
  const { bytes: _bytes, ...rest } = a;
  return rest;
}

/** Ids of the guild's roles that can appear in mention_roles (not @everyone). */
export function guildRoles(g: GuildWorld): Array<{ id: string; mentionable: boolean }> {
  return [
    { id: g.roles.pingable, mentionable: true },
    { id: g.roles.admin, mentionable: false },
    { id: g.roles.moderator, mentionable: false },
    { id: g.roles.bot, mentionable: false },
  ];
}

export function messageJson(w: World, m: FakeMessage, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const pings: PingSet = m.mentions ?? { users: [], roles: [], everyone: false };
  const users = knownUsers(w);
  return {
    id: m.id, channel_id: m.channel_id, guild_id: m.guild_id, type: m.type, content: m.content,
    author: userJson(m.author), timestamp: m.timestamp, edited_timestamp: m.edited_timestamp, tts: m.tts,
    mention_everyone: pings.everyone,
    mentions: pings.users.map((id) => users.find((u) => u.id === id)).filter((u): u is FakeUser => Boolean(u)).map(userJson),
    mention_roles: [...pings.roles], mention_channels: [],
    attachments: m.attachments.map(attachmentJson), embeds: m.embeds, components: m.components,
    pinned: false, flags: m.flags,
    ...(m.webhook_id ? { webhook_id: m.webhook_id } : {}),
    ...(m.application_id ? { application_id: m.application_id } : {}),
    ...(m.nonce !== undefined ? { nonce: m.nonce } : {}),
    ...(m.message_reference ? { message_reference: m.message_reference } : {}),
    ...extra,
  };
}
