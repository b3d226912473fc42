// Test-side actions: members invoking slash and message commands, clicking buttons, submitting
// modals, reacting, posting messages.
import { interactionToken, snowflake } from "./ids.js";
import { botPermissionsIn, channelById, channelJson, guildByChannel } from "./channels.js";
import { guildById, guildOfMessage, memberJson, memberPermissions, type GuildWorld } from "./payloads.js";
import { MAX_CONTENT } from "./limits.js";
import { announce, imageSize, mentionsOf, reactionEvent } from "./messages.js";
import { submission } from "./modals.js";
import { allComponents } from "./readable.js";
import { commandOptions } from "./slash-options.js";
import { parseEmoji } from "./rest-routes.js";
import { emojiJson, type InteractionState, type State } from "./state.js";
import { threadById, type ThreadWorld } from "./threads.js";
import type {
  APIAttachmentLike,
  ClickArgs,
  FakeAttachment,
  FakeMessage,
  FakeUser,
  InteractionHandle,
  LinkedImage,
  MessageCommandArgs,
  ReactArgs,
  SlashCommandArgs,
  SubmitModalArgs,
  UserMessageArgs,
} from "./types.js";

type Json = Record<string, any>;

export class Driver {
  private readonly commandIds = new Map<string, string>();

  constructor(
    private readonly state: State,
    private readonly connected: (shard?: number) => number,
  ) {}

  /** `fake.guilds[index]` (default guild 0); an index out of range is a test bug. */
  guild(index = 0, what = "guild"): GuildWorld {
    const g = this.state.world.guilds[index];
    if (!g) throw new Error(`fake Discord: ${what}: there is no guild ${index} (the fake has ${this.state.world.guilds.length}; see the \`shards\` option)`);
    return g;
  }

  /**
   * Where an action happens: `channelId` (one of a guild's text channels or threads; `index`, when
   * given, must name its guild), else guild `index`'s first text channel.
   */
  private channel(index: number | undefined, channelId: string | undefined, what: string): { g: GuildWorld; channelId: string; thread?: ThreadWorld } {
    if (channelId === undefined) {
      const g = this.guild(index, what);
      return { g, channelId: g.channelId };
    }
    const w = this.state.world;
    const thread = threadById(w, channelId);
    const g = guildByChannel(w, channelId);
    if (!g) throw new Error(`fake Discord: ${what}: channel ${channelId} is neither a guild's text channel nor a thread of the fake (see fake.addChannel(), fake.addThread())`);
    if (index !== undefined && this.guild(index, what) !== g) throw new Error(`fake Discord: ${what}: channel ${channelId} is in guild ${g.index}, not guild ${index}`);
    return { g, channelId, ...(thread ? { thread } : {}) };
  }

  /** Discord's client offers no application commands in an archived thread (topics/threads). */
  private noCommandsIn(channelId: string, what: string): void {
    if (threadById(this.state.world, channelId)?.archived) throw new Error(`fake Discord: ${what}: thread ${channelId} is archived; members cannot use application commands there`);
  }

  private requireSession(what: string, g: GuildWorld): void {
    if (this.connected(g.shard) === 0) {
      const n = this.state.world.shardCount;
      throw new Error(
        `fake Discord: ${what} needs a connected, identified gateway session` + (n > 1 ? ` of shard ${g.shard} (guild ${g.index}'s shard)` : "") +
          `; await client.login() and fake.ready() first`,
      );
    }
  }

  /**
   * The fields every interaction has, in the interaction's channel (`i.channelId`): one of the
   * guild's text channels (with its `nsfw`) or a thread, sent as the thread's channel object (type
   * 11, parent_id, thread_metadata, no `nsfw`: the parent's applies). `app_permissions` are the
   * bot's there (less the channel's `botDeny`); a thread has its parent's permissions
   * (SEND_MESSAGES_IN_THREADS only when granted there).
   */
  private base(i: InteractionState, user: FakeUser, g: GuildWorld, appPermissions?: string, locales: { locale?: string | undefined; guildLocale?: string | undefined } = {}): Json {
    const w = this.state.world;
    const guildLocale = locales.guildLocale ?? "en-US";
    const thread = threadById(w, i.channelId);
    const channel = thread ? this.state.threadJson(thread) : channelJson(w, channelById(w, i.channelId)!);
    return {
      id: i.id, application_id: w.applicationId, token: i.token, version: 1,
      guild_id: g.guildId, guild: { id: g.guildId, locale: guildLocale, features: [] },
      channel_id: i.channelId, channel: { ...channel, permissions: memberPermissions(w, user).toString() },
      member: memberJson(w, g, user, true),
      app_permissions: appPermissions ?? botPermissionsIn(w, i.channelId).toString(),
      locale: locales.locale ?? "en-US", guild_locale: guildLocale, entitlements: [],
      authorizing_integration_owners: { "0": g.guildId }, context: 0,
      attachment_size_limit: i.attachmentSizeLimit,
    };
  }

  private register(type: 2 | 3 | 5, user: FakeUser, g: GuildWorld, limit: number | undefined, extra: Partial<InteractionState> = {}): InteractionState {
    const id = snowflake();
    const i: InteractionState = {
      id, token: interactionToken(id), type, dispatchedAt: Date.now(), user, guildId: g.guildId, channelId: g.channelId,
      attachmentSizeLimit: limit ?? this.state.opts.defaultAttachmentSizeLimit, followUpIds: [], ...extra,
    };
    this.state.interactions.set(i.id, i);
    this.state.interactionsByToken.set(i.token, i);
    return i;
  }

  /**
   * The registered command `name` of `type` (1 CHAT_INPUT, 3 MESSAGE; a slash command may omit its
   * type), the guild's own first: names are unique per type only, so a slash command and a
   * message command may share one.
   */
  private findCommand(name: string, g: GuildWorld, type: 1 | 3 = 1): { cmd?: Json; guild: boolean } {
    const ofType = (c: Json) => c.name === name && (c.type ?? 1) === type;
    const inGuild = ((this.state.guildCommands.get(g.guildId) ?? []) as Json[]).find(ofType);
    if (inGuild) return { cmd: inGuild, guild: true };
    return { cmd: (this.state.globalCommands as Json[]).find(ofType), guild: false };
  }

  async slashCommand(args: SlashCommandArgs): Promise<InteractionHandle> {
    const { g, channelId } = this.channel(args.guild, args.channelId, "slashCommand()");
    this.noCommandsIn(channelId, "slashCommand()");
    this.requireSession("slashCommand()", g);
    const w = this.state.world;
    const user = args.user ?? w.users.requester;
    const { cmd, guild } = this.findCommand(args.name, g);
    const resolved: Json = {};
    const given = args.attachments ?? [];
    const options = commandOptions(this.state, args.options, cmd?.options as Json[] | undefined, `/${args.name}`, resolved, given, cmd !== undefined, g, user);
    const i = this.register(2, user, g, args.attachmentSizeLimit ?? undefined, { commandName: args.name, commandType: 1, channelId });
    const cmdId = (cmd?.id as string | undefined) ?? this.commandIds.get(args.name) ?? snowflake();
    this.commandIds.set(args.name, cmdId);
    const payload = {
      ...this.base(i, user, g, args.appPermissions, { locale: args.locale, guildLocale: args.guildLocale }),
      type: 2,
      data: {
        id: cmdId, name: args.name, type: 1, ...(guild || !cmd ? { guild_id: g.guildId } : {}),
        ...(options.length ? { options } : {}), ...(Object.keys(resolved).length ? { resolved } : {}),
      },
    };
    // an interaction may carry no attachment_size_limit at all (the bot must assume Discord's default)
    if (args.attachmentSizeLimit === null) delete (payload as Json).attachment_size_limit;
    this.state.dispatch("INTERACTION_CREATE", payload, { guildId: g.guildId });
    return { id: i.id, token: i.token, dispatchedAt: i.dispatchedAt };
  }

  /**
   * A member uses a registered message command on a message (context menu → Apps): type 2 with
   * `data.type` 3, `target_id` and the message in `resolved.messages`, as Discord sends it. Unlike
   * slashCommand, an unregistered name is refused: the client only lists registered ones.
   */
  async messageCommand(args: MessageCommandArgs): Promise<InteractionHandle> {
    const m = this.state.liveMessage(args.messageId);
    if (!m) throw new Error(`fake Discord: messageCommand: message ${args.messageId} does not exist (or was deleted)`);
    const g = this.guildOf(m, args.guild, "messageCommand()");
    this.requireSession("messageCommand()", g);
    const user = args.user ?? this.state.world.users.requester;
    if (m.flags & 64) throw new Error(`fake Discord: messageCommand: message ${m.id} is ephemeral; apps cannot be used on it`);
    this.noCommandsIn(m.channel_id, "messageCommand()");
    const { cmd, guild } = this.findCommand(args.name, g, 3);
    if (!cmd) {
      const all = [...((this.state.guildCommands.get(g.guildId) ?? []) as Json[]), ...(this.state.globalCommands as Json[])];
      const names = all.filter((c) => c.type === 3).map((c) => `"${c.name}"`);
      throw new Error(`fake Discord: messageCommand: no message command "${args.name}" is registered (message commands: ${names.join(", ") || "none"})`);
    }
    const i = this.register(2, user, g, args.attachmentSizeLimit ?? undefined, { commandName: cmd.name as string, commandType: 3, targetMessageId: m.id, channelId: m.channel_id });
    const payload = {
      ...this.base(i, user, g, args.appPermissions, { locale: args.locale, guildLocale: args.guildLocale }),
      type: 2,
      data: {
        id: cmd.id, name: cmd.name, type: 3, target_id: m.id,
        resolved: { messages: { [m.id]: this.state.messageJson(m) } },
        ...(guild ? { guild_id: g.guildId } : {}),
      },
    };
    if (args.attachmentSizeLimit === null) delete (payload as Json).attachment_size_limit;
    this.state.dispatch("INTERACTION_CREATE", payload, { guildId: g.guildId });
    return { id: i.id, token: i.token, dispatchedAt: i.dispatchedAt };
  }

  /** The modal the bot answered `interactionId` with (callback type 9), as stored (component ids filled in). */
  modalOf(interactionId: string): Json | undefined {
    const modal = this.state.interactions.get(interactionId)?.modal;
    return modal ? structuredClone(modal) : undefined;
  }

  /**
   * The member submits the modal the bot opened in answer to `interactionId`: MODAL_SUBMIT (type 5)
   * with `data: { custom_id, components }` mirroring the modal. A modal opened from a component
   * carries that component's `message`, and the submit may then update it (callbacks 6 and 7).
   */
  async submitModal(args: SubmitModalArgs): Promise<InteractionHandle> {
    const opener = this.state.interactions.get(args.interactionId);
    if (!opener) throw new Error(`fake Discord: submitModal: interaction ${args.interactionId} is unknown`);
    const modal = opener.modal;
    if (opener.ackType !== 9 || !modal) {
      throw new Error(`fake Discord: submitModal: interaction ${opener.id} was not answered with a modal (its response: ${opener.ackType === undefined ? "none yet" : `callback type ${opener.ackType}`})`);
    }
    if (opener.modalClosed) throw new Error(`fake Discord: submitModal: the modal of interaction ${opener.id} was already submitted (and closed)`);
    const user = args.user ?? opener.user;
    if (user.id !== opener.user.id) throw new Error(`fake Discord: submitModal: the modal was shown to ${opener.user.username}, not ${user.username}`);
    const g = guildById(this.state.world, opener.guildId);
    if (!g) throw new Error(`fake Discord: submitModal: interaction ${opener.id} is in unknown guild ${opener.guildId}`);
    this.requireSession("submitModal()", g);
    const components = submission(modal, args.values ?? {});
    const fromComponent = opener.type === 3 ? opener.componentMessageId : undefined;
    const message = fromComponent ? this.state.liveMessage(fromComponent) : undefined;
    const i = this.register(5, user, g, opener.attachmentSizeLimit, {
      modalOf: opener.id, channelId: opener.channelId, ...(fromComponent ? { componentMessageId: fromComponent } : {}),
    });
    const payload = {
      ...this.base(i, user, g, undefined, { locale: args.locale, guildLocale: args.guildLocale }),
      type: 5,
      ...(message ? { message: this.state.messageJson(message) } : {}),
      data: { custom_id: modal.custom_id, components },
    };
    this.state.dispatch("INTERACTION_CREATE", payload, { guildId: g.guildId });
    return { id: i.id, token: i.token, dispatchedAt: i.dispatchedAt };
  }

  /** The guild of an existing message; `index`, when given, must name that guild. */
  private guildOf(m: FakeMessage, index: number | undefined, what: string): GuildWorld {
    const g = guildOfMessage(this.state.world, m);
    if (index !== undefined && this.guild(index, what) !== g) {
      throw new Error(`fake Discord: ${what}: message ${m.id} is in guild ${g.index}, not guild ${index}`);
    }
    return g;
  }

  async clickButton(args: ClickArgs): Promise<InteractionHandle> {
    const m = this.state.liveMessage(args.messageId);
    if (!m) throw new Error(`fake Discord: clickButton: message ${args.messageId} does not exist (or was deleted)`);
    const g = this.guildOf(m, args.guild, "clickButton()");
    this.requireSession("clickButton()", g);
    const user = args.user ?? this.state.world.users.requester;
    const owner = m.interactionId ? this.state.interactions.get(m.interactionId)?.user : undefined;
    if (m.flags & 64 && owner && owner.id !== user.id) throw new Error(`fake Discord: message ${m.id} is ephemeral; only ${owner.username} can see it`);
    const all = allComponents(m.components);
    // `unchecked`: the click names a custom_id the message does not carry (see ClickArgs)
    const comp = all.find((c) => c.custom_id === args.customId) ?? (args.unchecked ? { type: 2, custom_id: args.customId } : undefined);
    if (!comp) throw new Error(`fake Discord: message ${m.id} has no component "${args.customId}" (has: ${all.map((c) => c.custom_id).filter(Boolean).join(", ") || "none"})`);
    if (comp.disabled) throw new Error(`fake Discord: component "${args.customId}" is disabled`);
    const i = this.register(3, user, g, undefined, { componentMessageId: m.id, channelId: m.channel_id });
    const payload = {
      ...this.base(i, user, g, undefined, { locale: args.locale, guildLocale: args.guildLocale }),
      type: 3,
      message: this.state.messageJson(m),
      data: { custom_id: comp.custom_id, component_type: comp.type, ...(comp.id !== undefined ? { id: comp.id } : {}), ...(comp.type !== 2 ? { values: args.values ?? [] } : {}) },
    };
    this.state.dispatch("INTERACTION_CREATE", payload, { guildId: g.guildId });
    return { id: i.id, token: i.token, dispatchedAt: i.dispatchedAt };
  }

  private reactable(messageId: string, emoji: string, guild: number | undefined): { m: FakeMessage; e: string } {
    const m = this.state.liveMessage(messageId);
    if (!m) throw new Error(`fake Discord: react: message ${messageId} does not exist (or was deleted)`);
    this.requireSession("react()", this.guildOf(m, guild, "react()"));
    if (m.flags & 64) throw new Error(`fake Discord: react: message ${messageId} is ephemeral; nobody can react to it`);
    if (threadById(this.state.world, m.channel_id)?.archived) throw new Error(`fake Discord: react: message ${messageId} is in an archived thread; nobody can react there`);
    try {
      return { m, e: parseEmoji(emoji) };
    } catch {
      throw new Error(`fake Discord: "${emoji}" is not a unicode emoji (the fake guild has no custom emojis)`);
    }
  }

  async react(args: ReactArgs): Promise<void> {
    const { m, e } = this.reactable(args.messageId, args.emoji, args.guild);
    const user = args.user ?? this.state.world.users.requester;
    const list = this.state.reactionsByMessage.get(m.id) ?? [];
    if (list.some((r) => r.emoji === e && r.userId === user.id)) return; // Discord ignores duplicates
    list.push({ emoji: e, userId: user.id });
    this.state.reactionsByMessage.set(m.id, list);
    reactionEvent(this.state, true, m, emojiJson(e), user);
  }

  async unreact(args: ReactArgs): Promise<void> {
    const { m, e } = this.reactable(args.messageId, args.emoji, args.guild);
    const user = args.user ?? this.state.world.users.requester;
    const list = this.state.reactionsByMessage.get(m.id) ?? [];
    const at = list.findIndex((r) => r.emoji === e && r.userId === user.id);
    if (at < 0) return;
    list.splice(at, 1);
    reactionEvent(this.state, false, m, emojiJson(e), user);
  }

  /**
   * A member posts a message in a guild's channel (as the Discord client sends it: no
   * allowed_mentions), with files (`attachments`) and image links (`embeds`). A link must be in the
   * text to unfurl, so each linked image's URL is appended to the content; the message then needs
   * no text of its own.
   */
  userMessage(args: UserMessageArgs): FakeMessage {
    const { g, channelId, thread } = this.channel(args.guild, args.channelId, "userMessage()");
    if (thread && (thread.archived || thread.locked)) {
      throw new Error(`fake Discord: userMessage: thread ${thread.id} is ${thread.archived ? "archived" : "locked"}; the fake has members post in active, unlocked threads only`);
    }
    const user = args.user ?? this.state.world.users.requester;
    const attachments = (args.attachments ?? []).map((a) => this.uploaded(a, g));
    const embeds = (args.embeds ?? []).map((img) => this.unfurl(img));
    const typed = args.content ?? "";
    const content = [typed, ...embeds.map((e) => e.url as string)].filter((s) => s !== "").join(" ");
    if (content.length > MAX_CONTENT || (typed.length === 0 && attachments.length === 0 && embeds.length === 0)) {
      throw new Error(`fake Discord: userMessage: content must be 1..${MAX_CONTENT} characters (or empty with attachments or embeds, ${MAX_CONTENT} with the links)`);
    }
    if (attachments.length > 10) throw new Error("fake Discord: userMessage: at most 10 attachments per message");
    const m = this.state.newMessage(channelId, user, { content, embeds, attachments, editHistory: [content] });
    m.mentions = mentionsOf(this.state, m, undefined);
    this.state.addMessage(m);
    announce(this.state, "create", m);
    return m;
  }

  /** A file the member uploads with a message: an attachment from fake.addAttachment() in that guild's channel. */
  private uploaded(a: APIAttachmentLike, g: GuildWorld): FakeAttachment {
    const stored = this.state.attachments.get(a.id);
    if (!stored) throw new Error(`fake Discord: userMessage: attachment ${a.id} is unknown; create it with fake.addAttachment()`);
    // (an attachment given a foreign `url` on purpose lives nowhere on the fake's CDN: taken as it is)
    const url = new URL(stored.url);
    // /attachments/{channel}/{id}/{name}: any channel of the guild (its text channel or a thread)
    const madeIn = guildByChannel(this.state.world, url.pathname.split("/")[2]);
    if (url.origin === new URL(this.state.cdnUrl).origin && madeIn !== g) {
      throw new Error(`fake Discord: userMessage: attachment ${a.id} was made for another guild's channel; pass the same \`guild\` to fake.addAttachment()`);
    }
    // a message's own attachments are not ephemeral (only slash-command option uploads are)
    const { ephemeral: _ephemeral, ...attachment } = stored;
    return attachment;
  }

  /**
   * Discord's unfurl of a link to an image: an embed of type "image" whose picture is in
   * `thumbnail` (url = the link, proxy_url = the media proxy's copy), not in `image`.
   */
  private unfurl(img: LinkedImage): Json {
    const { url, proxyUrl } = this.state.storeLinkedImage(img.bytes, img.contentType);
    const size = imageSize(img.bytes);
    return {
      type: "image", url,
      thumbnail: {
        url, proxy_url: proxyUrl, width: img.width ?? size?.width ?? 0, height: img.height ?? size?.height ?? 0,
        content_type: img.contentType, flags: 0,
      },
      content_scan_version: 0,
    };
  }
}

