import type { Attachment, ChatInputCommandInteraction } from "discord.js";
import { AttachmentRefusal, checkAttachment, fetchImage, type FetchedImage } from "../discord/attachments.js";
import type { MessageBody } from "../discord/messages.js";
import { DELIVERY, listNames, missingPermissions } from "../discord/permissions.js";
import { refuse } from "../discord/replies.js";
import { MAX_PROMPT_LENGTH, type VideoParams } from "../seedance/input.js";
import { MAX_SECONDS, MIN_SECONDS, type AspectRatio, type Duration, type Resolution } from "../seedance/pricing.js";
import type { Services } from "../services.js";
import { admitJob, inFlightRefusal, newJob, showAndStart, type Presenter } from "./launch.js";

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
/** Discord's per-file limit for bots since 2026-09-03, when an interaction reports none. */
export const DEFAULT_UPLOAD_LIMIT = 20 * 1024 * 1024;
/** How long a command waits for a place to download its picture before it gives up politely. */
export const INTAKE_WAIT_MS = 60_000;
const INTAKE_BUSY = "The bot is busy fetching other members' pictures right now. Please try again in a minute; nothing was charged.";

/** Shows progress as the interaction's (public, deferred) reply; refusals go to the caller alone. */
function interactionPresenter(interaction: ChatInputCommandInteraction): Presenter {
  return {
    refuse: (text) => refuse(interaction, text),
    refusesPrivately: true,
    show: async (body: MessageBody) => (await interaction.editReply({ content: body.content, allowedMentions: body.allowed_mentions, components: body.components as never })).id,
    webhook: { applicationId: interaction.applicationId, token: interaction.token, expiresAt: interaction.createdTimestamp + TOKEN_LIFETIME_MS },
  };
}

/**
 * Whether the bot can post the video where it was asked for (the interaction says what the bot
 * may do in the channel): never render what cannot be delivered. Without those permissions the
 * interaction's own webhook can still deliver, but only while it lives (15 minutes): enough
 * when no job may run longer.
 */
function checkDelivery(interaction: ChatInputCommandInteraction, s: Services): string | null {
  const missing = missingPermissions(interaction.appPermissions, DELIVERY);
  if (!missing.length || s.config.jobTimeoutMs <= TOKEN_LIFETIME_MS) return null;
  return `I can't post videos in this channel: I'm missing the ${listNames(missing)} permission${missing.length > 1 ? "s" : ""} here. Please ask an admin to grant ${missing.length > 1 ? "them" : "it"}, or use another channel. Nothing was charged.`;
}

/** Refusals that need no I/O, in the member's words; null when the request is fine. */
function checkRequest(req: VideoRequest, prompt: string, resolution: Resolution, s: Services): string | null {
  if (!prompt) return "Please describe what should happen in the video: the prompt is empty.";
  if (prompt.length > MAX_PROMPT_LENGTH) return `The prompt is ${prompt.length} characters; the model accepts up to ${MAX_PROMPT_LENGTH}.`;
  if (!s.tier.resolutions.includes(resolution)) return `This bot's model (${s.seedance.model}) renders ${s.tier.resolutions.join(" or ")} only. Please pick one of those.`;
  if (req.duration !== undefined && (!Number.isInteger(req.duration) || req.duration < MIN_SECONDS || req.duration > MAX_SECONDS)) {
    return `The duration must be a whole number of seconds from ${MIN_SECONDS} to ${MAX_SECONDS}.`;
  }
  try {
    checkAttachment(req.image, "picture", s.config.attachmentOrigins);
    if (req.endImage) checkAttachment(req.endImage, "end picture", s.config.attachmentOrigins);
  } catch (err) {
    if (err instanceof AttachmentRefusal) return err.message;
    throw err;
  }
  return null;
}

/**
 * From a /video interaction to a running job, cheapest checks first: the request itself, and
 * the member's jobs in progress as this process knows them, answered ephemerally before
 * anything else (synchronously, so a burst of commands sees itself and the acknowledgement is
 * not delayed); then the public acknowledgement; then the atomic budget hold (every limit,
 * exactly); only then a place to download the picture, and the picture's own bytes. Every
 * way out after the hold ends the job and refunds it.
 */
export async function requestVideo(interaction: ChatInputCommandInteraction, req: VideoRequest, s: Services): Promise<void> {
  const resolution = req.resolution ?? "720p";
  const prompt = req.prompt.trim();
  const refusal = checkRequest(req, prompt, resolution, s) ?? checkDelivery(interaction, s);
  if (refusal) return refuse(interaction, refusal);
  const member = `${interaction.guildId}:${interaction.user.id}`;
  const inProgress = s.admissions.count(member) + s.runner.unfinishedJobsOf(interaction.guildId, interaction.user.id);
  if (inProgress >= s.config.maxJobsPerUser) return refuse(interaction, inFlightRefusal(inProgress));
  const leave = s.admissions.enter(member);
  try {
    await admitAndStart(interaction, req, { prompt, resolution }, s);
  } finally {
    leave();
  }
}

async function admitAndStart(interaction: ChatInputCommandInteraction, req: VideoRequest, checked: { prompt: string; resolution: Resolution }, s: Services): Promise<void> {
  const { prompt, resolution } = checked;
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
  const job = newJob(s, {
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    userId: interaction.user.id,
    params,
    uploadLimitBytes: interaction.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT,
    state: "accepted",
    sourceUrls: { image: req.image.url, endImage: req.endImage?.url },
  });
  await interaction.deferReply();
  const presenter = interactionPresenter(interaction);
  if (!(await admitJob(s, job, presenter))) return;

  // A place in the intake bounds how many pictures are in memory at once (up to 30 MB each);
  // it is held until the pictures are in fal storage.
  if (!(await s.intake.acquire(job.id, undefined, INTAKE_WAIT_MS))) {
    await s.runner.endUnstarted(job, "the intake was busy");
    return refuse(interaction, INTAKE_BUSY);
  }
  const release = () => s.intake.release(job.id);
  let image: FetchedImage;
  let endImage: FetchedImage | undefined;
  try {
    image = await fetchImage(req.image, "picture");
    if (req.endImage) endImage = await fetchImage(req.endImage, "end picture");
  } catch (err) {
    release();
    await s.runner.endUnstarted(job, err instanceof AttachmentRefusal ? err.message : "the picture could not be fetched");
    if (err instanceof AttachmentRefusal) return refuse(interaction, `${err.message} Nothing was charged.`);
    throw err;
  }
  await showAndStart(s, job, presenter, { image, endImage, release });
}
