import { toCents, type Rounding } from "../i18n/index.js";

/**
 * Seedance 2.0 pricing on fal: tokens = width × height × frames / 1024, billed per 1000 tokens
 * ($0.014 standard, $0.0112 fast). fal publishes 24 frames a second, but bills 24·s + 1 (its
 * billing records show 87.3, 108.9 and 130.5 units for 4, 5 and 6 s at 720p): estimates and
 * holds count that frame too, so a hold always covers the bill. Money is kept in integer
 * micro-dollars so sums never drift; a price per token of 14 µ$ (standard) or 11.2 µ$ (fast) is
 * carried in tenths.
 */
export const RESOLUTIONS = ["480p", "720p", "1080p"] as const;
export const ASPECT_RATIOS = ["auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export type AspectRatio = (typeof ASPECT_RATIOS)[number];
export type FixedAspectRatio = Exclude<AspectRatio, "auto">;
export type Duration = "auto" | `${4 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15}`;

export const MIN_SECONDS = 4;
export const MAX_SECONDS = 15;

export interface FrameSize {
  width: number;
  height: number;
}

/** ByteDance's Seedance 2.0 frame table (720p 16:9 = 1280×720 matches fal's own arithmetic). */
export const FRAME_SIZES: Record<Resolution, Record<FixedAspectRatio, FrameSize>> = {
  "480p": {
    "16:9": { width: 864, height: 496 }, "4:3": { width: 752, height: 560 }, "1:1": { width: 640, height: 640 },
    "3:4": { width: 560, height: 752 }, "9:16": { width: 496, height: 864 }, "21:9": { width: 992, height: 432 },
  },
  "720p": {
    "16:9": { width: 1280, height: 720 }, "4:3": { width: 1112, height: 834 }, "1:1": { width: 960, height: 960 },
    "3:4": { width: 834, height: 1112 }, "9:16": { width: 720, height: 1280 }, "21:9": { width: 1470, height: 630 },
  },
  "1080p": {
    "16:9": { width: 1920, height: 1080 }, "4:3": { width: 1664, height: 1248 }, "1:1": { width: 1440, height: 1440 },
    "3:4": { width: 1248, height: 1664 }, "9:16": { width: 1080, height: 1920 }, "21:9": { width: 2206, height: 946 },
  },
};

export interface Tier {
  name: "standard" | "fast";
  /** µ$ per token, in tenths (14 µ$ = 140). */
  tenthMicrosPerToken: number;
  resolutions: readonly Resolution[];
}

const STANDARD: Tier = { name: "standard", tenthMicrosPerToken: 140, resolutions: RESOLUTIONS };
const FAST: Tier = { name: "fast", tenthMicrosPerToken: 112, resolutions: ["480p", "720p"] };

export function tierOf(model: string): Tier {
  return model.split("/").includes("fast") ? FAST : STANDARD;
}

/** The largest frame of a tier: what `auto` may turn into, so an estimate never falls short. */
export function largestFrame(resolution: Resolution): FrameSize {
  return Object.values(FRAME_SIZES[resolution]).reduce((a, b) => (b.width * b.height > a.width * a.height ? b : a));
}

/**
 * fal's published price per billed unit, read as a thousand video tokens (the unit its price
 * is quoted in: $0.014 standard, $0.0112 fast), in µ$.
 */
export function unitPriceMicros(tier: Tier): number {
  return tier.tenthMicrosPerToken * 100;
}

/** What fal billed, in µ$, for `units` billed units at `priceMicros` each (rounded up). */
export function billedMicros(units: number, priceMicros: number): number {
  return Math.ceil(units * priceMicros);
}

/** The frames fal bills for a video of `seconds`: 24 a second, plus one. */
export function billedFrames(seconds: number): number {
  return 24 * seconds + 1;
}

/**
 * Cost in µ$ of a video of this frame size and length as fal bills it: its tokens rounded up to
 * a whole token (fal does not publish how it rounds a fractional token, so never below any way
 * it may), then the price rounded up to a whole µ$.
 */
export function costMicros(tier: Tier, frame: FrameSize, seconds: number): number {
  const tokens = Math.ceil((frame.width * frame.height * billedFrames(seconds)) / 1024);
  return Math.ceil((tokens * tier.tenthMicrosPerToken) / 10);
}

/** fal's published price of one second (24 frames): what `/help` quotes per second. */
export function perSecondMicros(tier: Tier, frame: FrameSize): number {
  return Math.ceil((frame.width * frame.height * 24 * tier.tenthMicrosPerToken) / (1024 * 10));
}

export interface Estimate {
  micros: number;
  /** True when duration or aspect is `auto`: the figure is a ceiling, not a price. */
  upTo: boolean;
  seconds: number;
  frame: FrameSize;
}

export function estimate(tier: Tier, resolution: Resolution, aspect: AspectRatio, duration: Duration): Estimate {
  const seconds = duration === "auto" ? MAX_SECONDS : Number(duration);
  const frame = aspect === "auto" ? largestFrame(resolution) : FRAME_SIZES[resolution][aspect];
  return { micros: costMicros(tier, frame, seconds), upTo: duration === "auto" || aspect === "auto", seconds, frame };
}

/** "$1.53": two decimals, in cents rounded as asked (to the nearest by default). */
export function formatUsd(micros: number, rounding: Rounding = "nearest"): string {
  const cents = toCents(micros, rounding);
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

export function usdToMicros(usd: number): number {
  return Math.round(usd * 1_000_000);
}
