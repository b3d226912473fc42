import { ApiError, ValidationError } from "@fal-ai/client";

/** Words a member can act on, from fal's error types (never a stack trace or a raw body). */
const BY_TYPE: Record<string, string> = {
  content_policy_violation: "fal's safety filter rejected the picture or the prompt (real people's faces and well-known characters are often refused). You were not charged.",
  no_media_generated: "The model finished without producing a video. You were not charged; try another prompt or picture.",
  image_too_small: "The picture is too small for the model. Try a larger one (at least 300 pixels on each side).",
  image_too_large: "The picture is too large for the model. Try a smaller one (at most 6000 pixels on a side).",
  image_load_error: "The model could not read the picture. Try saving it again as PNG or JPEG.",
  unsupported_image_format: "The model does not accept that picture format. Use PNG, JPEG or WebP.",
  file_download_error: "fal could not download the picture. Please try again.",
  file_too_large: "The picture is larger than the model accepts (30 MB).",
  feature_not_supported: "The model does not support one of the chosen options.",
  generation_timeout: "The model took too long and gave up. You were not charged; please try again.",
  internal_server_error: "fal had a server error. You were not charged; please try again later.",
  downstream_service_error: "The model's provider had an error. Please try again later.",
  downstream_service_unavailable: "The model's provider is unavailable right now. Please try again later.",
};

function detailTypes(body: unknown): string[] {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  if (Array.isArray(detail)) return detail.map((d) => String((d as { type?: unknown }).type ?? ""));
  return [];
}

export interface DescribedError {
  message: string;
  /** fal's own error type when it gave one, for logs. */
  type: string;
}

export function describeFalError(err: unknown): DescribedError {
  if (err instanceof ApiError) {
    const types = detailTypes(err.body);
    const known = types.find((t) => BY_TYPE[t]);
    if (known) return { message: BY_TYPE[known]!, type: known };
    if (err instanceof ValidationError || err.status === 422) {
      return { message: "fal refused the request as invalid. Check the options and try again; you were not charged.", type: types[0] ?? "validation" };
    }
    if (err.status === 401 || err.status === 403) {
      return { message: "The bot's fal account refused the request (key or credit problem). An admin needs to check it.", type: `http_${err.status}` };
    }
    if (err.status >= 500) return { message: BY_TYPE.internal_server_error!, type: `http_${err.status}` };
    return { message: `fal answered with an error (HTTP ${err.status}). Please try again later.`, type: `http_${err.status}` };
  }
  return { message: "The bot could not reach fal. Please try again later.", type: "transport" };
}
