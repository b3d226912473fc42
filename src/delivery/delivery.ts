import type { RESTPostAPIChannelMessageJSONBody } from "discord.js";
import { DiscordAPIError, RESTJSONErrorCodes } from "discord.js";
import { downloadCapped } from "../http/index.js";
import { readMp4Info } from "../seedance/index.js";
import { isBarred } from "../jobs/index.js";
import { COMPONENTS_V2, type DiscordMessages, type InteractionWebhook, type UploadFile } from "../discord/index.js";
import { costMicros, type Tier } from "../seedance/index.js";
import type { Job } from "../jobs/index.js";
import { resultCard, type ResultFacts } from "../cards/index.js";

/** Derived from the job id: a repeated post after a crash returns the first message instead. */
export function deliveryNonce(jobId: string): string {
  return `v${jobId.replace(/-/g, "")}`.slice(0, 25);
}

export const MAX_VIDEO_BYTES = 512 * 1024 * 1024;

/**
 * What the delivered video costs at fal's price, from its own frame and length (fal bills the
 * requested length; for `auto` the model's choice, in whole seconds). The member is charged
 * this or fal's reported bill, never more than was held.
 */
export function videoCost(job: Pick<Job, "params" | "estimate">, tier: Tier, video: Buffer): { micros: number; seconds: number } {
  const info = readMp4Info(video);
  if (!info) return { micros: job.estimate.micros, seconds: job.estimate.seconds };
  const seconds = job.params.duration === "auto" ? Math.max(1, Math.round(info.durationSec)) : Number(job.params.duration);
  return { micros: costMicros(tier, { width: info.width, height: info.height }, seconds), seconds };
}

export async function downloadVideo(url: string): Promise<Buffer> {
  return downloadCapped(url, MAX_VIDEO_BYTES, 180_000);
}

/**
 * How long an upload of `bytes` may take: Discord's usual 15 s plus a second for every 256 KiB
 * (a slow link still gets a 20 MiB video through), at most ten minutes.
 */
export function uploadTimeoutMs(bytes: number): number {
  return Math.min(600_000, 15_000 + Math.ceil(bytes / (256 * 1024)) * 1_000);
}

/** What is delivered: the video itself, or (past the delivery deadline) only a link to fal's copy. */
export type Delivery = { video: Buffer; linkOnly?: undefined } | { video?: undefined; linkOnly: true };

/**
 * Posts the finished video in the channel, mentioning only the requester: as an attachment
 * when it fits the upload limit, otherwise as a link to fal's copy. Where the bot may not
 * post in the channel at all, the interaction's own webhook still can while it lives.
 */
export async function postVideo(
  messages: DiscordMessages,
  job: Job,
  what: Delivery,
  facts: Omit<ResultFacts, "link">,
  buttons: unknown[] = [],
  webhook: InteractionWebhook | null = null,
): Promise<string> {
  const video = what.video;
  const file = video ? { name: `seedance-${job.id.slice(0, 8)}.mp4`, data: video, contentType: "video/mp4" } : null;
  const card = (media: { file: string } | { link: string }) => ({
    flags: COMPONENTS_V2,
    components: resultCard(job, facts, media, buttons),
    allowed_mentions: { parse: [] as [], users: [job.userId] },
  });
  const withLink = card({ link: job.videoUrl! });
  const fits = file !== null && file.data.length <= job.uploadLimitBytes;
  const withFile = file ? card({ file: file.name }) : withLink;
  const timeoutMs = file ? uploadTimeoutMs(file.data.length) : undefined;
  // the nonce makes a repeated post (after a crash, or an answer lost) return the first message instead
  const nonce = { nonce: deliveryNonce(job.id), enforce_nonce: true };
  const inChannel = (body: object, files: UploadFile[]) => messages.post(job.channelId, { ...body, ...nonce } as RESTPostAPIChannelMessageJSONBody, files, files.length ? timeoutMs : undefined);
  try {
    if (fits) return await inChannel(withFile, [file!]);
  } catch (err) {
    // The bot's upload limit can be lower than the member's (Nitro), or it may not attach
    // files here: a link still delivers the video.
    if (!isTooLarge(err) && !isBarred(err)) throw err;
  }
  try {
    return await inChannel(withLink, []);
  } catch (err) {
    if (!isBarred(err) || !webhook || Date.now() >= webhook.expiresAt) throw err;
  }
  return messages.followUp(webhook!, fits ? withFile : withLink, fits ? [file!] : [], fits ? timeoutMs : undefined);
}

function isTooLarge(err: unknown): boolean {
  return err instanceof DiscordAPIError && (err.code === RESTJSONErrorCodes.RequestEntityTooLarge || err.status === 413);
}
