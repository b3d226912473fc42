import { randomUUID } from "node:crypto";
import { Events, RESTEvents, type Client } from "discord.js";
import type { Config } from "./config/env.js";
import { createDiscordClient, planShards } from "./discord/client.js";
import { Cooldown } from "./discord/cooldown.js";
import { loadCommands } from "./discord/loader.js";
import { DiscordMessages } from "./discord/messages.js";
import { registerCommands } from "./discord/register.js";
import { routeCommands, routeReactions } from "./discord/router.js";
import { botRoutes } from "./http/routes.js";
import { startHttpServer } from "./http/server.js";
import { Admissions } from "./jobs/admissions.js";
import { Confirmations } from "./jobs/confirm.js";
import { historyPage } from "./history/history.js";
import { onRemix, REMIX_PREFIX } from "./jobs/actions.js";
import { ANIMATE_PREFIX, submitAnimate } from "./jobs/animate.js";
import { AnimateForms } from "./jobs/forms.js";
import { Settings } from "./settings/settings.js";
import { JobRepository } from "./jobs/repository.js";
import { startRetention } from "./jobs/retention.js";
import { JobRunner } from "./jobs/runner.js";
import { SharedSlots } from "./jobs/shared-slots.js";
import { Slots, type SlotPool } from "./jobs/slots.js";
import { WEBHOOK_CHANNEL } from "./jobs/webhooks.js";
import { createLogger, makeRedactor, type Logger } from "./log/logger.js";
import { startStats } from "./log/stats.js";
import { Metrics } from "./metrics/metrics.js";
import { Operator } from "./operator/operator.js";
import { Budget } from "./quota/budget.js";
import { createSeedance } from "./seedance/client.js";
import { tierOf, unitPriceMicros } from "./seedance/pricing.js";
import { FalWebhookVerifier } from "./seedance/webhook.js";
import type { Services } from "./services.js";
import { openStore, type Store } from "./store/index.js";
import { createLeases } from "./store/leases.js";

/**
 * Pictures downloaded but not yet in fal storage, at most (each up to 30 MB), and commands
 * waiting for a place (a waiting command holds no picture yet; each waits a minute at most).
 */
const INTAKE_PLACES = 6;
const INTAKE_QUEUE = 2_000;

export interface BotHandle {
  services: Services;
  /** The port of /healthz, /metrics and the fal webhook, when HTTP_PORT is set (0 picks a free one). */
  httpPort: number | null;
  /**
   * Stops taking commands (answering "restarting" for at least `drainMs`, so members who
   * press enter meanwhile are told rather than left without an answer), lets running steps
   * write their state, closes connections.
   */
  stop(timeoutMs?: number, drainMs?: number): Promise<void>;
}

export interface BotOptions {
  /** Where log lines go (tests capture them); stdout by default. */
  logDestination?: NodeJS.WritableStream;
}

/** MAX_CONCURRENT_JOBS counts this process's jobs at fal, or every process's on a Redis store. */
function falSlots(store: Store, config: Config, log: Logger): SlotPool {
  if (!store.redis) return new Slots(config.maxConcurrentJobs);
  return new SharedSlots(store.redis, `${store.prefix}:falslots`, config.maxConcurrentJobs, config.jobLeaseMs, (err) => log.warn({ err }, "shared fal slots: Redis failed"));
}

/** The whole bot, wired: what `npm start` runs and what the end-to-end tests start. */
export async function startBot(config: Config, options: BotOptions = {}): Promise<BotHandle> {
  const log: Logger = createLogger(config.logLevel, [config.discordToken, config.falKey], options.logDestination);
  const shards = await planShards(config);
  const store = await openStore(config.storeUrl);
  const commands = await loadCommands();
  const seedance = createSeedance({ model: config.falModel, falKey: config.falKey, proxyUrl: config.falProxyUrl, webhookUrl: config.falWebhookUrl });
  const tier = tierOf(config.falModel);
  const metrics = new Metrics();

  const client = createDiscordClient(config, shards);
  client.rest.on(RESTEvents.Response, (_request, response) => response.status >= 400 && metrics.discordRestError(response.status));
  const messages = new DiscordMessages(client.rest);
  const repo = new JobRepository(store);
  const budget = new Budget(store, config, log, metrics);
  const leases = createLeases(store, randomUUID(), config.jobLeaseMs);
  const slots = falSlots(store, config, log);
  const runner = new JobRunner({
    repo,
    seedance,
    messages,
    log,
    tier,
    accounting: budget,
    slots,
    pollIntervalMs: config.falPollIntervalMs,
    editIntervalMs: config.progressEditIntervalMs,
    jobTimeoutMs: config.jobTimeoutMs,
    leases,
    unitPriceMicros: config.falUnitPriceUsd === null ? unitPriceMicros(tier) : Math.round(config.falUnitPriceUsd * 1_000_000),
    metrics,
  });
  metrics.observe({ jobsInProgress: () => runner.statesInProgress(), botQueueLength: () => slots.queued });
  const services: Services = {
    config, log, client, store, repo, seedance, tier, messages, runner, budget, metrics,
    settings: new Settings(store, log),
    confirmations: new Confirmations(() => services, config.confirmMs),
    forms: new AnimateForms(store),
    intake: new Slots(INTAKE_PLACES, INTAKE_QUEUE),
    admissions: new Admissions(),
    reactionReplies: new Cooldown(10 * 60_000),
    operator: new Operator(config, store, log),
  };
  const drain = routeCommands(
    client,
    commands,
    services,
    { confirm: (i) => services.confirmations.answer(i), history: (i, s) => historyPage(i, s) },
    { [ANIMATE_PREFIX]: (i, s) => submitAnimate(i, s), [REMIX_PREFIX]: (i, s) => onRemix(s, i) },
  );
  routeReactions(client, services);
  client.on(Events.Error, (err) => log.error({ err }, "discord client error"));
  // fal's webhook may reach any process: the one driving its job hears of it
  const unsubscribe = config.falWebhookUrl ? await store.subscribe(WEBHOOK_CHANNEL, (requestId) => runner.nudgeFalRequest(requestId)) : async () => undefined;
  const http =
    config.httpPort === null
      ? null
      : await startHttpServer(
          config.httpPort,
          botRoutes({ client, shardIds: shards.ids, store, repo, log, metrics, verifier: config.falWebhookUrl ? new FalWebhookVerifier(config.falJwksUrl) : null }),
          (err) => log.error({ err }, "http request failed"),
        );

  const ready = new Promise<Client<true>>((resolve) => client.once(Events.ClientReady, resolve));
  try {
    await client.login(config.discordToken);
  } catch (err) {
    await http?.close();
    await unsubscribe();
    await store.close();
    const reason = makeRedactor([config.discordToken])((err as Error).message);
    throw new Error(`Could not log in to Discord (${reason}). Check DISCORD_TOKEN and DISCORD_API_URL.`);
  }
  const c = await ready;
  await services.operator.resolveOwners(c);
  await services.operator.logControls(config);
  const definitions = [...commands.values()].map((cmd) => cmd.definition);
  const registration = await registerCommands(c.rest, store, leases, c.application.id, config.discordGuildId, definitions);
  const resumed = await runner.resumeAll();
  const stopStats = startStats(log, config.statsIntervalMs, () => runner.activeCount);
  const stopRetention = startRetention({ repo, ledger: budget.ledger, log, retentionDays: config.jobRetentionDays });
  // Animate forms never sent (an embedded store keeps an expired value until it is read)
  const formSweep = setInterval(() => void services.forms.sweep().catch((err: unknown) => log.warn({ err }, "sweeping old forms failed")), 10 * 60_000);
  formSweep.unref();
  log.info({ user: c.user.tag, commands: [...commands.keys()], registration, resumed, store: store.kind, shards: shards.ids, shardCount: shards.count, httpPort: http?.port ?? null }, "bot ready");

  let stopped = false;
  return {
    services,
    httpPort: http?.port ?? null,
    async stop(timeoutMs = 8_000, drainMs = 1_500) {
      if (stopped) return;
      stopped = true;
      const drainedAt = Date.now() + drainMs;
      drain();
      services.confirmations.clear();
      stopStats();
      stopRetention();
      clearInterval(formSweep);
      client.removeAllListeners(Events.MessageReactionAdd);
      await runner.stop(timeoutMs);
      if (drainedAt > Date.now()) await new Promise((r) => setTimeout(r, drainedAt - Date.now()));
      await client.destroy();
      await http?.close();
      await unsubscribe();
      await store.close();
      log.info("bot stopped");
    },
  };
}
