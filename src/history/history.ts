import { PermissionFlagsBits, type ButtonInteraction } from "discord.js";
import { refuse } from "../discord/index.js";
import { msg, translator, usdUp, type Translate } from "../i18n/index.js";
import { messageLink } from "../discord/index.js";
import type { Job } from "../jobs/index.js";
import { inertPreview } from "../discord/index.js";
import type { JobRepository } from "../jobs/index.js";

/** What the history pages read: the member's jobs. */
export interface HistoryDeps {
  repo: Pick<JobRepository, "ofMember">;
}

export const PAGE_SIZE = 10;
const PROMPT_SHOWN = 60;

/** One line of a member's history: when, what became of it, what it cost, the prompt, the result. */
function line(job: Job, tr: Translate): string {
  return tr("history.line", {
    when: `<t:${Math.floor(job.createdAt / 1000)}:R>`,
    state: tr(`history.state.${job.state}`),
    cost: usdUp(job.state === "delivered" ? (job.chargeMicros ?? job.reservation?.micros ?? 0) : 0),
    prompt: `"${inertPreview(job.params.prompt, PROMPT_SHOWN)}"`,
    link: job.resultMessageId ? tr("history.result", { url: messageLink(job.guildId, job.channelId, job.resultMessageId) }) : "",
  });
}

/** A page of a member's history and the buttons to the pages beside it (for `callerId` only). */
export async function renderHistory(s: HistoryDeps, guildId: string | null, userId: string, page: number, locale: string, callerId: string) {
  const tr = translator(locale);
  const { jobs, total } = await s.repo.ofMember(guildId, userId, (page - 1) * PAGE_SIZE, PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  if (!total) return { content: tr("history.empty", { userId }), components: [] };
  const content = [tr("history.title", { userId, page, pages }), ...jobs.map((j) => line(j, tr))].join("\n").slice(0, 2000);
  const button = (label: string, to: number, disabled: boolean) => ({ type: 2, style: 2, label, custom_id: `history:${userId}:${to}:${callerId}`, disabled });
  const components = pages > 1 ? [{ type: 1, components: [button(tr("buttons.newer"), page - 1, page <= 1), button(tr("buttons.older"), page + 1, page >= pages)] }] : [];
  return { content, components };
}

/** A press on a history page's buttons: the caller's own list moves; anyone else is told no. */
export async function historyPage(interaction: ButtonInteraction, s: HistoryDeps): Promise<void> {
  const [, userId, pageText, callerId] = interaction.customId.split(":");
  if (interaction.user.id !== callerId) return refuse(interaction, msg("buttons.notYours", { userId: callerId ?? "" }));
  // the button names whose list it pages; a tampered one must not show a member's list to a non-admin
  if (userId !== interaction.user.id && !interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return refuse(interaction, msg("history.othersAdminOnly"));
  const page = Math.max(1, Number(pageText) || 1);
  const view = await renderHistory(s, interaction.guildId, userId!, page, interaction.locale, callerId);
  await interaction.update({ ...view, allowedMentions: { parse: [] } });
}
