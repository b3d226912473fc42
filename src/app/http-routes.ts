import { Status, type Client } from "discord.js";
import type { Metrics } from "../metrics/index.js";
import { receiveFalWebhook } from "../jobs/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { Logger } from "../log/index.js";
import type { FalWebhookVerifier } from "../seedance/index.js";
import type { Store } from "../store/index.js";
import type { HttpRoutes } from "../http/index.js";

/** /healthz answers within a second whatever the store does: it waits this long for it. */
const STORE_ANSWER_MS = 800;

export interface RouteDeps {
  client: Client;
  shardIds: number[];
  store: Store;
  repo: JobRepository;
  log: Logger;
  metrics: Metrics;
  verifier: FalWebhookVerifier | null;
  /** /metrics needs `Authorization: Bearer <token>` when set (the port is public for fal's webhook). */
  metricsToken: string | null;
  /** POST /discord/events (DISCORD_PUBLIC_KEY set): Discord's signed purchase events. */
  discordEvents: HttpRoutes["discordEvents"] | null;
}

/** What the bot serves on HTTP_PORT: its health, its metrics and (with FAL_WEBHOOK_URL) fal's webhook. */
export function botRoutes(d: RouteDeps): HttpRoutes {
  return {
    async health() {
      const down: string[] = [];
      for (const id of d.shardIds) if (d.client.ws.shards.get(id)?.status !== Status.Ready) down.push(`discord shard ${id}`);
      const answered = await Promise.race([d.store.ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), STORE_ANSWER_MS).unref())]);
      if (!answered) down.push(`store (${d.store.kind})`);
      return down;
    },
    async metrics() {
      return { contentType: d.metrics.registry.contentType, body: await d.metrics.registry.metrics() };
    },
    metricsToken: d.metricsToken,
    ...(d.discordEvents ? { discordEvents: d.discordEvents } : {}),
    ...(d.verifier
      ? {
          async falWebhook(req, body) {
            let verdict;
            try {
              verdict = await d.verifier!.check(req.headers, body);
            } catch (err) {
              d.log.warn({ err }, "fal webhook not checked: fal's keys could not be read; fal will send it again");
              return 503;
            }
            if (!verdict.ok) {
              d.log.warn({ why: verdict.why }, "fal webhook refused");
              return 401;
            }
            // a request the bot has not linked to its job yet (the submit's answer is still on its
            // way): 404, so fal delivers it again later
            return (await receiveFalWebhook(d, verdict.webhook)) === "unknown" ? 404 : 200;
          },
        }
      : {}),
  };
}
