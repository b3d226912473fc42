import { MessageFlags, type ButtonInteraction } from "discord.js";
import { parseReportId } from "../cards/index.js";
import { refuse } from "../discord/index.js";
import { msg, t } from "../i18n/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { Settings } from "../settings/index.js";
import type { Store } from "../store/index.js";
import type { Modlog } from "./modlog.js";

export interface ReportDeps {
  repo: Pick<JobRepository, "get">;
  settings: Pick<Settings, "get">;
  store: Pick<Store, "leaseTake" | "leaseRelease">;
  modlog: Modlog;
  log: Logger;
}

/** A member's report of one result is remembered this long: pressing again within it counts once. */
const REPORT_KEPT_MS = 180 * 86_400_000;
const reportKey = (jobId: string, userId: string) => `safety:report:${jobId}:${userId}`;

/**
 * Report on a result card, pressed by anyone in the server: the moderators' log gets the report
 * (once per member and result, whatever is pressed again or by which process), the reporter a
 * private thank-you. With no log set, the reporter is told to contact the server's moderators.
 */
export async function onReport(interaction: ButtonInteraction, d: ReportDeps): Promise<void> {
  const jobId = parseReportId(interaction.customId);
  const job = jobId ? await d.repo.get(jobId) : undefined;
  if (!job) return refuse(interaction, msg("buttons.unknownJob"));
  if (interaction.message.id !== job.resultMessageId || (interaction.guildId ?? null) !== (job.guildId ?? null)) return refuse(interaction, msg("buttons.notThisMessage"));
  if (!job.guildId || !(await d.settings.get(job.guildId)).modlogChannelId) return refuse(interaction, msg("safety.report.noModlog"));
  const reporterId = interaction.user.id;
  const key = reportKey(job.id, reporterId);
  // taken atomically on either store: two presses, or two processes, count once
  if (!(await d.store.leaseTake(key, "reported", REPORT_KEPT_MS))) return refuse(interaction, msg("safety.report.already"));
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const outcome = await d.modlog.reported(job, reporterId);
  if (outcome !== "posted") {
    // not delivered to anyone: the member may report again once the log works
    await d.store.leaseRelease(key, "reported");
    await interaction.editReply({ content: t(interaction.locale, outcome === "no_modlog" ? "safety.report.noModlog" : "safety.report.failed") });
    return;
  }
  d.log.info({ job: job.id, by: reporterId }, "result reported to the moderators");
  await interaction.editReply({ content: t(interaction.locale, "safety.report.thanks") });
}
