import { MessageFlags, Routes, type REST } from "discord.js";
import { t, usdDown, usdUp } from "../i18n/index.js";
import type { Job } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { Budget } from "../quota/index.js";
import type { Store } from "../store/index.js";
import { packButtons } from "./packs.js";
import { lowNoticeKey, type CreditShop } from "./shop.js";

export interface LowBalanceDeps {
  rest: REST;
  budget: Budget;
  store: Store;
  shop: CreditShop;
  log: Logger;
}

/**
 * After a delivered video: when the member's budget and credits together fall below what that
 * video cost, they are told once, privately (an ephemeral follow-up of their command), with
 * the packs to buy. Told again only after a purchase, or once they were above it again.
 */
export async function noticeLowBalance(d: LowBalanceDeps, job: Job): Promise<"told" | "not_low" | "told_before" | "cannot_tell"> {
  if (!d.shop.on || !job.reservation) return "not_low";
  const price = job.chargeMicros ?? job.reservation.micros;
  const status = await d.budget.status(job.guildId ?? "dm", job.userId);
  const credits = status.creditMicros ?? 0;
  const key = lowNoticeKey(job.userId);
  if (status.remainingMicros + Math.max(0, credits) >= price) {
    await d.store.delete(key);
    return "not_low";
  }
  if ((await d.store.get(key)) !== undefined) return "told_before";
  const webhook = job.webhook;
  // a reaction's take has no interaction to answer privately, and a token lives 15 minutes
  if (!webhook || webhook.expiresAt <= Date.now() + 5_000) return "cannot_tell";
  await d.store.set(key, Date.now());
  // only the member reads it: their own language (a job from before it was kept: the server's)
  const locale = job.memberLocale ?? job.locale ?? "en-US";
  try {
    await d.rest.post(Routes.webhook(webhook.applicationId, webhook.token), {
      body: {
        content: t(locale, "credits.lowBalance", { left: usdDown(status.remainingMicros), credits: usdDown(credits), price: usdUp(price) }),
        flags: MessageFlags.Ephemeral,
        allowed_mentions: { parse: [] },
        components: [packButtons(d.shop.packs())],
      },
      auth: false,
    });
    d.log.info({ job: job.id, user: job.userId }, "low balance notice sent");
    return "told";
  } catch (err) {
    await d.store.delete(key).catch(() => undefined);
    d.log.warn({ job: job.id, err }, "the low balance notice could not be sent");
    return "cannot_tell";
  }
}
