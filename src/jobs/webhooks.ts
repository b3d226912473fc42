import type { Logger } from "../log/index.js";
import type { FalWebhook } from "../seedance/index.js";
import type { Store } from "../store/index.js";
import type { JobRepository } from "./repository.js";

/** The store's channel on which a webhook's arrival wakes whichever process drives the job. */
export const WEBHOOK_CHANNEL = "fal-webhook";
/** The store's channel on which a member's cancel reaches whichever process drives the job. */
export const CANCEL_CHANNEL = "job-cancel";

export type WebhookOutcome = "accepted" | "repeat" | "unknown";

/**
 * A verified fal webhook: kept in the store with the request it ends, then every process is
 * told, so the one driving the job (or the one that takes it over) finishes it from there,
 * even when fal's status route fails. A repeated delivery changes nothing.
 */
export async function receiveFalWebhook(o: { repo: JobRepository; store: Store; log: Logger }, webhook: FalWebhook): Promise<WebhookOutcome> {
  const job = await o.repo.byFalRequest(webhook.request_id);
  if (!job) return "unknown";
  if (await o.repo.falResult(webhook.request_id)) return "repeat";
  await o.repo.saveFalResult(webhook.request_id, webhook);
  await o.store.publish(WEBHOOK_CHANNEL, webhook.request_id);
  o.log.info({ job: job.id, requestId: webhook.request_id, status: webhook.status }, "fal webhook received");
  return "accepted";
}
