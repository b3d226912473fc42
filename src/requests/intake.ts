import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type ModalSubmitInteraction } from "discord.js";
import { AttachmentRefusal, checkAttachment, fetchImage, type FetchedImage, type PictureSource } from "../discord/index.js";
import type { MessageBody } from "../discord/index.js";
import { DELIVERY, isClosedThread, missingPermissions, REPLY_DELIVERY } from "../discord/index.js";
import { refuse } from "../discord/index.js";
import { msg, permissionList, t, type Message } from "../i18n/index.js";
import type { VideoParams } from "../seedance/index.js";
import { estimate, type AspectRatio, type Resolution } from "../seedance/index.js";
import type { RequestDeps } from "./deps.js";
import type { GuildSettings } from "../settings/index.js";
import { askRefusal, durationFor } from "./checks.js";
import { messageLink } from "../discord/index.js";
import { holdJob, inFlightRefusal, newJob, recordJob, shortOffer, showAndStart, type Presenter } from "./launch.js";
import { startingAfter } from "./confirm.js";
import { blockedPrompt, screenJob } from "./safety.js";

export interface VideoRequest {
  image: PictureSource;
  endImage?: PictureSource | undefined;
  prompt: string;
  duration?: number | undefined;
  resolution?: Resolution | undefined;
  aspectRatio?: AspectRatio | undefined;
  audio?: boolean | undefined;
  seed?: number | undefined;
  /** The message whose picture this animates: the progress replies to it (Animate). */
  replyTo?: string | undefined;
}

/** Where a request comes from: a `/video`, or a modal (Animate). */
export type VideoInteraction = ChatInputCommandInteraction | ModalSubmitInteraction;

/** A checked request, ready to run: what the job will be, who asked, where. */
export interface VideoOrder {
  guildId: string | null;
  channelId: string;
  userId: string;
  /** The server's language: the job's public messages speak it. */
  guildLocale: string;
  /** The member's language: what only they read later (a low-balance note) speaks it. */
  memberLocale: string;
  params: VideoParams;
  image: PictureSource;
  endImage?: PictureSource | undefined;
  uploadLimitBytes: number;
  /** The message the progress replies to, if any (Animate). */
  replyTo?: string | undefined;
}

/** Interaction tokens live 15 minutes; stop using one a minute early. */
export const TOKEN_LIFETIME_MS = 14 * 60 * 1000;
/** Discord's per-file limit for bots since 2026-09-03, when an interaction reports none. */
export const DEFAULT_UPLOAD_LIMIT = 20 * 1024 * 1024;
/** How long a command waits for a place to download its picture before it gives up politely. */
export const INTAKE_WAIT_MS = 60_000;

/** Where a job started from an interaction shows itself, and how the caller is told no. */
export interface Reply {
  interaction: VideoInteraction | ButtonInteraction;
  presenter: Presenter;
  /** The acknowledgement (a public defer, or the confirmation's update). */
  ack(): Promise<void>;
}

/** A /video answered directly: progress is the interaction's own (deferred, public) reply. */
export function commandReply(interaction: ChatInputCommandInteraction): Reply {
  return {
    interaction,
    ack: async () => void (await interaction.deferReply()),
    presenter: {
      refuse: (text, components) => refuse(interaction, text, components),
      refusesPrivately: true,
      show: async (body: MessageBody) => (await interaction.editReply({ flags: body.flags, components: body.components as never, allowedMentions: body.allowed_mentions })).id,
      webhook: { applicationId: interaction.applicationId, token: interaction.token, expiresAt: interaction.createdTimestamp + TOKEN_LIFETIME_MS },
    },
  };
}

/**
 * The longest a job may live, from the command to the end of its delivery: its deadline, as
 * long again while fal renders it, then the delivery's own deadline.
 */
export function longestJobMs(config: Pick<RequestDeps["config"], "jobTimeoutMs" | "deliveryTimeoutMs">): number {
  return 2 * config.jobTimeoutMs + config.deliveryTimeoutMs;
}

/**
 * Whether the bot can post the video where it was asked for (the interaction says what the bot
 * may do in the channel): never render what cannot be delivered. Without those permissions the
 * interaction's own webhook can still deliver, but only while it lives (15 minutes, counted
 * from the command): enough only when no job may live longer.
 */
function checkDelivery(interaction: VideoInteraction, s: RequestDeps, replyTo: string | undefined): Message | null {
  if (isClosedThread(interaction.channel)) return msg("video.threadClosed");
  // a reply to a message is a channel message: no webhook can stand in for it
  const missing = missingPermissions(interaction.appPermissions, replyTo ? REPLY_DELIVERY : DELIVERY, interaction.channel);
  if (!missing.length || (!replyTo && longestJobMs(s.config) <= TOKEN_LIFETIME_MS)) return null;
  return msg("video.cannotPost", { permissions: permissionList(missing) });
}

/**
 * Animate: the caller's ephemeral "thinking" is the acknowledgement, and the public progress
 * is a channel message replying to the message whose picture it animates.
 */
export function messageReply(interaction: VideoInteraction | ButtonInteraction, s: RequestDeps, channelId: string, replyTo: string): Reply {
  return {
    interaction,
    ack: async () => void (await interaction.deferReply({ flags: MessageFlags.Ephemeral })),
    presenter: {
      refuse: (text, components) => refuse(interaction, text, components),
      refusesPrivately: true,
      show: async (body: MessageBody) => {
        const id = await s.messages.post(channelId, { ...body, message_reference: { message_id: replyTo, fail_if_not_exists: false } } as never);
        const link = messageLink(interaction.guildId, channelId, id);
        await interaction.editReply({ content: t(interaction.locale, "animate.started", { link }), components: [] }).catch(() => undefined);
        return id;
      },
      webhook: null,
    },
  };
}

/** Refusals that need no I/O (the settings are in memory), in the member's words; null when the request is fine. */
function checkRequest(interaction: VideoInteraction, req: VideoRequest, prompt: string, settings: GuildSettings, s: RequestDeps): Message | null {
  const asked = { channelId: interaction.channelId ?? "", prompt, resolution: req.resolution ?? "720p", duration: req.duration };
  const refusal = askRefusal(asked, settings, s.tier, s.seedance.model, interaction.locale);
  if (refusal) return refusal;
  try {
    checkAttachment(req.image, "picture", s.config.attachmentOrigins);
    if (req.endImage) checkAttachment(req.endImage, "endPicture", s.config.attachmentOrigins);
  } catch (err) {
    if (err instanceof AttachmentRefusal) return err.text;
    throw err;
  }
  return checkDelivery(interaction, s, req.replyTo);
}

/**
 * A /video, cheapest checks first: the request itself, the server's settings and the member's
 * jobs in progress as this process knows them, answered privately before anything else
 * (synchronously, so a burst sees itself); a video above the server's threshold waits for the
 * caller's confirmation; then the job is launched.
 */
export async function requestVideo(interaction: VideoInteraction, req: VideoRequest, s: RequestDeps): Promise<void> {
  const settings = await s.settings.get(interaction.guildId);
  const prompt = req.prompt.trim();
  const asked = { guildId: interaction.guildId, channelId: interaction.channelId ?? "", userId: interaction.user.id, prompt, locale: interaction.guildLocale ?? interaction.locale };
  // before anything else: nothing is downloaded, held or sent for a prompt the server blocks
  if (blockedPrompt(s, settings, asked)) return refuse(interaction, msg("safety.blocked"));
  const refusal = checkRequest(interaction, req, prompt, settings, s);
  if (refusal) return refuse(interaction, refusal);
  // a server's longest video bounds `auto` too: the model is asked for that length, and it is what is held
  const duration = durationFor(req.duration, settings);
  const order: VideoOrder = {
    guildId: interaction.guildId,
    channelId: interaction.channelId!, // commands are guild-only: there is always a channel
    userId: interaction.user.id,
    guildLocale: interaction.guildLocale ?? interaction.locale,
    memberLocale: interaction.locale,
    params: {
      prompt,
      imageUrl: req.image.url,
      endImageUrl: req.endImage?.url,
      duration,
      resolution: req.resolution ?? "720p",
      aspectRatio: req.aspectRatio ?? "auto",
      audio: req.audio ?? settings.audioDefault ?? true,
      seed: req.seed,
    },
    image: req.image,
    endImage: req.endImage,
    uploadLimitBytes: interaction.attachmentSizeLimit || DEFAULT_UPLOAD_LIMIT,
    replyTo: req.replyTo,
  };
  const cost = estimate(s.tier, order.params.resolution, order.params.aspectRatio, order.params.duration);
  if (settings.confirmAboveMicros !== null && cost.micros > settings.confirmAboveMicros) return askOrder(s, interaction, order, cost.micros);
  const reply = order.replyTo ? messageReply(interaction, s, order.channelId, order.replyTo) : commandReply(interaction as ChatInputCommandInteraction);
  return launchOrder(order, reply, s);
}

/**
 * Runs a checked order: the member's jobs in progress (counted synchronously, before the
 * acknowledgement), the acknowledgement, the atomic budget hold (every limit, exactly), then a
 * place to download the picture and the picture's own bytes. Every way out after the hold
 * ends the job and refunds it.
 */
export async function launchOrder(order: VideoOrder, reply: Reply, s: RequestDeps): Promise<void> {
  const member = `${order.guildId}:${order.userId}`;
  const inProgress = s.admissions.count(member) + s.runner.unfinishedJobsOf(order.guildId, order.userId);
  if (inProgress >= s.config.maxJobsPerUser) return refuse(reply.interaction, inFlightRefusal(inProgress));
  // The server's jobs this process has on their way to a fal slot, counted before this one enters,
  // so a burst is counted in the order it came (one of them waits only if no slot is free for it).
  const onTheWay = s.admissions.countGuild(order.guildId) + s.runner.waitingJobsOf(order.guildId);
  const leave = s.admissions.enter(member, order.guildId);
  // a refused attempt is no job: it stops counting as the member's before they read the refusal,
  // so an answer sent at once is not refused as "already in progress" while this one is tidied up
  const presenter: Presenter = { ...reply.presenter, refuse: (text, components) => (leave(), reply.presenter.refuse(text, components)) };
  try {
    // then those beyond the slots free now, with the other processes' waiting ones, against the cap
    const max = s.config.maxQueuedPerGuild;
    const [elsewhere, free] = await Promise.all([s.falSlots.waitingElsewhere(order.guildId ?? "dm"), s.falSlots.freeSlots()]);
    if (elsewhere + Math.max(0, onTheWay - free) >= max) return refuse(reply.interaction, msg("video.guildQueueFull", { max }));
    const job = newJob(s, {
      guildId: order.guildId,
      channelId: order.channelId,
      userId: order.userId,
      params: order.params,
      uploadLimitBytes: order.uploadLimitBytes,
      state: "accepted",
      sourceUrls: { image: order.image.url, endImage: order.endImage?.url },
      locale: order.guildLocale,
      memberLocale: order.memberLocale,
    });
    // Recorded before the acknowledgement: a process that dies right after acknowledging leaves a
    // job the next start finds and answers the member through, never a "thinking…" forever.
    if (!(await recordJob(s, job, presenter))) return;
    try {
      await reply.ack();
    } catch (err) {
      await s.runner.endUnstarted(job, "The interaction could not be acknowledged.", { forget: true });
      throw err;
    }
    // fal's picture check (when on) comes before any money moves or any byte is downloaded
    if (!(await screenJob(s, job, presenter))) return;
    if (!(await holdJob(s, job, presenter))) return;

    // A place in the intake bounds how many pictures are in memory at once (up to 30 MB each);
    // it is held until the pictures are in fal storage.
    if (!(await s.intake.acquire(job.id, { timeoutMs: INTAKE_WAIT_MS }))) {
      await s.runner.endUnstarted(job, msg("video.intakeBusy"));
      return refuse(reply.interaction, msg("video.intakeBusy"));
    }
    const release = () => s.intake.release(job.id);
    let image: FetchedImage;
    let endImage: FetchedImage | undefined;
    try {
      image = await fetchImage(order.image, "picture");
      if (order.endImage) endImage = await fetchImage(order.endImage, "endPicture");
    } catch (err) {
      release();
      await s.runner.endUnstarted(job, err instanceof AttachmentRefusal ? err.text : msg("job.unexpected"));
      if (err instanceof AttachmentRefusal) return refuse(reply.interaction, msg("video.refusedPicture", { reason: err.text }));
      throw err;
    }
    await showAndStart(s, job, reply.presenter, { image, endImage, release });
  } finally {
    leave();
  }
}

/** A `/video` or Animate order above the server's threshold: asked first, run on Generate. */
async function askOrder(s: RequestDeps, interaction: VideoInteraction, order: VideoOrder, costMicros: number): Promise<void> {
  const short = await shortOffer(s, order.guildId, order.userId, costMicros);
  return s.confirmations.ask(interaction, order.userId, costMicros, (press) => {
    const reply = order.replyTo ? generateReply(press, messageReply(press, s, order.channelId, order.replyTo)) : buttonReply(press);
    return launchOrder(order, reply, s);
  }, short);
}

/**
 * After Generate: the question becomes "Starting…" (the acknowledgement), and the public
 * progress message is a follow-up of this button's interaction, edited through its webhook.
 */
function buttonReply(interaction: ButtonInteraction): Reply {
  const webhook = { applicationId: interaction.applicationId, token: interaction.token, expiresAt: interaction.createdTimestamp + TOKEN_LIFETIME_MS, messageId: undefined as string | undefined };
  return {
    interaction,
    ack: () => startingAfter(interaction),
    presenter: {
      refuse: (text, components) => refuse(interaction, text, components),
      refusesPrivately: true,
      show: async (body: MessageBody) => {
        const message = await interaction.followUp({ flags: body.flags, components: body.components as never, allowedMentions: body.allowed_mentions });
        webhook.messageId = message.id;
        return message.id;
      },
      webhook,
    },
  };
}

/** After Generate on an Animate question: the question becomes "Starting…", the progress replies to the source. */
function generateReply(interaction: ButtonInteraction, reply: Reply): Reply {
  return {
    ...reply,
    ack: () => startingAfter(interaction),
  };
}
