/**
 * Strict validation of the Seedance 2.0 image-to-video input (fal.md §1.1) with zod,
 * reporting failures the way fal does: HTTP 422 {"detail":[{loc:["body",field],msg,type,...}]}.
 */
import { z } from "zod";

export const ENDPOINTS = {
  "bytedance/seedance-2.0/image-to-video": "standard",
  "bytedance/seedance-2.0/fast/image-to-video": "fast",
} as const;
export type Tier = (typeof ENDPOINTS)[keyof typeof ENDPOINTS];

export const PROMPT_MAX = 2500;
export const DURATIONS = ["auto", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"] as const;
export const ASPECT_RATIOS = ["auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"] as const;
export const RESOLUTIONS: Record<Tier, readonly [string, ...string[]]> = {
  standard: ["480p", "720p", "1080p"],
  fast: ["480p", "720p"],
};

export interface FalErrorDetail {
  loc: Array<string | number>;
  msg: string;
  type: string;
  url?: string;
  ctx?: Record<string, unknown>;
  input?: unknown;
}

export interface SeedanceInput {
  prompt: string;
  image_url: string;
  end_image_url?: string | null;
  resolution?: string;
  duration?: (typeof DURATIONS)[number];
  aspect_ratio?: (typeof ASPECT_RATIOS)[number];
  generate_audio?: boolean;
  seed?: number | null;
  end_user_id?: string | null;
}

export function isUrlOrDataUri(v: string): boolean {
  if (/^data:[\w.+-]+\/[\w.+-]+(;[\w=.+-]+)*(;base64)?,/i.test(v)) return true;
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}

const urlField = z.string().refine(isUrlOrDataUri, { message: "Input should be a valid URL", params: { falType: "url_parsing" } });

function schemaFor(tier: Tier) {
  return z.strictObject({
    prompt: z.string().min(1).max(PROMPT_MAX),
    image_url: urlField,
    end_image_url: urlField.nullish(),
    resolution: z.enum(RESOLUTIONS[tier]).optional(),
    duration: z.enum(DURATIONS).optional(),
    aspect_ratio: z.enum(ASPECT_RATIOS).optional(),
    generate_audio: z.boolean().optional(),
    seed: z.number().int().nullish(),
    end_user_id: z.string().nullish(),
  });
}

const SCHEMAS: Record<Tier, ReturnType<typeof schemaFor>> = { standard: schemaFor("standard"), fast: schemaFor("fast") };

const TYPE_NAMES: Record<string, [string, string]> = {
  string: ["string_type", "Input should be a valid string"],
  boolean: ["bool_type", "Input should be a valid boolean"],
  int: ["int_type", "Input should be a valid integer"],
  number: ["int_type", "Input should be a valid integer"],
  object: ["model_attributes_type", "Input should be a valid dictionary or object to extract fields from"],
};

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let v: unknown = input;
  for (const k of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function toDetails(issue: z.core.$ZodIssue, input: unknown): FalErrorDetail[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
  const loc = ["body", ...path];
  const value = valueAt(input, issue.path);
  const withInput = (d: FalErrorDetail): FalErrorDetail => (value === undefined ? d : { ...d, input: value });
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        loc: [...loc, key],
        msg: "Extra inputs are not permitted",
        type: "extra_forbidden",
        input: valueAt(input, [...issue.path, key]),
      }));
    case "invalid_type": {
      if (value === undefined && path.length > 0) return [{ loc, msg: "Field required", type: "missing" }];
      const [type, msg] = TYPE_NAMES[issue.expected] ?? [`${issue.expected}_type`, issue.message];
      return [withInput({ loc, msg, type })];
    }
    case "invalid_value": {
      const expected = issue.values.map((v) => `'${String(v)}'`);
      const list = expected.length > 1 ? `${expected.slice(0, -1).join(", ")} or ${expected.at(-1)}` : (expected[0] ?? "");
      return [withInput({ loc, msg: `Input should be ${list}`, type: "enum", ctx: { expected: list } })];
    }
    case "too_small":
      return [withInput({
        loc,
        msg: `String should have at least ${String(issue.minimum)} character${Number(issue.minimum) === 1 ? "" : "s"}`,
        type: "string_too_short",
        ctx: { min_length: Number(issue.minimum) },
      })];
    case "too_big":
      return [withInput({
        loc,
        msg: `String should have at most ${String(issue.maximum)} characters`,
        type: "string_too_long",
        ctx: { max_length: Number(issue.maximum) },
      })];
    case "custom": {
      const falType = (issue.params as { falType?: string } | undefined)?.falType ?? "value_error";
      return [withInput({ loc, msg: issue.message, type: falType })];
    }
    default:
      return [withInput({ loc, msg: issue.message, type: "value_error" })];
  }
}

export type ValidationResult = { ok: true; input: SeedanceInput } | { ok: false; detail: FalErrorDetail[] };

/** Validates a parsed JSON body for the given tier. */
export function validateSeedanceInput(tier: Tier, body: unknown): ValidationResult {
  const r = SCHEMAS[tier].safeParse(body);
  if (r.success) return { ok: true, input: r.data };
  return { ok: false, detail: r.error.issues.flatMap((i) => toDetails(i, body)) };
}

/** The input of fal's NSFW classifier `fal-ai/imageutils/nsfw`. */
export interface NsfwInput {
  image_url: string;
}

const NSFW_SCHEMA = z.strictObject({ image_url: urlField });

/** Validates a parsed JSON body for `fal-ai/imageutils/nsfw` (extra fields refused, as for Seedance). */
export function validateNsfwInput(body: unknown): { ok: true; input: NsfwInput } | { ok: false; detail: FalErrorDetail[] } {
  const r = NSFW_SCHEMA.safeParse(body);
  if (r.success) return { ok: true, input: r.data };
  return { ok: false, detail: r.error.issues.flatMap((i) => toDetails(i, body)) };
}

/** fal's error objects for failures detected while "running" the job. */
export function fileError(
  field: string,
  type: "file_download_error" | "unsupported_image_format" | "file_too_large" | "image_load_error",
  input: unknown,
  ctx?: Record<string, unknown>,
): FalErrorDetail {
  const msgs = {
    file_download_error: "Failed to download the file. Please check if the URL is accessible.",
    unsupported_image_format: "The image format is not supported. Supported formats: JPEG, PNG, WebP.",
    file_too_large: "The file is too large.",
    image_load_error: "Failed to load the image. Please ensure the image file is not corrupted and is in a supported format.",
  };
  return { loc: ["body", field], msg: msgs[type], type, url: `https://docs.fal.ai/errors/#${type}`, input, ...(ctx ? { ctx } : {}) };
}

/** Sniffs JPEG / PNG / WebP magic bytes. */
export function imageKind(bytes: Buffer): "jpeg" | "png" | "webp" | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "png";
  if (bytes.length >= 12 && bytes.toString("latin1", 0, 4) === "RIFF" && bytes.toString("latin1", 8, 12) === "WEBP") return "webp";
  return undefined;
}
