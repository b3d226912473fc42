import { z } from "zod";
import { decimal, type MessageValue } from "../i18n/index.js";
import { ASPECT_RATIOS, RESOLUTIONS, type AspectRatio, type Duration, type Resolution } from "./pricing.js";

export const DURATIONS = ["auto", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"] as const satisfies readonly Duration[];
export const MAX_PROMPT_LENGTH = 2500;
export const MAX_SEED = 2_147_483_647;

/** ByteDance's documented Seedance 2.0 limits for input pictures. */
export const PICTURE_LIMITS = { minSide: 300, maxSide: 6000, minRatio: 0.4, maxRatio: 2.5 } as const;

/**
 * Why the model would refuse a picture of this size (a catalog key and its numbers; the caller
 * adds which picture it is as `label`); null when it fits.
 */
export function pictureSizeProblem(width: number, height: number): { key: string; vars: Record<string, MessageValue> } | null {
  const { minSide, maxSide, minRatio, maxRatio } = PICTURE_LIMITS;
  if (Math.min(width, height) < minSide) return { key: "attachment.sideTooSmall", vars: { width, height, min: minSide } };
  if (Math.max(width, height) > maxSide) return { key: "attachment.sideTooLarge", vars: { width, height, max: maxSide } };
  const ratio = width / height;
  if (ratio < minRatio || ratio > maxRatio) return { key: "attachment.badShape", vars: { width, height, ratio: decimal(ratio, 2), min: decimal(minRatio, 1), max: decimal(maxRatio, 1) } };
  return null;
}

/** What a member asked for, in the bot's own words. */
export interface VideoParams {
  prompt: string;
  imageUrl: string;
  endImageUrl?: string | undefined;
  duration: Duration;
  resolution: Resolution;
  aspectRatio: AspectRatio;
  audio: boolean;
  seed?: number | undefined;
}

/**
 * The Seedance 2.0 image-to-video input as fal documents it: duration is a string, and fields
 * the model lacks (camera_fixed, enable_safety_checker, …) are refused rather than sent.
 */
export const seedanceInputSchema = z.strictObject({
  prompt: z.string().min(1).max(MAX_PROMPT_LENGTH),
  image_url: z.url({ protocol: /^https?$/ }),
  end_image_url: z.url({ protocol: /^https?$/ }).optional(),
  resolution: z.enum(RESOLUTIONS),
  duration: z.enum(DURATIONS),
  aspect_ratio: z.enum(ASPECT_RATIOS),
  generate_audio: z.boolean(),
  seed: z.int().min(0).max(MAX_SEED).optional(),
  end_user_id: z.string().max(128).optional(),
});

export type SeedanceInput = z.infer<typeof seedanceInputSchema>;

export function buildSeedanceInput(params: VideoParams, endUserId?: string): SeedanceInput {
  return seedanceInputSchema.parse({
    prompt: params.prompt,
    image_url: params.imageUrl,
    ...(params.endImageUrl ? { end_image_url: params.endImageUrl } : {}),
    resolution: params.resolution,
    duration: params.duration,
    aspect_ratio: params.aspectRatio,
    generate_audio: params.audio,
    ...(params.seed !== undefined ? { seed: params.seed } : {}),
    ...(endUserId ? { end_user_id: endUserId } : {}),
  });
}

export const seedanceOutputSchema = z.object({
  video: z.object({
    url: z.url(),
    content_type: z.string().optional(),
    file_name: z.string().optional(),
    file_size: z.number().optional(),
  }),
  seed: z.number().optional(),
});

export type SeedanceOutput = z.infer<typeof seedanceOutputSchema>;
