// Whom a message pings, computed as Discord does from `content`, `allowed_mentions` and the reply
// reference (https://discord.com/developers/docs/resources/message#allowed-mentions-object):
// - no allowed_mentions: every user and role mention in the content is parsed, @everyone/@here too;
// - with allowed_mentions: only the types in `parse`, plus the ids in `users` / `roles` that the
//   content mentions as well (never a "phantom ping" of an id absent from the content);
// - @everyone/@here ping only with MENTION_EVERYONE; a role pings only when it is mentionable or the
//   sender has MENTION_EVERYONE (for interaction responses and webhooks: the app's own permissions);
// - a reply pings the replied-to author when allowed_mentions is absent or has replied_user: true;
// - an edit that sets `content` rebuilds the mentions with the edit's allowed_mentions, or with the
//   default allowances when the edit has none (not the ones the message was created with).
// Text inside Components V2 text displays and embeds is not parsed (embeds never ping).
import { botPermissionsIn } from "./channels.js";
import { ALL_PERMISSIONS, P, guildRoles, knownUsers, memberPermissions, type GuildWorld, type World } from "./payloads.js";
import type { FakeMessage, FakeUser, PingSet } from "./types.js";

type Json = Record<string, any>;

const USER_RE = /<@!?(\d{1,20})>/g;
const ROLE_RE = /<@&(\d{1,20})>/g;
const EVERYONE_RE = /@(?:everyone|here)/;

export function emptyPings(): PingSet {
  return { users: [], roles: [], everyone: false };
}

/** Does a permission set include `perm` (ADMINISTRATOR includes everything)? */
export function hasPermission(have: bigint, perm: bigint): boolean {
  if ((have & P.ADMINISTRATOR) !== 0n) return (ALL_PERMISSIONS & perm) === perm;
  return (have & perm) === perm;
}

export interface MentionInput {
  content: string;
  /** The request's allowed_mentions; undefined or null means the request had none. */
  allowedMentions: unknown;
  /** The author of the replied-to message, when the message is a reply. */
  repliedUserId?: string;
  /** The sender's MENTION_EVERYONE permission in the channel. */
  canMentionEveryone: boolean;
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

/** Whom a message in guild `g` pings (only `g`'s roles can be mentioned there). */
export function computeMentions(w: World, g: GuildWorld, input: MentionInput): PingSet {
  const users = knownUsers(w);
  const roles = guildRoles(g);
  const inContentUsers = unique([...input.content.matchAll(USER_RE)].map((m) => m[1]!)).filter((id) => users.some((u) => u.id === id));
  const inContentRoles = unique([...input.content.matchAll(ROLE_RE)].map((m) => m[1]!)).filter((id) => roles.some((r) => r.id === id));
  const inContentEveryone = EVERYONE_RE.test(input.content);
  const am = input.allowedMentions && typeof input.allowedMentions === "object" ? (input.allowedMentions as Json) : undefined;

  let userIds: string[];
  let roleIds: string[];
  let everyone: boolean;
  let replied: boolean;
  if (!am) {
    userIds = inContentUsers;
    roleIds = inContentRoles;
    everyone = inContentEveryone;
    replied = true;
  } else {
    const parse: unknown[] = Array.isArray(am.parse) ? am.parse : [];
    const listed = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
    userIds = parse.includes("users") ? inContentUsers : inContentUsers.filter((id) => listed(am.users).includes(id));
    roleIds = parse.includes("roles") ? inContentRoles : inContentRoles.filter((id) => listed(am.roles).includes(id));
    everyone = parse.includes("everyone") && inContentEveryone;
    replied = am.replied_user === true;
  }
  roleIds = roleIds.filter((id) => input.canMentionEveryone || roles.find((r) => r.id === id)!.mentionable);
  everyone = everyone && input.canMentionEveryone;
  if (replied && input.repliedUserId && !userIds.includes(input.repliedUserId)) userIds = [...userIds, input.repliedUserId];
  return { users: userIds, roles: roleIds, everyone };
}

/** The author of the message `m` replies to (message_reference of type 0 = default reply). */
export function repliedUserId(messages: Map<string, FakeMessage>, m: Pick<FakeMessage, "message_reference">): string | undefined {
  const ref = m.message_reference as Json | undefined;
  if (!ref || (ref.type ?? 0) !== 0) return undefined;
  return messages.get(String(ref.message_id))?.author.id;
}

/**
 * The sender's MENTION_EVERYONE in `channelId`: the bot's own permissions there for the bot (also
 * for interaction responses, whose app_permissions are the channel's).
 */
export function canMentionEveryone(w: World, sender: FakeUser, channelId: string): boolean {
  const have = sender.id === w.botUser.id ? botPermissionsIn(w, channelId) : memberPermissions(w, sender);
  return hasPermission(have, P.MENTION_EVERYONE);
}
