/**
 * What fal bills for a Seedance 2.0 video (update-2026-12.md §2).
 *
 * The published formula is width × height × seconds × 24 / 1024 tokens, but fal's billing records
 * (720p 16:9: 87.3, 108.9 and 130.5 units for 4, 5 and 6 s) are exactly 24·s + 1 frames of
 * width·height/1024 tokens each. The fake bills what fal really charges, not what it publishes, so
 * a bot that estimates with the published formula under-reserves and a test can see it.
 */

/** Units are thousands of tokens, to 3 decimals (whole tokens), as in x-fal-billable-units. */
export function billedUnitsFor(width: number, height: number, seconds: number): number {
  const frames = Math.round(24 * seconds) + 1;
  const tokens = Math.round((frames * width * height) / 1024);
  return tokens / 1000;
}

/** Sums units without the float dust of repeated addition (e.g. 87.3 + 108.9). */
export function sumUnits(units: Iterable<number>): number {
  let tokens = 0;
  for (const u of units) tokens += Math.round(u * 1000);
  return tokens / 1000;
}
