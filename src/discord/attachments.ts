import { escapeMarkdown, type Attachment } from "discord.js";
import { imageSize } from "image-size";
import { downloadCapped, TooLargeError } from "../http/download.js";
import { pictureSizeProblem } from "../seedance/input.js";

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
export class AttachmentRefusal extends Error {
  override name = "AttachmentRefusal";
}

// A file name is the member's text: shown inert, never as markdown.
const label = (what: string, a: Pick<Attachment, "name">) => `The ${what} (${escapeMarkdown(a.name.slice(0, 80), { maskedLink: true, heading: true, bulletedList: true, numberedList: true })})`;

type Checked = Pick<Attachment, "url" | "name" | "size" | "contentType"> & { width?: number | null; height?: number | null };

/**
 * Checks that need no I/O: where it lives, what it claims to be, how big it says it is, and
 * the width and height Discord measured (the bytes are measured again after download).
 */
export function checkAttachment(a: Checked, what: string, allowedOrigins: string[]): void {
  let origin: string;
  try {
    origin = new URL(a.url).origin;
  } catch {
    throw new AttachmentRefusal(`${label(what, a)} has an address the bot cannot read.`);
  }
  if (!allowedOrigins.includes(origin)) {
    throw new AttachmentRefusal(`${label(what, a)} is not hosted on Discord's CDN, so the bot will not fetch it. Please attach the picture directly.`);
  }
  const type = a.contentType?.split(";")[0]?.trim().toLowerCase();
  if (type && !ACCEPTED_TYPES.has(type)) {
    throw new AttachmentRefusal(`${label(what, a)} is ${type}, not a picture the model accepts. Please attach a PNG, JPEG or WebP image.`);
  }
  if (a.size > MAX_IMAGE_BYTES) {
    throw new AttachmentRefusal(`${label(what, a)} is ${(a.size / 1024 / 1024).toFixed(1)} MB; the model accepts pictures up to 30 MB.`);
  }
  if (a.width && a.height) {
    const problem = pictureSizeProblem(a.width, a.height);
    if (problem) throw new AttachmentRefusal(`${label(what, a)} ${problem}.`);
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
export async function fetchImage(a: Pick<Attachment, "url" | "name">, what: string): Promise<FetchedImage> {
  let bytes: Buffer;
  try {
    bytes = await downloadCapped(a.url, MAX_IMAGE_BYTES, 30_000);
  } catch (err) {
    if (err instanceof TooLargeError) throw new AttachmentRefusal(`${label(what, a)} is larger than 30 MB; the model accepts pictures up to 30 MB.`);
    throw new AttachmentRefusal(`The bot could not download the ${what} from Discord. Please try again.`);
  }
  const type = sniffImageType(bytes);
  if (!type) throw new AttachmentRefusal(`${label(what, a)} is not a PNG, JPEG or WebP picture (its contents say otherwise). Please attach one of those.`);
  let size: { width: number; height: number };
  try {
    size = imageSize(bytes);
  } catch {
    throw new AttachmentRefusal(`${label(what, a)} could not be read as a picture (its header is damaged). Please save it again as PNG or JPEG.`);
  }
  const problem = pictureSizeProblem(size.width, size.height);
  if (problem) throw new AttachmentRefusal(`${label(what, a)} ${problem}.`);
  const ext = type === "image/jpeg" ? "jpg" : type.slice("image/".length);
  return { bytes, type, fileName: `${what.replace(/\W+/g, "-")}.${ext}`, width: size.width, height: size.height };
}
