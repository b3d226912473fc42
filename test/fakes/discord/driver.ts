// Test-side actions: users invoking slash commands, clicking buttons, reacting.
import { interactionToken, snowflake } from "./ids.js";
import { channelJson, guildOfMessage, memberJson, memberPermissions, userJson, type GuildWorld } from "./payloads.js";
import { MAX_CONTENT } from "./limits.js";
import { announce, mentionsOf, reactionEvent } from "./messages.js";
import { parseEmoji } from "./rest-routes.js";
import { emojiJson, type InteractionState, type State } from "./state.js";
import type { APIAttachmentLike, ClickArgs, FakeMessage, FakeUser, InteractionHandle, ReactArgs, SlashCommandArgs, SlashOption } from "./types.js";

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

  private requireSession(what: string, g: GuildWorld): void {
    if (this.connected(g.shard) === 0) {
      const n = this.state.world.shardCount;
      throw new Error(
        `fake Discord: ${what} needs a connected, identified gateway session` + (n > 1 ? ` of shard ${g.shard} (guild ${g.index}'s shard)` : "") +
          `; await client.login() and fake.ready() first`,
      );
    }
  }

  private base(i: InteractionState, user: FakeUser, g: GuildWorld, appPermissions?: string, locales: { locale?: string | undefined; guildLocale?: string | undefined } = {}): Json {
    const w = this.state.world;
    const guildLocale = locales.guildLocale ?? "en-US";
    return {
      id: i.id, application_id: w.applicationId, token: i.token, version: 1,
      guild_id: g.guildId, guild: { id: g.guildId, locale: guildLocale, features: [] },
      channel_id: g.channelId, channel: { ...channelJson(w, g), permissions: memberPermissions(w, user).toString() },
      member: memberJson(w, g, user, true),
      app_permissions: appPermissions ?? w.botPermissions.toString(),
      locale: locales.locale ?? "en-US", guild_locale: guildLocale, entitlements: [],
      authorizing_integration_owners: { "0": g.guildId }, context: 0,
      attachment_size_limit: i.attachmentSizeLimit,
    };
  }

  private register(type: 2 | 3, user: FakeUser, g: GuildWorld, limit: number | undefined, extra: Partial<InteractionState> = {}): InteractionState {
    const id = snowflake();
    const i: InteractionState = {
      id, token: interactionToken(id), type, dispatchedAt: Date.now(), user, guildId: g.guildId, channelId: g.channelId,
      attachmentSizeLimit: limit ?? this.state.opts.defaultAttachmentSizeLimit, followUpIds: [], ...extra,
    };
    this.state.interactions.set(i.id, i);
    this.state.interactionsByToken.set(i.token, i);
    return i;
  }

  private findCommand(name: string, g: GuildWorld): { cmd?: Json; guild: boolean } {
    const guildList = (this.state.guildCommands.get(g.guildId) ?? []) as Json[];
    const inGuild = guildList.find((c) => c.name === name && (c.type ?? 1) === 1);
    if (inGuild) return { cmd: inGuild, guild: true };
    const glob = (this.state.globalCommands as Json[]).find((c) => c.name === name && (c.type ?? 1) === 1);
    return { cmd: glob, guild: false };
  }

  async slashCommand(args: SlashCommandArgs): Promise<InteractionHandle> {
    const g = this.guild(args.guild, "slashCommand()");
    this.requireSession("slashCommand()", g);
    const w = this.state.world;
    const user = args.user ?? w.users.requester;
    const { cmd, guild } = this.findCommand(args.name, g);
    const resolved: Json = {};
    const given = args.attachments ?? [];
    const options = this.options(args.options, cmd?.options as Json[] | undefined, `/${args.name}`, resolved, given, cmd !== undefined, g);
    const i = this.register(2, user, g, args.attachmentSizeLimit ?? undefined, { commandName: args.name });
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

  /** Builds data.options (+ resolved) and checks them against the registered definition when there is one. */
  private options(opts: SlashOption[], defs: Json[] | undefined, where: string, resolved: Json, given: APIAttachmentLike[], strict: boolean, g: GuildWorld): Json[] {
    const w = this.state.world;
    const out: Json[] = [];
    for (const o of opts) {
      const def = defs?.find((d) => d.name === o.name);
      if (strict && !def) throw new Error(`fake Discord: ${where} has no option "${o.name}" (registered: ${(defs ?? []).map((d) => d.name).join(", ") || "none"})`);
      if (def && def.type !== o.type) throw new Error(`fake Discord: ${where} option "${o.name}" has type ${def.type}, not ${o.type}`);
      if ("options" in o) {
        out.push({ name: o.name, type: o.type, options: this.options(o.options, def?.options, `${where} ${o.name}`, resolved, given, strict, g) });
        continue;
      }
      let value = o.value;
      if (o.type === 11) {
        const id = typeof value === "object" && value && "id" in value ? String((value as { id: string }).id) : String(value);
        const att = given.find((a) => a.id === id) ?? (typeof value === "object" ? (value as APIAttachmentLike) : undefined) ?? this.state.attachments.get(id);
        if (!att) throw new Error(`fake Discord: attachment ${id} for option "${o.name}" is unknown; create it with fake.addAttachment()`);
        const { bytes: _b, ...json } = att as APIAttachmentLike & { bytes?: Buffer };
        (resolved.attachments ??= {})[id] = json;
        value = id;
      } else if (o.type === 6 || o.type === 9) {
        const u = typeof value === "object" && value ? (value as FakeUser) : [w.botUser, w.owner, ...Object.values(w.users)].find((x) => x.id === value);
        if (u) {
          (resolved.users ??= {})[u.id] = userJson(u);
          const { user: _u, ...member } = memberJson(w, g, u, true);
          (resolved.members ??= {})[u.id] = member;
          value = u.id;
        }
      } else if (o.type === 7) {
        (resolved.channels ??= {})[String(value)] = { id: String(value), name: "general", type: 0, permissions: w.botPermissions.toString(), flags: 0 };
      }
      if (def) checkValue(def, value, `${where} ${o.name}`);
      out.push({ name: o.name, type: o.type, value });
    }
    if (strict && defs) {
      const leaf = !defs.some((d) => d.type === 1 || d.type === 2);
      for (const d of defs) {
        if (leaf && d.required && !opts.some((o) => o.name === d.name)) throw new Error(`fake Discord: ${where} requires option "${d.name}"`);
      }
    }
    return out;
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
    const all = collect(m.components);
    // `unchecked`: the click names a custom_id the message does not carry (see ClickArgs)
    const comp = all.find((c) => c.custom_id === args.customId) ?? (args.unchecked ? { type: 2, custom_id: args.customId } : undefined);
    if (!comp) throw new Error(`fake Discord: message ${m.id} has no component "${args.customId}" (has: ${all.map((c) => c.custom_id).filter(Boolean).join(", ") || "none"})`);
    if (comp.disabled) throw new Error(`fake Discord: component "${args.customId}" is disabled`);
    const i = this.register(3, user, g, undefined, { componentMessageId: m.id });
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

  /** A member posts a plain text message in a guild's channel (as the Discord client sends it: no allowed_mentions). */
  userMessage(args: { content: string; user?: FakeUser; guild?: number }): FakeMessage {
    const g = this.guild(args.guild, "userMessage()");
    const user = args.user ?? this.state.world.users.requester;
    if (args.content.length === 0 || args.content.length > MAX_CONTENT) {
      throw new Error(`fake Discord: userMessage: content must be 1..${MAX_CONTENT} characters`);
    }
    const m = this.state.newMessage(g.channelId, user, { content: args.content, editHistory: [args.content] });
    m.mentions = mentionsOf(this.state, m, undefined);
    this.state.addMessage(m);
    announce(this.state, "create", m);
    return m;
  }
}

function collect(components: unknown[]): Json[] {
  const out: Json[] = [];
  const walk = (list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const c of list as Json[]) {
      out.push(c);
      walk(c.components);
      if (c.accessory) walk([c.accessory]);
    }
  };
  walk(components);
  return out;
}

function checkValue(def: Json, value: unknown, where: string): void {
  const bad = (why: string) => {
    throw new Error(`fake Discord: ${where}: ${why} (Discord's client would not let a user send this)`);
  };
  if (def.type === 3) {
    if (typeof value !== "string") bad("must be a string");
    const s = value as string;
    if (def.min_length !== undefined && s.length < def.min_length) bad(`shorter than min_length ${def.min_length}`);
    if (s.length > (def.max_length ?? 6000)) bad(`longer than max_length ${def.max_length ?? 6000}`);
  }
  if (def.type === 4 && !Number.isInteger(value)) bad("must be an integer");
  if (def.type === 10 && typeof value !== "number") bad("must be a number");
  if (def.type === 5 && typeof value !== "boolean") bad("must be a boolean");
  if ((def.type === 4 || def.type === 10) && typeof value === "number") {
    if (def.min_value !== undefined && value < def.min_value) bad(`below min_value ${def.min_value}`);
    if (def.max_value !== undefined && value > def.max_value) bad(`above max_value ${def.max_value}`);
  }
  if (Array.isArray(def.choices) && def.choices.length && !def.choices.some((c: Json) => c.value === value)) {
    bad(`not one of the choices ${JSON.stringify(def.choices.map((c: Json) => c.value))}`);
  }
}
