import { ApiError, ValidationError } from "@fal-ai/client";
import { msg, type Message } from "../i18n/index.js";

/** fal's error types the member can act on: each has its words in the catalog (fal.<type>). */
const KNOWN_TYPES = new Set([
  "content_policy_violation",
  "no_media_generated",
  "image_too_small",
  "image_too_large",
  "image_load_error",
  "unsupported_image_format",
  "file_download_error",
  "file_too_large",
  "feature_not_supported",
  "generation_timeout",
  "internal_server_error",
  "downstream_service_error",
  "downstream_service_unavailable",
]);

function detailTypes(body: unknown): string[] {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  if (Array.isArray(detail)) return detail.map((d) => String((d as { type?: unknown }).type ?? ""));
  return [];
}

export interface DescribedError {
  /** Words a member can act on (never a stack trace or a raw body). */
  message: Message;
  /** fal's own error type when it gave one, for logs. */
  type: string;
}

export function describeFalError(err: unknown): DescribedError {
  if (err instanceof ApiError) {
    const types = detailTypes(err.body);
    const known = types.find((t) => KNOWN_TYPES.has(t));
    if (known) return { message: msg(`fal.${known}`), type: known };
    if (err instanceof ValidationError || err.status === 422) return { message: msg("fal.invalid"), type: types[0] ?? "validation" };
    if (err.status === 401 || err.status === 403) return { message: msg("fal.account"), type: `http_${err.status}` };
    if (err.status >= 500) return { message: msg("fal.internal_server_error"), type: `http_${err.status}` };
    return { message: msg("fal.http", { status: err.status }), type: `http_${err.status}` };
  }
  return { message: msg("fal.unreachable"), type: "transport" };
}
