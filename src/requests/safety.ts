import { DEFAULT_LOCALE, msg, type Message } from "../i18n/index.js";
import type { Job } from "../jobs/index.js";
import { containsBlocked, type RefusedRequest } from "../safety/index.js";
import type { GuildSettings } from "../settings/index.js";
import type { RequestDeps } from "./deps.js";

/**
 * Whether a prompt holds one of the server's blocked words; when it does, the moderators' log
 * gets a line (in the background: the member's refusal does not wait for it). The member's
 * refusal names nothing of the list: the caller sends `msg("safety.blocked")`.
 */
export function blockedPrompt(s: Pick<RequestDeps, "modlog" | "log">, settings: GuildSettings, request: RefusedRequest): boolean {
  if (!containsBlocked(request.prompt, settings.blockedWords)) return false;
  s.log.info({ guild: request.guildId, user: request.userId }, "prompt refused: a blocked word");
  void s.modlog.refused(request, { kind: "blocked_words" }).catch((err: unknown) => s.log.warn({ err }, "the moderators' log line failed"));
  return true;
}

/**
 * Screens a recorded job's pictures before its hold (fal's NSFW check, when on): a picture above
 * the threshold outside an age-restricted channel is refused privately, and so is every picture
 * when fal cannot tell; the job is then forgotten as a refusal is. A take reuses its source's score.
 */
export async function screenJob(s: RequestDeps, job: Job, presenter: { refuse(text: Message): Promise<void> }): Promise<boolean> {
  if (!s.screen.on) return true;
  let screened;
  try {
    screened = await s.screen.screen([job.params.imageUrl, job.params.endImageUrl], { guildId: job.guildId, channelId: job.channelId, userId: job.userId }, job.pictureScore);
  } catch (err) {
    await s.runner.endUnstarted(job, "The bot could not check the picture.", { forget: true });
    throw err;
  }
  if (screened.verdict === "clear") {
    job.pictureScore = screened.score;
    return true;
  }
  s.metrics.jobEnded("refused");
  s.log.info({ job: job.id, verdict: screened.verdict }, "picture refused by the check");
  try {
    await presenter.refuse(msg(screened.verdict === "flagged" ? "safety.pictureFlagged" : "safety.checkUnavailable"));
  } finally {
    await s.runner.endUnstarted(job, "refused by the picture check", { forget: true });
  }
  if (screened.verdict === "flagged") {
    const request = { guildId: job.guildId, channelId: job.channelId, userId: job.userId, prompt: job.params.prompt, locale: job.locale ?? DEFAULT_LOCALE };
    await s.modlog.refused(request, { kind: "picture", score: screened.score, threshold: s.screen.threshold }).catch((err: unknown) => s.log.warn({ err }, "the moderators' log line failed"));
  }
  return false;
}
