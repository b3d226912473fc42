// Public types of the fake Discord (REST + gateway + CDN) used by end-to-end tests.

export interface FakeDiscordOptions {
  /** Bot token expected in "Authorization: Bot <token>" and in IDENTIFY (default "fake-bot-token"). */
  token?: string;
  /** Lifetime of interaction tokens (default 15 min). Afterwards webhook routes answer 401 {code:50027}. */
  interactionTokenTtlMs?: number;
  /** Initial-response deadline (default 3000 ms). A later callback answers 404 {code:10062}. */
  ackDeadlineMs?: number;
  /**
   * Per-route-per-major-resource bucket for message create/edit/delete and webhook message edit
   * routes (default {limit:5, windowMs:5000}). `false` disables all 429s (headers are still sent).
   */
  rateLimit?: { limit: number; windowMs: number } | false;
  /**
   * Per-file upload limit on channel routes and default interaction attachment_size_limit
   * (default 20 MiB, Discord's default since 2026-09-03). A request may not exceed 25 MiB in all
   * (or this limit, where it is higher).
   */
  defaultAttachmentSizeLimit?: number;
  /** Gateway heartbeat interval sent in HELLO (default 41250 ms). */
  heartbeatIntervalMs?: number;
  /** Privileged intents the fake application has enabled (bitfield; default 0 → IDENTIFY with them closes 4014). */
  privilegedIntents?: number;
  /**
   * The bot's effective permissions in the channel (decimal string). Default: exactly what the
   * README's invite link grants, `INVITE_PERMISSIONS` = 274878024768 (no Manage Messages, no Mention Everyone).
   */
  botPermissions?: string;
  /** Lifetime of signed CDN URLs (default 24 h); expired URLs answer 404 like Discord's CDN. */
  cdnUrlTtlMs?: number;
  /** Log every request and rejection to stderr (default false, or env FAKE_DISCORD_DEBUG=1). */
  debug?: boolean;
  /**
   * Number of gateway shards (default 1). The world then has this many guilds, guild i living on
   * shard i (`(guildId >> 22) % shards === i`, Discord's routing rule), each with one text channel,
   * the same members and the same bot role/permissions setup. IDENTIFY must carry `shard: [i, shards]`
   * (else close 4010; no `shard` at all is accepted only with one shard, else close 4011), and a
   * guild's dispatches go only to its shard's session(s). `GET /gateway/bot` answers `shards`.
   */
  shards?: number;
  /**
   * The application's SKUs (Premium Apps). Default: "Small pack" and "Big pack" (CONSUMABLE, type 3)
   * and "Supporter" (DURABLE, type 2), all AVAILABLE (flags 1<<2). Discord allows at most 50.
   */
  skus?: FakeSkuInput[];
  /**
   * Retries of signed webhook events (`fake.setEventWebhookUrl`): after a failed attempt (non-2xx,
   * connection error, no answer within `timeoutMs`) the next comes after firstDelayMs, then twice
   * that, and so on, as long as it starts within `maxTotalMs` of the first attempt. Discord answers
   * within 3 s and retries for up to 10 minutes; the default {firstDelayMs: 200, maxTotalMs: 10000,
   * timeoutMs: 3000} keeps tests fast.
   */
  eventWebhookRetry?: { firstDelayMs?: number; maxTotalMs?: number; timeoutMs?: number };
}

/** A SKU for `FakeDiscordOptions.skus` (the fake fills in id, application_id, slug and flags). */
export interface FakeSkuInput {
  /** 2 DURABLE, 3 CONSUMABLE, 5 SUBSCRIPTION. */
  type: 2 | 3 | 5;
  name: string;
  id?: string;
  /** Default: the name, lower case, spaces as "-". */
  slug?: string;
  /** Default 4 (AVAILABLE). */
  flags?: number;
}

/** A SKU as Discord sends it (GET /applications/{app}/skus). */
export interface FakeSku {
  id: string;
  type: number;
  application_id: string;
  name: string;
  slug: string;
  flags: number;
}

/**
 * An entitlement as Discord sends it (REST and ENTITLEMENT_* events). `user_id` for a user's,
 * `guild_id` for a guild's (the other field is left out). One-time purchases have null
 * starts_at/ends_at. `type`: 1 PURCHASE, 4 TEST_MODE_PURCHASE (the fake's test ones), others as Discord.
 */
export interface FakeEntitlement {
  id: string;
  sku_id: string;
  application_id: string;
  user_id?: string;
  guild_id?: string;
  type: number;
  deleted: boolean;
  starts_at: string | null;
  ends_at: string | null;
  consumed: boolean;
}

export type EntitlementEventType = "ENTITLEMENT_CREATE" | "ENTITLEMENT_UPDATE" | "ENTITLEMENT_DELETE";

/**
 * How an entitlement event reaches the bot: "gateway" (a dispatch to the live sessions of shard 0
 * only, as Discord sends events without a guild_id) and/or "webhook" (a signed POST to the URL of
 * `fake.setEventWebhookUrl`). An empty list: the event is lost.
 */
export type EventDelivery = "gateway" | "webhook";

/** A member buys a SKU in Discord's store (see `FakeDiscord.purchase`). */
export interface PurchaseArgs {
  /** The buyer: any snowflake (usually one of `fake.users`; buying needs no guild). */
  userId: string;
  skuId: string;
  /** Bought in Application Test Mode: `type: 4` instead of 1 PURCHASE. */
  test?: boolean;
  /** Default ["gateway"]. */
  deliver?: EventDelivery[];
}

/** One attempt to POST a webhook event (`fake.eventDeliveries`), oldest first. */
export interface EventDeliveryAttempt {
  eventType: EntitlementEventType;
  entitlementId: string;
  /** The HTTP status answered; "timeout": no answer in time; "error": connection failed. */
  status: number | "timeout" | "error";
  /** How long the attempt took. */
  ms: number;
  /** 1 for the first attempt of an event, 2 for its first retry, ... */
  attempt: number;
  /** When the attempt started (Date.now()). */
  at: number;
}

/** One guild of the fake (see `FakeDiscordOptions.shards`). */
export interface FakeGuild {
  guildId: string;
  /** Its first text channel ("general"; `fake.addChannel()` adds more). */
  channelId: string;
  /** The gateway shard it lives on (= its index in `fake.guilds`). */
  shard: number;
  /** Its roles: `everyone` (= guildId), the bot's managed role, `Admin` (Manage Guild), `Pingable` (mentionable), `Moderator` (Manage Messages). */
  roles: { everyone: string; bot: string; admin: string; pingable: string; moderator: string };
}

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: string | null;
  bot?: boolean;
}

/** The attachment object as Discord sends it (resolved.attachments / message.attachments). */
export interface APIAttachmentLike {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
  width?: number | null;
  height?: number | null;
  ephemeral?: boolean;
  description?: string;
  title?: string;
  duration_secs?: number;
  waveform?: string;
  flags?: number;
}

export interface FakeAttachment extends APIAttachmentLike {
  bytes: Buffer;
}

/** Whom a message pings, computed from its content and allowed_mentions as Discord does. */
export interface PingSet {
  /** User ids, in order of appearance (the replied-to author last, when pinged). */
  users: string[];
  roles: string[];
  /** @everyone or @here. */
  everyone: boolean;
}

/** One message create/edit the fake served, with whom it pinged. */
export interface Ping {
  mentions: PingSet;
  request: RecordedRequest;
  messageId: string;
  /**
   * "create": a new message (channel post, callback 4/5, follow-up); "edit": an edit (channel or
   * webhook PATCH, callback 7, the follow-up that replaces a deferred "thinking" message).
   */
  kind: "create" | "edit";
  /** Ephemeral messages are seen by the invoking user only. */
  ephemeral: boolean;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id: string;
  type: number;
  content: string;
  embeds: unknown[];
  components: unknown[];
  attachments: FakeAttachment[];
  flags: number;
  author: FakeUser;
  webhook_id?: string;
  application_id?: string;
  nonce?: string | number;
  tts: boolean;
  timestamp: string;
  edited_timestamp: string | null;
  allowed_mentions?: unknown;
  message_reference?: Record<string, unknown>;
  /** Set for interaction responses and follow-ups. */
  interactionId?: string;
  deleted?: boolean;
  /** Every content the message has had, oldest first; the last entry is the current content. */
  editHistory: string[];
  /**
   * What a reader sees as text, kept current on every create and edit: `content`, then the
   * `content` of every Text Display (type 10) in the component tree (containers, sections), in
   * order, joined by "\n" (empty ones skipped). A Components V2 message has no `content` at all, so
   * this is the field to read for "what did the bot say".
   */
  text: string;
  /**
   * Every media URL the components show, in order: Thumbnail (11) `media.url`, Media Gallery (12)
   * item `media.url`, File (13) `file.url`, as the request sent them (e.g. "attachment://out.mp4").
   */
  media: string[];
  /** Whom the message pings now (the latest create/edit). */
  mentions: PingSet;
}

export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path without /api/v10 prefix and without query (CDN paths as served). */
  path: string;
  query: Record<string, string>;
  auth: string | undefined;
  /** JSON body, or the parsed payload_json of a multipart body. */
  json?: unknown;
  files?: RecordedFile[];
  /** Status the fake answered (0 while still in flight). */
  status: number;
  /** When the fake answered. */
  doneAt?: number;
  /** Response body the fake answered with (JSON bodies only). */
  response?: unknown;
  /** For a request that created or edited a message: whom the message pings afterwards. */
  mentions?: PingSet;
  /**
   * The client closed the connection before the fake answered (e.g. discord.js's request timeout
   * fired). With `status` 0 the request was never handled: its upload never completed.
   */
  abandoned?: boolean;
  at: number;
}

export interface Rejection {
  method: string;
  path: string;
  status: number;
  code: number;
  message: string;
  errors?: unknown;
  body?: unknown;
  at: number;
}

export interface FakeReaction {
  emoji: string;
  userId: string;
}

export interface InteractionHandle {
  id: string;
  token: string;
  dispatchedAt: number;
}

export type SlashOption =
  | { name: string; type: number; value: unknown }
  | { name: string; type: 1 | 2; options: any[] };

export interface SlashCommandArgs {
  name: string;
  options: SlashOption[];
  attachments?: APIAttachmentLike[];
  user?: FakeUser;
  /** The interaction's attachment_size_limit; `null` leaves the field out of the payload. */
  attachmentSizeLimit?: number | null;
  appPermissions?: string;
  /** The guild it is invoked in: an index into `fake.guilds` (default 0, or the guild of `channelId`). */
  guild?: number;
  /**
   * The channel it is invoked in: the guild's first text channel (default), another of its text
   * channels (`fake.addChannel()`) or one of its threads (`fake.addThread()`). Not an archived
   * thread: Discord's client offers no commands there.
   */
  channelId?: string;
  /** The caller's client language (`locale`, default "en-US"). */
  locale?: string;
  /** The server's language (`guild_locale` and the guild's `locale`, default "en-US"). */
  guildLocale?: string;
}

/**
 * A member's context-menu use of a registered *message* command (application command type 3) on
 * an existing message. The guild is the message's; `guild`, when given, must be it.
 */
export interface MessageCommandArgs {
  /** The registered command's name (context-menu names may have capitals and spaces). */
  name: string;
  /** The message it is used on (the command's `target_id`). */
  messageId: string;
  user?: FakeUser;
  guild?: number;
  /** The caller's client language (default "en-US"). */
  locale?: string;
  /** The server's language (default "en-US"). */
  guildLocale?: string;
  appPermissions?: string;
  /** The interaction's attachment_size_limit; `null` leaves the field out of the payload. */
  attachmentSizeLimit?: number | null;
}

/**
 * A member submits the modal the bot opened in answer to `interactionId` (callback type 9).
 * `values` is keyed by custom_id: a string for a text input, a list of option values for a string
 * select. A field left out keeps what the modal showed: a text input its pre-filled `value` (or ""),
 * a select its options marked `default` (or none). Discord's client refuses an impossible submit
 * (a required field empty, a length or count out of range, a value that is no option), so the
 * fake throws for one instead of sending it.
 */
export interface SubmitModalArgs {
  interactionId: string;
  values?: Record<string, string | string[]>;
  /** Only the member the modal was shown to can submit it (default: that member). */
  user?: FakeUser;
  locale?: string;
  guildLocale?: string;
}

/**
 * An image a member linked to (an external URL) that Discord unfurled into an `image` embed. The
 * fake makes up the link (https://images.example.invalid/<n>.<ext>, which never resolves) and serves
 * the bytes from its CDN host under /external/..., as Discord's media proxy serves `proxy_url`.
 */
export interface LinkedImage {
  bytes: Buffer;
  contentType: string;
  /** Default: read from the bytes (PNG, GIF), else 0 as Discord reports for an unknown size. */
  width?: number;
  height?: number;
}

/** A member's message in a guild's channel (see `FakeDiscord.userMessage`). */
export interface UserMessageArgs {
  /** May be empty (or left out) when the message has attachments or linked images. */
  content?: string;
  user?: FakeUser;
  guild?: number;
  /**
   * Where it is posted: the guild's first text channel (default), another of its text channels
   * (`fake.addChannel()`) or one of its threads that is neither archived nor locked (the fake does
   * not model a member's post unarchiving a thread).
   */
  channelId?: string;
  /** Files the member uploaded with the message, made with `fake.addAttachment(...)` (same guild). */
  attachments?: APIAttachmentLike[];
  /** Image links the member posted; each becomes a link in `content` and an `image` embed. */
  embeds?: LinkedImage[];
}

export interface ClickArgs {
  messageId: string;
  customId: string;
  user?: FakeUser;
  /** Sent for select menus. */
  values?: string[];
  /**
   * Sends the click even though the message does not carry this custom_id: what a message the
   * bot has since replaced, or a tampered client, would send. Without it the fake refuses, as
   * Discord does.
   */
  unchecked?: boolean;
  /**
   * The guild (index into `fake.guilds`). Optional: the click happens where the message is; when
   * given, it must be the message's guild.
   */
  guild?: number;
  /** The clicker's client language (default "en-US"). */
  locale?: string;
  /** The server's language (default "en-US"). */
  guildLocale?: string;
}

/** A member's reaction on an existing message (the guild is the message's; `guild`, if given, must match). */
export interface ReactArgs {
  messageId: string;
  emoji: string;
  user?: FakeUser;
  guild?: number;
}

export interface FailReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Which kind of REST request a fault policy is asked about (see `DiscordFaultPolicy`). */
export type DiscordRoute =
  | "message.create" // POST /channels/{c}/messages
  | "message.edit" // PATCH /channels/{c}/messages/{m}
  | "message.delete" // DELETE /channels/{c}/messages/{m}
  | "reaction" // any /channels/{c}/messages/{m}/reactions/... route
  | "webhook.create" // POST /webhooks/{app}/{token} (a follow-up)
  | "webhook.edit" // PATCH /webhooks/{app}/{token}/messages/{@original|m}
  | "interaction.callback" // POST /interactions/{id}/{token}/callback
  | "sku.list" // GET /applications/{app}/skus
  | "entitlement.list" // GET /applications/{app}/entitlements
  | "entitlement.get" // GET /applications/{app}/entitlements/{id}
  | "entitlement.consume" // POST /applications/{app}/entitlements/{id}/consume
  | "entitlement.create" // POST /applications/{app}/entitlements (a test entitlement)
  | "entitlement.delete" // DELETE /applications/{app}/entitlements/{id} (a test entitlement)
  | "other";

/** What a fault policy is told about one REST request. */
export interface DiscordFaultRequest {
  method: string;
  /** Decoded path without /api/v10 and without the query. */
  path: string;
  route: DiscordRoute;
  /** The channel the request acts in: the path's, or for interaction routes the interaction's. */
  channelId?: string;
  /** For callbacks and webhook routes: the interaction token in the path. */
  interactionToken?: string;
  /** Number of uploaded files (multipart parts that are files). */
  files: number;
  /** Size of the request body in bytes. */
  bytes: number;
}

/**
 * What to do with a request:
 * - `fail`: answer `reply` instead of handling it: the request is NOT executed (as `failNext` does:
 *   a 429 gets Discord's body, Retry-After and X-RateLimit-Scope, so discord.js retries it by itself);
 * - `failAfter`: handle the request (its work is done: a consume consumes, a message is posted), then
 *   answer `reply` instead of the real answer, as when Discord's answer is lost on the way (a 5xx
 *   from a proxy after the work). E.g. `{ failAfter: { status: 500 } }`;
 * - `holdMs`: handle it now, answer that much later (the work is done even if the client gives up);
 * - `bytesPerSecond`: a slow upload: the request is handled only once its body has arrived at that
 *   rate, `bytes / bytesPerSecond` seconds after it started; a client that gives up first (its
 *   request timeout) never completed the upload, so nothing happens and it is marked `abandoned`;
 * - `expireToken`: the request's interaction token is expired from now on (this request included):
 *   webhook routes answer 401 {code: 50027}, the callback 404 {code: 10062}.
 */
export type DiscordFaultDecision =
  | { fail: FailReply }
  | { failAfter: FailReply }
  | { holdMs: number }
  | { bytesPerSecond: number }
  | { expireToken: true };

/**
 * Asked about every REST request (not the CDN, not the gateway) that no `failNext` rule took;
 * `undefined` handles it normally. E.g. every third progress edit is rate limited:
 *   let n = 0;
 *   fake.setPolicy((r) => (r.route === "webhook.edit" && ++n % 3 === 0 ? { fail: { status: 429 } } : undefined));
 */
export type DiscordFaultPolicy = (r: DiscordFaultRequest) => DiscordFaultDecision | undefined;

/** A public thread made by `fake.addThread()`. */
export interface AddThreadOptions {
  /** The guild (index into `fake.guilds`, default 0); the thread's parent is its first text channel. */
  guild?: number;
  /**
   * The parent: any guild's text channel (`fake.channelId`, or one of `fake.addChannel()`; default:
   * the first text channel of `guild`). The thread has the parent's permissions and age restriction.
   */
  parentId?: string;
  /** Archived (after THREAD_CREATE, a THREAD_UPDATE archives it, as Discord creates threads active). */
  archived?: boolean;
  /** Locked by a moderator (likewise announced by THREAD_UPDATE). */
  locked?: boolean;
  name?: string;
}

/** A text channel made by `fake.addChannel()`. */
export interface AddChannelOptions {
  /** The guild (index into `fake.guilds`, default 0). */
  guild?: number;
  /** Default "channel-<n>" (n counting the guild's text channels). */
  name?: string;
  /** Age-restricted ("NSFW"), as a server's admin marks it (default false; see `fake.setChannelNsfw`). */
  nsfw?: boolean;
  /**
   * Permission bits the bot is denied in this channel only (a member overwrite for the bot, as an
   * admin sets it), e.g. `P.SEND_MESSAGES`. The REST routes enforce it as Discord does (without
   * VIEW_CHANNEL 403 {code: 50001} "Missing Access", else 403 {code: 50013} "Missing Permissions"),
   * and an interaction there carries `app_permissions` without it. Default 0n.
   */
  botDeny?: bigint;
}

/** One OAuth2 request the fake answered (`fake.oauth2Log`), oldest first. */
export interface OAuth2LogEntry {
  /**
   * "authorize": GET {webUrl}/oauth2/authorize; "token": POST /oauth2/token; "revoke": POST
   * /oauth2/token/revoke; "me": a Bearer request (GET /users/@me, /users/@me/guilds, /oauth2/@me).
   */
  kind: "authorize" | "token" | "me" | "revoke";
  /** What the fake answered: 302 (authorize: a redirect, `error` set when it carries one), 200, 400, 401. */
  status: number;
  at: number;
  /** The user the code or token is for (the consenting user, for an authorize that issued a code). */
  user?: string;
  /** The OAuth2 error sent (e.g. "invalid_grant", "access_denied"), or why a Bearer request got 401. */
  error?: string;
}

export interface FakeDiscord {
  apiUrl: string;
  cdnUrl: string;
  /**
   * The fake's web origin, Discord's https://discord.com (the same server, under /web): the OAuth2
   * authorize page is `${webUrl}/oauth2/authorize`.
   */
  webUrl: string;
  token: string;
  applicationId: string;
  botUserId: string;
  /** Guild 0's id (= `guilds[0].guildId`). */
  guildId: string;
  /** Guild 0's first text channel (= `guilds[0].channelId`). */
  channelId: string;
  /**
   * Every guild, guild i living on gateway shard i (one guild unless `shards` says otherwise).
   * Driver methods take `guild: i` to act in `guilds[i]`.
   */
  guilds: FakeGuild[];
  /** Guild owner (not one of `users`; has every permission). */
  ownerUserId: string;
  /** The guild's owner, who also owns the application (GET /applications/@me). */
  owner: FakeUser;
  users: { requester: FakeUser; stranger: FakeUser; admin: FakeUser; moderator: FakeUser };
  /** Guild 0's roles: `everyone` (= guildId), the bot's managed role, `Admin` (Manage Guild) `Pingable` (mentionable) and `Moderator` (Manage Messages). */
  roles: { everyone: string; bot: string; admin: string; pingable: string; moderator: string };
  botUser: FakeUser;
  requests: RecordedRequest[];
  rejections: Rejection[];
  rateLimited: number;
  /** Every interaction token handed to the bot: secrets its logs must never show. */
  issuedTokens(): string[];
  /** How an interaction was answered, as Discord saw it. */
  interactionState(id: string): { ackType?: number; ackedAt?: number; dispatchedAt: number; originalMessageId?: string } | undefined;
  /** Resolves once a gateway session (of `shard`, when given) is connected and has received READY. */
  ready(shard?: number): Promise<void>;
  /**
   * The `shard` of every IDENTIFY the gateway accepted, in order (a RESUME is not an IDENTIFY).
   * E.g. a process meant to run shard 1 of 2: `expect(fake.identifiedShards()).toEqual([[1, 2]])`.
   */
  identifiedShards(): Array<[number, number]>;
  /** How many times the global command list was bulk-overwritten (PUT /applications/{app}/commands answered 200). */
  commandRegistrations(): number;
  /** An (ephemeral) upload for a slash command's attachment option, in `guilds[opts.guild ?? 0]`'s channel. */
  addAttachment(
    bytes: Buffer,
    filename: string,
    contentType: string | null,
    opts?: { width?: number; height?: number; url?: string; guild?: number },
  ): APIAttachmentLike;
  slashCommand(args: SlashCommandArgs): Promise<InteractionHandle>;
  clickButton(args: ClickArgs): Promise<InteractionHandle>;
  react(args: ReactArgs): Promise<void>;
  /**
   * A member (default: requester) posts a message in `guilds[guild ?? 0]`'s channel (MESSAGE_CREATE),
   * optionally with uploaded files (`attachments`) and image links Discord unfurled (`embeds`).
   * Each linked image's URL is appended to `content`, as a link must be in the text to unfurl.
   */
  userMessage(args: UserMessageArgs): FakeMessage;
  /**
   * A member uses a registered message context-menu command (type 3) on a message: INTERACTION_CREATE
   * type 2 with `data: { id, name, type: 3, target_id, resolved: { messages } }`. Throws when no
   * message command of that name is registered (global or in the message's guild).
   */
  messageCommand(args: MessageCommandArgs): Promise<InteractionHandle>;
  /** The modal (callback type 9 `data`, with the component ids Discord fills in) the bot answered `interactionId` with. */
  modalOf(interactionId: string): Record<string, any> | undefined;
  /**
   * A member submits the modal the bot opened in answer to `interactionId`: INTERACTION_CREATE
   * type 5 (MODAL_SUBMIT) mirroring the modal's components. Throws when that interaction got no
   * modal, for another member, or for a submit Discord's client would not send.
   */
  submitModal(args: SubmitModalArgs): Promise<InteractionHandle>;
  unreact(args: ReactArgs): Promise<void>;
  /**
   * Every message not deleted, oldest first, ephemeral ones (flag 64) included; only those in
   * `channelId` (a text channel or a thread) when given.
   */
  messages(channelId?: string): FakeMessage[];
  /**
   * What a member reading the channel (a text channel or a thread of the fake; else it throws) sees
   * there, oldest first: its messages neither deleted nor ephemeral (a deferred "thinking" response
   * is public, so it counts).
   */
  channelMessages(channelId: string): FakeMessage[];
  /** Every message ever created, including deleted ones. */
  allMessages(): FakeMessage[];
  message(id: string): FakeMessage | undefined;
  reactions(messageId: string): FakeReaction[];
  /**
   * Every message create/edit the bot made (channel routes, interaction callbacks 4/5/7, webhook
   * execute and edits), oldest first, with whom it pinged. E.g. nobody but the requester:
   * `fake.pings().every((p) => !p.mentions.everyone && !p.mentions.roles.length && p.mentions.users.every((u) => u === requester.id))`.
   */
  pings(): Ping[];
  /** The registered commands: global ones, or those of `guildId` (any of `guilds`). */
  commands(scope?: { guildId?: string }): unknown[];
  waitFor<T>(fn: () => T | undefined | false | null, timeoutMs?: number): Promise<T>;
  failNext(match: { method?: string; path: RegExp }, reply: FailReply, times?: number): void;
  /** Handles matching requests normally but delays the answer by `ms` (a crash can fall in between). */
  holdNext(match: { method?: string; path: RegExp }, ms: number, times?: number): void;
  /**
   * Changes the bot's effective permissions in every guild's channels now (an admin edited its role or
   * the channels; a channel's `botDeny` still applies), telling the bot over the gateway
   * (GUILD_ROLE_UPDATE, a CHANNEL_UPDATE per text channel, each to the shard that owns the guild) as
   * Discord does.
   */
  setBotPermissions(permissions: bigint): void;
  setInteractionTokenTtl(ms: number): void;
  /**
   * Asks `policy` about every later REST request (after the one-shot `failNext` rules, which take
   * precedence); `undefined` removes it. See `DiscordFaultDecision`.
   */
  setPolicy(policy: DiscordFaultPolicy | undefined): void;
  /**
   * Expires an interaction's token now, as its 15 minutes running out would: webhook routes answer
   * 401 {code: 50027} "Invalid Webhook Token", the callback 404 {code: 10062}. Throws for a token no
   * interaction of the fake has.
   */
  expireToken(interactionToken: string): void;
  /**
   * A member starts a public thread (type 11) in a guild's text channel; returns its channel id.
   * Sent as Discord does: THREAD_CREATE (`newly_created`) to the guild's shard, then THREAD_UPDATE
   * if `archived`/`locked`; GUILD_CREATE lists it while it is active. In a thread the bot has its
   * permissions in the parent channel, but posting needs SEND_MESSAGES_IN_THREADS (not in
   * `INVITE_PERMISSIONS`, so 403 {code: 50013} unless granted); an archived thread refuses posts,
   * edits and reactions with 400 {code: 50083} "Thread is archived", and a locked one refuses posts
   * and edits the same way unless the bot has MANAGE_THREADS.
   */
  addThread(opts?: AddThreadOptions): string;
  /**
   * An admin creates another text channel in a guild; resolves with its id once CHANNEL_CREATE has
   * been sent to the guild's shard (discord.js caches it when that arrives: wait for
   * `Events.ChannelCreate`); sessions identifying later get it in GUILD_CREATE. It works wherever the
   * first channel does: `slashCommand`/`userMessage` with `channelId`, the bot's message, reaction and
   * typing routes, a thread's parent, a Channel option's value (resolved with its `nsfw`). `nsfw`
   * and `botDeny`: see AddChannelOptions.
   */
  addChannel(opts?: AddChannelOptions): Promise<string>;
  /**
   * An admin marks a text channel (the first one of a guild or one of `addChannel()`) age-restricted
   * or not: CHANNEL_UPDATE to the guild's shard, as Discord sends it. Every channel object the fake
   * sends then carries the new `nsfw`. A thread has no flag of its own (Discord's thread objects
   * carry no `nsfw`): its parent's applies, so naming a thread throws.
   */
  setChannelNsfw(channelId: string, nsfw: boolean): void;
  /**
   * A moderator archives/unarchives or locks/unlocks a thread of `addThread()` now (e.g. while a job
   * posts in it): THREAD_UPDATE to the guild's shard, as Discord sends it.
   */
  updateThread(threadId: string, changes: { archived?: boolean; locked?: boolean }): void;
  /** Closes every gateway session's socket (only those of `shard`, when given) with `code`. */
  disconnectGateway(code?: number, shard?: number): void;
  /** Number of gateway sessions (of `shard`, when given) that are connected and have received READY. */
  connectedSessions(shard?: number): number;

  // Premium Apps (one-time purchases). See FakeEntitlement and EventDelivery.
  /** The application's SKUs (copies), as GET /applications/{app}/skus answers them. */
  readonly skus: FakeSku[];
  /**
   * The app's Ed25519 public key as the developer portal shows it: 64 hex characters (the raw
   * 32-byte key). Webhook events are signed with its private key; GET /applications/@me's `verify_key`.
   */
  readonly publicKey: string;
  /** Every webhook event delivery attempt, oldest first (the live list, like `requests`; not the probes of `probeEventWebhook`). */
  readonly eventDeliveries: EventDeliveryAttempt[];
  /**
   * A member buys a SKU: a new entitlement (type 1 PURCHASE, or 4 TEST_MODE_PURCHASE with `test`),
   * announced with ENTITLEMENT_CREATE as `deliver` says (default ["gateway"]: shard 0's live sessions
   * only, whatever guild the buyer is in; none connected, the event is lost; [] loses it anyway, so
   * the bot must find it by listing). Throws (a test bug) for an unknown, unavailable or subscription
   * SKU, or when the user already holds an unconsumed, undeleted entitlement of it (Discord sells one
   * at a time).
   */
  purchase(args: PurchaseArgs): Promise<FakeEntitlement>;
  /** Discord refunds (revokes) a purchase: `deleted: true`, then ENTITLEMENT_DELETE as `deliver` says (default ["gateway"]). */
  refundPurchase(id: string, opts?: { deliver?: EventDelivery[] }): Promise<FakeEntitlement>;
  /** Sends an entitlement event again, with the entitlement as it is now (Discord repeats events). */
  replayEntitlementEvent(id: string, type: EntitlementEventType, deliver: EventDelivery[]): Promise<void>;
  /** Every entitlement (copies), deleted and consumed ones included, oldest first. */
  entitlements(): FakeEntitlement[];
  entitlement(id: string): FakeEntitlement | undefined;
  /** Where webhook events go (the bot's events endpoint, e.g. http://127.0.0.1:port/discord/events); null: nowhere. */
  setEventWebhookUrl(url: string | null): void;
  /**
   * What Discord sends to check an events endpoint: "ping" is a correctly signed `{version: 1,
   * application_id, type: 0}` (a good endpoint answers 204); "bad-signature" an ENTITLEMENT_CREATE
   * event for a made-up entitlement whose signature does not verify (a good endpoint answers 401).
   * Resolves with the status; rejects when the endpoint cannot be reached or does not answer in time.
   */
  probeEventWebhook(kind: "ping" | "bad-signature"): Promise<number>;
  /** Resolves once every webhook event delivery under way (retries included) has succeeded or given up. */
  eventDeliveriesSettled(): Promise<void>;

  // OAuth2 authorization-code grant (topics/oauth2), for a web console logging operators in:
  //   fake.addOAuth2RedirectUri(`${consoleUrl}/auth/callback`); fake.setOAuth2User(fake.users.admin);
  //   browser → `${fake.webUrl}/oauth2/authorize?client_id=${fake.applicationId}&redirect_uri=…&response_type=code&scope=identify&state=…`
  //     → 302 redirect_uri?code=…&state=…
  //   POST `${fake.apiUrl}/v10/oauth2/token` (form: grant_type=authorization_code, code, redirect_uri;
  //     client_id:oauth2ClientSecret by HTTP Basic or in the form) → {access_token, token_type: "Bearer",
  //     expires_in: 604800, refresh_token, scope}
  //   GET `${fake.apiUrl}/v10/users/@me` with "Authorization: Bearer <access_token>" → that user.
  // The token endpoint answers 401 {error: "invalid_client"} for a wrong client id or secret (or a
  // Basic header and form naming different ones); 400 {error: "invalid_grant"} for a code that is
  // unknown, already presented once (a code is spent by its first exchange, failed or not), older
  // than 10 minutes, or exchanged with another redirect_uri than the authorize request's (exact
  // string match); 400 {error: "invalid_request"} without a code; 400 {error: "unsupported_grant_type"}
  // for another grant than authorization_code and refresh_token (or a body that is not
  // application/x-www-form-urlencoded). It is served unversioned too (/api/oauth2/token, arctic's
  // default). POST /oauth2/token/revoke (form `token`, client credentials) revokes a grant.
  // A Bearer token reads GET /users/@me (scope identify: Discord's user object with locale,
  // mfa_enabled, premium_type; with scope email also `email` <username>@users.example.invalid and
  // `verified`), GET /users/@me/guilds (scope guilds: the fake's guilds, the user's permissions) and
  // GET /oauth2/@me; a missing, unknown, revoked or expired token, or one without the scope, gets
  // 401 {message: "401: Unauthorized", code: 0}. Every other route still takes the Bot token only,
  // and a Bot token on /users/@me still reads the bot user. OAuth2 refusals are part of the flow:
  // they are listed in `oauth2Log`, not in `rejections`.
  /** The application's client secret (random per fake); the client id is `applicationId`. */
  readonly oauth2ClientSecret: string;
  /** The registered redirect URIs (a copy; none at first). */
  readonly oauth2RedirectUris: string[];
  /** Registers a redirect URI (absolute, without a fragment; else it throws). Matching is exact. */
  addOAuth2RedirectUri(uri: string): void;
  /**
   * Who consents on the authorize page from now on (default `owner`; one of `owner` and `users`,
   * else it throws). With a user, GET {webUrl}/oauth2/authorize answers 302 to
   * `redirect_uri?code=…&state=…` (state echoed exactly, left out when not given); with null (the
   * user pressed Cancel) 302 to `redirect_uri?error=access_denied&error_description=…&state=…`.
   * Before that: an unknown or missing client_id, or a redirect_uri that is not registered, gets a
   * 400 HTML error page (no redirect); a response_type other than "code" redirects with
   * error=unsupported_response_type; an empty scope, or one outside identify, email and guilds
   * (space-separated), with error=invalid_scope.
   */
  setOAuth2User(user: FakeUser | null): void;
  /** Every OAuth2 request the fake answered, oldest first (the live list, like `requests`). */
  readonly oauth2Log: OAuth2LogEntry[];
  /**
   * Revokes every outstanding code, access token and refresh token (only `user`'s, when given), as
   * the user deauthorizing the app does: the tokens then get 401, the codes invalid_grant.
   */
  revokeOAuth2Tokens(user?: FakeUser): void;
  close(): Promise<void>;
}
