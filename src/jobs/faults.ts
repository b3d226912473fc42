import { ApiError } from "@fal-ai/client";
import { DiscordAPIError, RESTJSONErrorCodes } from "discord.js";
import { ZodError } from "zod";
import { TooLargeError } from "../http/download.js";

/** A failure to tell the member about, in plain words; never retried. */
export class JobFailure extends Error {
  override name = "JobFailure";
}

const hasDetail = (body: unknown) => Array.isArray((body as { detail?: unknown } | undefined)?.detail);

/**
 * Whether trying again later may succeed: network trouble, Discord 5xx after discord.js's own
 * retries, fal gateway errors. A model's own error (a fal 4xx, or a 5xx with error details)
 * and Discord's 4xx are final.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof JobFailure || err instanceof ZodError || err instanceof TooLargeError) return false;
  if (err instanceof DiscordAPIError) return false;
  if (err instanceof ApiError) {
    if ([408, 429, 502, 503, 504].includes(err.status)) return true;
    return err.status >= 500 && !hasDetail(err.body);
  }
  return true;
}

/** The Discord channel or message a job talks through no longer exists (or the bot lost access). */
export function isGone(err: unknown): boolean {
  return (
    err instanceof DiscordAPIError &&
    [RESTJSONErrorCodes.UnknownChannel, RESTJSONErrorCodes.UnknownMessage, RESTJSONErrorCodes.MissingAccess].includes(err.code as number)
  );
}

export function isMissingPermissions(err: unknown): boolean {
  return err instanceof DiscordAPIError && err.code === RESTJSONErrorCodes.MissingPermissions;
}

/** Exponential pause with jitter, from `baseMs` up to a minute. */
export function backoffMs(attempt: number, baseMs: number): number {
  const raw = Math.min(60_000, baseMs * 2 ** Math.min(attempt, 10));
  return Math.round(raw * (0.75 + Math.random() * 0.5));
}
