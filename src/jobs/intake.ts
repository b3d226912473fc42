import { randomUUID } from "node:crypto";
import type { Attachment, ChatInputCommandInteraction } from "discord.js";
import { AttachmentRefusal, checkAttachment, fetchImage, type FetchedImage } from "../discord/attachments.js";
import { refuse } from "../discord/replies.js";
import { MAX_PROMPT_LENGTH, type VideoParams } from "../seedance/input.js";
import type { ReserveOutcome } from "../quota/ledger.js";
import { estimate, formatUsd, MAX_SECONDS, MIN_SECONDS, type AspectRatio, type Duration, type Resolution } from "../seedance/pricing.js";
import type { Services } from "../services.js";
import type { Job } from "./job.js";
import { renderProgress } from "./progress.js";

async function refusalText(outcome: Exclude<ReserveOutcome, { ok: true }>, cost: number, job: Job, s: Services): Promise<string> {
  const resets = `<t:${Math.floor(s.budget.period().end / 1000)}:R>`;
  if (outcome.reason === "in_flight") {
    return `You already have ${outcome.inFlight} videos in progress, the most this server allows at once. Please wait for one to finish; nothing was charged.`;
  }
  if (outcome.reason === "spend_cap") {
    return `The bot's overall budget for this period is used up (${formatUsd(outcome.remainingMicros)} left, this video needs ${formatUsd(cost)}). It resets ${resets}. Nothing was charged.`;
  }
  const status = await s.budget.status(job.guildId ?? "dm", job.userId);
  return `This video would cost ${job.estimate.upTo ? "up to " : ""}${formatUsd(cost)}, but you have ${formatUsd(outcome.remainingMicros)} left of your ${formatUsd(status.limitMicros)} budget. It resets ${resets}. Nothing was charged.`;
}

export interface VideoRequest {
  image: Attachment;
  endImage?: Attachment | undefined;
  prompt: string;
  duration?: number | undefined;
  resolution?: Resolution | undefined;
  aspectRatio?: AspectRatio | undefined;
  audio?: boolean | undefined;
  seed?: number | undefined;
}

/** Interaction tokens live 15 minutes; stop using one a minute early. */
const TOKEN_LIFETIME_MS = 14 * 60 * 1000;
const DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024;

/**
 * From a /video interaction to an accepted job: cheap checks first (answered ephemerally),
 * then the public acknowledgement, then the picture's bytes, then the job record and the
 * first progress message. The runner takes it from there.
 */
export async function requestVideo(interaction: ChatInputCommandInteraction, req: VideoRequest, s: Services): Promise<void> {
  const resolution = req.resolution ?? "720p";
  const prompt = req.prompt.trim();
  if (!prompt) return refuse(interaction, "Please describe what should happen in the video: the prompt is empty.");
  if (prompt.length > MAX_PROMPT_LENGTH) return refuse(interaction, `The prompt is ${prompt.length} characters; the model accepts up to ${MAX_PROMPT_LENGTH}.`);
  if (!s.tier.resolutions.includes(resolution)) {
    return refuse(interaction, `This bot's model (${s.seedance.model}) renders ${s.tier.resolutions.join(" or ")} only. Please pick one of those.`);
  }
  if (req.duration !== undefined && (!Number.isInteger(req.duration) || req.duration < MIN_SECONDS || req.duration > MAX_SECONDS)) {
    return refuse(interaction, `The duration must be a whole number of seconds from ${MIN_SECONDS} to ${MAX_SECONDS}.`);
  }
  try {
    checkAttachment(req.image, "picture", s.config.attachmentOrigins);
    if (req.endImage) checkAttachment(req.endImage, "end picture", s.config.attachmentOrigins);
  } catch (err) {
    if (err instanceof AttachmentRefusal) return refuse(interaction, err.message);
    throw err;
  }

  await interaction.deferReply();

  let image: FetchedImage;
  let endImage: FetchedImage | undefined;
  try {
    image = await fetchImage(req.image, "picture");
    if (req.endImage) endImage = await fetchImage(req.endImage, "end picture");
  } catch (err) {
    if (err instanceof AttachmentRefusal) return refuse(interaction, err.message);
    throw err;
  }

  const params: VideoParams = {
    prompt,
    imageUrl: req.image.url,
    endImageUrl: req.endImage?.url,
    duration: (req.duration === undefined ? "auto" : String(req.duration)) as Duration,
    resolution,
    aspectRatio: req.aspectRatio ?? "auto",
    audio: req.audio ?? true,
    seed: req.seed,
  };
  const now = Date.now();
  const job: Job = {
    id: randomUUID(),
    state: "accepted",
    createdAt: now,
    updatedAt: now,
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    userId: interaction.user.id,
    progressMessageId: null,
    sourceUrls: { image: req.image.url, endImage: req.endImage?.url },
    params,
    estimate: estimate(s.tier, params.resolution, params.aspectRatio, params.duration),
    reservation: null,
    uploadLimitBytes: interaction.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT,
    falRequestId: null,
    queuePosition: null,
    runningSince: null,
    lastLog: null,
    videoUrl: null,
    resultMessageId: null,
    resultSeed: null,
    error: null,
  };
  // The job exists before its hold, so a crash in between is found and finished on restart.
  await s.repo.save(job);
  const held = await s.budget.reserve(job);
  if (!held.ok) {
    await s.repo.save(Object.assign(job, { state: "failed", error: "refused by the budget" }));
    return refuse(interaction, await refusalText(held, job.estimate.micros, job, s));
  }
  await s.repo.save(job);

  const content = renderProgress({ ...job, now });
  let shown: string | undefined;
  try {
    const message = await interaction.editReply({ content, allowedMentions: { parse: [] } });
    job.progressMessageId = message.id;
    shown = content;
    await s.repo.linkMessage(message.id, job.id);
    await s.repo.save(job);
  } catch (err) {
    s.log.warn({ job: job.id, err }, "could not show the estimate; the runner will retry");
  }
  s.runner.start(job, {
    webhook: { applicationId: interaction.applicationId, token: interaction.token, expiresAt: interaction.createdTimestamp + TOKEN_LIFETIME_MS },
    images: { image, endImage },
    ...(shown ? { shownContent: shown } : {}),
  });
}
