import { list, msg, type Message } from "../i18n/index.js";
import { MAX_PROMPT_LENGTH, type VideoParams } from "../seedance/index.js";
import { MAX_SECONDS, MIN_SECONDS, RESOLUTIONS, type Duration, type Resolution, type Tier } from "../seedance/index.js";
import type { GuildSettings } from "../settings/index.js";

/** What a member asks for, as it came (a `/video`, an Animate or a Remix form): nothing trusted yet. */
export interface Asked {
  channelId: string;
  prompt: string;
  resolution: Resolution;
  /** Whole seconds; undefined for `auto`. */
  duration: number | undefined;
}

/** Where the server's list of channels (if any) leaves this one out: the refusal naming them. */
export function channelRefusal(settings: GuildSettings, channelId: string, locale: string): Message | null {
  if (!settings.channels.length || settings.channels.includes(channelId)) return null;
  return msg("video.channelNotAllowed", { channels: list(locale, settings.channels.map((id) => `<#${id}>`)) });
}

/** The length to ask fal for: the member's, else the server's longest (it bounds `auto` too), else `auto`. */
export function durationFor(seconds: number | undefined, settings: GuildSettings): Duration {
  return (seconds !== undefined ? String(seconds) : settings.maxDuration ? String(settings.maxDuration) : "auto") as Duration;
}

/** Why this server would not make a video with these options here now; null when it would. */
export function settingsRefusal(settings: GuildSettings, channelId: string, resolution: Resolution, seconds: number | undefined, locale: string): Message | null {
  const channel = channelRefusal(settings, channelId, locale);
  if (channel) return channel;
  if (settings.maxResolution && RESOLUTIONS.indexOf(resolution) > RESOLUTIONS.indexOf(settings.maxResolution)) {
    return msg("video.overMaxResolution", { max: settings.maxResolution, asked: resolution });
  }
  if (settings.maxDuration && seconds !== undefined && Number.isFinite(seconds) && seconds > settings.maxDuration) {
    return msg("video.overMaxDuration", { max: settings.maxDuration, asked: seconds });
  }
  return null;
}

/** The same for another take of an existing video (its options were checked when it was asked for). */
export function takeRefusal(settings: GuildSettings, channelId: string, params: VideoParams, locale: string): Message | null {
  return settingsRefusal(settings, channelId, params.resolution, params.duration === "auto" ? undefined : Number(params.duration), locale);
}

/**
 * The checks every request passes, whichever way it came, cheapest first and with no I/O: the
 * server's channels, the prompt, the model's resolutions and lengths, then the server's limits.
 */
export function askRefusal(asked: Asked, settings: GuildSettings, tier: Tier, model: string, locale: string): Message | null {
  const channel = channelRefusal(settings, asked.channelId, locale);
  if (channel) return channel;
  const prompt = asked.prompt.trim();
  if (!prompt) return msg("video.emptyPrompt");
  if (prompt.length > MAX_PROMPT_LENGTH) return msg("video.promptTooLong", { length: prompt.length, max: MAX_PROMPT_LENGTH });
  if (!tier.resolutions.includes(asked.resolution)) return msg("video.resolutionNotInTier", { model, resolutions: list(locale, [...tier.resolutions]) });
  const d = asked.duration;
  if (d !== undefined && (!Number.isInteger(d) || d < MIN_SECONDS || d > MAX_SECONDS)) return msg("video.badDuration", { min: MIN_SECONDS, max: MAX_SECONDS });
  return settingsRefusal(settings, asked.channelId, asked.resolution, d, locale);
}

/** The tier's resolutions that this server allows (what a form offers). */
export function allowedResolutions(tier: Tier, settings: GuildSettings): Resolution[] {
  const max = settings.maxResolution ? RESOLUTIONS.indexOf(settings.maxResolution) : RESOLUTIONS.length;
  const allowed = tier.resolutions.filter((r) => RESOLUTIONS.indexOf(r) <= max);
  return allowed.length ? allowed : [...tier.resolutions];
}
