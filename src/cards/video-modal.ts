import type { ModalSubmitInteraction } from "discord.js";
import { translator } from "../i18n/index.js";
import { MAX_PROMPT_LENGTH } from "../seedance/index.js";
import { ASPECT_RATIOS, MAX_SECONDS, MIN_SECONDS, type AspectRatio, type Resolution } from "../seedance/index.js";

/** What a modal (Animate, Remix) asks for: the prompt and the main options. */
export interface ModalChoices {
  prompt: string;
  /** Whole seconds, or undefined for `auto`. */
  duration: number | undefined;
  resolution: Resolution;
  aspectRatio: AspectRatio;
  audio: boolean;
}

/** What a form pre-fills, and what it offers. */
export interface ModalSetup extends Partial<ModalChoices> {
  /** The server's longest video: no longer length (and no `auto`, which would be asked at it) is offered. */
  maxDuration?: number | undefined;
  /** The message has two pictures: the form says the second one ends the video. */
  twoPictures?: boolean;
}

/**
 * A modal with the prompt (a paragraph) and the main options as selects, each in a Label
 * (Discord's modal layout since 2025; at most five of them). It offers only what the server
 * allows (`resolutions`, `maxDuration`), so a member never types a prompt for a refusal.
 */
export function videoModal(customId: string, title: string, locale: string, resolutions: readonly Resolution[], choices: ModalSetup) {
  const tr = translator(locale);
  const longest = Math.min(choices.maxDuration ?? MAX_SECONDS, MAX_SECONDS);
  const seconds = Array.from({ length: longest - MIN_SECONDS + 1 }, (_, i) => String(MIN_SECONDS + i));
  const lengths = [...(choices.maxDuration ? [] : [{ label: tr("modal.autoLength"), value: "auto" }]), ...seconds.map((s) => ({ label: tr("progress.seconds", { seconds: s }), value: s }))];
  const duration = choices.duration === undefined ? (choices.maxDuration ? String(longest) : "auto") : String(Math.min(choices.duration, longest));
  const resolution = choices.resolution && resolutions.includes(choices.resolution) ? choices.resolution : resolutions.includes("720p") ? "720p" : resolutions.at(-1)!;
  const select = (id: string, label: string, options: Array<{ label: string; value: string }>, chosen: string) => ({
    type: 18,
    label,
    component: { type: 3, custom_id: id, required: true, min_values: 1, max_values: 1, options: options.map((o) => ({ ...o, default: o.value === chosen })) },
  });
  return {
    custom_id: customId,
    title: title.slice(0, 45),
    components: [
      {
        type: 18,
        label: tr("modal.prompt"),
        description: tr(choices.twoPictures ? "modal.promptHintEndFrame" : "modal.promptHint"),
        component: { type: 4, custom_id: "prompt", style: 2, required: true, min_length: 1, max_length: MAX_PROMPT_LENGTH, ...(choices.prompt ? { value: choices.prompt.slice(0, MAX_PROMPT_LENGTH) } : {}) },
      },
      select("duration", tr("modal.duration"), lengths, duration),
      select("resolution", tr("modal.resolution"), resolutions.map((r) => ({ label: r, value: r })), resolution),
      select("aspect_ratio", tr("modal.aspectRatio"), ASPECT_RATIOS.map((a) => ({ label: a === "auto" ? tr("modal.autoAspect") : a, value: a })), choices.aspectRatio ?? "auto"),
      select("audio", tr("modal.audio"), [{ label: tr("modal.withSound"), value: "on" }, { label: tr("modal.withoutSound"), value: "off" }], choices.audio === false ? "off" : "on"),
    ],
  };
}

/**
 * The member's answers. A value no option offers (a tampered client) is passed on as it came
 * for duration and resolution, so the same checks as `/video` refuse it by name.
 */
export function readVideoModal(interaction: ModalSubmitInteraction): ModalChoices {
  const one = (id: string) => interaction.fields.getStringSelectValues(id)[0] ?? "";
  const duration = one("duration");
  const aspect = one("aspect_ratio") as AspectRatio;
  return {
    prompt: interaction.fields.getTextInputValue("prompt"),
    duration: duration === "auto" ? undefined : Number(duration),
    resolution: one("resolution") as Resolution,
    aspectRatio: ASPECT_RATIOS.includes(aspect) ? aspect : "auto",
    audio: one("audio") !== "off",
  };
}
