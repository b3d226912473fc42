// Proves the fake Discord against the real, unmodified discord.js Client over loopback.
import { readFileSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  ActionRowBuilder,
  ApplicationCommandType,
  ButtonBuilder,
  ButtonStyle,
  ChannelType,
  Client,
  ContainerBuilder,
  ContextMenuCommandBuilder,
  DiscordAPIError,
  Events,
  FileBuilder,
  GatewayIntentBits,
  LabelBuilder,
  MessageFlags,
  ModalBuilder,
  Partials,
  PermissionFlagsBits,
  REST,
  Routes,
  SlashCommandBuilder,
  StringSelectMenuBuilder,
  TextDisplayBuilder,
  TextInputBuilder,
  TextInputStyle,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type MessageContextMenuCommandInteraction,
  type ModalSubmitInteraction,
  type TextChannel,
  type ThreadChannel,
} from "discord.js";
import { WebSocket } from "ws";
import {
  DEFAULT_ATTACHMENT_SIZE_LIMIT,
  INVITE_PERMISSIONS,
  P,
  snowflake,
  startFakeDiscord,
  type FakeDiscord,
  type FakeDiscordOptions,
  type DiscordFaultRequest,
  type PingSet,
} from "./discord/index.js";
import { SpecValidator } from "./discord/validation.js";

// 1x1 PNG
const PNG = Buffer.from(
  "89504e470d0a1a0a0000000d4948445200000001000000010806000000" + "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
  "hex",
);
// Enough of an MP4 (ftyp box) for discord.js to sniff video/mp4.
const MP4 = Buffer.concat([Buffer.from("0000001c667479706973736f6d0000020069736f6d69736f326d703431", "hex"), Buffer.alloc(64, 7)]);

const clients: Client[] = [];

async function connect(fake: FakeDiscord): Promise<Client> {
  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User],
    rest: { api: fake.apiUrl },
  });
  clients.push(client);
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(fake.token);
  await ready;
  await fake.ready();
  return client;
}

/** Resolves with the next chat-input interaction (handler errors are surfaced to the test). */
function nextCommand(client: Client, handler: (i: ChatInputCommandInteraction) => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    const on = (i: Interaction) => {
      if (!i.isChatInputCommand()) return;
      client.off(Events.InteractionCreate, on);
      handler(i).then(resolve, reject);
    };
    client.on(Events.InteractionCreate, on);
  });
}

let fake: FakeDiscord;

beforeAll(async () => {
  // Short buckets and a 1 MiB upload limit keep this file fast (the defaults are 5/5 s and 20 MiB).
  fake = await startFakeDiscord({ rateLimit: { limit: 5, windowMs: 100 }, defaultAttachmentSizeLimit: 1024 * 1024 });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.destroy()));
});
afterAll(async () => {
  if (process.env.FAKE_DISCORD_DUMP) for (const r of fake.requests) console.log(r.method, r.path, r.status, JSON.stringify(r.json ?? "").slice(0, 160));
  await fake?.close();
});

describe("fake Discord vs discord.js 14", () => {
  it("registers commands, runs a slash command with an attachment: defer, edit, follow-up", async () => {
    const client = await connect(fake);
    const video = new SlashCommandBuilder()
      .setName("video").setDescription("Make a video")
      .addAttachmentOption((o) => o.setName("image").setDescription("Picture").setRequired(true))
      .addStringOption((o) => o.setName("prompt").setDescription("Prompt").setRequired(true).setMaxLength(500));
    const quota = new SlashCommandBuilder().setName("quota").setDescription("Quotas").setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild);
    await client.rest.put(Routes.applicationGuildCommands(fake.applicationId, fake.guildId), { body: [video.toJSON(), quota.toJSON()] });
    expect(fake.commands({ guildId: fake.guildId }).map((c) => (c as { name: string }).name)).toEqual(["video", "quota"]);

    const att = fake.addAttachment(PNG, "cat.png", "image/png", { width: 1, height: 1 });
    let downloaded: Buffer | undefined;
    const handled = nextCommand(client, async (i) => {
      const image = i.options.getAttachment("image", true);
      expect(image.contentType).toBe("image/png");
      expect(i.attachmentSizeLimit).toBe(1024 * 1024);
      expect(i.channel?.id).toBe(fake.channelId);
      await i.deferReply();
      downloaded = Buffer.from(await (await fetch(image.url)).arrayBuffer());
      await i.editReply({ content: `Working on "${i.options.getString("prompt", true)}"` });
      await i.editReply({ content: "Done" });
      const f = await i.followUp({ content: "Only you can see this", flags: MessageFlags.Ephemeral });
      expect(f.flags.has(MessageFlags.Ephemeral)).toBe(true);
    });
    const { id } = await fake.slashCommand({ name: "video", options: [{ name: "image", type: 11, value: att.id }, { name: "prompt", type: 3, value: "a cat" }] });
    await handled;

    expect(downloaded?.equals(PNG)).toBe(true);
    const msgs = fake.messages().filter((m) => m.interactionId === id);
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.editHistory).toEqual(["", 'Working on "a cat"', "Done"]);
    expect(msgs[0]!.author.id).toBe(fake.botUserId);
    expect(msgs[1]!.flags & 64).toBe(64);
    // Ephemeral messages are not visible through channel routes, like on Discord.
    await expect(client.rest.get(Routes.channelMessage(fake.channelId, msgs[1]!.id))).rejects.toMatchObject({ code: 10008 });
    await expect(fake.slashCommand({ name: "video", options: [{ name: "prompt", type: 3, value: "x" }] })).rejects.toThrow(/requires option "image"/);
    expect(fake.rejections).toEqual([]);
  });

  it("uploads files through client.rest multipart; bytes are stored and served by the CDN", async () => {
    const client = await connect(fake);
    const sent = (await client.rest.post(Routes.channelMessages(fake.channelId), {
      body: { content: "here is your video" },
      files: [{ name: "a.mp4", data: MP4 }],
    })) as { id: string; attachments: Array<{ url: string; content_type: string; size: number }> };
    const stored = fake.messages().find((m) => m.id === sent.id)!;
    expect(stored.attachments[0]!.bytes.equals(MP4)).toBe(true);
    expect(sent.attachments[0]).toMatchObject({ content_type: "video/mp4", size: MP4.length });
    const cdn = await fetch(sent.attachments[0]!.url);
    expect(cdn.headers.get("content-type")).toBe("video/mp4");
    expect(Buffer.from(await cdn.arrayBuffer()).equals(MP4)).toBe(true);
    const upload = fake.requests.find((r) => r.method === "POST" && r.path === `/channels/${fake.channelId}/messages` && r.files?.length);
    expect(upload?.files?.[0]).toMatchObject({ field: "files[0]", filename: "a.mp4", contentType: "video/mp4" });

    // The cached channel path (channel.send) works as well, with buttons.
    const channel = await client.channels.fetch(fake.channelId);
    if (!channel?.isSendable()) throw new Error("channel not sendable");
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setCustomId("regen:1").setLabel("Regenerate").setStyle(ButtonStyle.Secondary));
    const msg = await channel.send({ content: "result", files: [{ attachment: PNG, name: "b.png" }], components: [row] });
    expect(msg.attachments.first()?.name).toBe("b.png");
    await msg.edit({ content: "result (edited)" });
    expect(fake.messages().find((m) => m.id === msg.id)?.editHistory).toEqual(["result", "result (edited)"]);

    const clicked = new Promise<string>((resolve) => client.once(Events.InteractionCreate, (i) => {
      if (i.isButton()) void i.deferUpdate().then(() => resolve(i.customId));
    }));
    await fake.clickButton({ messageId: msg.id, customId: "regen:1" });
    expect(await clicked).toBe("regen:1");
    expect(fake.rejections).toEqual([]);
  });

  it("rejects what Discord would reject with 50035 Invalid Form Body", async () => {
    const client = await connect(fake);
    const route = Routes.channelMessages(fake.channelId);
    const tooLong = await client.rest.post(route, { body: { content: "x".repeat(2001) } }).catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(DiscordAPIError);
    expect(tooLong).toMatchObject({ code: 50035, status: 400 });
    expect((tooLong as DiscordAPIError).rawError).toMatchObject({ errors: { content: { _errors: [{ code: "BASE_TYPE_MAX_LENGTH" }] } } });

    const badEmbed = await client.rest.post(route, { body: { embeds: [{ title: 123 }] } }).catch((e: unknown) => e);
    expect(badEmbed).toMatchObject({ code: 50035, rawError: { errors: { embeds: { 0: { title: { _errors: [{ code: "BASE_TYPE_STRING" }] } } } } } });
    await expect(client.rest.post(route, { body: { content: "" } })).rejects.toMatchObject({ code: 50006 });
    await expect(client.rest.post(route, { body: { content: "x" }, files: [{ name: "big.bin", data: Buffer.alloc(1024 * 1024 + 1) }] })).rejects.toMatchObject({ code: 40005, status: 413 });

    expect(fake.rejections.map((r) => r.code)).toEqual([50035, 50035, 50006, 40005]);
    fake.rejections.length = 0;
  });

  it("enforces Discord's plain limits on components, mentions, attachments and the gateway transport", async () => {
    const client = await connect(fake);
    const route = Routes.channelMessages(fake.channelId);
    const row = (id: string) => ({ type: 1, components: [{ type: 2, style: 1, custom_id: id, label: "x" }] });
    const cases: Array<[unknown, Record<string, unknown>, RegExp]> = [
      [{ content: "x", components: ["a", "b", "c", "d", "e", "f"].map(row) }, {}, /BASE_TYPE_MAX_LENGTH/],
      [{ content: "x", components: [row("same"), row("same")] }, {}, /COMPONENT_CUSTOM_ID_DUPLICATED/],
      [{ content: "x", allowed_mentions: { parse: ["users"], users: [fake.users.admin.id] } }, {}, /ALLOWED_MENTIONS_PARSE_EXCLUSIVE/],
      [{ content: "x", attachments: [{ id: "1" }] }, { files: [{ name: "a.txt", data: Buffer.from("a") }] }, /ATTACHMENT_NOT_FOUND/],
    ];
    for (const [body, extra, code] of cases) {
      const err = await client.rest.post(route, { body, ...extra }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 50035 });
      expect(JSON.stringify((err as DiscordAPIError).rawError)).toMatch(code);
    }
    expect(fake.rejections).toHaveLength(cases.length);
    fake.rejections.length = 0;

    const ws = new WebSocket(`${fake.apiUrl.replace("http", "ws").replace("/api", "/gateway")}?v=10&encoding=json&compress=zlib-stream`);
    const code = await new Promise<number>((resolve) => ws.on("close", (c) => resolve(c)));
    expect(code).toBe(4012);
    expect(fake.rejections.map((r) => r.code)).toEqual([4012]);
    fake.rejections.length = 0;
  });

  it("honours nonce + enforce_nonce: a repeated create returns the original message", async () => {
    const client = await connect(fake);
    const body = { content: "once", nonce: "job-42", enforce_nonce: true };
    const a = (await client.rest.post(Routes.channelMessages(fake.channelId), { body })) as { id: string };
    const b = (await client.rest.post(Routes.channelMessages(fake.channelId), { body })) as { id: string };
    expect(b.id).toBe(a.id);
    expect(fake.messages().filter((m) => m.nonce === "job-42")).toHaveLength(1);
  });

  it("emits messageReactionAdd for an uncached message (partials)", async () => {
    const client = await connect(fake);
    const posted = (await client.rest.post(Routes.channelMessages(fake.channelId), { body: { content: "react to me" } })) as { id: string };
    const got = new Promise<{ partial: boolean; emoji: string | null; user: string }>((resolve) =>
      client.on(Events.MessageReactionAdd, (reaction, user) => {
        if (user.id !== fake.botUserId) resolve({ partial: reaction.message.partial, emoji: reaction.emoji.name, user: user.id });
      }),
    );
    await fake.react({ messageId: posted.id, emoji: "🔁" });
    expect(await got).toEqual({ partial: true, emoji: "🔁", user: fake.users.requester.id });
    expect(fake.reactions(posted.id)).toEqual([{ emoji: "🔁", userId: fake.users.requester.id }]);
  });

  it("expired interaction tokens answer 50027; late and double acks answer 10062 / 40060", async () => {
    const client = await connect(fake);
    const handled = nextCommand(client, async (i) => {
      await i.deferReply();
      // discord.js refuses a second reply itself, so send the second ack on the wire directly.
      const again = await fetch(`${fake.apiUrl}/v10/interactions/${i.id}/${i.token}/callback`, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ type: 4, data: { content: "again" } }),
      });
      expect(again.status).toBe(400);
      expect(await again.json()).toMatchObject({ code: 40060 });
      fake.setInteractionTokenTtl(1);
      await new Promise((r) => setTimeout(r, 20));
      await expect(i.editReply({ content: "too late" })).rejects.toMatchObject({ code: 50027, status: 401 });
    });
    try {
      await fake.slashCommand({ name: "quota", options: [], user: fake.users.admin });
      await handled;
    } finally {
      fake.setInteractionTokenTtl(15 * 60_000);
    }

    const lateFake = await startFakeDiscord({ ackDeadlineMs: 30 });
    try {
      const late = await connect(lateFake);
      const lateHandled = nextCommand(late, async (i) => {
        expect(i.memberPermissions?.has(PermissionFlagsBits.ManageGuild)).toBe(false);
        await new Promise((r) => setTimeout(r, 60));
        await expect(i.deferReply()).rejects.toMatchObject({ code: 10062 });
      });
      await lateFake.slashCommand({ name: "anything", options: [] });
      await lateHandled;
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.destroy()));
      await lateFake.close();
    }
  });

  it("retries a 429 transparently and enforces its own buckets", async () => {
    const client = await connect(fake);
    fake.failNext({ method: "PATCH", path: /\/messages\/@original$/ }, { status: 429, body: { message: "You are being rate limited.", retry_after: 0.15, global: false }, headers: { "Retry-After": "0.15" } });
    const before = fake.rateLimited;
    const handled = nextCommand(client, async (i) => {
      await i.deferReply();
      await i.editReply({ content: "progress 1" });
    });
    const { id } = await fake.slashCommand({ name: "video", options: [{ name: "image", type: 11, value: fake.addAttachment(PNG, "x.png", "image/png").id }, { name: "prompt", type: 3, value: "p" }] });
    await handled;
    expect(fake.rateLimited).toBe(before + 1);
    const edits = fake.requests.filter((r) => r.method === "PATCH" && r.path.endsWith("/messages/@original"));
    expect(edits.slice(-2).map((r) => r.status)).toEqual([429, 200]);
    expect(fake.messages().find((m) => m.interactionId === id)?.content).toBe("progress 1");

    const limited = await startFakeDiscord({ rateLimit: { limit: 1, windowMs: 300 } });
    try {
      const url = `${limited.apiUrl}/v10/channels/${limited.channelId}/messages`;
      const post = () => fetch(url, { method: "POST", headers: { Authorization: `Bot ${limited.token}`, "Content-Type": "application/json" }, body: JSON.stringify({ content: "hi" }) });
      const first = await post();
      expect(first.headers.get("x-ratelimit-remaining")).toBe("0");
      const second = await post();
      expect(second.status).toBe(429);
      expect(Number(second.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(await second.json()).toMatchObject({ global: false, retry_after: expect.any(Number) });
      expect(limited.rateLimited).toBe(1);
      const noAuth = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
      expect(noAuth.status).toBe(401);
    } finally {
      await limited.close();
    }
  });

  it("resumes after a gateway disconnect and serves a restarted client", async () => {
    const client = await connect(fake);
    const resumed = new Promise<void>((resolve) => client.once(Events.ShardResume, () => resolve()));
    fake.disconnectGateway(4000);
    await resumed;
    const posted = (await client.rest.post(Routes.channelMessages(fake.channelId), { body: { content: "after resume" } })) as { id: string };
    await client.destroy();

    const restarted = await connect(fake);
    const got = new Promise<string>((resolve) => restarted.once(Events.MessageReactionAdd, (r) => resolve(r.message.id)));
    await fake.react({ messageId: posted.id, emoji: "👍", user: fake.users.stranger });
    expect(await got).toBe(posted.id);
    expect(fake.connectedSessions()).toBe(1);
  });
});

/** The message JSON the fake answers with (the fields these tests read). */
interface Msg {
  id: string;
  mentions: Array<{ id: string }>;
  mention_roles: string[];
  mention_everyone: boolean;
  attachments: Array<{ size: number }>;
}

const pingsOf = (m: Msg): PingSet => ({ users: m.mentions.map((u) => u.id), roles: m.mention_roles, everyone: m.mention_everyone });
const NONE: PingSet = { users: [], roles: [], everyone: false };
const JSON_HEADERS = { "Content-Type": "application/json" };

/** A fake of its own (for other permissions or limits), closed with its clients afterwards. */
async function withFake(opts: FakeDiscordOptions, fn: (f: FakeDiscord) => Promise<void>): Promise<void> {
  const f = await startFakeDiscord({ rateLimit: false, ...opts });
  try {
    await fn(f);
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.destroy()));
    await f.close();
  }
}

const restFor = (f: FakeDiscord) => new REST({ api: f.apiUrl }).setToken(f.token);
const withoutPermission = (p: bigint): FakeDiscordOptions => ({ botPermissions: (INVITE_PERMISSIONS & ~p).toString() });
const missing = { code: 50013, status: 403 };

describe("fake Discord is as strict as Discord: mentions, permissions, upload limit", () => {
  it("computes whom a channel message pings from content and allowed_mentions", async () => {
    const client = await connect(fake);
    const { requester, stranger, admin } = fake.users;
    const { pingable, admin: adminRole } = fake.roles;
    const route = Routes.channelMessages(fake.channelId);
    const content = `@everyone @here <@&${pingable}> <@&${adminRole}> <@${requester.id}> <@!${stranger.id}>`;
    const cases: Array<[Record<string, unknown>, PingSet]> = [
      // No allowed_mentions: every user, a role only when mentionable, @everyone only with MENTION_EVERYONE.
      [{}, { users: [requester.id, stranger.id], roles: [pingable], everyone: false }],
      // Listed ids ping only when the content mentions them too (no phantom ping of admin).
      [{ allowed_mentions: { parse: [], users: [requester.id, admin.id] } }, { users: [requester.id], roles: [], everyone: false }],
      [{ allowed_mentions: { parse: ["users"] } }, { users: [requester.id, stranger.id], roles: [], everyone: false }],
      [{ allowed_mentions: { parse: ["roles", "everyone"] } }, { users: [], roles: [pingable], everyone: false }],
      [{ allowed_mentions: { roles: [adminRole, pingable] } }, { users: [], roles: [pingable], everyone: false }],
      [{ allowed_mentions: {} }, NONE],
    ];
    for (const [extra, want] of cases) {
      const sent = (await client.rest.post(route, { body: { content, ...extra } })) as Msg;
      const label = JSON.stringify(extra);
      expect(pingsOf(sent), label).toEqual(want);
      expect(fake.message(sent.id)!.mentions, label).toEqual(want);
      expect(fake.requests.find((r) => (r.response as Msg | undefined)?.id === sent.id)?.mentions, label).toEqual(want);
    }
    expect(fake.pings().slice(-cases.length).map((p) => p.mentions)).toEqual(cases.map(([, want]) => want));

    // discord.js reads the same from the message it gets back.
    const channel = await client.channels.fetch(fake.channelId);
    if (!channel?.isSendable()) throw new Error("channel not sendable");
    const msg = await channel.send({ content, allowedMentions: { users: [stranger.id], roles: [pingable, adminRole] } });
    expect([...msg.mentions.users.keys()]).toEqual([stranger.id]);
    expect([...msg.mentions.roles.keys()]).toEqual([pingable]);
    expect(msg.mentions.everyone).toBe(false);
    expect(fake.rejections).toEqual([]);
  });

  it("pings @everyone/@here and roles that are not mentionable only with MENTION_EVERYONE", async () => {
    await withFake({ botPermissions: (INVITE_PERMISSIONS | P.MENTION_EVERYONE).toString() }, async (f) => {
      const rest = restFor(f);
      const route = Routes.channelMessages(f.channelId);
      const content = `@here <@&${f.roles.admin}> <@${f.users.admin.id}>`;
      const post = async (extra: Record<string, unknown> = {}) => pingsOf((await rest.post(route, { body: { content, ...extra } })) as Msg);
      expect(await post()).toEqual({ users: [f.users.admin.id], roles: [f.roles.admin], everyone: true });
      expect(await post({ allowed_mentions: { parse: ["users"] } })).toEqual({ users: [f.users.admin.id], roles: [], everyone: false });
      expect(await post({ allowed_mentions: { parse: ["everyone"], roles: [f.roles.admin] } })).toEqual({ users: [], roles: [f.roles.admin], everyone: true });
      expect(f.pings().map((p) => p.mentions.everyone)).toEqual([true, false, true]);
      expect(f.rejections).toEqual([]);
    });
  });

  it("rejects allowed_mentions that Discord rejects, on channel, callback, follow-up and edit routes", async () => {
    const client = await connect(fake);
    const { requester } = fake.users;
    const route = Routes.channelMessages(fake.channelId);
    const bad = [
      { parse: ["users"], users: [requester.id] },
      { parse: ["roles"], roles: [fake.roles.pingable] },
      { parse: [], users: Array.from({ length: 101 }, (_, n) => snowflake(Date.UTC(2022, 0, 1) + n)) },
    ];
    for (const allowed_mentions of bad) {
      await expect(client.rest.post(route, { body: { content: "x", allowed_mentions } })).rejects.toMatchObject({ code: 50035, status: 400 });
    }
    const handled = nextCommand(client, async (i) => {
      const cb = await fetch(`${fake.apiUrl}/v10/interactions/${i.id}/${i.token}/callback`, {
        method: "POST", headers: JSON_HEADERS, body: JSON.stringify({ type: 4, data: { content: "x", allowed_mentions: bad[0] } }),
      });
      expect(cb.status).toBe(400);
      expect(await cb.json()).toMatchObject({ code: 50035, errors: { data: { allowed_mentions: { users: { _errors: [{ code: "ALLOWED_MENTIONS_PARSE_EXCLUSIVE" }] } } } } });
      await i.reply({ content: "ok" });
      await expect(i.followUp({ content: "x", allowedMentions: { parse: ["roles"], roles: [fake.roles.pingable] } })).rejects.toMatchObject({ code: 50035 });
      await expect(i.editReply({ content: "x", allowedMentions: { parse: ["users"], users: [requester.id] } })).rejects.toMatchObject({ code: 50035 });
    });
    await fake.slashCommand({ name: "anything", options: [] });
    await handled;
    expect(fake.rejections.map((r) => r.code)).toEqual([50035, 50035, 50035, 50035, 50035, 50035]);
    fake.rejections.length = 0;
  });

  it("records the pings of interaction responses, follow-ups and edits; an edit without allowed_mentions uses the defaults", async () => {
    const client = await connect(fake);
    const { requester, stranger } = fake.users;
    const { pingable } = fake.roles;
    const before = fake.pings().length;
    const handled = nextCommand(client, async (i) => {
      await i.reply({ content: `<@${requester.id}> <@${stranger.id}>`, allowedMentions: { users: [requester.id] } });
      // As Discord documents for edits: no allowed_mentions in the edit means the default allowances,
      // not the allowed_mentions the message was created with.
      await i.editReply({ content: `<@${stranger.id}> edited` });
      await i.editReply({ content: `<@${stranger.id}> again`, allowedMentions: { parse: [] } });
      await i.editReply({ components: [] }); // content untouched: mentions unchanged
      await i.followUp({ content: `@everyone <@${stranger.id}>`, flags: MessageFlags.Ephemeral });
    });
    const { id } = await fake.slashCommand({ name: "anything", options: [] });
    await handled;
    const route = (path: string) => (path.endsWith("/callback") ? "callback" : path.endsWith("/@original") ? "@original" : "follow-up");
    expect(fake.pings().slice(before).map((p) => [p.request.method, route(p.request.path), p.kind, p.mentions, p.ephemeral])).toEqual([
      ["POST", "callback", "create", { users: [requester.id], roles: [], everyone: false }, false],
      ["PATCH", "@original", "edit", { users: [stranger.id], roles: [], everyone: false }, false],
      ["PATCH", "@original", "edit", NONE, false],
      ["PATCH", "@original", "edit", NONE, false],
      ["POST", "follow-up", "create", { users: [stranger.id], roles: [], everyone: false }, true],
    ]);
    expect(fake.messages().find((m) => m.interactionId === id && !(m.flags & 64))!.mentions).toEqual(NONE);

    // Deferred (callback 5, nothing to ping yet); the first follow-up replaces the "thinking" message.
    const deferredAt = fake.pings().length;
    const deferred = nextCommand(client, async (i) => {
      await i.deferReply();
      await i.followUp({ content: `<@${requester.id}> done` });
    });
    await fake.slashCommand({ name: "anything", options: [] });
    await deferred;
    expect(fake.pings().slice(deferredAt).map((p) => [route(p.request.path), p.kind, p.mentions])).toEqual([
      ["callback", "create", NONE],
      ["follow-up", "edit", { users: [requester.id], roles: [], everyone: false }],
    ]);

    // A button's update (callback type 7) edits the message the button is on.
    const row = { type: 1, components: [{ type: 2, style: 2, custom_id: "pick:1", label: "Pick" }] };
    const posted = (await client.rest.post(Routes.channelMessages(fake.channelId), { body: { content: "pick", components: [row] } })) as Msg;
    const updated = new Promise<void>((resolve, reject) =>
      client.once(Events.InteractionCreate, (i) => {
        if (i.isButton()) i.update({ content: `<@${stranger.id}> <@&${pingable}>`, allowedMentions: { parse: ["users"] } }).then(() => resolve(), reject);
      }),
    );
    await fake.clickButton({ messageId: posted.id, customId: "pick:1" });
    await updated;
    const last = fake.pings().at(-1)!;
    expect(last.request.path).toMatch(/\/callback$/);
    expect(last.messageId).toBe(posted.id);
    expect(last.kind).toBe("edit");
    expect(last.mentions).toEqual({ users: [stranger.id], roles: [], everyone: false });
    expect(fake.message(posted.id)!.mentions).toEqual(last.mentions);
    // The channel-route edit follows the same rule.
    const edited = (await client.rest.patch(Routes.channelMessage(fake.channelId, posted.id), { body: { content: `<@&${pingable}> later` } })) as Msg;
    expect(pingsOf(edited)).toEqual({ users: [], roles: [pingable], everyone: false });
    expect(fake.pings().at(-1)!.mentions).toEqual(pingsOf(edited));
    expect(fake.rejections).toEqual([]);
  });

  it("pings the author of the replied-to message only when allowed_mentions lets it (replied_user)", async () => {
    const client = await connect(fake);
    const { stranger } = fake.users;
    const theirs = fake.userMessage({ content: `hey <@${fake.botUserId}>, make me a video`, user: stranger });
    expect(theirs.mentions).toEqual({ users: [fake.botUserId], roles: [], everyone: false });
    const route = Routes.channelMessages(fake.channelId);
    const reply = async (allowed?: unknown) =>
      pingsOf((await client.rest.post(route, { body: { content: "on it", message_reference: { message_id: theirs.id }, ...(allowed ? { allowed_mentions: allowed } : {}) } })) as Msg);
    expect(await reply()).toEqual({ users: [stranger.id], roles: [], everyone: false }); // no allowed_mentions: Discord pings
    expect(await reply({ parse: ["users"] })).toEqual(NONE); // replied_user defaults to false
    expect(await reply({ parse: [], replied_user: true })).toEqual({ users: [stranger.id], roles: [], everyone: false });

    const channel = await client.channels.fetch(fake.channelId);
    if (!channel?.isTextBased()) throw new Error("not a text channel");
    const original = await channel.messages.fetch(theirs.id);
    expect((await original.reply({ content: "quietly", allowedMentions: { repliedUser: false } })).mentions.users.size).toBe(0);
    expect([...(await original.reply({ content: "loudly" })).mentions.users.keys()]).toEqual([stranger.id]);
    expect(fake.rejections).toEqual([]);
  });

  it("gives the bot exactly the invite's permissions (274878024768) while members keep theirs", async () => {
    expect(INVITE_PERMISSIONS).toBe(274878024768n);
    // the same integer as the README's invite link, so the two cannot drift apart
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    expect([...readme.matchAll(/permissions=(\d+)/g)].map((m) => BigInt(m[1]!))).toEqual([INVITE_PERMISSIONS]);
    const client = await connect(fake);
    const channel = await client.channels.fetch(fake.channelId);
    if (!channel || !("permissionsFor" in channel)) throw new Error("not a guild channel");
    expect(channel.permissionsFor(client.user!)!.bitfield).toBe(274878024768n);
    expect(channel.guild.members.cache.get(fake.users.admin.id)!.permissions.has(PermissionFlagsBits.ManageGuild)).toBe(true);
    const handled = nextCommand(client, async (i) => {
      expect(i.appPermissions.bitfield).toBe(274878024768n);
      expect(i.memberPermissions!.has(PermissionFlagsBits.UseApplicationCommands)).toBe(true);
      expect(i.memberPermissions!.has(PermissionFlagsBits.ManageGuild)).toBe(false);
      await i.reply({ content: "ok" });
    });
    await fake.slashCommand({ name: "anything", options: [] });
    await handled;
  });

  it("needs MANAGE_MESSAGES to remove a member's reaction, delete a member's message or change its flags", async () => {
    for (const granted of [false, true]) {
      await withFake({ botPermissions: (INVITE_PERMISSIONS | (granted ? P.MANAGE_MESSAGES : 0n)).toString() }, async (f) => {
        const client = await connect(f);
        const { stranger } = f.users;
        const mine = (await client.rest.post(Routes.channelMessages(f.channelId), { body: { content: "result" } })) as Msg;
        const emoji = encodeURIComponent("🔁");
        await f.react({ messageId: mine.id, emoji: "🔁", user: stranger });
        await client.rest.put(Routes.channelMessageOwnReaction(f.channelId, mine.id, emoji));
        await client.rest.delete(Routes.channelMessageOwnReaction(f.channelId, mine.id, emoji)); // its own: always
        const theirs = f.userMessage({ content: "https://example.com", user: stranger });
        const attempts = [
          () => client.rest.delete(Routes.channelMessageUserReaction(f.channelId, mine.id, emoji, stranger.id)),
          () => client.rest.patch(Routes.channelMessage(f.channelId, theirs.id), { body: { flags: MessageFlags.SuppressEmbeds } }),
          () => client.rest.delete(Routes.channelMessage(f.channelId, theirs.id)),
        ];
        for (const attempt of attempts) {
          if (granted) await attempt();
          else await expect(attempt()).rejects.toMatchObject(missing);
        }
        expect(f.reactions(mine.id)).toEqual(granted ? [] : [{ emoji: "🔁", userId: stranger.id }]);
        expect(f.message(theirs.id)!.deleted ?? false).toBe(granted);
        expect(f.message(theirs.id)!.flags).toBe(granted ? MessageFlags.SuppressEmbeds : 0);
        await client.rest.delete(Routes.channelMessage(f.channelId, mine.id)); // its own message: always
        expect(f.rejections.map((r) => r.code)).toEqual(granted ? [] : [50013, 50013, 50013]);
      });
    }
  });

  it("checks ADD_REACTIONS, READ_MESSAGE_HISTORY, ATTACH_FILES and EMBED_LINKS like Discord", async () => {
    // ADD_REACTIONS: only for an emoji nobody has reacted with yet.
    await withFake(withoutPermission(P.ADD_REACTIONS), async (f) => {
      const client = await connect(f);
      const m = (await client.rest.post(Routes.channelMessages(f.channelId), { body: { content: "react" } })) as Msg;
      const own = Routes.channelMessageOwnReaction(f.channelId, m.id, encodeURIComponent("🔁"));
      await expect(client.rest.put(own)).rejects.toMatchObject(missing);
      await f.react({ messageId: m.id, emoji: "🔁" });
      await client.rest.put(own);
      expect(f.reactions(m.id).map((r) => r.userId)).toEqual([f.users.requester.id, f.botUserId]);
      expect(f.rejections.map((r) => r.code)).toEqual([50013]);
    });
    // READ_MESSAGE_HISTORY: reactions, replies and reading messages; the history reads as empty.
    await withFake(withoutPermission(P.READ_MESSAGE_HISTORY), async (f) => {
      const rest = restFor(f);
      const route = Routes.channelMessages(f.channelId);
      const m = (await rest.post(route, { body: { content: "hello" } })) as Msg;
      await expect(rest.put(Routes.channelMessageOwnReaction(f.channelId, m.id, encodeURIComponent("🔁")))).rejects.toMatchObject(missing);
      await expect(rest.post(route, { body: { content: "re", message_reference: { message_id: m.id } } })).rejects.toMatchObject(missing);
      await expect(rest.get(Routes.channelMessage(f.channelId, m.id))).rejects.toMatchObject(missing);
      await expect(rest.get(Routes.channelMessageReaction(f.channelId, m.id, encodeURIComponent("🔁")))).rejects.toMatchObject(missing);
      expect(await rest.get(route)).toEqual([]);
      expect(f.rejections.map((r) => r.code)).toEqual([50013, 50013, 50013, 50013]);
    });
    // ATTACH_FILES and EMBED_LINKS, on create and on edit; interaction responses need neither.
    await withFake(withoutPermission(P.ATTACH_FILES | P.EMBED_LINKS), async (f) => {
      const client = await connect(f);
      const route = Routes.channelMessages(f.channelId);
      const m = (await client.rest.post(route, { body: { content: "text only" } })) as Msg;
      const files = [{ name: "a.png", data: PNG }];
      await expect(client.rest.post(route, { body: { content: "file" }, files })).rejects.toMatchObject(missing);
      await expect(client.rest.patch(Routes.channelMessage(f.channelId, m.id), { body: { content: "file" }, files })).rejects.toMatchObject(missing);
      await expect(client.rest.post(route, { body: { embeds: [{ title: "t" }] } })).rejects.toMatchObject(missing);
      await expect(client.rest.patch(Routes.channelMessage(f.channelId, m.id), { body: { embeds: [{ title: "t" }] } })).rejects.toMatchObject(missing);
      expect(f.rejections.map((r) => r.code)).toEqual([50013, 50013, 50013, 50013]);
      const handled = nextCommand(client, async (i) => {
        await i.reply({ content: "file", files: [{ attachment: PNG, name: "b.png" }], embeds: [{ title: "t" }] });
      });
      await f.slashCommand({ name: "anything", options: [] });
      await handled;
      expect(f.rejections).toHaveLength(4);
    });
  });

  it("allows 20 MiB per file by default (Discord since 2026-09-03) and 25 MiB per request", async () => {
    const MiB = 1024 * 1024;
    expect(DEFAULT_ATTACHMENT_SIZE_LIMIT).toBe(20 * MiB);
    await withFake({}, async (f) => {
      const client = await connect(f);
      let limit: number | undefined;
      const handled = nextCommand(client, async (i) => {
        limit = i.attachmentSizeLimit;
        await i.reply({ content: "ok" });
      });
      await f.slashCommand({ name: "anything", options: [] });
      await handled;
      expect(limit).toBe(20971520);

      const route = Routes.channelMessages(f.channelId);
      const sent = (await client.rest.post(route, { body: { content: "big" }, files: [{ name: "a.bin", data: Buffer.alloc(20 * MiB) }] })) as Msg;
      expect(sent.attachments[0]!.size).toBe(20 * MiB);
      await expect(client.rest.post(route, { body: { content: "x" }, files: [{ name: "b.bin", data: Buffer.alloc(20 * MiB + 1) }] })).rejects.toMatchObject({ code: 40005, status: 413 });
      const twoFiles = [{ name: "c.bin", data: Buffer.alloc(13 * MiB) }, { name: "d.bin", data: Buffer.alloc(13 * MiB) }];
      await expect(client.rest.post(route, { body: { content: "x" }, files: twoFiles })).rejects.toMatchObject({ code: 40005, status: 413 });
      expect(f.rejections.map((r) => r.code)).toEqual([40005, 40005]);
    });
  }, 60_000);
});

describe("fake Discord with several shards (one guild per shard)", () => {
  /** Fails fast (instead of at the test timeout) when the fake does not do what is awaited. */
  const within = <T>(p: Promise<T>, what: string, ms = 5000): Promise<T> =>
    Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms).unref())]);
  /** A client running only `shards` of `shardCount` (both passed: discord.js else reads SHARD_COUNT from the env). */
  async function connectShards(f: FakeDiscord, shards: number[], shardCount: number, seen: Array<{ t: string; d: any }>): Promise<Client> {
    const client = new Client({
      intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.GuildMessageReactions],
      partials: [Partials.Message, Partials.Reaction, Partials.User],
      rest: { api: f.apiUrl },
      shards,
      shardCount,
    });
    clients.push(client);
    client.on(Events.Raw, (p: { t: string; d: any }) => void seen.push({ t: p.t, d: p.d }));
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    await within(client.login(f.token).then(() => ready), `shards ${JSON.stringify(shards)} of ${shardCount} ready`);
    return client;
  }
  /** The guild ids a client was sent anything about (READY's list, GUILD_CREATE, and every guild_id). */
  const guildsSeen = (seen: Array<{ t: string; d: any }>) =>
    new Set(seen.flatMap(({ t, d }) => (t === "READY" ? d.guilds.map((g: { id: string }) => g.id) : t === "GUILD_CREATE" ? [d.id] : d?.guild_id ? [d.guild_id] : [])));

  it("gives each shard its own guild: READY, GUILD_CREATE and every dispatch go to the owning shard only", async () => {
    await withFake({ shards: 2 }, async (f) => {
      expect(f.guilds.map((g) => g.shard)).toEqual([0, 1]);
      for (const g of f.guilds) expect((BigInt(g.guildId) >> 22n) % 2n).toBe(BigInt(g.shard));
      expect([f.guilds[0]!.guildId, f.guilds[0]!.channelId, f.guilds[0]!.roles]).toEqual([f.guildId, f.channelId, f.roles]);
      expect(new Set(f.guilds.flatMap((g) => [g.guildId, g.channelId, g.roles.bot])).size).toBe(6);
      expect(((await restFor(f).get(Routes.gatewayBot())) as { shards: number }).shards).toBe(2);

      const [g0, g1] = [f.guilds[0]!, f.guilds[1]!];
      const seenA: Array<{ t: string; d: any }> = [];
      const seenB: Array<{ t: string; d: any }> = [];
      const a = await connectShards(f, [0], 2, seenA);
      const b = await connectShards(f, [1], 2, seenB);
      await f.ready(1);
      expect(f.identifiedShards()).toEqual([[0, 2], [1, 2]]);
      expect([f.connectedSessions(0), f.connectedSessions(1), f.connectedSessions()]).toEqual([1, 1, 2]);
      // (discord.js adds `shardId` to READY's guild objects, so compare what the fake sent)
      const readyGuilds = (seen: Array<{ t: string; d: any }>) =>
        seen.filter((e) => e.t === "READY").map((e) => [e.d.shard, e.d.guilds.map((g: { id: string; unavailable: boolean }) => [g.id, g.unavailable])]);
      expect(readyGuilds(seenA)).toEqual([[[0, 2], [[g0.guildId, true]]]]);
      expect(readyGuilds(seenB)).toEqual([[[1, 2], [[g1.guildId, true]]]]);
      expect(seenA.filter((e) => e.t === "GUILD_CREATE").map((e) => [e.d.id, e.d.channels.map((c: { id: string }) => c.id)])).toEqual([[g0.guildId, [g0.channelId]]]);
      expect(seenB.filter((e) => e.t === "GUILD_CREATE").map((e) => [e.d.id, e.d.channels.map((c: { id: string }) => c.id)])).toEqual([[g1.guildId, [g1.channelId]]]);
      expect([...a.guilds.cache.keys()]).toEqual([g0.guildId]);
      expect([...b.guilds.cache.keys()]).toEqual([g1.guildId]);
      // guild 1 has the same setup: members, the bot's role and its exact permissions
      const ch1 = b.channels.cache.get(g1.channelId);
      if (!ch1 || !("permissionsFor" in ch1)) throw new Error("guild 1's channel is not cached by the shard-1 client");
      expect(ch1.permissionsFor(b.user!)!.bitfield).toBe(INVITE_PERMISSIONS);
      expect(ch1.guild.members.cache.get(f.users.admin.id)!.roles.cache.has(g1.roles.admin)).toBe(true);

      // commands: per guild, and the global list shared (its overwrites counted)
      const video = new SlashCommandBuilder().setName("video").setDescription("Make a video").addStringOption((o) => o.setName("prompt").setDescription("Prompt").setRequired(true));
      await b.rest.put(Routes.applicationGuildCommands(f.applicationId, g1.guildId), { body: [video.toJSON()] });
      expect(f.commands({ guildId: g1.guildId }).map((c) => (c as { name: string }).name)).toEqual(["video"]);
      expect(f.commands({ guildId: g0.guildId })).toEqual([]);
      expect(f.commandRegistrations()).toBe(0);
      await a.rest.put(Routes.applicationCommands(f.applicationId), { body: [] });
      await b.rest.put(Routes.applicationCommands(f.applicationId), { body: [] });
      expect(f.commandRegistrations()).toBe(2);

      // a slash command in guild 1 reaches only the shard-1 client, with guild 1's guild and channel
      let aGot = 0;
      a.on(Events.InteractionCreate, () => void aGot++);
      const handled = nextCommand(b, async (i) => {
        expect([i.guildId, i.channelId, i.guildLocale, i.channel?.id]).toEqual([g1.guildId, g1.channelId, "en-US", g1.channelId]);
        expect(i.options.getString("prompt", true)).toBe("a cat");
        await i.reply({ content: "from shard 1" });
      });
      const { id } = await f.slashCommand({ name: "video", options: [{ name: "prompt", type: 3, value: "a cat" }], guild: 1 });
      await within(handled, "the shard-1 client handled /video in guild 1");
      const reply = f.messages(g1.channelId).find((m) => m.interactionId === id)!;
      expect([reply.guild_id, reply.content]).toEqual([g1.guildId, "from shard 1"]);
      expect(f.messages(g0.channelId).some((m) => m.interactionId === id)).toBe(false);
      // guild 1's channel routes, guild routes and reactions; the shard-1 client sees its own guild's events
      const posted = (await a.rest.post(Routes.channelMessages(g1.channelId), { body: { content: "posted over REST by any process" } })) as Msg & { guild_id: string };
      expect(posted.guild_id).toBe(g1.guildId);
      expect(((await a.rest.get(Routes.guild(g1.guildId))) as { id: string }).id).toBe(g1.guildId);
      await expect(a.rest.get(Routes.channel(snowflake()))).rejects.toMatchObject({ code: 10003 });
      await f.react({ messageId: posted.id, emoji: "🔁" });
      f.userMessage({ content: "hello from guild 1", guild: 1 });
      f.setBotPermissions(INVITE_PERMISSIONS);
      await f.waitFor(() => seenB.some((e) => e.t === "MESSAGE_REACTION_ADD") && seenB.some((e) => e.t === "CHANNEL_UPDATE"));
      await f.waitFor(() => seenA.some((e) => e.t === "CHANNEL_UPDATE"));
      const types = (seen: Array<{ t: string }>) => [...new Set(seen.map((e) => e.t))].sort();
      expect(types(seenB)).toEqual(expect.arrayContaining(["INTERACTION_CREATE", "MESSAGE_CREATE", "MESSAGE_REACTION_ADD", "GUILD_ROLE_UPDATE", "CHANNEL_UPDATE"]));
      expect(types(seenA)).toEqual(["CHANNEL_UPDATE", "GUILD_CREATE", "GUILD_ROLE_UPDATE", "READY"]);
      expect(aGot).toBe(0);
      expect([...guildsSeen(seenA)]).toEqual([g0.guildId]);
      expect([...guildsSeen(seenB)]).toEqual([g1.guildId]);

      // each session resumes on its own: shard 1's events missed while it was away are replayed to it only
      let aResumed = 0;
      a.on(Events.ShardResume, () => void aResumed++);
      const resumed = new Promise<number>((resolve) => b.once(Events.ShardResume, (shardId) => resolve(shardId)));
      f.disconnectGateway(4000, 1);
      const missed = f.userMessage({ content: "while shard 1 was away", guild: 1 });
      expect(await within(resumed, "shard 1 resumed")).toBe(1);
      await f.waitFor(() => seenB.some((e) => e.t === "MESSAGE_CREATE" && e.d.id === missed.id));
      expect([aResumed, f.connectedSessions(0), f.connectedSessions(1)]).toEqual([0, 1, 1]);
      expect(f.identifiedShards()).toEqual([[0, 2], [1, 2]]); // a RESUME is no IDENTIFY
      expect([...guildsSeen(seenA)]).toEqual([g0.guildId]);
      expect(f.rejections).toEqual([]);
    });
  });

  it("closes an IDENTIFY with a wrong shard count (4010) or without a shard (4011); one shard stays [0, 1]", async () => {
    await withFake({ shards: 2 }, async (f) => {
      const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: f.apiUrl }, shards: [0], shardCount: 3 });
      clients.push(client);
      const closed = new Promise<number>((resolve) => client.once(Events.ShardDisconnect, (e) => resolve(e.code)));
      client.on(Events.ShardError, () => {}); // "Invalid shard"
      void client.login(f.token).catch(() => {});
      expect(await within(closed, "shard [0, 3] closed")).toBe(4010);
      expect(f.rejections.map((r) => [r.method, r.code])).toEqual([["WS", 4010]]);
      expect(f.identifiedShards()).toEqual([]);

      const identify = async (shard: unknown) => {
        const ws = new WebSocket(`${f.apiUrl.replace("http", "ws").replace("/api", "/gateway")}?v=10&encoding=json`);
        ws.on("open", () => ws.send(JSON.stringify({ op: 2, d: { token: f.token, intents: 1, properties: {}, ...(shard === undefined ? {} : { shard }) } })));
        return within(new Promise<number>((resolve) => ws.on("close", (c) => resolve(c))), `IDENTIFY with shard ${JSON.stringify(shard)} closed`);
      };
      expect(await identify(undefined)).toBe(4011);
      expect(await identify([2, 2])).toBe(4010);
      expect(await identify([-1, 2])).toBe(4010);
      expect(f.identifiedShards()).toEqual([]);
      f.rejections.length = 0;
    });
    await withFake({}, async (f) => {
      const ws = new WebSocket(`${f.apiUrl.replace("http", "ws").replace("/api", "/gateway")}?v=10&encoding=json`);
      ws.on("open", () => ws.send(JSON.stringify({ op: 2, d: { token: f.token, intents: 1, properties: {}, shard: [1, 2] } })));
      expect(await within(new Promise<number>((resolve) => ws.on("close", (c) => resolve(c))), "shard [1, 2] closed")).toBe(4010);
      expect(((await restFor(f).get(Routes.gatewayBot())) as { shards: number }).shards).toBe(1);
      expect(f.guilds).toEqual([{ guildId: f.guildId, channelId: f.channelId, shard: 0, roles: f.roles }]);
    });
  });
});

describe("fake Discord: message commands, modals, members' files and links, Components V2", () => {
  /** Resolves with the next interaction `pick` accepts, after `handler` ran on it (its errors fail the test). */
  function nextInteraction<T extends Interaction>(client: Client, pick: (i: Interaction) => i is T, handler: (i: T) => Promise<void>): Promise<void> {
    return new Promise((resolve, reject) => {
      const on = (i: Interaction) => {
        if (!pick(i)) return;
        client.off(Events.InteractionCreate, on);
        handler(i).then(resolve, reject);
      };
      client.on(Events.InteractionCreate, on);
    });
  }
  const isMessageCommand = (i: Interaction): i is MessageContextMenuCommandInteraction => i.isMessageContextMenuCommand();
  const isModalSubmit = (i: Interaction): i is ModalSubmitInteraction => i.isModalSubmit();
  const isButton = (i: Interaction): i is ButtonInteraction => i.isButton();
  /** Sends an interaction callback on the wire (what discord.js would refuse to send itself). */
  const callback = (f: FakeDiscord, h: { id: string; token: string }, body: unknown) =>
    fetch(`${f.apiUrl}/v10/interactions/${h.id}/${h.token}/callback`, { method: "POST", headers: JSON_HEADERS, body: JSON.stringify(body) });
  const animate = new ContextMenuCommandBuilder().setName("Animate this").setType(ApplicationCommandType.Message);
  const label = (text: string, component: unknown) => ({ type: 18, label: text, component });
  const promptInput = { type: 4, custom_id: "prompt", style: 2, min_length: 3, max_length: 500 };
  const resolutionSelect = {
    type: 3, custom_id: "resolution",
    options: [{ label: "480p", value: "480p" }, { label: "720p", value: "720p", default: true }, { label: "1080p", value: "1080p" }],
  };
  const videoModal = { custom_id: "video-modal", title: "New video", components: [
    { type: 10, content: "Describe the motion." },
    label("Prompt", promptInput),
    label("Resolution", resolutionSelect),
  ] };

  it("posts members' messages with uploaded files and unfurled image links, served by the fake CDN", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const att = f.addAttachment(PNG, "cat.png", "image/png", { width: 1, height: 1 });
      const m = f.userMessage({ content: "", attachments: [att], embeds: [{ bytes: PNG, contentType: "image/png" }] });
      expect(m.content).toBe("https://images.example.invalid/1.png"); // the link is what the member typed
      expect(m.attachments.map((a) => [a.id, a.url, a.ephemeral])).toEqual([[att.id, att.url, undefined]]);
      const embed = m.embeds[0] as { type: string; url: string; image?: unknown; thumbnail: { url: string; proxy_url: string; width: number; height: number; content_type: string } };
      expect(embed).toMatchObject({ type: "image", url: "https://images.example.invalid/1.png", thumbnail: { url: embed.url, width: 1, height: 1, content_type: "image/png" } });
      expect(embed.image).toBeUndefined(); // Discord puts a linked image in `thumbnail`
      const proxy = new URL(embed.thumbnail.proxy_url);
      expect(proxy.origin).toBe(new URL(f.cdnUrl).origin); // the same origin a bot allows for attachments
      expect(proxy.pathname).toMatch(/^\/external\/[\w-]+\/https\/images\.example\.invalid\/1\.png$/);
      const served = await fetch(embed.thumbnail.proxy_url);
      expect([served.status, served.headers.get("content-type")]).toEqual([200, "image/png"]);
      expect(Buffer.from(await served.arrayBuffer()).equals(PNG)).toBe(true);
      expect(Buffer.from(await (await fetch(m.attachments[0]!.url)).arrayBuffer()).equals(PNG)).toBe(true);
      expect((await fetch(`${f.cdnUrl}/external/nope/https/images.example.invalid/1.png`)).status).toBe(404);

      // discord.js reads the same message back
      const channel = await client.channels.fetch(f.channelId);
      if (!channel?.isTextBased()) throw new Error("not a text channel");
      const msg = await channel.messages.fetch(m.id);
      expect(msg.attachments.first()?.url).toBe(att.url);
      expect([msg.embeds[0]?.data.type, msg.embeds[0]?.thumbnail?.proxyURL]).toEqual(["image", embed.thumbnail.proxy_url]);

      const withText = f.userMessage({ content: "animate this", embeds: [{ bytes: PNG, contentType: "image/webp", width: 640, height: 480 }] });
      expect(withText.content).toBe("animate this https://images.example.invalid/2.webp");
      expect(withText.embeds[0]).toMatchObject({ thumbnail: { width: 640, height: 480, content_type: "image/webp" } });
      expect(f.userMessage({ content: "", attachments: [att] }).content).toBe("");
      expect(() => f.userMessage({ content: "" })).toThrow(/content must be/);
      expect(() => f.userMessage({ content: "x", attachments: [{ ...att, id: snowflake() }] })).toThrow(/unknown/);
      expect(f.rejections).toEqual([]);
    });
  });

  it("registers message commands as Discord does and dispatches them with the target message resolved", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const route = Routes.applicationGuildCommands(f.applicationId, f.guildId);
      const slash = new SlashCommandBuilder().setName("animate").setDescription("Animate a picture");
      await client.rest.put(route, { body: [animate.toJSON(), slash.toJSON()] });
      expect(f.commands({ guildId: f.guildId }).map((c) => [(c as { name: string }).name, (c as { type: number }).type])).toEqual([["Animate this", 3], ["animate", 1]]);
      // Discord refuses a description or options on a context-menu command, and names over 32 characters
      const bad: Array<[unknown, RegExp]> = [
        [{ ...animate.toJSON(), description: "Animates" }, /APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID/],
        [{ ...animate.toJSON(), options: [{ type: 3, name: "x", description: "x" }] }, /APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS_INVALID/],
        [{ ...animate.toJSON(), name: "A".repeat(33) }, /BASE_TYPE_MAX_LENGTH/],
        [{ ...animate.toJSON(), name: "   " }, /APPLICATION_COMMAND_INVALID_NAME/],
      ];
      for (const [command, code] of bad) {
        const err = await client.rest.put(route, { body: [command] }).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: 50035 });
        expect(JSON.stringify((err as DiscordAPIError).rawError)).toMatch(code);
      }
      expect(f.rejections.map((r) => r.code)).toEqual([50035, 50035, 50035, 50035]);
      f.rejections.length = 0;
      await client.rest.put(route, { body: [{ ...animate.toJSON(), description: "" }, slash.toJSON()] }); // "" is the documented empty description

      const att = f.addAttachment(PNG, "cat.png", "image/png", { width: 1, height: 1 });
      const target = f.userMessage({ content: "my cat", attachments: [att] });
      let seen: { targetId?: string; url?: string; name?: string; guildId?: string | null } = {};
      const handled = nextInteraction(client, isMessageCommand, async (i) => {
        seen = { targetId: i.targetId, url: i.targetMessage.attachments.first()?.url, name: i.commandName, guildId: i.commandGuildId };
        expect(i.locale).toBe("fr");
        expect(i.attachmentSizeLimit).toBe(DEFAULT_ATTACHMENT_SIZE_LIMIT);
        await i.reply({ content: "on it" });
      });
      const { id } = await f.messageCommand({ name: "Animate this", messageId: target.id, locale: "fr" });
      await handled;
      expect(seen).toEqual({ targetId: target.id, url: att.url, name: "Animate this", guildId: f.guildId });
      const reply = f.messages().find((m) => m.interactionId === id)!;
      const json = (await client.rest.get(Routes.channelMessage(f.channelId, reply.id))) as { type: number; interaction_metadata: Record<string, unknown> };
      expect(json.type).toBe(23); // CONTEXT_MENU_COMMAND
      expect(json.interaction_metadata).toMatchObject({ id, type: 2, name: "Animate this", command_type: 3, target_message_id: target.id });

      // strict: only registered message commands, and a slash command of the same name is not one
      await expect(f.messageCommand({ name: "animate", messageId: target.id })).rejects.toThrow(/no message command "animate"/);
      await expect(f.messageCommand({ name: "Animate", messageId: target.id })).rejects.toThrow(/"Animate this"/);
      await expect(f.messageCommand({ name: "Animate this", messageId: snowflake() })).rejects.toThrow(/does not exist/);
      expect(f.rejections).toEqual([]);
    });
  });

  it("opens a modal from a message command and submits it as Discord's client does; discord.js reads the fields", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      await client.rest.put(Routes.applicationGuildCommands(f.applicationId, f.guildId), { body: [animate.toJSON()] });
      const target = f.userMessage({ content: "", embeds: [{ bytes: PNG, contentType: "image/png" }] });
      // built with discord.js's builders, as a bot would
      const modal = new ModalBuilder().setCustomId("video-modal").setTitle("New video")
        .addTextDisplayComponents(new TextDisplayBuilder().setContent("Describe the motion."))
        .addLabelComponents(
          new LabelBuilder().setLabel("Prompt").setTextInputComponent(new TextInputBuilder().setCustomId("prompt").setStyle(TextInputStyle.Paragraph).setMinLength(3).setMaxLength(500)),
          new LabelBuilder().setLabel("Resolution").setStringSelectMenuComponent(new StringSelectMenuBuilder().setCustomId("resolution").addOptions(
            { label: "480p", value: "480p" }, { label: "720p", value: "720p", default: true }, { label: "1080p", value: "1080p" },
          )),
          new LabelBuilder().setLabel("Seed").setTextInputComponent(new TextInputBuilder().setCustomId("seed").setStyle(TextInputStyle.Short).setRequired(false).setValue("42")),
        );
      const opened = nextInteraction(client, isMessageCommand, async (i) => void (await i.showModal(modal)));
      const use = await f.messageCommand({ name: "Animate this", messageId: target.id });
      await opened;
      const stored = f.modalOf(use.id)!;
      expect(stored).toMatchObject({ custom_id: "video-modal", title: "New video" });
      // Discord fills in the component ids, in order
      expect(stored.components.map((c: { id: number; component?: { id: number } }) => [c.id, c.component?.id])).toEqual([[1, undefined], [2, 3], [4, 5], [6, 7]]);

      let read: unknown;
      const submitted = nextInteraction(client, isModalSubmit, async (i) => {
        read = [i.customId, i.fields.getTextInputValue("prompt"), i.fields.getStringSelectValues("resolution"), i.fields.getTextInputValue("seed"), i.isFromMessage()];
        await i.reply({ content: "queued" });
      });
      const submit = await f.submitModal({ interactionId: use.id, values: { prompt: "the cat jumps" } });
      await submitted;
      expect(read).toEqual(["video-modal", "the cat jumps", ["720p"], "42", false]); // untouched fields keep what the modal showed
      const sent = f.requests.filter((r) => r.path.startsWith(`/interactions/${submit.id}/`));
      expect(sent.map((r) => r.status)).toEqual([204]);
      const reply = f.messages().find((m) => m.interactionId === submit.id)!;
      const json = (await client.rest.get(Routes.channelMessage(f.channelId, reply.id))) as { interaction_metadata: Record<string, unknown> };
      expect(json.interaction_metadata).toMatchObject({ id: submit.id, type: 5, triggering_interaction_metadata: { id: use.id, type: 2, command_type: 3, target_message_id: target.id } });
      // the modal closed once the submit was acknowledged
      await expect(f.submitModal({ interactionId: use.id })).rejects.toThrow(/already submitted/);
      expect(f.rejections).toEqual([]);
    });
  });

  it("accepts a modal only as the first answer to a command or component, and only a modal Discord accepts", async () => {
    await withFake({}, async (f) => {
      await connect(f);
      const long = (n: number) => "x".repeat(n);
      const modalWith = (...components: unknown[]) => ({ type: 9, data: { ...videoModal, components } });
      const bad: Array<[unknown, RegExp]> = [
        [{ type: 9, data: { ...videoModal, title: long(46) } }, /"title".*BASE_TYPE_MAX_LENGTH/],
        [{ type: 9, data: { ...videoModal, custom_id: long(101) } }, /"custom_id".*BASE_TYPE_MAX_LENGTH/],
        [modalWith(), /BASE_TYPE_MIN_LENGTH/],
        [modalWith(...Array.from({ length: 6 }, (_, n) => label(`L${n}`, { ...promptInput, custom_id: `p${n}` }))), /"components".*BASE_TYPE_MAX_LENGTH/],
        [modalWith({ ...label(long(46), promptInput) }), /"label".*BASE_TYPE_MAX_LENGTH/],
        [modalWith({ ...label("Prompt", promptInput), description: long(101) }), /"description".*BASE_TYPE_MAX_LENGTH/],
        [modalWith(label("Prompt", { ...promptInput, max_length: 4001 })), /NUMBER_TYPE_MAX/],
        [modalWith(label("Prompt", { ...promptInput, min_length: 50, max_length: 10 })), /TEXT_INPUT_MIN_LENGTH_EXCEEDS_MAX/],
        [modalWith(label("Prompt", { ...promptInput, max_length: 5, value: "too long" })), /"value".*BASE_TYPE_MAX_LENGTH/],
        [modalWith(label("Res", { ...resolutionSelect, options: [] })), /BASE_TYPE_MIN_LENGTH/],
        [modalWith(label("Res", { ...resolutionSelect, options: Array.from({ length: 26 }, (_, n) => ({ label: `${n}`, value: `${n}` })) })), /BASE_TYPE_MAX_LENGTH/],
        [modalWith(label("Res", { ...resolutionSelect, options: [{ label: long(101), value: "a" }] })), /"label".*BASE_TYPE_MAX_LENGTH/],
        [modalWith(label("Res", { ...resolutionSelect, options: [{ label: "a", value: long(101) }] })), /"value".*BASE_TYPE_MAX_LENGTH/],
        [modalWith(label("Res", { ...resolutionSelect, min_values: 4, max_values: 5 })), /SELECT_COMPONENT_MIN_VALUES_EXCEEDS_OPTIONS/],
        [modalWith(label("Res", { ...resolutionSelect, min_values: 3, max_values: 2 })), /SELECT_COMPONENT_MIN_VALUES_EXCEEDS_MAX/],
        [modalWith(label("Res", { ...resolutionSelect, min_values: 0 })), /COMPONENT_MIN_VALUES_REQUIRED/],
        [modalWith(label("Res", { ...resolutionSelect, options: [{ label: "a", value: "a" }, { label: "b", value: "a" }] })), /SELECT_COMPONENT_OPTION_VALUE_DUPLICATED/],
        [modalWith(label("Res", { ...resolutionSelect, disabled: true })), /COMPONENT_DISABLED_NOT_ALLOWED/],
        [modalWith(label("A", promptInput), label("B", promptInput)), /COMPONENT_CUSTOM_ID_DUPLICATED/],
        [modalWith({ type: 1, components: [{ ...promptInput }] }), /"label".*BASE_TYPE_REQUIRED/],
        [modalWith({ type: 1, components: [resolutionSelect] }), /BASE_TYPE_CHOICES/],
      ];
      const cmd = await f.slashCommand({ name: "anything", options: [] });
      for (const [body, code] of bad) {
        const res = await callback(f, cmd, body);
        const err = (await res.json()) as { code: number; errors: unknown };
        expect([res.status, err.code], JSON.stringify(body).slice(0, 200)).toEqual([400, 50035]);
        expect(JSON.stringify(err.errors), JSON.stringify(body).slice(0, 200)).toMatch(code);
      }
      expect(f.modalOf(cmd.id)).toBeUndefined();
      expect(f.rejections).toHaveLength(bad.length);
      f.rejections.length = 0;
      // the legacy form (one labelled text input per Action Row) is still accepted
      const legacy = modalWith({ type: 1, components: [{ ...promptInput, label: "Prompt" }] });
      expect((await callback(f, cmd, legacy)).status).toBe(204);
      // then nothing else: the modal was the answer
      expect(await (await callback(f, cmd, modalWith(label("Prompt", promptInput)))).json()).toMatchObject({ code: 40060 });

      // not after a defer
      const deferred = await f.slashCommand({ name: "anything", options: [] });
      expect((await callback(f, deferred, { type: 5 })).status).toBe(204);
      const late = await callback(f, deferred, { type: 9, data: videoModal });
      expect([late.status, ((await late.json()) as { code: number }).code]).toEqual([400, 40060]);
      await expect(f.submitModal({ interactionId: deferred.id })).rejects.toThrow(/not answered with a modal/);

      // a modal submit cannot be answered with a modal, nor (from a command's modal) with 6/7
      const sub = await f.submitModal({ interactionId: cmd.id, values: { prompt: "a cat" } });
      for (const type of [9, 6, 7]) {
        const res = await callback(f, sub, type === 9 ? { type, data: videoModal } : { type, ...(type === 7 ? { data: { content: "x" } } : {}) });
        expect([res.status, JSON.stringify(await res.json())]).toEqual([400, expect.stringMatching(/INTERACTION_RESPONSE_TYPE_INVALID/)]);
      }
      expect((await callback(f, sub, { type: 4, data: { content: "ok" } })).status).toBe(204);
      expect(f.rejections.map((r) => r.code)).toEqual([50035, 50035, 50035]);
      f.rejections.length = 0;
    });
  });

  it("submits a modal opened from a button with the button's message, which the submit may update", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const row = { type: 1, components: [{ type: 2, style: 1, custom_id: "edit-prompt", label: "Edit prompt" }] };
      const posted = (await client.rest.post(Routes.channelMessages(f.channelId), { body: { content: "job #1", components: [row] } })) as Msg;
      const legacyModal = new ModalBuilder().setCustomId("edit").setTitle("Edit").addComponents(
        new ActionRowBuilder<TextInputBuilder>().addComponents(new TextInputBuilder().setCustomId("prompt").setLabel("Prompt").setStyle(TextInputStyle.Short).setMaxLength(10)),
      );
      const opened = nextInteraction(client, isButton, async (i) => void (await i.showModal(legacyModal)));
      const click = await f.clickButton({ messageId: posted.id, customId: "edit-prompt" });
      await opened;

      // what Discord's client would not send
      await expect(f.submitModal({ interactionId: click.id })).rejects.toThrow(/"prompt" is required but empty/);
      await expect(f.submitModal({ interactionId: click.id, values: { prompt: "far too long" } })).rejects.toThrow(/longer than max_length 10/);
      await expect(f.submitModal({ interactionId: click.id, values: { prompt: "a\nb" } })).rejects.toThrow(/single-line/);
      await expect(f.submitModal({ interactionId: click.id, values: { prompt: ["a"] } })).rejects.toThrow(/give it a string/);
      await expect(f.submitModal({ interactionId: click.id, values: { other: "x" } })).rejects.toThrow(/no field "other"/);
      await expect(f.submitModal({ interactionId: click.id, values: { prompt: "dog" }, user: f.users.stranger })).rejects.toThrow(/shown to requester/);
      await expect(f.submitModal({ interactionId: posted.id })).rejects.toThrow(/unknown/);

      let read: unknown;
      const updated = nextInteraction(client, isModalSubmit, async (i) => {
        if (!i.isFromMessage()) throw new Error("the submit should carry the button's message");
        read = [i.message.id, i.fields.getTextInputValue("prompt"), i.components[0]];
        await i.update({ content: "job #1: dog", components: [] });
      });
      await f.submitModal({ interactionId: click.id, values: { prompt: "dog" } });
      await updated;
      expect(read).toEqual([posted.id, "dog", { type: 1, id: 1, components: [{ type: 4, id: 2, customId: "prompt", value: "dog" }] }]);
      expect([f.message(posted.id)!.content, f.message(posted.id)!.components]).toEqual(["job #1: dog", []]);
      expect(f.rejections).toEqual([]);
    });
  });

  it("keeps a readable text and the media URLs of every message, Components V2 included", async () => {
    await withFake({}, async (f) => {
      const rest = restFor(f);
      const v2 = {
        flags: MessageFlags.IsComponentsV2,
        components: [
          { type: 17, components: [
            { type: 10, content: "## Video ready" },
            { type: 9, components: [{ type: 10, content: "a cat, 5 s" }, { type: 10, content: "720p" }], accessory: { type: 11, media: { url: "attachment://in.png" } } },
            { type: 12, items: [{ media: { url: "attachment://out.png" } }, { media: { url: "https://example.com/x.png" }, description: "x" }] },
            { type: 13, file: { url: "attachment://log.txt" } },
            { type: 1, components: [{ type: 2, style: 2, custom_id: "again", label: "Again" }] },
          ] },
          { type: 10, content: "-# cost $1.51" },
        ],
      };
      const files = [{ name: "in.png", data: PNG }, { name: "out.png", data: PNG }, { name: "log.txt", data: Buffer.from("ok") }];
      const sent = (await rest.post(Routes.channelMessages(f.channelId), { body: v2, files })) as Msg;
      const m = f.message(sent.id)!;
      expect(m.content).toBe("");
      expect(m.text).toBe("## Video ready\na cat, 5 s\n720p\n-# cost $1.51");
      expect(m.media).toEqual(["attachment://in.png", "attachment://out.png", "https://example.com/x.png", "attachment://log.txt"]);
      expect(sent).not.toHaveProperty("text"); // the fake's own fields never reach the wire
      await rest.patch(Routes.channelMessage(f.channelId, sent.id), { body: { components: [{ type: 10, content: "done" }] } });
      expect([m.text, m.media]).toEqual(["done", []]);

      const plain = (await rest.post(Routes.channelMessages(f.channelId), { body: { content: "hello", components: [{ type: 1, components: [{ type: 2, style: 2, custom_id: "b", label: "B" }] }] } })) as Msg;
      expect(f.message(plain.id)!.text).toBe("hello");
      await rest.patch(Routes.channelMessage(f.channelId, plain.id), { body: { content: "hello again" } });
      expect(f.message(plain.id)!.text).toBe("hello again");
      expect(f.userMessage({ content: "from a member" }).text).toBe("from a member");
      expect(f.rejections).toEqual([]);
    });
  });

  it("enforces the Components V2 rules on channel, callback, follow-up and edit routes", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const rest = client.rest;
      const route = Routes.channelMessages(f.channelId);
      const V2 = MessageFlags.IsComponentsV2;
      const text = (content: string) => ({ type: 10, content });
      const gallery = (n: number, description?: string) => ({ type: 12, items: Array.from({ length: n }, () => ({ media: { url: "https://example.com/a.png" }, ...(description ? { description } : {}) })) });
      const bad: Array<[Record<string, unknown>, RegExp, Array<{ name: string; data: Buffer }>?]> = [
        [{ flags: V2, content: "x", components: [text("t")] }, /MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2/],
        [{ flags: V2, embeds: [{ title: "t" }], components: [text("t")] }, /MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2/],
        [{ flags: V2, components: [text("t")], poll: { question: { text: "q" }, answers: [{ poll_media: { text: "a" } }] } }, /"poll"/],
        [{ flags: V2, components: [text("t")], sticker_ids: [snowflake()] }, /"sticker_ids"/],
        [{ flags: V2, components: [{ type: 13, file: { url: "https://example.com/a.txt" } }] }, /UNFURLED_MEDIA_ITEM_ATTACHMENT_REQUIRED/],
        [{ flags: V2, components: [{ type: 13, file: { url: "attachment://missing.txt" } }] }, /ATTACHMENT_NOT_FOUND/, [{ name: "a.txt", data: Buffer.from("a") }]],
        [{ flags: V2, components: [{ type: 9, components: [text("t")], accessory: { type: 11, media: { url: "attachment://nope.png" } } }] }, /ATTACHMENT_NOT_FOUND/],
        [{ flags: V2, components: [gallery(0)] }, /BASE_TYPE_MIN_LENGTH/],
        [{ flags: V2, components: [gallery(11)] }, /BASE_TYPE_MAX_LENGTH/],
        [{ flags: V2, components: [gallery(1, "d".repeat(1025))] }, /"description".*BASE_TYPE_MAX_LENGTH/],
        [{ flags: V2, components: [{ type: 17, components: Array.from({ length: 40 }, (_, n) => text(`${n}`)) }] }, /COMPONENT_MAX_TOTAL_COMPONENTS_EXCEEDED/],
        [{ flags: V2, components: [text("a".repeat(1400)), text("b".repeat(1400)), text("c".repeat(1201))] }, /COMPONENT_MAX_TEXT_DISPLAY_LENGTH_EXCEEDED/],
        [{ flags: V2, components: [{ ...text("a"), id: 7 }, { ...text("b"), id: 7 }] }, /COMPONENT_ID_DUPLICATED/],
        [{ content: "legacy", components: [text("t")] }, /UNION_TYPE_CHOICES/],
      ];
      for (const [body, code, files] of bad) {
        const err = await rest.post(route, { body, ...(files ? { files } : {}) }).catch((e: unknown) => e);
        expect(err, JSON.stringify(body).slice(0, 120)).toMatchObject({ code: 50035, status: 400 });
        expect(JSON.stringify((err as DiscordAPIError).rawError), JSON.stringify(body).slice(0, 120)).toMatch(code);
      }
      expect(f.rejections).toHaveLength(bad.length);
      f.rejections.length = 0;
      // at the limits: 40 components, 4000 characters, 10 gallery items, 1024-character alt text
      await rest.post(route, { body: { flags: V2, components: [{ type: 17, components: Array.from({ length: 39 }, (_, n) => text(`${n}`)) }] } });
      await rest.post(route, { body: { flags: V2, components: [text("a".repeat(1400)), text("b".repeat(1400)), text("c".repeat(1200))] } });
      await rest.post(route, { body: { flags: V2, components: [gallery(10, "d".repeat(1024))] } });

      // edits: the flag stays once set; an edit may set it when it clears the content
      const card = (await rest.post(route, { body: { flags: V2, components: [text("queued")] }, files: [{ name: "in.png", data: PNG }] })) as Msg;
      const cardRoute = Routes.channelMessage(f.channelId, card.id);
      await expect(rest.patch(cardRoute, { body: { flags: 0 } })).rejects.toMatchObject({ code: 50035, rawError: { errors: { flags: { _errors: [{ code: "MESSAGE_CANNOT_REMOVE_COMPONENTS_V2_FLAG" }] } } } });
      await expect(rest.patch(cardRoute, { body: { content: "done" } })).rejects.toMatchObject({ code: 50035 });
      // an attachment the message keeps can be referenced; a new upload too
      await rest.patch(cardRoute, { body: { components: [{ type: 12, items: [{ media: { url: "attachment://in.png" } }, { media: { url: "attachment://out.png" } }] }], attachments: [{ id: (card as unknown as { attachments: Array<{ id: string }> }).attachments[0]!.id }, { id: "0" }] }, files: [{ name: "out.png", data: PNG }] });
      expect(f.message(card.id)!.media).toEqual(["attachment://in.png", "attachment://out.png"]);
      await expect(rest.patch(cardRoute, { body: { components: [{ type: 12, items: [{ media: { url: "attachment://gone.png" } }] }] } })).rejects.toMatchObject({ code: 50035 });
      const legacy = (await rest.post(route, { body: { content: "old style" } })) as Msg;
      const legacyRoute = Routes.channelMessage(f.channelId, legacy.id);
      await expect(rest.patch(legacyRoute, { body: { flags: V2, components: [text("new")] } })).rejects.toMatchObject({ code: 50035, rawError: { errors: { content: { _errors: [{ code: "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2" }] } } } });
      await rest.patch(legacyRoute, { body: { flags: V2, content: "", components: [text("new")] } });
      expect([f.message(legacy.id)!.flags & V2, f.message(legacy.id)!.text]).toEqual([V2, "new"]);
      expect(f.rejections.map((r) => r.code)).toEqual([50035, 50035, 50035, 50035]);
      f.rejections.length = 0;

      // the same through an interaction: reply, follow-up and edits of the original
      const handled = nextCommand(client, async (i) => {
        await expect(i.reply({ content: "x", components: [new TextDisplayBuilder().setContent("t")], flags: MessageFlags.IsComponentsV2 })).rejects.toMatchObject({ code: 50035 });
        await i.reply({ components: [new ContainerBuilder().addTextDisplayComponents(new TextDisplayBuilder().setContent("working"))], flags: MessageFlags.IsComponentsV2 });
        await expect(i.editReply({ content: "done" })).rejects.toMatchObject({ code: 50035 });
        await expect(i.followUp({ embeds: [{ title: "t" }], components: [new TextDisplayBuilder().setContent("t")], flags: MessageFlags.IsComponentsV2 })).rejects.toMatchObject({ code: 50035 });
        await expect(i.editReply({ components: [new FileBuilder().setURL("attachment://nothing.mp4")] })).rejects.toMatchObject({ code: 50035 });
        await i.editReply({ components: [new TextDisplayBuilder().setContent("done")], files: [{ attachment: MP4, name: "out.mp4" }] });
        await i.editReply({ components: [new TextDisplayBuilder().setContent("done"), new FileBuilder().setURL("attachment://out.mp4")] });
      });
      const { id } = await f.slashCommand({ name: "anything", options: [] });
      await handled;
      const reply = f.messages().find((m) => m.interactionId === id)!;
      expect([reply.content, reply.text, reply.media]).toEqual(["", "done", ["attachment://out.mp4"]]);
      expect(f.rejections.map((r) => r.code)).toEqual([50035, 50035, 50035, 50035]);
      f.rejections.length = 0;
    });
  });
});

/** Fails fast (instead of at the test timeout) when an awaited event never comes. */
const soon = <T>(p: Promise<T>, what: string, ms = 5000): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms: ${what}`)), ms).unref())]);
/** What a rejected request threw (discord.js throws DOMException AbortError on its request timeout). */
const failure = (p: Promise<unknown>): Promise<Error> => p.then(() => { throw new Error("expected the request to fail"); }, (e: unknown) => e as Error);
const contentOf = (r: { json?: unknown }) => (r.json as { content?: string } | undefined)?.content;

describe("fake Discord: fault policy for simulations", () => {
  it("tells the policy each REST request's route, channel, interaction token, files and bytes", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const asked: DiscordFaultRequest[] = [];
      f.setPolicy((r) => void asked.push(r));
      const posted = (await client.rest.post(Routes.channelMessages(f.channelId), { body: { content: "file" }, files: [{ name: "a.png", data: PNG }] })) as Msg;
      await client.rest.patch(Routes.channelMessage(f.channelId, posted.id), { body: { content: "edited" } });
      await client.rest.put(Routes.channelMessageOwnReaction(f.channelId, posted.id, encodeURIComponent("🔁")));
      await client.rest.delete(Routes.channelMessage(f.channelId, posted.id));
      let token = "";
      const handled = nextCommand(client, async (i) => {
        token = i.token;
        await i.deferReply();
        await i.editReply({ content: "done" });
        await i.followUp({ content: "more" });
      });
      await f.slashCommand({ name: "anything", options: [] });
      await handled;
      await client.rest.get(Routes.channel(f.channelId));
      const tok = (r: DiscordFaultRequest) => (r.interactionToken === undefined ? "-" : r.interactionToken === token ? "token" : r.interactionToken);
      expect(asked.map((r) => [r.method, r.route, r.channelId, tok(r), r.files])).toEqual([
        ["POST", "message.create", f.channelId, "-", 1],
        ["PATCH", "message.edit", f.channelId, "-", 0],
        ["PUT", "reaction", f.channelId, "-", 0],
        ["DELETE", "message.delete", f.channelId, "-", 0],
        ["POST", "interaction.callback", f.channelId, "token", 0], // an interaction's channel, though its routes name none
        ["PATCH", "webhook.edit", f.channelId, "token", 0],
        ["POST", "webhook.create", f.channelId, "token", 0],
        ["GET", "other", f.channelId, "-", 0],
      ]);
      expect(asked[0]!.bytes).toBeGreaterThan(PNG.length); // the whole multipart body
      expect(asked[1]!.bytes).toBe(Buffer.byteLength(JSON.stringify({ content: "edited" })));
      expect(asked[3]!.bytes).toBe(0);
      f.setPolicy(undefined);
      await client.rest.get(Routes.channel(f.channelId));
      expect(asked).toHaveLength(8);
      expect(f.requests.filter((r) => r.abandoned)).toEqual([]); // answered requests were read
    });
  });

  it("fails what the policy fails, after failNext's rules; discord.js retries the policy's 429 by itself", async () => {
    await withFake({}, async (f) => {
      let asked = 0;
      f.setPolicy((r) => (r.route === "message.create" && asked++ === 0 ? { fail: { status: 429 } } : undefined));
      // on the wire: Discord's 429 body and headers, as failNext makes them
      const raw = await fetch(`${f.apiUrl}/v10/channels/${f.channelId}/messages`, {
        method: "POST", headers: { Authorization: `Bot ${f.token}`, ...JSON_HEADERS }, body: JSON.stringify({ content: "x" }),
      });
      expect([raw.status, raw.headers.get("retry-after"), raw.headers.get("x-ratelimit-scope")]).toEqual([429, "0.1", "user"]);
      expect(await raw.json()).toEqual({ message: "You are being rate limited.", retry_after: 0.1, global: false });
      expect(f.messages()).toEqual([]);

      // discord.js: failNext's 502 first (the policy is not asked), then the policy's 429, then 200
      asked = 0;
      const client = await connect(f);
      f.failNext({ method: "POST", path: /\/messages$/ }, { status: 502 });
      const sent = (await client.rest.post(Routes.channelMessages(f.channelId), { body: { content: "third time" } })) as Msg;
      const tries = f.requests.filter((r) => contentOf(r) === "third time");
      expect(tries.map((r) => r.status)).toEqual([502, 429, 200]);
      expect(asked).toBe(2);
      expect(f.rateLimited).toBe(2);
      expect(f.messages().map((m) => m.id)).toEqual([sent.id]);
    });
  });

  it("holds an answer: the work is done at once, the answer comes holdMs later (to a client that may have gone)", async () => {
    await withFake({}, async (f) => {
      f.setPolicy((r) => (r.route === "message.create" ? { holdMs: 300 } : undefined));
      const rest = restFor(f);
      const started = performance.now();
      const posting = rest.post(Routes.channelMessages(f.channelId), { body: { content: "held" } }) as Promise<Msg>;
      const stored = await f.waitFor(() => f.messages().find((m) => m.content === "held"));
      expect(f.requests.find((r) => contentOf(r) === "held")!.status).toBe(0); // done, not yet answered
      const sent = await posting;
      expect(performance.now() - started).toBeGreaterThanOrEqual(298); // 2 ms for timer rounding
      expect(sent.id).toBe(stored.id);

      // a client whose request timeout is shorter gives up; the message exists all the same
      const impatient = new REST({ api: f.apiUrl, timeout: 100, retries: 0 }).setToken(f.token);
      expect((await failure(impatient.post(Routes.channelMessages(f.channelId), { body: { content: "ghost" } }))).name).toBe("AbortError");
      expect(f.messages().filter((m) => m.content === "ghost")).toHaveLength(1);
      const ghost = await f.waitFor(() => f.requests.find((r) => contentOf(r) === "ghost" && r.status !== 0));
      expect([ghost.status, ghost.abandoned]).toEqual([200, true]);
    });
  });

  it("slows an upload to bytesPerSecond: it takes bytes / bytesPerSecond, and one discord.js gives up on never happens", async () => {
    await withFake({}, async (f) => {
      const BPS = 256 * 1024;
      const slowed: DiscordFaultRequest[] = [];
      f.setPolicy((r) => (r.route === "message.create" && r.files > 0 ? (slowed.push(r), { bytesPerSecond: BPS }) : undefined));
      const rest = restFor(f);
      const route = Routes.channelMessages(f.channelId);
      const video = Buffer.alloc(64 * 1024, 7);
      let started = performance.now();
      const sent = (await rest.post(route, { body: { content: "slow" }, files: [{ name: "a.mp4", data: video }] })) as Msg;
      const took = performance.now() - started;
      expect(slowed[0]!.bytes).toBeGreaterThan(video.length);
      expect(took).toBeGreaterThanOrEqual((slowed[0]!.bytes / BPS) * 1000 - 2); // 2 ms for timer rounding
      expect(f.message(sent.id)!.attachments[0]!.size).toBe(video.length);
      started = performance.now();
      await rest.post(route, { body: { content: "no file, not slowed" } });
      expect(performance.now() - started).toBeLessThan(200);

      // discord.js with a 150 ms request timeout gives up, retries once (as it does after a timeout)
      // and gives up again: the upload never completed, so Discord never made the message
      const impatient = new REST({ api: f.apiUrl, timeout: 150, retries: 1 }).setToken(f.token);
      const err = await failure(impatient.post(route, { body: { content: "never" }, files: [{ name: "b.mp4", data: video }] }));
      expect(err.name).toBe("AbortError");
      await f.waitFor(() => f.requests.filter((r) => contentOf(r) === "never" && r.abandoned).length === 2);
      await new Promise((r) => setTimeout(r, (slowed[1]!.bytes / BPS) * 1000 + 50)); // past the full upload time
      expect(f.requests.filter((r) => contentOf(r) === "never").map((r) => [r.status, r.abandoned])).toEqual([[0, true], [0, true]]);
      expect(f.allMessages().filter((m) => m.content === "never")).toEqual([]);
      expect(f.rejections).toEqual([]);
    });
  });

  it("expires an interaction token on the policy's word or on demand: webhook routes then answer 50027", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      f.setPolicy((r) => (r.route === "webhook.edit" ? { expireToken: true } : undefined));
      const first = nextCommand(client, async (i) => {
        await i.deferReply();
        await expect(i.editReply({ content: "done" })).rejects.toMatchObject({ code: 50027, status: 401 });
        f.setPolicy(undefined);
        // expired from now on, for every webhook route of that token
        await expect(i.followUp({ content: "still there?" })).rejects.toMatchObject({ code: 50027, status: 401 });
      });
      await f.slashCommand({ name: "anything", options: [] });
      await first;

      const second = nextCommand(client, async (i) => {
        await i.deferReply();
        await i.editReply({ content: "working" });
        f.expireToken(i.token);
        await expect(i.editReply({ content: "done" })).rejects.toMatchObject({ code: 50027, status: 401 });
        // the bot-token route still edits the (non-ephemeral) reply
        const reply = f.messages().find((m) => m.interactionId === i.id)!;
        await client.rest.patch(Routes.channelMessage(f.channelId, reply.id), { body: { content: "done" } });
      });
      const { id } = await f.slashCommand({ name: "anything", options: [] });
      await second;
      expect(f.messages().find((m) => m.interactionId === id)!.editHistory).toEqual(["", "working", "done"]);

      // an expired token cannot acknowledge either (10062), while another interaction's still works
      const third = nextCommand(client, async (i) => {
        f.expireToken(i.token);
        await expect(i.deferReply()).rejects.toMatchObject({ code: 10062, status: 404 });
      });
      await f.slashCommand({ name: "anything", options: [] });
      await third;
      const fourth = nextCommand(client, async (i) => void (await i.reply({ content: "fine" })));
      await f.slashCommand({ name: "anything", options: [] });
      await fourth;
      expect(() => f.expireToken("not-a-token")).toThrow(/no interaction of this fake has token/);
      expect(f.rejections).toEqual([]);
    });
  });
});

describe("fake Discord: threads", () => {
  const granted = (extra: bigint): FakeDiscordOptions => ({ botPermissions: (INVITE_PERMISSIONS | extra).toString() });
  // a bot invited before the invite asked for Send Messages in Threads
  const WITHOUT_THREADS = INVITE_PERMISSIONS & ~P.SEND_MESSAGES_IN_THREADS;
  const withoutThreads: FakeDiscordOptions = { botPermissions: WITHOUT_THREADS.toString() };
  const threadCreated = (client: Client) => new Promise<[ThreadChannel, boolean]>((resolve) => client.once(Events.ThreadCreate, (t, n) => resolve([t, n])));

  it("announces a thread with THREAD_CREATE (archiving, locking with THREAD_UPDATE); discord.js caches it", async () => {
    await withFake(withoutThreads, async (f) => {
      const client = await connect(f);
      const created = threadCreated(client);
      const id = f.addThread({ name: "video requests" });
      const [thread, newlyCreated] = await soon(created, "threadCreate");
      expect([thread.id, newlyCreated, thread.type, thread.parentId, thread.guildId, thread.name, thread.archived, thread.locked])
        .toEqual([id, true, ChannelType.PublicThread, f.channelId, f.guildId, "video requests", false, false]);
      expect(client.channels.cache.get(id)).toBe(thread);
      expect(thread.parent?.threads.cache.get(id)).toBe(thread);
      // a thread has its parent's permissions: here without Send Messages in Threads
      expect(thread.permissionsFor(client.user!)!.bitfield).toBe(WITHOUT_THREADS);
      expect(thread.sendable).toBe(false);

      const updated = new Promise<ThreadChannel>((resolve) => client.on(Events.ThreadUpdate, (_old, t) => t.locked && resolve(t)));
      const closed = f.addThread({ archived: true, locked: true });
      const closedThread = await soon(updated, "threadUpdate");
      expect([closedThread.id, closedThread.archived, closedThread.locked]).toEqual([closed, true, true]);
      expect(await client.rest.get(Routes.channel(id))).toMatchObject({
        id, type: 11, guild_id: f.guildId, parent_id: f.channelId, name: "video requests", message_count: 0,
        thread_metadata: { archived: false, locked: false, auto_archive_duration: 1440 },
      });

      // a client connecting later gets the active threads in GUILD_CREATE, not the archived one
      await client.destroy();
      const later = await connect(f);
      expect(later.channels.cache.get(id)?.isThread()).toBe(true);
      expect(later.channels.cache.has(closed)).toBe(false);
    });
  });

  it("runs commands and clicks in a thread: the thread is the interaction's channel, with the parent's permissions", async () => {
    await withFake(withoutThreads, async (f) => {
      const client = await connect(f);
      const raw: any[] = [];
      client.on(Events.Raw, (p: { t: string; d: any }) => void (p.t === "INTERACTION_CREATE" && raw.push(p.d)));
      const created = threadCreated(client);
      const thread = f.addThread();
      await soon(created, "threadCreate");
      const row = { type: 1, components: [{ type: 2, style: 2, custom_id: "again", label: "Again" }] };
      const handled = nextCommand(client, async (i) => {
        expect(i.channelId).toBe(thread);
        expect(i.channel?.isThread() && i.channel.parentId).toBe(f.channelId);
        expect(i.appPermissions.bitfield).toBe(WITHOUT_THREADS);
        await i.reply({ content: "on it", components: [row] }); // a response needs no channel permission
      });
      const { id } = await f.slashCommand({ name: "anything", options: [], channelId: thread });
      await handled;
      expect(raw[0]).toMatchObject({
        channel_id: thread, app_permissions: WITHOUT_THREADS.toString(),
        channel: { id: thread, type: 11, guild_id: f.guildId, parent_id: f.channelId, thread_metadata: { archived: false, locked: false } },
      });
      const reply = f.messages(thread).find((m) => m.interactionId === id)!;
      expect(reply.channel_id).toBe(thread);

      // a click on that message is in the thread too; a grant shows in the next interaction's app_permissions
      f.setBotPermissions(WITHOUT_THREADS | P.SEND_MESSAGES_IN_THREADS);
      const clicked = new Promise<{ channel: string; perms: bigint }>((resolve, reject) =>
        client.once(Events.InteractionCreate, (i) => {
          if (i.isButton()) i.deferUpdate().then(() => resolve({ channel: i.channelId, perms: i.appPermissions.bitfield }), reject);
        }),
      );
      await f.clickButton({ messageId: reply.id, customId: "again" });
      expect(await soon(clicked, "button")).toEqual({ channel: thread, perms: WITHOUT_THREADS | P.SEND_MESSAGES_IN_THREADS });
      expect(raw[1]).toMatchObject({ channel_id: thread, channel: { type: 11, parent_id: f.channelId }, app_permissions: (WITHOUT_THREADS | P.SEND_MESSAGES_IN_THREADS).toString() });

      // Discord's client offers no commands in an archived thread; a channel that is none of the fake's is a test bug
      f.updateThread(thread, { archived: true });
      await expect(f.slashCommand({ name: "anything", options: [], channelId: thread })).rejects.toThrow(/archived/);
      await expect(f.slashCommand({ name: "anything", options: [], channelId: snowflake() })).rejects.toThrow(/neither/);
      expect(f.rejections).toEqual([]);
    });
  });

  it("needs SEND_MESSAGES_IN_THREADS, not SEND_MESSAGES, to post in a thread", async () => {
    // without Send Messages in Threads: the channel yes, a thread no
    await withFake(withoutThreads, async (f) => {
      const client = await connect(f);
      const created = threadCreated(client);
      const thread = f.addThread();
      const [cached] = await soon(created, "threadCreate");
      await client.rest.post(Routes.channelMessages(f.channelId), { body: { content: "in the channel" } });
      await expect(client.rest.post(Routes.channelMessages(thread), { body: { content: "in the thread" } })).rejects.toMatchObject(missing);
      await expect(cached.send("through discord.js")).rejects.toMatchObject(missing);
      await expect(client.rest.post(Routes.channelTyping(thread))).rejects.toMatchObject(missing);
      expect(f.messages(thread)).toEqual([]);
      expect(f.rejections.map((r) => r.code)).toEqual([50013, 50013, 50013]);
    });
    // Send Messages in Threads without Send Messages: a thread yes, the channel no
    await withFake({ botPermissions: ((WITHOUT_THREADS | P.SEND_MESSAGES_IN_THREADS) & ~P.SEND_MESSAGES).toString() }, async (f) => {
      const rest = restFor(f);
      const thread = f.addThread();
      const sent = (await rest.post(Routes.channelMessages(thread), { body: { content: "in the thread" } })) as Msg;
      expect(f.message(sent.id)!.channel_id).toBe(thread);
      expect(await rest.get(Routes.channel(thread))).toMatchObject({ message_count: 1, total_message_sent: 1, last_message_id: sent.id });
      await expect(rest.post(Routes.channelMessages(f.channelId), { body: { content: "in the channel" } })).rejects.toMatchObject(missing);
      expect(f.rejections.map((r) => r.code)).toEqual([50013]);
    });
  });

  it("refuses posts, edits and reactions in an archived thread (50083), posts and edits in a locked one without MANAGE_THREADS", async () => {
    const archivedError = { code: 50083, status: 400, message: "Thread is archived" };
    for (const moderator of [false, true]) {
      await withFake(granted(P.SEND_MESSAGES_IN_THREADS | (moderator ? P.MANAGE_THREADS : 0n)), async (f) => {
        const rest = restFor(f);
        const thread = f.addThread();
        const mine = (await rest.post(Routes.channelMessages(thread), { body: { content: "progress 1" } })) as Msg;
        const scratch = (await rest.post(Routes.channelMessages(thread), { body: { content: "scratch" } })) as Msg;
        const theirs = f.userMessage({ channelId: thread, content: "make it blue" });
        const post = () => rest.post(Routes.channelMessages(thread), { body: { content: "result" } });
        const edit = () => rest.patch(Routes.channelMessage(thread, mine.id), { body: { content: "progress 2" } });
        const react = () => rest.put(Routes.channelMessageOwnReaction(thread, theirs.id, encodeURIComponent("👍")));
        const label = moderator ? "with MANAGE_THREADS" : "without MANAGE_THREADS";

        // locked, still active: posts and edits only for a moderator; reactions for anyone
        f.updateThread(thread, { locked: true });
        if (moderator) {
          await post();
          await edit();
        } else {
          await expect(post(), label).rejects.toMatchObject(archivedError);
          await expect(edit(), label).rejects.toMatchObject(archivedError);
        }
        await react();

        // archived (and unlocked): no posts, edits or reactions for anyone; deleting is what remains
        f.updateThread(thread, { archived: true, locked: false });
        await expect(post(), label).rejects.toMatchObject(archivedError);
        await expect(edit(), label).rejects.toMatchObject(archivedError);
        await expect(react(), label).rejects.toMatchObject(archivedError);
        await rest.delete(Routes.channelMessage(thread, scratch.id));
        expect(await rest.get(Routes.channel(thread))).toMatchObject({ message_count: moderator ? 3 : 2, total_message_sent: moderator ? 4 : 3 });
        // archived and locked: not even that, unless a moderator
        f.updateThread(thread, { locked: true });
        const del = () => rest.delete(Routes.channelMessage(thread, mine.id));
        if (moderator) await del();
        else await expect(del(), label).rejects.toMatchObject(archivedError);
        expect(f.message(mine.id)!.editHistory).toEqual(moderator ? ["progress 1", "progress 2"] : ["progress 1"]);
        expect(f.message(mine.id)!.deleted ?? false).toBe(moderator);
        expect(f.reactions(theirs.id)).toEqual([{ emoji: "👍", userId: f.botUserId }]);
        expect(f.rejections).toEqual([]); // a thread's state is no malformed request
      });
    }
  });

  it("posts a reply to a message elsewhere or deleted as a plain message with fail_if_not_exists: false", async () => {
    await withFake({}, async (f) => {
      const rest = restFor(f);
      const route = Routes.channelMessages(f.channelId);
      const thread = f.addThread();
      const elsewhere = f.userMessage({ channelId: thread, content: "in the thread" });
      const gone = (await rest.post(route, { body: { content: "soon deleted" } })) as Msg;
      await rest.delete(Routes.channelMessage(f.channelId, gone.id));
      const here = f.userMessage({ content: "here", user: f.users.stranger });
      type Sent = Msg & { type: number; message_reference?: unknown };
      const reply = (ref: Record<string, unknown>) => rest.post(route, { body: { content: "re", message_reference: ref } }) as Promise<Sent>;
      const refused = (code: string) => ({ code: 50035, rawError: { errors: { message_reference: { _errors: [{ code }] } } } });

      for (const target of [elsewhere.id, gone.id]) {
        const plain = await reply({ message_id: target, fail_if_not_exists: false });
        expect([plain.type, plain.message_reference, pingsOf(plain)]).toEqual([0, undefined, NONE]);
        await expect(reply({ message_id: target })).rejects.toMatchObject(refused("MESSAGE_REFERENCE_UNKNOWN_MESSAGE"));
      }
      // a reply naming another channel is refused, whatever fail_if_not_exists says
      for (const fail_if_not_exists of [true, false]) {
        await expect(reply({ message_id: elsewhere.id, channel_id: thread, fail_if_not_exists })).rejects.toMatchObject(refused("REPLIES_CANNOT_REFERENCE_OTHER_CHANNEL"));
      }
      // one in its own channel still is a reply (and pings the author)
      const real = await reply({ message_id: here.id, fail_if_not_exists: false });
      expect([real.type, real.message_reference, pingsOf(real).users]).toEqual([19, { type: 0, message_id: here.id, channel_id: f.channelId, guild_id: f.guildId }, [f.users.stranger.id]]);
      expect(f.rejections.map((r) => r.code)).toEqual([50035, 50035, 50035, 50035]);
    });
  });
});

describe("fake Discord: more text channels, age-restricted channels", () => {
  const validator = new SpecValidator();
  /** Every channel object a payload carries, checked against Discord's schema (a thread's has no `nsfw`). */
  function checkChannels(where: string, list: unknown[]): void {
    for (const c of list as Array<Record<string, unknown>>) {
      const thread = c.type === 11;
      const errs = validator.validateSchema(thread ? "ThreadResponse" : "GuildChannelResponse", c);
      expect(errs?.tree ?? null, `${where}: ${JSON.stringify(c)}`).toBeNull();
      expect("nsfw" in c, `${where}: nsfw of ${JSON.stringify(c)}`).toBe(!thread);
    }
  }
  /** The channel objects of the gateway dispatches a client got. */
  const channelsIn = ({ t, d }: { t: string; d: any }): unknown[] =>
    t === "GUILD_CREATE" ? [...d.channels, ...d.threads]
    : ["CHANNEL_CREATE", "CHANNEL_UPDATE", "THREAD_CREATE", "THREAD_UPDATE"].includes(t) ? [d]
    : t === "INTERACTION_CREATE" ? [d.channel, ...Object.values(d.data?.resolved?.channels ?? {})]
    : [];
  const rawOf = (client: Client) => {
    const seen: Array<{ t: string; d: any }> = [];
    client.on(Events.Raw, (p: { t: string; d: any }) => void seen.push({ t: p.t, d: p.d }));
    return seen;
  };
  const channelCreated = (client: Client) => new Promise<TextChannel>((resolve) => client.once(Events.ChannelCreate, (c) => resolve(c as TextChannel)));
  const channelUpdated = (client: Client, id: string) =>
    new Promise<TextChannel>((resolve) => client.on(Events.ChannelUpdate, (_old, c) => void (c.id === id && resolve(c as TextChannel))));

  it("announces a channel added after login with CHANNEL_CREATE: discord.js caches it with its nsfw and the bot's deny; later sessions get it in GUILD_CREATE", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const seen = rawOf(client);
      const created = channelCreated(client);
      const id = await f.addChannel({ name: "after-dark", nsfw: true, botDeny: P.ATTACH_FILES });
      const cached = await soon(created, "channelCreate");
      expect([cached.id, cached.type, cached.guildId, cached.name, cached.nsfw]).toEqual([id, ChannelType.GuildText, f.guildId, "after-dark", true]);
      expect(client.channels.cache.get(id)).toBe(cached);
      expect(cached.permissionsFor(client.user!)!.bitfield).toBe(INVITE_PERMISSIONS & ~P.ATTACH_FILES);
      const first = client.channels.cache.get(f.channelId) as TextChannel;
      expect([first.nsfw, first.permissionsFor(client.user!)!.bitfield]).toEqual([false, INVITE_PERMISSIONS]);

      const rest = restFor(f);
      const got = (await rest.get(Routes.channel(id))) as Record<string, unknown>;
      expect(got).toMatchObject({ id, type: 0, guild_id: f.guildId, name: "after-dark", nsfw: true, position: 1 });
      const listed = (await rest.get(Routes.guildChannels(f.guildId))) as Array<{ id: string; nsfw: boolean }>;
      expect(listed.map((c) => [c.id, c.nsfw])).toEqual([[f.channelId, false], [id, true]]);
      const plain = await f.addChannel();
      expect(((await rest.get(Routes.channel(plain))) as { name: string; nsfw: boolean })).toMatchObject({ name: "channel-3", nsfw: false });

      const later = await connect(f);
      const again = later.channels.cache.get(id) as TextChannel | undefined;
      expect([again?.nsfw, again?.permissionsFor(later.user!)!.bitfield]).toEqual([true, INVITE_PERMISSIONS & ~P.ATTACH_FILES]);
      checkChannels("GET", [got, ...listed]);
      checkChannels("gateway", seen.flatMap(channelsIn));
      expect(seen.filter((p) => p.t === "CHANNEL_CREATE").map((p) => p.d.id)).toEqual([id, plain]);
      expect(f.rejections).toEqual([]);
    });
  });

  it("setChannelNsfw updates discord.js's cached channel (the first one too); a thread has no nsfw of its own, its parent's applies", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const seen = rawOf(client);
      const updated = channelUpdated(client, f.channelId);
      f.setChannelNsfw(f.channelId, true);
      expect((await soon(updated, "channelUpdate")).nsfw).toBe(true);
      expect((client.channels.cache.get(f.channelId) as TextChannel).nsfw).toBe(true);

      const created = channelCreated(client);
      const adult = await f.addChannel({ nsfw: true });
      await soon(created, "channelCreate");
      const cleared = channelUpdated(client, adult);
      f.setChannelNsfw(adult, false);
      expect((await soon(cleared, "channelUpdate")).nsfw).toBe(false);
      expect(((await restFor(f).get(Routes.channel(adult))) as { nsfw: boolean }).nsfw).toBe(false);

      // a thread in the first channel: discord.js finds the age restriction on its parent
      const threadCreated = new Promise<ThreadChannel>((resolve) => client.once(Events.ThreadCreate, (t) => resolve(t)));
      const thread = f.addThread({ parentId: f.channelId });
      const cachedThread = await soon(threadCreated, "threadCreate");
      expect([cachedThread.parentId, (cachedThread.parent as TextChannel).nsfw]).toEqual([f.channelId, true]);
      expect(() => f.setChannelNsfw(thread, true)).toThrow(/thread/);
      expect(() => f.setChannelNsfw(snowflake(), true)).toThrow(/not a text channel/);
      checkChannels("gateway", seen.flatMap(channelsIn));
      expect(seen.filter((p) => p.t === "CHANNEL_UPDATE").map((p) => [p.d.id, p.d.nsfw])).toEqual([[f.channelId, true], [adult, false]]);
    });
  });

  it("runs a slash command in an added channel: its channel carries nsfw, app_permissions its deny; a Channel option resolves it", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const seen = rawOf(client);
      const created = channelCreated(client);
      const adult = await f.addChannel({ name: "after-dark", nsfw: true, botDeny: P.ATTACH_FILES | P.EMBED_LINKS });
      await soon(created, "channelCreate");
      const handled = nextCommand(client, async (i) => {
        expect(i.channelId).toBe(adult);
        expect((i.channel as TextChannel).nsfw).toBe(true);
        expect(i.appPermissions.bitfield).toBe(INVITE_PERMISSIONS & ~(P.ATTACH_FILES | P.EMBED_LINKS));
        const named = i.options.getChannel("where", true) as TextChannel;
        expect([named.id, named.name, named.nsfw, named.type]).toEqual([adult, "after-dark", true, ChannelType.GuildText]);
        await i.reply({ content: "on it" }); // a response needs no channel permission
      });
      const { id } = await f.slashCommand({ name: "check", options: [{ name: "where", type: 7, value: adult }], channelId: adult });
      await handled;
      const raw = seen.find((p) => p.t === "INTERACTION_CREATE")!.d;
      const requester = BigInt(raw.member.permissions as string);
      expect(raw).toMatchObject({
        channel_id: adult, app_permissions: (INVITE_PERMISSIONS & ~(P.ATTACH_FILES | P.EMBED_LINKS)).toString(),
        channel: { id: adult, type: 0, nsfw: true, name: "after-dark" },
        data: { resolved: { channels: { [adult]: { id: adult, type: 0, name: "after-dark", nsfw: true, guild_id: f.guildId, permissions: requester.toString() } } } },
      });
      // the first channel, named from the new one, is as it is: not age-restricted
      const fromFirst = nextCommand(client, async (i) => {
        expect([i.channelId, (i.options.getChannel("where", true) as TextChannel).nsfw, i.appPermissions.bitfield]).toEqual([adult, false, INVITE_PERMISSIONS & ~(P.ATTACH_FILES | P.EMBED_LINKS)]);
        await i.reply({ content: "only you", flags: MessageFlags.Ephemeral });
      });
      const second = await f.slashCommand({ name: "check", options: [{ name: "where", type: 7, value: f.channelId }], channelId: adult });
      await fromFirst;
      expect(f.messages(adult).map((m) => [m.interactionId, m.text])).toEqual([[id, "on it"], [second.id, "only you"]]);
      expect(f.channelMessages(adult).map((m) => m.text)).toEqual(["on it"]); // what members see there
      expect(f.channelMessages(f.channelId)).toEqual([]);
      expect(() => f.channelMessages(snowflake())).toThrow(/no channel/);

      // members' messages, the bot's posts, edits, deletes and reactions there; its deny still holds
      const rest = restFor(f);
      const theirs = f.userMessage({ channelId: adult, content: "make it spicy" });
      const mine = (await rest.post(Routes.channelMessages(adult), { body: { content: "rendering", message_reference: { message_id: theirs.id } } })) as Msg;
      await rest.patch(Routes.channelMessage(adult, mine.id), { body: { content: "done" } });
      await rest.put(Routes.channelMessageOwnReaction(adult, theirs.id, encodeURIComponent("👍")));
      await rest.delete(Routes.channelMessage(adult, mine.id));
      await expect(rest.post(Routes.channelMessages(adult), { body: { content: "x", embeds: [{ title: "t" }] } })).rejects.toMatchObject(missing);
      await expect(rest.post(Routes.channelMessages(adult), { body: { content: "x" }, files: [{ name: "a.png", data: PNG }] })).rejects.toMatchObject(missing);
      await rest.post(Routes.channelMessages(f.channelId), { body: { content: "x", embeds: [{ title: "t" }] } }); // the first channel: granted
      expect(f.channelMessages(adult).map((m) => m.text)).toEqual(["on it", "make it spicy"]);
      expect(f.message(mine.id)).toMatchObject({ channel_id: adult, editHistory: ["rendering", "done"], deleted: true });
      expect(f.reactions(theirs.id)).toEqual([{ emoji: "👍", userId: f.botUserId }]);
      checkChannels("gateway", seen.flatMap(channelsIn));
      expect(f.rejections.map((r) => r.code)).toEqual([50013, 50013]);
    });
  });

  it("enforces a channel's botDeny as Discord does: 50013 without SEND_MESSAGES (through discord.js), 50001 without VIEW_CHANNEL, in its threads too", async () => {
    await withFake({ botPermissions: (INVITE_PERMISSIONS | P.SEND_MESSAGES_IN_THREADS).toString() }, async (f) => {
      const client = await connect(f);
      const created = channelCreated(client);
      const mute = await f.addChannel({ name: "read-only", botDeny: P.SEND_MESSAGES });
      const cached = await soon(created, "channelCreate");
      expect(cached.permissionsFor(client.user!)!.has(PermissionFlagsBits.SendMessages)).toBe(false);
      const failed = await failure(cached.send("hello"));
      expect(failed).toBeInstanceOf(DiscordAPIError);
      expect(failed).toMatchObject({ code: 50013, status: 403, message: "Missing Permissions" });
      await expect(client.rest.post(Routes.channelTyping(mute))).rejects.toMatchObject(missing);
      expect(f.messages(mute)).toEqual([]);
      await (client.channels.cache.get(f.channelId) as TextChannel).send("the first channel: granted");
      // a slash command there tells the bot beforehand
      const handled = nextCommand(client, async (i) => {
        expect(i.appPermissions.has(PermissionFlagsBits.SendMessages)).toBe(false);
        await i.reply({ content: "can't post here" });
      });
      await f.slashCommand({ name: "anything", options: [], channelId: mute });
      await handled;

      const hidden = await f.addChannel({ name: "staff", botDeny: P.VIEW_CHANNEL });
      const thread = f.addThread({ parentId: hidden });
      const rest = restFor(f);
      const noAccess = { code: 50001, status: 403, message: "Missing Access" };
      await expect(rest.post(Routes.channelMessages(hidden), { body: { content: "hi" } })).rejects.toMatchObject(noAccess);
      await expect(rest.get(Routes.channel(hidden))).rejects.toMatchObject(noAccess);
      await expect(rest.get(Routes.channelMessages(hidden))).rejects.toMatchObject(noAccess);
      await expect(rest.post(Routes.channelMessages(thread), { body: { content: "hi" } })).rejects.toMatchObject(noAccess);
      const theirs = f.userMessage({ channelId: hidden, content: "secret" });
      await expect(rest.put(Routes.channelMessageOwnReaction(hidden, theirs.id, encodeURIComponent("👍")))).rejects.toMatchObject(noAccess);
      // a thread of the SEND_MESSAGES-denied channel: SEND_MESSAGES has no effect in threads
      const inThread = f.addThread({ parentId: mute });
      await rest.post(Routes.channelMessages(inThread), { body: { content: "in the thread" } });
      // an administrator bot ignores overwrites
      f.setBotPermissions(P.ADMINISTRATOR);
      await rest.post(Routes.channelMessages(hidden), { body: { content: "admin" } });
      expect(f.rejections.map((r) => r.code)).toEqual([50013, 50013, 50001, 50001, 50001, 50001, 50001]);
    });
  });
});
