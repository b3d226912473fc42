import { ApiError } from "@fal-ai/client";
import { DiscordAPIError, RESTJSONErrorCodes } from "discord.js";
import { ZodError } from "zod";
import { isDiscordError } from "../discord/index.js";
import { TooLargeError } from "../http/index.js";
import { LocalizedError } from "../i18n/index.js";
import { SubmitOutcomeUnknown } from "../seedance/index.js";
import { LeaseLost } from "./repository.js";

/** A failure to tell the member about, in plain words (their language's); never retried. */
export class JobFailure extends LocalizedError {
  override name = "JobFailure";
}

const hasDetail = (body: unknown) => Array.isArray((body as { detail?: unknown } | undefined)?.detail);

/**
 * Whether trying again later may succeed: network trouble, Discord 5xx after discord.js's own
 * retries, fal gateway errors. A model's own error (a fal 4xx, or a 5xx with error details)
 * and Discord's 4xx are final.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof JobFailure || err instanceof ZodError || err instanceof TooLargeError || err instanceof LeaseLost) return false;
  if (err instanceof SubmitOutcomeUnknown) return false; // fal may have queued it: never sent again
  if (err instanceof DiscordAPIError) return false;
  if (err instanceof ApiError) {
    if ([408, 429, 502, 503, 504].includes(err.status)) return true;
    return err.status >= 500 && !hasDetail(err.body);
  }
  return true;
}

/** The Discord channel or message a job talks through no longer exists (or the bot lost access). */
export function isGone(err: unknown): boolean {
  return isDiscordError(err, RESTJSONErrorCodes.UnknownChannel, RESTJSONErrorCodes.UnknownMessage, RESTJSONErrorCodes.MissingAccess);
}

/**
 * The progress message or its channel was deleted (an edit can never succeed again). Missing
 * Access is not this: a moderator may hide a channel for a minute, so it only stops the edits.
 */
export function isMessageGone(err: unknown): boolean {
  return isDiscordError(err, RESTJSONErrorCodes.UnknownChannel, RESTJSONErrorCodes.UnknownMessage);
}

/** The channel itself is gone: nothing can ever be posted there. */
export function isChannelGone(err: unknown): boolean {
  return isDiscordError(err, RESTJSONErrorCodes.UnknownChannel, RESTJSONErrorCodes.InvalidActionOnArchivedThread, RESTJSONErrorCodes.ThreadLocked);
}

/** The bot may not do this here (a permission, or the channel is hidden from it). */
export function isBarred(err: unknown): boolean {
  return isDiscordError(err, RESTJSONErrorCodes.MissingPermissions, RESTJSONErrorCodes.MissingAccess);
}

/** Exponential pause with jitter, from `baseMs` up to a minute. */
export function backoffMs(attempt: number, baseMs: number): number {
  const raw = Math.min(60_000, baseMs * 2 ** Math.min(attempt, 10));
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}
