import { randomUUID } from "node:crypto";
import { ApiError } from "@fal-ai/client";
import type { Config } from "../config/index.js";
import type { Logger } from "../log/index.js";
import type { Budget } from "../quota/index.js";
import type { Seedance } from "../seedance/index.js";

/**
 * What screening a job's pictures found:
 * - `clear`: every picture is under the threshold, or the channel is age-restricted, or
 *   screening is off (`score` is null when nothing was checked);
 * - `flagged`: a picture is above the threshold outside an age-restricted channel;
 * - `unavailable`: fal did not answer; the picture is never let through on a guess.
 */
export type Screening = { verdict: "clear"; score: number | null } | { verdict: "flagged"; score: number } | { verdict: "unavailable" };

export interface ScreeningDeps {
  config: Pick<Config, "safetyImageCheck" | "safetyNsfwThreshold" | "safetyCheckMicros">;
  seedance: Pick<Seedance, "nsfwCheck">;
  budget: Pick<Budget, "bookCheck">;
  log: Logger;
  /** Whether a channel is age-restricted now (the gateway's cache). */
  ageRestricted(channelId: string): boolean;
}

/** Where the pictures will be animated, and who asked (who the check's cost is booked under). */
export interface ScreeningPlace {
  guildId: string | null;
  channelId: string;
  userId: string;
}

/**
 * fal's NSFW classifier on each of a job's pictures, before anything is held. Every attempt fal
 * may have billed (answered, or with its answer lost; fal-js retries by itself) is booked on the
 * operator's books; one fal refused (4xx) is not billed by fal and is not booked.
 */
export class PictureScreen {
  constructor(private readonly d: ScreeningDeps) {}

  get on(): boolean {
    return this.d.config.safetyImageCheck === "fal";
  }

  get threshold(): number {
    return this.d.config.safetyNsfwThreshold;
  }

  /**
   * Screens `pictures` (URLs fal can fetch; repeats checked once). `known`: the score its source
   * job's pictures got (a take animates the same picture), which costs no new check.
   */
  async screen(pictures: Array<string | null | undefined>, place: ScreeningPlace, known?: number | null): Promise<Screening> {
    // age-restricted channels may show what the classifier would flag: nothing to check, nothing to pay
    if (!this.on || this.d.ageRestricted(place.channelId)) return { verdict: "clear", score: known ?? null };
    if (typeof known === "number") return this.judge(known);
    let highest = 0;
    for (const url of new Set(pictures.filter((u): u is string => Boolean(u)))) {
      const score = await this.check(url, place);
      if (score === null) return { verdict: "unavailable" };
      highest = Math.max(highest, score);
      if (highest > this.threshold) break;
    }
    return this.judge(highest);
  }

  private judge(score: number): Screening {
    return score > this.threshold ? { verdict: "flagged", score } : { verdict: "clear", score };
  }

  /** One picture's probability; null when fal could not tell (it is then refused as unavailable). */
  private async check(url: string, place: ScreeningPlace): Promise<number | null> {
    const checked = await this.d.seedance.nsfwCheck(url);
    // every attempt fal may have run is the operator's cost, answered or not
    for (let i = 0; i < checked.attempts; i++) await this.d.budget.bookCheck(randomUUID(), place.guildId, place.userId, this.d.config.safetyCheckMicros);
    if ("probability" in checked) return checked.probability;
    const err = checked.error;
    this.d.log.warn({ err: err instanceof ApiError ? { status: err.status, message: err.message } : err, guild: place.guildId }, "the picture check did not answer");
    return null;
  }
}
