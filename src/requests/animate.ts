import { randomUUID } from "node:crypto";
import type { Message as DiscordMessage, MessageContextMenuCommandInteraction, ModalSubmitInteraction } from "discord.js";
import type { PictureSource } from "../discord/index.js";
import { refuse } from "../discord/index.js";
import { msg, t } from "../i18n/index.js";
import { pictureSizeProblem } from "../seedance/index.js";
import type { RequestDeps } from "./deps.js";
import { allowedResolutions, channelRefusal } from "./checks.js";
import { requestVideo } from "./intake.js";
import { readVideoModal, videoModal } from "../cards/index.js";

export const ANIMATE_PREFIX = "animate";

const MODEL_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);
const TYPE_OF_EXTENSION: Record<string, string> = { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", webp: "image/webp" };

/** The picture's type as Discord reports it, else as its file name says (Discord may report none). */
function typeOf(contentType: string | null | undefined, name: string): string | undefined {
  return contentType?.split(";")[0]?.trim().toLowerCase() ?? TYPE_OF_EXTENSION[name.split(".").pop()?.toLowerCase() ?? ""];
}

/** A picture the model can take, as far as Discord's own description of it tells (its bytes are checked again). */
function usable(p: PictureSource): boolean {
  const type = typeOf(p.contentType, p.name);
  if (type !== undefined && !MODEL_TYPES.has(type)) return false;
  return !(p.width && p.height && pictureSizeProblem(p.width, p.height));
}

/**
 * The pictures of a message the model can animate, in order: attached files, then linked pictures
 * (read through Discord's media proxy, never from the site they name). A GIF or a picture of the
 * wrong size is left out, so it neither blocks the others nor becomes an end frame.
 */
export function picturesOf(message: Pick<DiscordMessage, "attachments" | "embeds">): PictureSource[] {
  const files = [...message.attachments.values()].map((a) => ({ url: a.url, name: a.name, size: a.size, contentType: a.contentType, width: a.width, height: a.height }));
  const linked = message.embeds.flatMap((e) => {
    const media = e.image ?? (e.data.type === "image" ? e.thumbnail : null);
    if (!media?.proxyURL) return [];
    const name = new URL(media.url).pathname.split("/").pop() || "picture";
    const contentType = (media as { contentType?: string }).contentType ?? null;
    return [{ url: media.proxyURL, name, size: 0, contentType, width: media.width ?? null, height: media.height ?? null }];
  });
  return [...files, ...linked].filter(usable);
}

/**
 * "Animate" on a message: a form with the prompt and the main options, pre-filled with the
 * server's defaults and offering only what the server allows. The form answers at once (Discord
 * waits 3 s for it); the message's pictures are kept with it meanwhile.
 */
export async function openAnimate(interaction: MessageContextMenuCommandInteraction, s: RequestDeps): Promise<void> {
  const settings = await s.settings.get(interaction.guildId); // in memory almost always
  // a server may keep members from animating other people's pictures (their photos, their art)
  if (settings.animate === "off") return refuse(interaction, msg("animate.turnedOff"));
  if (settings.animate === "own" && interaction.targetMessage.author.id !== interaction.user.id) return refuse(interaction, msg("animate.ownOnly"));
  const pictures = picturesOf(interaction.targetMessage).slice(0, 2);
  if (!pictures.length) return refuse(interaction, msg("animate.noPicture"));
  // before the member types a prompt in vain
  const elsewhere = channelRefusal(settings, interaction.channelId, interaction.locale);
  if (elsewhere) return refuse(interaction, elsewhere);
  const formId = randomUUID();
  // written while Discord shows the form (a fast member's submit waits for it), never after it
  const opened = s.forms.open(formId, { channelId: interaction.channelId, messageId: interaction.targetId, userId: interaction.user.id, authorId: interaction.targetMessage.author.id, pictures });
  opened.catch(() => undefined);
  await interaction.showModal(
    videoModal(`${ANIMATE_PREFIX}:${formId}`, t(interaction.locale, "animate.title"), interaction.locale, allowedResolutions(s.tier, settings), {
      duration: settings.maxDuration ?? undefined,
      maxDuration: settings.maxDuration ?? undefined,
      resolution: "720p",
      audio: settings.audioDefault ?? true,
      twoPictures: pictures.length > 1,
    }),
  );
  await opened;
}

/** The form sent: the same request as `/video` with the message's first picture (and second as the end frame). */
export async function submitAnimate(interaction: ModalSubmitInteraction, s: RequestDeps): Promise<void> {
  const form = await s.forms.take(interaction.customId.split(":")[1] ?? "", interaction.user.id, interaction.channelId);
  if (!form) return refuse(interaction, msg("animate.expired"));
  // the server may have changed whose pictures Animate takes since the form opened
  const { animate } = await s.settings.get(interaction.guildId);
  if (animate === "off") return refuse(interaction, msg("animate.turnedOff"));
  if (animate === "own" && form.authorId !== interaction.user.id) return refuse(interaction, msg("animate.ownOnly"));
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
