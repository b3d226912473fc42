import { Events, REST, RESTEvents, type Client } from "discord.js";
import { ConfigError, type Config } from "./config/index.js";
import { createDiscordClient, planShards } from "./discord/index.js";
import { Cooldown } from "./discord/index.js";
import { loadCommands } from "./app/index.js";
import { DiscordMessages } from "./discord/index.js";
import { registerCommands } from "./app/index.js";
import { routeCommands, routeReactions } from "./app/index.js";
import { botRoutes } from "./app/index.js";
import { startHttpServer } from "./http/index.js";
import { Admissions } from "./requests/index.js";
import { Confirmations } from "./requests/index.js";
import { historyPage } from "./history/index.js";
import { onRemix, REMIX_PREFIX } from "./followups/index.js";
import { ANIMATE_PREFIX, submitAnimate } from "./requests/index.js";
import { AnimateForms } from "./requests/index.js";
import { Settings } from "./settings/index.js";
import { JobRepository } from "./jobs/index.js";
import { startRetention } from "./jobs/index.js";
import { JobRunner } from "./runner/index.js";
import { SharedSlots } from "./queue/index.js";
import { Slots, type SlotPool } from "./queue/index.js";
import { CANCEL_CHANNEL, WEBHOOK_CHANNEL } from "./jobs/index.js";
import { createLogger, makeRedactor, type Logger } from "./log/index.js";
import { startStats } from "./log/index.js";
import { Metrics } from "./metrics/index.js";
import { Operator, PAUSE_CHANNEL } from "./operator/index.js";
import { Budget } from "./quota/index.js";
import { CreditShop, discordEventsRoute, noticeLowBalance, publicKeyFromHex, type EntitlementData } from "./credits/index.js";
import { createSeedance } from "./seedance/index.js";
import { Modlog, onReport, PictureScreen } from "./safety/index.js";
import { consolePlugin } from "./console/index.js";
import { isAgeRestricted } from "./discord/index.js";
import { REPORT_PREFIX } from "./cards/index.js";
import { tierOf, unitPriceMicros } from "./seedance/index.js";
import { FalWebhookVerifier } from "./seedance/index.js";
import type { Services } from "./app/index.js";
import { openStore, type Store } from "./store/index.js";
import { createLeases } from "./store/index.js";
import { checkRedisForMoney } from "./store/index.js";

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
function falSlots(store: Store, config: Config, log: Logger, onLost: (jobId: string) => void): SlotPool {
  if (!store.redis) return new Slots(config.maxConcurrentJobs);
  return new SharedSlots(store.redis, `${store.prefix}:falslots`, config.maxConcurrentJobs, config.jobLeaseMs, (err) => log.warn({ err }, "shared fal slots: Redis failed"), (name) => store.leaseKey(name), onLost);
}

/** Connection errors of the store's client, at most one line a minute: it reconnects by itself. */
function storeErrorLogger(log: Logger): (err: Error) => void {
  let lastAt = 0;
  let quiet = 0;
  return (err) => {
    if (Date.now() - lastAt < 60_000) return void quiet++;
    log.warn({ err, alsoSince: quiet }, "the store's connection failed; reconnecting (commands are refused politely meanwhile)");
    lastAt = Date.now();
    quiet = 0;
  };
}

/**
 * Purchases on the gateway: Discord sends entitlement events only to shard 0 (they have no
 * guild), so only the process running shard 0 hears them; the others rely on the webhook
 * events and the reconciliation. A failure here is left to those two.
 */
function listenForPurchases(client: Client, shop: CreditShop, log: Logger): void {
  if (!shop.on) return;
  const data = (e: { id: string; skuId: string; userId: string | null; guildId: string | null; type: number; deleted: boolean; consumed: boolean }, deleted = e.deleted): EntitlementData =>
    ({ id: e.id, sku_id: e.skuId, user_id: e.userId, guild_id: e.guildId, type: e.type, deleted, consumed: e.consumed });
  const take = (e: EntitlementData) => void shop.receive(e, "gateway").catch((err: unknown) => log.warn({ err, entitlement: e.id }, "a purchase event could not be booked; the reconciliation will"));
  client.on(Events.EntitlementCreate, (e) => take(data(e)));
  client.on(Events.EntitlementUpdate, (_old, e) => take(data(e)));
  client.on(Events.EntitlementDelete, (e) => take(data(e, true)));
}

/** Opens the store, and on Redis checks it keeps money safely (no eviction; a warning without an append-only file). */
async function openCheckedStore(config: Config, log: Logger): Promise<Store> {
  const store = await openStore(config.storeUrl, { onConnectionError: storeErrorLogger(log) });
  if (store.redis) {
    const check = await checkRedisForMoney(store.redis, config.redisAllowEviction);
    for (const warning of check.warnings) log.warn(warning);
    if (check.refuse) {
      await store.close();
      throw new ConfigError(check.refuse);
    }
  }
  return store;
}

/** The whole bot, wired: what `npm start` runs and what the end-to-end tests start. */
export async function startBot(config: Config, options: BotOptions = {}): Promise<BotHandle> {
  const log: Logger = createLogger(config.logLevel, [config.discordToken, config.falKey, config.metricsToken ?? undefined, config.console?.clientSecret], options.logDestination);
  const shards = await planShards(config);
  const store = await openCheckedStore(config, log);
  const commands = await loadCommands();
  const seedance = createSeedance({ model: config.falModel, falKey: config.falKey, proxyUrl: config.falProxyUrl, webhookUrl: config.falWebhookUrl });
  const tier = tierOf(config.falModel);
  const metrics = new Metrics();

  const client = createDiscordClient(config, shards);
  client.rest.on(RESTEvents.Response, (_request, response) => response.status >= 400 && metrics.discordRestError(response.status));
  // discord.js's REST queueing and rate-limit decisions, for whoever investigates a stuck request
  if (log.isLevelEnabled("trace")) client.rest.on(RESTEvents.Debug, (info) => log.trace({ rest: info }, "discord rest"));
  if (log.isLevelEnabled("trace")) client.on(Events.Debug, (info) => log.trace({ gateway: info }, "discord gateway"));
  // uploads may take longer than discord.js's 15 s per request: each post sets its own deadline
  const uploads = new REST({ api: config.discordApiUrl, timeout: 600_000 }).setToken(config.discordToken);
  const messages = new DiscordMessages(client.rest, uploads);
  const repo = new JobRepository(store);
  const budget = new Budget(store, config, log, metrics);
  await budget.ledger.prepare?.();
  const leases = createLeases(store, config.jobLeaseMs);
  const operator = new Operator(config, store, log);
  const shop = new CreditShop({ rest: client.rest, budget, store, leases, log, packs: config.creditPacks, reconcileMs: config.creditReconcileMs });
  budget.whenSettled((job) => void noticeLowBalance({ rest: client.rest, budget, store, shop, log }, job).catch((err: unknown) => log.warn({ err, job: job.id }, "the low balance check failed")));
  const settings = new Settings(store, log);
  const modlog = new Modlog({ messages, settings, log });
  budget.whenSettled((job) => void modlog.delivered(job).catch((err: unknown) => log.warn({ err, job: job.id }, "the moderators' log line failed")));
  const screen = new PictureScreen({ config, seedance, budget, log, ageRestricted: (channelId) => isAgeRestricted(client, channelId) });
  let runner: JobRunner | undefined;
  const slots = falSlots(store, config, log, (jobId) => runner?.leaseLost(jobId));
  runner = new JobRunner({
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
    deliveryTimeoutMs: config.deliveryTimeoutMs,
    paused: () => operator.paused(),
    announceCancel: (jobId) => store.publish(CANCEL_CHANNEL, jobId),
    leases,
    unitPriceMicros: config.falUnitPriceUsd === null ? unitPriceMicros(tier) : Math.round(config.falUnitPriceUsd * 1_000_000),
    metrics,
  });
  metrics.observe({ jobsInProgress: () => runner.statesInProgress(), botQueueLength: () => slots.waitingHere() });
  const services: Services = {
    config, log, client, store, repo, seedance, tier, messages, runner, budget, metrics,
    settings,
    modlog,
    screen,
    confirmations: new Confirmations(config.confirmMs),
    forms: new AnimateForms(store),
    falSlots: slots,
    intake: new Slots(INTAKE_PLACES, INTAKE_QUEUE),
    admissions: new Admissions(),
    reactionReplies: new Cooldown(10 * 60_000),
    operator,
    shop,
  };
  const drain = routeCommands(
    client,
    commands,
    services,
    { confirm: (i) => services.confirmations.answer(i), history: (i, s) => historyPage(i, s), [REPORT_PREFIX]: (i, s) => onReport(i, s) },
    { [ANIMATE_PREFIX]: (i, s) => submitAnimate(i, s), [REMIX_PREFIX]: (i, s) => onRemix(s, i) },
  );
  routeReactions(client, services);
  listenForPurchases(client, shop, log);
  client.on(Events.Error, (err) => log.error({ err }, "discord client error"));
  // fal's webhook and a member's cancel may reach any process: the one driving the job hears of it
  const listening = [
    ...(config.falWebhookUrl ? [await store.subscribe(WEBHOOK_CHANNEL, (requestId) => runner.nudgeFalRequest(requestId))] : []),
    await store.subscribe(CANCEL_CHANNEL, (jobId) => void runner.onCancelRequested(jobId).catch((err: unknown) => log.warn({ err, job: jobId }, "a cancel request could not be read"))),
    await store.subscribe(PAUSE_CHANNEL, () => void runner.refreshPause().catch((err: unknown) => log.warn({ err }, "the pause could not be read"))),
  ];
  const unsubscribe = async () => void (await Promise.all(listening.map((stop) => stop())));
  const http =
    config.httpPort === null
      ? null
      : await startHttpServer(
          config.httpPort,
          {
            ...botRoutes({ client, shardIds: shards.ids, store, repo, log, metrics, verifier: config.falWebhookUrl ? new FalWebhookVerifier(config.falJwksUrl) : null, metricsToken: config.metricsToken, discordEvents: config.discordPublicKey ? discordEventsRoute(publicKeyFromHex(config.discordPublicKey), shop, log) : null }),
            plugins: config.console ? [consolePlugin({ config, client, store, repo, budget, operator, log })] : [],
          },
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
  try {
    await shop.open(c.application.id);
  } catch (err) {
    await client.destroy();
    await http?.close();
    await unsubscribe();
    await store.close();
    throw err;
  }
  await services.operator.resolveOwners(c);
  await services.operator.logControls(config);
  const definitions = [...commands.values()].map((cmd) => cmd.definition);
  const registration = await registerCommands(c.rest, store, leases, c.application.id, config.discordGuildId, definitions);
  const resumed = await runner.resumeAll();
  shop.start();
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
      await shop.stop();
      if (drainedAt > Date.now()) await new Promise((r) => setTimeout(r, drainedAt - Date.now()));
      await client.destroy();
      await http?.close();
      await unsubscribe();
      await store.close();
      log.info("bot stopped");
    },
  };
}
