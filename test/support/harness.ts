import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { startBot, type BotHandle } from "../../src/bot.js";
import { parseConfig } from "../../src/config/env.js";
import { allComponents, readableText, startFakeDiscord, type FakeDiscord, type FakeDiscordOptions, type FakeUser, type InteractionHandle, type APIAttachmentLike } from "../fakes/discord/index.js";
import { startFakeFal, type FakeFal, type FakeFalOptions } from "../fakes/fal/index.js";
import { makePng } from "./picture.js";

export const FAL_KEY = "fal-test-key-0123456789abcdef";

/** A 640×480 PNG: real picture bytes, within the model's size limits, for the fakes to check. */
export const PICTURE = { width: 640, height: 480 } as const;
export const PNG = makePng(PICTURE.width, PICTURE.height);

export interface Harness {
  discord: FakeDiscord;
  fal: FakeFal;
  bot: BotHandle;
  env: Record<string, string>;
  logs(): string;
  /** Starts another bot process on the same fakes and store (a restart). */
  restart(): Promise<BotHandle>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra environment; a function gets the fakes first (for their URLs). */
  env?: Record<string, string> | ((fakes: { discord: FakeDiscord; fal: FakeFal }) => Record<string, string> | Promise<Record<string, string>>);
  discord?: FakeDiscordOptions;
  fal?: FakeFalOptions;
  storeUrl?: string;
}

/** Starts the fakes and the bot through the same `startBot` that `npm start` runs. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const discord = await startFakeDiscord(options.discord);
  const fal = await startFakeFal({ key: FAL_KEY, ...options.fal });
  const dir = mkdtempSync(join(tmpdir(), "seedance-bot-"));
  const env: Record<string, string> = {
    DISCORD_TOKEN: discord.token,
    FAL_KEY,
    DISCORD_API_URL: discord.apiUrl,
    DISCORD_CDN_URL: discord.cdnUrl,
    FAL_PROXY_URL: fal.proxyUrl,
    STORE_URL: options.storeUrl ?? `sqlite://${join(dir, "bot.sqlite")}`,
    LOG_LEVEL: "debug",
    FAL_POLL_INTERVAL_MS: "50",
    PROGRESS_EDIT_INTERVAL_MS: "150",
    ...(typeof options.env === "function" ? await options.env({ discord, fal }) : options.env),
  };
  let captured = "";
  const logStream = new Writable({
    write(chunk, _enc, done) {
      captured += chunk.toString();
      done();
    },
  });
  const bots: BotHandle[] = [];
  const boot = async () => {
    const bot = await startBot(parseConfig(env), { logDestination: logStream });
    bots.push(bot);
    return bot;
  };
  const bot = await boot();
  await discord.ready();
  return {
    discord,
    fal,
    bot,
    env,
    logs: () => captured,
    async restart() {
      await bots.at(-1)!.stop(2_000, 0);
      return boot();
    },
    async close() {
      for (const b of bots) await b.stop(2_000, 0);
      await discord.close();
      await fal.close();
    },
  };
}

type VideoOptions = {
  prompt?: string;
  duration?: number;
  resolution?: string;
  aspect_ratio?: string;
  audio?: boolean;
  seed?: number;
  end_image?: APIAttachmentLike;
};

/** Dispatches a /video interaction with a picture, as a member would. */
export async function runVideo(
  h: Harness,
  opts: VideoOptions & { image?: APIAttachmentLike; user?: FakeUser; locale?: string; guildLocale?: string; channelId?: string } = {},
): Promise<InteractionHandle> {
  const image = opts.image ?? h.discord.addAttachment(PNG, "cat.png", "image/png", PICTURE);
  const options: Array<{ name: string; type: number; value: unknown }> = [
    { name: "image", type: 11, value: image.id },
    { name: "prompt", type: 3, value: opts.prompt ?? "the cat surfs a wave" },
  ];
  if (opts.duration !== undefined) options.push({ name: "duration", type: 4, value: opts.duration });
  if (opts.resolution) options.push({ name: "resolution", type: 3, value: opts.resolution });
  if (opts.aspect_ratio) options.push({ name: "aspect_ratio", type: 3, value: opts.aspect_ratio });
  if (opts.audio !== undefined) options.push({ name: "audio", type: 5, value: opts.audio });
  if (opts.seed !== undefined) options.push({ name: "seed", type: 4, value: opts.seed });
  if (opts.end_image) options.push({ name: "end_image", type: 11, value: opts.end_image.id });
  return h.discord.slashCommand({
    name: "video",
    options,
    attachments: [image, ...(opts.end_image ? [opts.end_image] : [])],
    ...(opts.user ? { user: opts.user } : {}),
    ...(opts.locale ? { locale: opts.locale } : {}),
    ...(opts.guildLocale ? { guildLocale: opts.guildLocale } : {}),
    ...(opts.channelId ? { channelId: opts.channelId } : {}),
  });
}

/** What the bot answered to one interaction: callbacks and webhook calls made with its token. */
export function answersTo(h: Harness, interaction: InteractionHandle) {
  return h.discord.requests.filter((r) => r.path.includes(`/${interaction.id}/`) || r.path.includes(`/${interaction.token}`));
}

/** The SKUs of the premium (buy) buttons the bot showed in answer to an interaction. */
export function buyButtons(h: Harness, interaction: InteractionHandle): string[] {
  return answersTo(h, interaction).flatMap((r) => {
    const body = r.json as { data?: { components?: unknown[] }; components?: unknown[] } | undefined;
    return allComponents(body?.data?.components ?? body?.components ?? []).filter((c) => c.type === 2 && (c as { style?: number }).style === 6).map((c) => (c as { sku_id?: string }).sku_id);
  }) as string[];
}

/** The ephemeral text the caller saw (a reply or a follow-up with flags 64), if any. */
export function ephemeralText(h: Harness, interaction: InteractionHandle): string | undefined {
  let deferredPrivately = false;
  for (const r of answersTo(h, interaction)) {
    const body = r.json as { type?: number; data?: { flags?: number; content?: string }; flags?: number; content?: string } | undefined;
    if (!body || r.status >= 300) continue;
    if (body.type === 4 && ((body.data?.flags ?? 0) & 64)) return body.data?.content;
    if (body.type === 5 && ((body.data?.flags ?? 0) & 64)) deferredPrivately = true;
    // an ephemeral "thinking" edited into the answer
    if (deferredPrivately && r.method === "PATCH" && r.path.endsWith("/messages/@original") && body.content) return body.content;
    if (r.method === "POST" && r.path.startsWith("/webhooks/") && ((body.flags ?? 0) & 64)) return body.content;
  }
  return undefined;
}

/**
 * The text a message body (a REST body, or an interaction callback's `data`) shows: its
 * content and every Text Display of its components, in order.
 */
export function bodyText(json: unknown): string {
  const raw = json as { type?: number; data?: unknown } | undefined;
  const body = (raw && typeof raw.type === "number" && raw.data ? raw.data : raw) as { content?: string; components?: unknown[] } | undefined;
  return readableText(body?.content ?? "", body?.components ?? []);
}

/** What `/quota show` tells a member (default: the requester) about their budget. */
export async function quotaText(h: Harness, user = h.discord.users.requester): Promise<string> {
  const show = await h.discord.slashCommand({ name: "quota", user, options: [{ name: "show", type: 1, options: [] }] });
  return h.discord.waitFor(() => ephemeralText(h, show), 10_000);
}

/** Every message that carries an MP4, deleted ones included. */
export function videoMessages(h: Pick<Harness, "discord">) {
  return h.discord.allMessages().filter((m) => m.attachments.some((a) => a.filename.endsWith(".mp4")));
}

/** Waits for the ✅ on an interaction's progress message. */
export function doneMessage(h: Harness, interactionId: string) {
  return h.discord.waitFor(() => h.discord.messages().find((m) => m.interactionId === interactionId && m.text.includes("✅ Done")), 15_000);
}

/** A /video (5 s, 720p, 16:9 unless told) run to the end: its interaction, its result message, and the result's Regenerate button. */
export async function deliveredVideo(h: Harness, opts: Parameters<typeof runVideo>[1] = {}) {
  const interaction = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9", ...opts });
  await doneMessage(h, interaction.id);
  const result = videoMessages(h).at(-1)!;
  const regenerate = buttonsOf(result)[0]!;
  return { interaction, result, regenerate };
}

export interface FakeButton {
  type: 2;
  custom_id: string;
  label?: string;
  style?: number;
  emoji?: { name?: string };
  disabled?: boolean;
}

/** Every button of a message, wherever it sits (an action row, a container, a section), in order. */
export function buttonsOf(m: { components: unknown[] }): FakeButton[] {
  return allComponents(m.components).filter((c) => c.type === 2) as FakeButton[];
}

/** A message's button whose custom id starts with `action:` (regen, loop, remix, cancel). */
export function buttonOf(m: { components: unknown[] }, action: string): FakeButton {
  const found = buttonsOf(m).find((b) => b.custom_id.startsWith(`${action}:`));
  if (!found) throw new Error(`no ${action} button on the message (has: ${buttonsOf(m).map((b) => b.custom_id).join(", ") || "none"})`);
  return found;
}
