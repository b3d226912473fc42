import { PermissionFlagsBits, type Client, type PermissionsBitField } from "discord.js";

/** The permissions the bot checks, by their key in the catalog (`permissions.*`), so refusals name them in the reader's language. */
export type PermissionName = "viewChannel" | "sendMessages" | "sendMessagesInThreads" | "attachFiles" | "readMessageHistory";

const BITS: Record<PermissionName, bigint> = {
  viewChannel: PermissionFlagsBits.ViewChannel,
  sendMessages: PermissionFlagsBits.SendMessages,
  sendMessagesInThreads: PermissionFlagsBits.SendMessagesInThreads,
  attachFiles: PermissionFlagsBits.AttachFiles,
  readMessageHistory: PermissionFlagsBits.ReadMessageHistory,
};

/** What the bot needs where it posts a video: to see the channel, post in it and attach the file. */
export const DELIVERY: readonly PermissionName[] = ["viewChannel", "sendMessages", "attachFiles"];
/** A regeneration's progress message replies to the result, which needs the channel's history too. */
export const REPLY_DELIVERY: readonly PermissionName[] = [...DELIVERY, "readMessageHistory"];

/** A channel as far as posting in it goes: a thread needs its own permission, and an archived or locked one takes no posts. */
export interface PostingPlace {
  isThread(): boolean;
}

/**
 * The permissions in `needed` that `have` lacks. In a thread (and a forum post, which is one)
 * posting needs Send Messages in Threads instead of Send Messages.
 */
export function missingPermissions(have: Readonly<PermissionsBitField>, needed: readonly PermissionName[], channel?: PostingPlace | null): PermissionName[] {
  const inThread = channel?.isThread() ?? false;
  return needed.map((n) => (n === "sendMessages" && inThread ? "sendMessagesInThreads" : n)).filter((n) => !have.has(BITS[n], true));
}

/** A thread that takes no posts from the bot: archived (Discord refuses with 50083) or locked. */
export function isClosedThread(channel: unknown): boolean {
  const thread = channel as { isThread?: () => boolean; archived?: boolean | null; locked?: boolean | null } | null | undefined;
  return Boolean(thread?.isThread?.() && (thread.archived || thread.locked));
}

/** The bot's permissions in a channel now, from the gateway's cache; null when the channel is not cached. */
export function botPermissionsIn(client: Client, channelId: string): Readonly<PermissionsBitField> | null {
  const channel = client.channels.cache.get(channelId);
  const me = client.user;
  if (!me || !channel || !("permissionsFor" in channel)) return null;
  return channel.permissionsFor(me);
}

/**
 * Whether a channel is age-restricted (`nsfw`), from the gateway's cache: a thread is as its
 * parent (threads carry no flag of their own). Unknown channels count as not age-restricted, so
 * a check that depends on it stays on.
 */
export function isAgeRestricted(client: Client, channelId: string): boolean {
  const channel = client.channels.cache.get(channelId) as { nsfw?: boolean; isThread?: () => boolean; parent?: { nsfw?: boolean } | null } | undefined;
  if (!channel) return false;
  if (channel.isThread?.()) return channel.parent?.nsfw === true;
  return channel.nsfw === true;
}
