// A guild's text channels (type 0): its first one ("general", `g.channelId`) and those a test adds
// with `fake.addChannel()`; their JSON, and the bot's permissions in each.
//
// Permissions, as Discord computes them (topics/permissions "Permission Overwrites"): the bot's base
// permissions are @everyone's and its managed role's; each channel carries a member overwrite for
// the bot denying what its role lacks (so the result is `botPermissions` exactly) plus the channel's
// own `botDeny`. ADMINISTRATOR overrides every overwrite. A thread has its parent's permissions.
import { snowflake } from "./ids.js";
import { P, type GuildWorld, type World } from "./payloads.js";
import type { AddChannelOptions } from "./types.js";

export interface ChannelWorld {
  id: string;
  guild: GuildWorld;
  name: string;
  /** Age-restricted ("NSFW") channel. Threads have no flag of their own: their parent's applies. */
  nsfw: boolean;
  /** Permission bits the bot is denied in this channel only (on top of what its role lacks). */
  botDeny: bigint;
  position: number;
}

export function channelById(w: World, id: string | undefined): ChannelWorld | undefined {
  return w.channels.find((c) => c.id === id);
}

/** The guild's text channels, in position order (its first channel first). */
export function channelsOf(w: World, g: GuildWorld): ChannelWorld[] {
  return w.channels.filter((c) => c.guild === g);
}

/** The guild of a channel: one of its text channels or one of its threads. */
export function guildByChannel(w: World, channelId: string | undefined): GuildWorld | undefined {
  return channelById(w, channelId)?.guild ?? w.threads.find((t) => t.id === channelId)?.guild;
}

/** The text channel whose permissions apply in `channelId`: the channel itself, or a thread's parent. */
export function permissionChannel(w: World, channelId: string | undefined): ChannelWorld | undefined {
  return channelById(w, channelId) ?? channelById(w, w.threads.find((t) => t.id === channelId)?.parentId);
}

/** The bot's computed permissions in `channelId` (a thread: its parent's); elsewhere its role's. */
export function botPermissionsIn(w: World, channelId: string | undefined): bigint {
  if (w.botPermissions & P.ADMINISTRATOR) return w.botPermissions;
  return w.botPermissions & ~(permissionChannel(w, channelId)?.botDeny ?? 0n);
}

/**
 * The channel's overwrites: the @everyone role grants Discord's defaults, which include more than the
 * bot was invited with, so the channel denies the bot (member overwrite) whatever its own role lacks,
 * and the channel's `botDeny`. discord.js's `channel.permissionsFor(botUser)` thus equals
 * `botPermissionsIn(channel)` exactly.
 */
export function permissionOverwrites(w: World, c: ChannelWorld): Array<Record<string, unknown>> {
  const admin = (w.botPermissions & P.ADMINISTRATOR) !== 0n;
  const deny = (admin ? 0n : (w.everyonePermissions | w.botPermissions) & ~w.botPermissions) | c.botDeny;
  return deny ? [{ id: w.botUser.id, type: 1, allow: "0", deny: deny.toString() }] : [];
}

/** The channel object (GUILD_CREATE, CHANNEL_CREATE/UPDATE, GET /channels/{id}, the interaction's `channel`). */
export function channelJson(w: World, c: ChannelWorld): Record<string, unknown> {
  return {
    id: c.id, type: 0, guild_id: c.guild.guildId, name: c.name, position: c.position, permission_overwrites: permissionOverwrites(w, c),
    topic: null, nsfw: c.nsfw, last_message_id: null, rate_limit_per_user: 0, parent_id: null, flags: 0,
    last_pin_timestamp: null,
  };
}

/**
 * A channel of a Channel-typed slash option, as `resolved.channels` carries it: the channel object
 * without its overwrites, with `permissions` = the invoking member's computed permissions there
 * (application-commands "Resolved Data": "computed permissions for the invoking user in the
 * channel, including overwrites"). `thread`: a thread's object (type 11, parent_id, thread_metadata).
 * An id that is none of the fake's channels (e.g. a channel of the server the fake does not model)
 * resolves to a plain text channel of the guild.
 */
export function resolvedChannelJson(w: World, g: GuildWorld, id: string, member: bigint, thread?: Record<string, unknown>): Record<string, unknown> {
  const c = channelById(w, id);
  const json = thread ?? (c ? channelJson(w, c) : channelJson(w, { id, guild: g, name: "general", nsfw: false, botDeny: 0n, position: 0 }));
  const { permission_overwrites: _o, last_pin_timestamp: _p, ...rest } = json;
  return { ...rest, permissions: member.toString() };
}

/** A new text channel in `g` (not yet announced). */
export function newChannel(w: World, g: GuildWorld, opts: AddChannelOptions): ChannelWorld {
  const siblings = channelsOf(w, g);
  const c: ChannelWorld = {
    id: snowflake(), guild: g, name: opts.name ?? `channel-${siblings.length + 1}`, nsfw: opts.nsfw ?? false,
    botDeny: opts.botDeny ?? 0n, position: Math.max(...siblings.map((s) => s.position)) + 1,
  };
  if (c.name.length < 1 || c.name.length > 100) throw new Error(`fake Discord: addChannel: a channel name is 1..100 characters (got ${c.name.length})`);
  if (c.botDeny < 0n) throw new Error("fake Discord: addChannel: botDeny is a permission bitfield (>= 0)");
  w.channels.push(c);
  return c;
}
