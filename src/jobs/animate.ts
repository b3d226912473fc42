import { randomUUID } from "node:crypto";
import type { Message as DiscordMessage, MessageContextMenuCommandInteraction, ModalSubmitInteraction } from "discord.js";
import type { PictureSource } from "../discord/attachments.js";
import { refuse } from "../discord/replies.js";
import { msg, t } from "../i18n/index.js";
import { RESOLUTIONS, type Resolution } from "../seedance/pricing.js";
import type { Services } from "../services.js";
import { channelRefusal } from "./checks.js";
import { requestVideo } from "./intake.js";
import { readVideoModal, videoModal } from "./video-modal.js";

export const ANIMATE_PREFIX = "animate";
/** How long an open Animate form keeps the message's pictures. */
const FORM_TTL_MS = 30 * 60_000;

interface OpenForm {
  channelId: string;
  messageId: string;
  userId: string;
  pictures: PictureSource[];
}

/**
 * The pictures of a message, in order: image attachments, then image embeds (a linked picture,
 * read through Discord's media proxy, never from the site it names).
 */
export function picturesOf(message: Pick<DiscordMessage, "attachments" | "embeds">): PictureSource[] {
  const files = [...message.attachments.values()]
    .filter((a) => a.contentType?.startsWith("image/"))
    .map((a) => ({ url: a.url, name: a.name, size: a.size, contentType: a.contentType, width: a.width, height: a.height }));
  const linked = message.embeds.flatMap((e) => {
    const media = e.image ?? (e.data.type === "image" ? e.thumbnail : null);
    if (!media?.proxyURL) return [];
    const name = new URL(media.url).pathname.split("/").pop() || "image";
    return [{ url: media.proxyURL, name, size: 0, contentType: null, width: media.width ?? null, height: media.height ?? null }];
  });
  return [...files, ...linked];
}

/**
 * "Animate" on a message: a form with the prompt and the main options, pre-filled with the
 * server's defaults. The message's pictures are kept with the form (the submit does not carry
 * them, and the bot reads no message content otherwise).
 */
export async function openAnimate(interaction: MessageContextMenuCommandInteraction, s: Services): Promise<void> {
  const pictures = picturesOf(interaction.targetMessage);
  if (!pictures.length) return refuse(interaction, msg("animate.noPicture"));
  const settings = await s.settings.get(interaction.guildId);
  // before the member types a prompt in vain
  const elsewhere = channelRefusal(settings, interaction.channelId, interaction.locale);
  if (elsewhere) return refuse(interaction, elsewhere);
  const formId = randomUUID();
  const form: OpenForm = { channelId: interaction.channelId, messageId: interaction.targetId, userId: interaction.user.id, pictures: pictures.slice(0, 2) };
  await s.store.set(`${ANIMATE_PREFIX}:${formId}`, form, FORM_TTL_MS);
  const max = settings.maxResolution;
  const resolution: Resolution = max && RESOLUTIONS.indexOf(max) < RESOLUTIONS.indexOf("720p") ? max : "720p";
  await interaction.showModal(
    videoModal(`${ANIMATE_PREFIX}:${formId}`, t(interaction.locale, "animate.title"), interaction.locale, s.tier.resolutions, {
      duration: settings.maxDuration ?? undefined,
      resolution: s.tier.resolutions.includes(resolution) ? resolution : s.tier.resolutions[0]!,
      audio: settings.audioDefault ?? true,
    }),
  );
}

/** The form sent: the same request as `/video` with the message's first picture (and second as the end frame). */
export async function submitAnimate(interaction: ModalSubmitInteraction, s: Services): Promise<void> {
  const key = `${ANIMATE_PREFIX}:${interaction.customId.split(":")[1] ?? ""}`;
  const form = await s.store.get<OpenForm>(key);
  if (!form || form.userId !== interaction.user.id) return refuse(interaction, msg("animate.expired"));
  await s.store.delete(key);
  const choices = readVideoModal(interaction);
  await requestVideo(
    interaction,
    {
      image: form.pictures[0]!,
      endImage: form.pictures[1],
      prompt: choices.prompt,
      duration: choices.duration,
      resolution: choices.resolution,
      aspectRatio: choices.aspectRatio,
      audio: choices.audio,
      replyTo: form.messageId,
    },
    s,
  );
}
