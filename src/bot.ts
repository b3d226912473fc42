import { Client, Events, GatewayIntentBits, Options, Partials } from "discord.js";
import type { Config } from "./config/env.js";
import { Cooldown } from "./discord/cooldown.js";
import { loadCommands } from "./discord/loader.js";
import { DiscordMessages } from "./discord/messages.js";
import { registerCommands } from "./discord/register.js";
import { routeCommands, routeReactions } from "./discord/router.js";
import { JobRepository } from "./jobs/repository.js";
import { Admissions } from "./jobs/admissions.js";
import { Operator } from "./operator/operator.js";
import { formatUsd } from "./seedance/pricing.js";
import { startRetention } from "./jobs/retention.js";
import { JobRunner } from "./jobs/runner.js";
import { Slots } from "./jobs/slots.js";
import { Budget } from "./quota/budget.js";
import { createLogger, makeRedactor, type Logger } from "./log/logger.js";
import { startStats } from "./log/stats.js";
import { createSeedance } from "./seedance/client.js";
import { tierOf, unitPriceMicros } from "./seedance/pricing.js";
import type { Services } from "./services.js";
import { openStore } from "./store/index.js";
import { createLeases } from "./store/leases.js";
import { randomUUID } from "node:crypto";

/**
 * Pictures downloaded but not yet in fal storage, at most (each up to 30 MB), and commands
 * waiting for a place (a waiting command holds no picture yet; each waits a minute at most).
 */
const INTAKE_PLACES = 6;
const INTAKE_QUEUE = 2_000;

/**
 * The bot reads messages, users and members only by REST or from reactions: its caches stay
 * small and bounded (everything the bot needs is in its own store), whatever a year brings.
 */
function boundedCaches() {
  return Options.cacheWithLimits({
    ...Options.DefaultMakeCacheSettings,
    MessageManager: 50,
    ReactionManager: 20,
    ReactionUserManager: 20,
    UserManager: { maxSize: 1_000, keepOverLimit: (user) => user.id === user.client.user.id },
    GuildMemberManager: { maxSize: 1_000, keepOverLimit: (member) => member.id === member.client.user.id },
  });
}

/** One line with the caps in force and who may spend; a warning when any server may. */
function logOperatorControls(s: Services): void {
  const usd = (micros: number | null) => (micros === null ? "none" : formatUsd(micros));
  const { config, operator, log } = s;
  const paused = operator.paused();
  void paused.then((p) =>
    log.info(
      {
        spendCap: usd(config.spendCapMicros),
        guildSpendCap: usd(config.guildSpendCapMicros),
        period: config.quotaPeriod,
        servers: config.allowedGuildIds ?? "every server",
        owners: operator.ownerCount,
        paused: p !== null,
      },
      "operator controls",
    ),
  );
  if (operator.serverListOpen) log.warn("ALLOWED_GUILD_IDS is not set: any server that invites the bot may spend, within the caps");
}

export interface BotHandle {
  services: Services;
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

/** The whole bot, wired: what `npm start` runs and what the end-to-end tests start. */
export async function startBot(config: Config, options: BotOptions = {}): Promise<BotHandle> {
  const log: Logger = createLogger(config.logLevel, [config.discordToken, config.falKey], options.logDestination);
  const store = await openStore(config.storeUrl);
  const commands = await loadCommands();
  const seedance = createSeedance({ model: config.falModel, falKey: config.falKey, proxyUrl: config.falProxyUrl });
  const tier = tierOf(config.falModel);

  const client = new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User],
    makeCache: boundedCaches(),
    rest: { api: config.discordApiUrl },
    allowedMentions: { parse: [] },
  });
  const messages = new DiscordMessages(client.rest);
  const repo = new JobRepository(store);
  const budget = new Budget(store, config, log);
  const runner = new JobRunner({
    repo,
    seedance,
    messages,
    log,
    tier,
    accounting: budget,
    slots: new Slots(config.maxConcurrentJobs),
    pollIntervalMs: config.falPollIntervalMs,
    editIntervalMs: config.progressEditIntervalMs,
    jobTimeoutMs: config.jobTimeoutMs,
    leases: createLeases(store, randomUUID()),
    unitPriceMicros: config.falUnitPriceUsd === null ? unitPriceMicros(tier) : Math.round(config.falUnitPriceUsd * 1_000_000),
  });
  const services: Services = {
    config, log, client, store, repo, seedance, tier, messages, runner, budget,
    intake: new Slots(INTAKE_PLACES, INTAKE_QUEUE),
    admissions: new Admissions(),
    reactionReplies: new Cooldown(10 * 60_000),
    operator: new Operator(config, store, log),
  };
  const drain = routeCommands(client, commands, services);
  routeReactions(client, services);
  client.on(Events.Error, (err) => log.error({ err }, "discord client error"));

  const ready = new Promise<Client<true>>((resolve) => client.once(Events.ClientReady, resolve));
  try {
    await client.login(config.discordToken);
  } catch (err) {
    await store.close();
    const reason = makeRedactor([config.discordToken])((err as Error).message);
    throw new Error(`Could not log in to Discord (${reason}). Check DISCORD_TOKEN and DISCORD_API_URL.`);
  }
  const c = await ready;
  await services.operator.resolveOwners(c);
  logOperatorControls(services);
  const registration = await registerCommands(
    c.rest,
    store,
    c.application.id,
    config.discordGuildId,
    [...commands.values()].map((cmd) => cmd.definition),
  );
  const resumed = await runner.resumeAll();
  const stopStats = startStats(log, config.statsIntervalMs, () => runner.activeCount);
  const stopRetention = startRetention({ repo, ledger: budget.ledger, log, retentionDays: config.jobRetentionDays });
  log.info({ user: c.user.tag, commands: [...commands.keys()], registration, resumed, store: store.kind }, "bot ready");

  let stopped = false;
  return {
    services,
    async stop(timeoutMs = 8_000, drainMs = 1_500) {
      if (stopped) return;
      stopped = true;
      const drainedAt = Date.now() + drainMs;
      drain();
      stopStats();
      stopRetention();
      client.removeAllListeners(Events.MessageReactionAdd);
      await runner.stop(timeoutMs);
      if (drainedAt > Date.now()) await new Promise((r) => setTimeout(r, drainedAt - Date.now()));
      await client.destroy();
      await store.close();
      log.info("bot stopped");
    },
  };
}
