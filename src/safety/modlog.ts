import { DEFAULT_LOCALE, t, usdUp } from "../i18n/index.js";
import { DiscordAPIError } from "discord.js";
import { inertPreview, messageLink, type DiscordMessages } from "../discord/index.js";
import type { Job } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { Settings } from "../settings/index.js";

/** A prompt in the log: one line, inert (no markup, link or mention of its own), at most this long. */
const PROMPT_SHOWN = 300;

export interface ModlogDeps {
  messages: Pick<DiscordMessages, "post">;
  settings: Pick<Settings, "get">;
  log: Logger;
}

/** Why a request was refused for safety (what the log line says; the member is told less). */
export type SafetyRefusal = { kind: "blocked_words" } | { kind: "picture"; score: number; threshold: number };

/** Who asked for what, where: enough for a refusal's line. */
export interface RefusedRequest {
  guildId: string | null;
  channelId: string;
  userId: string;
  prompt: string;
  /** The server's language: the log is read by its moderators. */
  locale: string;
}

/** What posting a line did: posted, no log set, or the log's channel refused the bot. */
export type LogOutcome = "posted" | "no_modlog" | "failed";

/**
 * The moderators' log: one line per delivered video, per safety refusal and per report, in the
 * channel a server's admins named. Lines mention members without notifying anyone, and show
 * prompts inert. A line that cannot be posted is logged here and never fails the job.
 */
export class Modlog {
  constructor(private readonly d: ModlogDeps) {}

  /** A delivered video: requester, prompt, cost and a link to the result. */
  async delivered(job: Job): Promise<LogOutcome> {
    if (!job.resultMessageId) return "no_modlog";
    const locale = job.locale ?? DEFAULT_LOCALE;
    const cost = job.chargeMicros ?? job.reservation?.micros ?? 0;
    return this.post(job.guildId, locale, [
      t(locale, "safety.modlog.delivered", { userId: job.userId, channelId: job.channelId, cost: usdUp(cost), link: messageLink(job.guildId, job.channelId, job.resultMessageId) }),
      quote(job.params.prompt),
    ]);
  }

  /** A request refused for safety: who, where, why, and the prompt (never the picture). */
  async refused(r: RefusedRequest, why: SafetyRefusal): Promise<LogOutcome> {
    const reason = why.kind === "blocked_words"
      ? t(r.locale, "safety.modlog.reasonWords")
      : t(r.locale, "safety.modlog.reasonPicture", { score: why.score.toFixed(2), threshold: why.threshold.toFixed(2) });
    return this.post(r.guildId, r.locale, [t(r.locale, "safety.modlog.refused", { userId: r.userId, channelId: r.channelId, reason }), quote(r.prompt)]);
  }

  /** A member reported a result: reporter, requester, the result's link and its prompt. */
  async reported(job: Job, reporterId: string): Promise<LogOutcome> {
    const locale = job.locale ?? DEFAULT_LOCALE;
    const link = messageLink(job.guildId, job.channelId, job.resultMessageId ?? job.progressMessageId ?? "");
    return this.post(job.guildId, locale, [t(locale, "safety.modlog.reported", { reporterId, userId: job.userId, link }), quote(job.params.prompt)]);
  }

  /** The first line of a new log, which proves the bot may post there. */
  async opened(guildId: string, channelId: string, byUserId: string, locale: string): Promise<"posted" | "failed"> {
    try {
      await this.d.messages.post(channelId, { content: t(locale, "safety.modlog.opened", { userId: byUserId }), allowed_mentions: { parse: [] } });
      return "posted";
    } catch (err) {
      this.d.log.warn({ guild: guildId, channel: channelId, err: describe(err) }, "the moderators' log channel refused the bot");
      return "failed";
    }
  }

  private async post(guildId: string | null, locale: string, lines: string[]): Promise<LogOutcome> {
    if (!guildId) return "no_modlog";
    const channelId = (await this.d.settings.get(guildId)).modlogChannelId;
    if (!channelId) return "no_modlog";
    try {
      await this.d.messages.post(channelId, { content: lines.join("\n").slice(0, 2000), allowed_mentions: { parse: [] } });
      return "posted";
    } catch (err) {
      this.d.log.warn({ guild: guildId, channel: channelId, locale, err: describe(err) }, "a moderators' log line could not be posted");
      return "failed";
    }
  }
}

function quote(prompt: string): string {
  return `> ${inertPreview(prompt, PROMPT_SHOWN)}`;
}

function describe(err: unknown): unknown {
  return err instanceof DiscordAPIError ? { status: err.status, code: err.code } : err;
}
