// A fake Discord (REST + gateway + CDN) on 127.0.0.1 for driving the real discord.js Client in tests.
//
//   const fake = await startFakeDiscord();
//   const client = new Client({ intents, partials, rest: { api: fake.apiUrl } });
//   await client.login(fake.token); await fake.ready();
//   const { id } = await fake.slashCommand({ name: "video", options: [...] });
//   await fake.waitFor(() => fake.messages().find((m) => m.text.includes("done")));
//
// `m.text` is what a member reads (content + every Components V2 Text Display), `m.media` the media
// URLs its components show. Message commands and modals, as a member uses them:
//   const use = await fake.messageCommand({ name: "Animate", messageId: posted.id });
//   await fake.waitFor(() => fake.modalOf(use.id));
//   await fake.submitModal({ interactionId: use.id, values: { prompt: "a cat", resolution: ["720p"] } });
//
// Requests that real Discord would reject are rejected too (OpenAPI schema + plain limits +
// permissions) and listed in `fake.rejections`; assert `expect(fake.rejections).toEqual([])` at the
// end of a test.
//
// The bot has exactly the invite's permissions (INVITE_PERMISSIONS = 274878024768: no Manage Messages, no
// Mention Everyone) unless `botPermissions` grants more, e.g.
//   startFakeDiscord({ botPermissions: (INVITE_PERMISSIONS | P.MANAGE_MESSAGES).toString() })
//
// Every message the bot creates or edits records whom it pings (Discord's allowed_mentions rules):
//   expect(fake.pings().filter((p) => p.mentions.everyone || p.mentions.roles.length)).toEqual([]);
//
// Sharding, as Discord does it: `startFakeDiscord({ shards: 2 })` makes two guilds, guild i on shard i
// (`fake.guilds[i]`), so several bot processes, each running some shards, can share one fake:
//   const a = new Client({ ..., shards: [0], shardCount: 2 });   // pass both: discord.js otherwise
//   const b = new Client({ ..., shards: [1], shardCount: 2 });   // reads SHARD_COUNT from the env
//   await fake.slashCommand({ name: "video", options, guild: 1 }); // reaches b only
//   expect(fake.identifiedShards()).toEqual([[0, 2], [1, 2]]);
//
// Threads (forum posts are threads too): `fake.addThread()` starts a public thread in a guild's text
// channel; commands and members' messages can happen in it (`channelId`), and the bot's posts there
// need SEND_MESSAGES_IN_THREADS, which the invite does not grant:
//   const thread = fake.addThread();
//   await fake.slashCommand({ name: "video", options, channelId: thread });
//
// More text channels (`fake.addChannel()`, CHANNEL_CREATE), age-restricted (`nsfw`, `fake.setChannelNsfw()`)
// or denying the bot permissions there only (`botDeny`); they work wherever the first channel does:
//   const adult = await fake.addChannel({ name: "after-dark", nsfw: true, botDeny: P.ATTACH_FILES });
//   await fake.slashCommand({ name: "video", options, channelId: adult }); fake.messages(adult);
//
// Fault simulations: a policy is asked about every REST request (see DiscordFaultDecision), e.g.
//   fake.setPolicy((r) => (r.route === "message.create" && r.files ? { bytesPerSecond: 64 * 1024 } : undefined));
//   fake.setPolicy((r) => (r.route === "entitlement.consume" ? { failAfter: { status: 500 } } : undefined)); // consumed, answer lost
//
// Premium Apps (one-time purchases): the app has `fake.skus` (default: consumables "Small pack" and
// "Big pack", durable "Supporter"); GET .../skus, GET/POST .../entitlements, GET/DELETE .../{id} and
// POST .../{id}/consume are served as Discord documents them. A member buys; ENTITLEMENT_CREATE goes
// to shard 0's live sessions only (`deliver: []` loses it; "webhook" signs and POSTs it instead):
//   const e = await fake.purchase({ userId: fake.users.requester.id, skuId: fake.skus[0]!.id });
//   await fake.waitFor(() => fake.entitlement(e.id)?.consumed);
// Signed webhook events, verified with `fake.publicKey` (hex Ed25519 key), retried until a 2xx:
//   fake.setEventWebhookUrl(`${botUrl}/discord/events`);
//   await fake.purchase({ userId, skuId, deliver: ["webhook"] }); await fake.eventDeliveriesSettled();
//   expect(await fake.probeEventWebhook("bad-signature")).toBe(401);
// Interactions carry `entitlements: []` (Discord has left one-time purchases out of it). Premium
// buttons (style 6, `sku_id` of one of `fake.skus`, nothing else) are checked; `premiumSkus(message)`.
// OAuth2 login (`${fake.webUrl}/oauth2/authorize`, /oauth2/token, Bearer /users/@me): see FakeDiscord.setOAuth2User.
import { Driver } from "./driver.js";
import { OAuth2Surface } from "./oauth2-surface.js";
import { FakeServer } from "./server.js";
import { ChannelEvents } from "./channel-events.js";
import { guildByChannel } from "./channels.js";
import { isEphemeral } from "./messages.js";
import { State, resolveOptions } from "./state.js";
import type {
  AddChannelOptions,
  AddThreadOptions,
  APIAttachmentLike,
  ClickArgs,
  DiscordFaultPolicy,
  FailReply,
  FakeDiscord,
  FakeDiscordOptions,
  FakeGuild,
  FakeMessage,
  FakeReaction,
  FakeUser,
  InteractionHandle,
  MessageCommandArgs,
  Ping,
  ReactArgs,
  RecordedRequest,
  Rejection,
  SlashCommandArgs,
  SubmitModalArgs,
  UserMessageArgs,
} from "./types.js";

export type * from "./types.js";
export { MessageFlags, DEFAULT_ATTACHMENT_SIZE_LIMIT, MAX_REQUEST_BYTES } from "./limits.js";
export { P, INVITE_PERMISSIONS, DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS } from "./payloads.js";
export { snowflake, snowflakeTime } from "./ids.js";
export { allComponents, premiumSkus, readableText } from "./readable.js";
export { SkuType, SKU_AVAILABLE, EntitlementType } from "./entitlements.js";

class FakeDiscordImpl extends OAuth2Surface implements FakeDiscord {
  readonly apiUrl: string;
  readonly cdnUrl: string;
  readonly webUrl: string;
  readonly token: string;
  readonly applicationId: string;
  readonly botUserId: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly guilds: FakeGuild[];
  readonly ownerUserId: string;
  readonly owner: FakeUser;
  readonly users: { requester: FakeUser; stranger: FakeUser; admin: FakeUser; moderator: FakeUser };
  readonly roles: { everyone: string; bot: string; admin: string; pingable: string; moderator: string };
  readonly botUser: FakeUser;
  private readonly driver: Driver;
  private readonly channelEvents: ChannelEvents;
  private closed = false;

  constructor(
    private readonly state: State,
    private readonly server: FakeServer,
  ) {
    super(state.premium, server.oauth2);
    const w = state.world;
    this.apiUrl = `http://127.0.0.1:${server.port}/api`;
    this.webUrl = `http://127.0.0.1:${server.port}/web`;
    this.cdnUrl = state.cdnUrl;
    this.token = state.opts.token;
    this.applicationId = w.applicationId;
    this.botUserId = w.botUser.id;
    this.guilds = w.guilds.map((g) => ({ guildId: g.guildId, channelId: g.channelId, shard: g.shard, roles: { ...g.roles } }));
    this.guildId = this.guilds[0]!.guildId;
    this.channelId = this.guilds[0]!.channelId;
    this.ownerUserId = w.owner.id;
    this.owner = w.owner;
    this.users = w.users;
    this.roles = { ...this.guilds[0]!.roles };
    this.botUser = w.botUser;
    this.driver = new Driver(state, (shard) => server.gateway.connectedSessions(shard));
    this.channelEvents = new ChannelEvents(state, (index, what) => this.driver.guild(index, what));
  }

  get requests(): RecordedRequest[] {
    return this.state.requests;
  }
  get rejections(): Rejection[] {
    return this.state.rejections;
  }
  get rateLimited(): number {
    return this.state.rateLimited;
  }
  issuedTokens(): string[] {
    return [...this.state.interactions.values()].map((i) => i.token);
  }

  interactionState(id: string): { ackType?: number; ackedAt?: number; dispatchedAt: number; originalMessageId?: string } | undefined {
    const i = this.state.interactions.get(id);
    return i && { ackType: i.ackType, ackedAt: i.ackedAt, dispatchedAt: i.dispatchedAt, originalMessageId: i.originalMessageId };
  }
  ready(shard?: number): Promise<void> {
    return this.server.gateway.ready(shard);
  }
  identifiedShards(): Array<[number, number]> {
    return this.state.identifies.map(([i, n]) => [i, n]);
  }
  commandRegistrations(): number {
    return this.state.globalCommandPuts;
  }

  addAttachment(
    bytes: Buffer,
    filename: string,
    contentType: string | null,
    opts: { width?: number; height?: number; url?: string; guild?: number } = {},
  ): APIAttachmentLike {
    const channelId = this.driver.guild(opts.guild, "addAttachment()").channelId;
    const a = this.state.storeAttachment(channelId, bytes, filename, contentType, {
      ...(opts.width !== undefined ? { width: opts.width } : {}),
      ...(opts.height !== undefined ? { height: opts.height } : {}),
      ...(opts.url !== undefined ? { url: opts.url, proxy_url: opts.url } : {}),
      ephemeral: true, // slash-command option uploads are ephemeral attachments on Discord
    });
    const { bytes: _bytes, ...json } = a;
    return json;
  }

  slashCommand(args: SlashCommandArgs): Promise<InteractionHandle> {
    return this.driver.slashCommand(args);
  }
  clickButton(args: ClickArgs): Promise<InteractionHandle> {
    return this.driver.clickButton(args);
  }
  react(args: ReactArgs): Promise<void> {
    return this.driver.react(args);
  }
  unreact(args: ReactArgs): Promise<void> {
    return this.driver.unreact(args);
  }

  userMessage(args: UserMessageArgs): FakeMessage {
    return this.driver.userMessage(args);
  }
  messageCommand(args: MessageCommandArgs): Promise<InteractionHandle> {
    return this.driver.messageCommand(args);
  }
  modalOf(interactionId: string): Record<string, any> | undefined {
    return this.driver.modalOf(interactionId);
  }
  submitModal(args: SubmitModalArgs): Promise<InteractionHandle> {
    return this.driver.submitModal(args);
  }

  pings(): Ping[] {
    return [...this.state.pings];
  }

  messages(channelId?: string): FakeMessage[] {
    return this.state.listMessages(channelId);
  }
  channelMessages(channelId: string): FakeMessage[] {
    if (!guildByChannel(this.state.world, channelId)) throw new Error(`fake Discord: channelMessages: ${channelId} is no channel of the fake`);
    return this.state.listMessages(channelId).filter((m) => !isEphemeral(m));
  }
  allMessages(): FakeMessage[] {
    return this.state.listMessages(undefined, true);
  }
  message(id: string): FakeMessage | undefined {
    return this.state.messages.get(id);
  }
  reactions(messageId: string): FakeReaction[] {
    return [...(this.state.reactionsByMessage.get(messageId) ?? [])];
  }
  commands(scope: { guildId?: string } = {}): unknown[] {
    return scope.guildId ? (this.state.guildCommands.get(scope.guildId) ?? []) : this.state.globalCommands;
  }

  async waitFor<T>(fn: () => T | undefined | false | null, timeoutMs = 5000): Promise<T> {
    const start = Date.now();
    let lastErr: unknown;
    for (;;) {
      try {
        const v = fn();
        if (v !== undefined && v !== false && v !== null) return v;
      } catch (err) {
        lastErr = err;
      }
      if (Date.now() - start > timeoutMs) {
        const recent = this.state.requests.slice(-8).map((r) => `  ${r.method} ${r.path} -> ${r.status}`).join("\n");
        const rej = this.state.rejections.slice(-3).map((r) => `  ${r.method} ${r.path} ${r.code} ${JSON.stringify(r.errors ?? r.message)}`).join("\n");
        throw new Error(
          `fake Discord waitFor timed out after ${timeoutMs} ms: ${fn.toString().slice(0, 200)}` +
            (lastErr ? `\nlast error: ${String(lastErr)}` : "") +
            `\nlast requests:\n${recent || "  (none)"}` + (rej ? `\nrejections:\n${rej}` : ""),
        );
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  failNext(match: { method?: string; path: RegExp }, reply: FailReply, times = 1): void {
    this.server.failNext({ ...match, reply, times });
  }
  holdNext(match: { method?: string; path: RegExp }, ms: number, times = 1): void {
    this.server.holdNext({ ...match, ms, times });
  }
  setBotPermissions(permissions: bigint): void {
    this.channelEvents.setBotPermissions(permissions);
  }
  setInteractionTokenTtl(ms: number): void {
    this.state.tokenTtlMs = ms;
  }
  setPolicy(policy: DiscordFaultPolicy | undefined): void {
    this.server.setPolicy(policy);
  }
  expireToken(interactionToken: string): void {
    if (!this.state.expireToken(interactionToken)) throw new Error(`fake Discord: expireToken: no interaction of this fake has token ${interactionToken.slice(0, 24)}...`);
  }
  addThread(opts: AddThreadOptions = {}): string {
    return this.channelEvents.addThread(opts);
  }
  updateThread(threadId: string, changes: { archived?: boolean; locked?: boolean }): void {
    this.channelEvents.updateThread(threadId, changes);
  }
  async addChannel(opts: AddChannelOptions = {}): Promise<string> {
    return this.channelEvents.addChannel(opts);
  }
  setChannelNsfw(channelId: string, nsfw: boolean): void {
    this.channelEvents.setChannelNsfw(channelId, nsfw);
  }
  disconnectGateway(code = 4000, shard?: number): void {
    this.server.gateway.disconnect(code, shard);
  }
  connectedSessions(shard?: number): number {
    return this.server.gateway.connectedSessions(shard);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.server.close();
  }
}

export async function startFakeDiscord(opts: FakeDiscordOptions = {}): Promise<FakeDiscord> {
  const state = new State(resolveOptions(opts), opts.botPermissions);
  const server = new FakeServer(state);
  await server.listen();
  return new FakeDiscordImpl(state, server);
}
