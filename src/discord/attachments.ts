import type { Attachment } from "discord.js";
import { imageSize } from "image-size";
import { downloadCapped, TooLargeError } from "../http/index.js";
import { decimal, LocalizedError, msg, type MessageValue } from "../i18n/index.js";
import { pictureSizeProblem } from "../seedance/index.js";
import { inertPreview } from "./markdown.js";

export const MAX_IMAGE_BYTES = 30 * 1024 * 1024;
const ACCEPTED_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);

export type ImageType = "image/png" | "image/jpeg" | "image/webp";

/** The picture's real type from its first bytes; declared types and file names can lie. */
export function sniffImageType(bytes: Buffer): ImageType | null {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 12 && bytes.toString("latin1", 0, 4) === "RIFF" && bytes.toString("latin1", 8, 12) === "WEBP") return "image/webp";
  return null;
}

/** A refusal the member should read, ephemerally; nothing has been charged. */
export class AttachmentRefusal extends LocalizedError {
  override name = "AttachmentRefusal";
}

/** Which attachment: the first frame or the last. */
export type Which = "picture" | "endPicture";

// A file name is the member's text: shown inert, never as markdown.
const label = (what: Which, a: Pick<Attachment, "name">) =>
  msg("attachment.label", { what: msg(`attachment.what.${what}`), name: inertPreview(a.name, 80) });
const refusal = (key: string, what: Which, a: Pick<Attachment, "name">, vars: Record<string, MessageValue> = {}) => new AttachmentRefusal(msg(`attachment.${key}`, { label: label(what, a), ...vars }));

/** A picture to animate: an attachment (a command's option, a message's file) or an image embed. */
export type PictureSource = Pick<Attachment, "url" | "name" | "size" | "contentType"> & { width?: number | null; height?: number | null };
type Checked = PictureSource;

/**
 * Checks that need no I/O: where it lives, what it claims to be, how big it says it is, and
 * the width and height Discord measured (the bytes are measured again after download).
 */
export function checkAttachment(a: Checked, what: Which, allowedOrigins: string[]): void {
  let origin: string;
  try {
    origin = new URL(a.url).origin;
  } catch {
    throw refusal("badAddress", what, a);
  }
  if (!allowedOrigins.includes(origin)) throw refusal("notOnCdn", what, a);
  const type = a.contentType?.split(";")[0]?.trim().toLowerCase();
  if (type && !ACCEPTED_TYPES.has(type)) throw refusal("wrongType", what, a, { type });
  if (a.size > MAX_IMAGE_BYTES) throw refusal("tooLargeDeclared", what, a, { megabytes: decimal(a.size / 1024 / 1024, 1) });
  if (a.width && a.height) {
    const problem = pictureSizeProblem(a.width, a.height);
    if (problem) throw new AttachmentRefusal(msg(problem.key, { label: label(what, a), ...problem.vars }));
  }
}

export interface FetchedImage {
  bytes: Buffer;
  type: ImageType;
  fileName: string;
  width: number;
  height: number;
}

/**
 * Downloads an already checked attachment and verifies its bytes: PNG, JPEG or WebP, with a
 * width and height (read from the file's header) that the model accepts.
 */
export async function fetchImage(a: Pick<Attachment, "url" | "name">, what: Which): Promise<FetchedImage> {
  let bytes: Buffer;
  try {
    bytes = await downloadCapped(a.url, MAX_IMAGE_BYTES, 30_000);
  } catch (err) {
    if (err instanceof TooLargeError) throw refusal("tooLarge", what, a);
    throw new AttachmentRefusal(msg("attachment.downloadFailed", { what: msg(`attachment.what.${what}`) }));
  }
  const type = sniffImageType(bytes);
  if (!type) throw refusal("notAPicture", what, a);
  let size: { width: number; height: number };
  try {
    size = imageSize(bytes);
  } catch {
    throw refusal("unreadable", what, a);
  }
  const problem = pictureSizeProblem(size.width, size.height);
  if (problem) throw new AttachmentRefusal(msg(problem.key, { label: label(what, a), ...problem.vars }));
  const ext = type === "image/jpeg" ? "jpg" : type.slice("image/".length);
  return { bytes, type, fileName: `${what === "picture" ? "picture" : "end-picture"}.${ext}`, width: size.width, height: size.height };
}
