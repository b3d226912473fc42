import type { Attachment, ChatInputCommandInteraction } from "discord.js";
import { AttachmentRefusal, checkAttachment, fetchImage, type FetchedImage } from "../discord/attachments.js";
import type { MessageBody } from "../discord/messages.js";
import { refuse } from "../discord/replies.js";
import { MAX_PROMPT_LENGTH, type VideoParams } from "../seedance/input.js";
import { MAX_SECONDS, MIN_SECONDS, type AspectRatio, type Duration, type Resolution } from "../seedance/pricing.js";
import type { Services } from "../services.js";
import { launchJob, newJob, type Presenter } from "./launch.js";

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

/** Shows progress as the interaction's (public, deferred) reply; refusals go to the caller alone. */
function interactionPresenter(interaction: ChatInputCommandInteraction): Presenter {
  return {
    refuse: (text) => refuse(interaction, text),
    show: async (body: MessageBody) => (await interaction.editReply({ content: body.content, allowedMentions: body.allowed_mentions, components: body.components as never })).id,
    webhook: { applicationId: interaction.applicationId, token: interaction.token, expiresAt: interaction.createdTimestamp + TOKEN_LIFETIME_MS },
  };
}

/**
 * From a /video interaction to an accepted job: cheap checks first (answered ephemerally),
 * then the public acknowledgement, then the picture's bytes, then the job.
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

  // A place in the intake bounds how many pictures are in memory at once (up to 30 MB each);
  // it is held until the pictures are in fal storage.
  await s.intake.acquire(interaction.id);
  const release = () => s.intake.release(interaction.id);
  let image: FetchedImage;
  let endImage: FetchedImage | undefined;
  try {
    image = await fetchImage(req.image, "picture");
    if (req.endImage) endImage = await fetchImage(req.endImage, "end picture");
  } catch (err) {
    release();
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
  const job = newJob(s, {
    guildId: interaction.guildId,
    channelId: interaction.channelId,
    userId: interaction.user.id,
    params,
    uploadLimitBytes: interaction.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT,
    state: "accepted",
    sourceUrls: { image: req.image.url, endImage: req.endImage?.url },
  });
  try {
    await launchJob(s, job, interactionPresenter(interaction), { image, endImage, release });
  } catch (err) {
    release();
    throw err;
  }
}
