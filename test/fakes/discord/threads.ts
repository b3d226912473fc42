// Public threads (type 11) in a guild's text channel: their JSON, and what their state allows.
// As topics/threads documents them: a thread has its parent's permissions, but SEND_MESSAGES "has no
// effect in threads" (posting needs SEND_MESSAGES_IN_THREADS); in an archived thread "users cannot
// edit messages, add reactions, use application commands", and in a locked one users without
// MANAGE_THREADS "won't be able to create or update messages"; both answer 50083 "Thread is archived".
import { channelById } from "./channels.js";
import { Errors } from "./http-util.js";
import { snowflake } from "./ids.js";
import { MessageFlags } from "./limits.js";
import { hasPermission } from "./mentions.js";
import { P, type GuildWorld, type World } from "./payloads.js";
import type { AddThreadOptions, FakeMessage } from "./types.js";

export interface ThreadWorld {
  id: string;
  guild: GuildWorld;
  /** One of the guild's text channels (its permissions and age restriction apply in the thread). */
  parentId: string;
  /** The member who started it. */
  ownerId: string;
  name: string;
  archived: boolean;
  locked: boolean;
  autoArchiveDuration: 60 | 1440 | 4320 | 10080;
  /** Changed when the thread is created, archived or unarchived (Discord's rule). */
  archiveTimestamp: string;
  createTimestamp: string;
}

export function threadById(w: World, id: string | undefined): ThreadWorld | undefined {
  return w.threads.find((t) => t.id === id);
}

/**
 * A new, active thread in `opts.parentId` (default: `g`'s first text channel), started by `ownerId`
 * (not yet announced). `g`, when the parent is given, must be the parent's guild.
 */
export function newThread(w: World, g: GuildWorld | undefined, ownerId: string, opts: AddThreadOptions): ThreadWorld {
  const parent = channelById(w, opts.parentId ?? g?.channelId);
  if (!parent) throw new Error(`fake Discord: addThread: parent ${opts.parentId} is not a text channel of the fake (see fake.addChannel())`);
  if (g && parent.guild !== g) throw new Error(`fake Discord: addThread: channel ${parent.id} is in guild ${parent.guild.index}, not guild ${g.index}`);
  const now = new Date().toISOString();
  const t: ThreadWorld = {
    id: snowflake(), guild: parent.guild, parentId: parent.id, ownerId, name: opts.name ?? `thread ${w.threads.length + 1}`,
    archived: false, locked: false, autoArchiveDuration: 1440, archiveTimestamp: now, createTimestamp: now,
  };
  if (t.name.length < 1 || t.name.length > 100) throw new Error(`fake Discord: addThread: a thread name is 1..100 characters (got ${t.name.length})`);
  w.threads.push(t);
  return t;
}

/**
 * The thread's channel object. `messages`: every message ever stored in it, oldest first:
 * `message_count` drops when one is deleted, `total_message_sent` does not (topics/threads).
 */
export function threadJson(t: ThreadWorld, messages: FakeMessage[]): Record<string, unknown> {
  const sent = messages.filter((m) => !(m.flags & MessageFlags.EPHEMERAL));
  return {
    id: t.id, type: 11, guild_id: t.guild.guildId, parent_id: t.parentId, owner_id: t.ownerId, name: t.name,
    last_message_id: sent.at(-1)?.id ?? null, last_pin_timestamp: null, rate_limit_per_user: 0, flags: 0,
    thread_metadata: {
      archived: t.archived, archive_timestamp: t.archiveTimestamp, auto_archive_duration: t.autoArchiveDuration,
      locked: t.locked, create_timestamp: t.createTimestamp,
    },
    message_count: sent.filter((m) => !m.deleted).length, member_count: 1, total_message_sent: sent.length,
  };
}

export type ThreadAction = "post" | "edit" | "react" | "delete";

/**
 * Refuses what the thread's state forbids the bot. A locked thread: posts and edits only with
 * MANAGE_THREADS, reactions and deletes only while it is active. An archived thread: nothing but
 * deletes. (Discord's threads page says a post would unarchive an unlocked thread; bots report
 * 50083 for it, and the fake refuses it, the stricter of the two.)
 */
export function checkThreadState(t: ThreadWorld, action: ThreadAction, botPermissions: bigint): void {
  const moderator = hasPermission(botPermissions, P.MANAGE_THREADS);
  if (t.locked && !moderator && (action === "post" || action === "edit" || t.archived)) throw Errors.threadArchived();
  if (t.archived && action !== "delete") throw Errors.threadArchived();
}
