import { z } from "zod";
import { blankToUndefined, boundedInt, creditPacks, httpUrl, idList, optionalText, usdAmount } from "./fields.js";

/**
 * The environment, parsed once at start. A bad value stops start-up with one line that names
 * the variable and says what is wrong, never the value itself (it may be a secret).
 */
const DEFAULT_CDN = "https://cdn.discordapp.com";
// Discord serves attachment bytes from both; the option overrides the first (tests, proxies).
const MEDIA_PROXY = "https://media.discordapp.net";
// Discord's proxies for linked (unfurled) pictures: Animate reads a linked picture through them, never from its site.
const EXTERNAL_PROXIES = ["https://images-ext-1.discordapp.net", "https://images-ext-2.discordapp.net"];

const envSchema = z.object({
  DISCORD_TOKEN: z
    .string({ error: "is required (the bot token from the Discord developer portal)" })
    .trim()
    .min(1, "is required (the bot token from the Discord developer portal)")
    .refine((v) => !/\s/.test(v), "must be a bot token without spaces (copy it again from the developer portal)"),
  FAL_KEY: optionalText,
  DISCORD_API_URL: httpUrl.default("https://discord.com/api"),
  DISCORD_CDN_URL: httpUrl.default(DEFAULT_CDN),
  FAL_PROXY_URL: optionalText.pipe(httpUrl.optional()),
  FAL_MODEL: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]+\/[a-z0-9.-]+(\/[a-z0-9.-]+)*$/, "must be a fal endpoint id such as bytedance/seedance-2.0/image-to-video")
    .default("bytedance/seedance-2.0/image-to-video"),
  STORE_URL: z
    .string()
    .trim()
    .refine((v) => /^(sqlite:\/\/.+|redis:\/\/.+|rediss:\/\/.+|memory:\/\/)$/.test(v), "must be sqlite://path, redis://host:port or memory://")
    .default("sqlite://data/bot.sqlite"),
  DISCORD_GUILD_ID: optionalText.pipe(z.string().regex(/^\d{17,20}$/, "must be a guild id (17-20 digits)").optional()),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], { error: "must be one of fatal, error, warn, info, debug, trace, silent" }).default("info"),
  QUOTA_PERIOD: z.enum(["day", "week", "month"], { error: "must be day, week or month" }).default("day"),
  DEFAULT_QUOTA_USD: z.preprocess(blankToUndefined, usdAmount.default(5)),
  // the operator pays for every second of video: a cap is on unless turned off in words
  SPEND_CAP_USD: z.preprocess(
    blankToUndefined,
    z.union([z.literal("none"), usdAmount], { error: "must be an amount in US dollars, such as 20, or none to turn the cap off" }).default(20),
  ),
  GUILD_SPEND_CAP_USD: z.preprocess(blankToUndefined, usdAmount.optional()),
  ALLOWED_GUILD_IDS: idList,
  OWNER_IDS: idList,
  SHARD_COUNT: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === "" ? "1" : v))
    .refine((v) => v === "auto" || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 10_000), "must be a number of shards from 1, or auto")
    .transform((v) => (v === "auto" ? ("auto" as const) : Number(v))),
  SHARD_IDS: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.replace(/^\[|\]$/g, "").split(",").map((id) => id.trim())))
    .refine((ids) => ids === undefined || ids.every((id) => /^\d+$/.test(id)), "must be a comma list of shard numbers, such as 0,1")
    .transform((ids) => ids?.map(Number)),
  HTTP_PORT: z.preprocess(blankToUndefined, z.coerce.number({ error: "must be a port number" }).int("must be a port number").min(0, "must be a port from 0 (any free port) to 65535").max(65_535, "must be a port from 0 (any free port) to 65535").optional()),
  FAL_WEBHOOK_URL: optionalText.pipe(httpUrl.optional()),
  FAL_JWKS_URL: httpUrl.default("https://rest.fal.ai/.well-known/jwks.json"),
  JOB_LEASE_SECONDS: boundedInt(3, 600, 60),
  CONFIRM_SECONDS: boundedInt(5, 900, 120),
  FAL_UNIT_PRICE_USD: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: "must be a price in US dollars, such as 0.014" }).refine((v) => Number.isFinite(v) && v > 0 && v <= 1_000, "must be a price in US dollars above 0").optional(),
  ),
  MAX_JOBS_PER_USER: boundedInt(1, 100, 2),
  MAX_CONCURRENT_JOBS: boundedInt(1, 1000, 10),
  MAX_QUEUED_PER_GUILD: boundedInt(1, 100_000, 50),
  JOB_TIMEOUT_MINUTES: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: "must be a number of minutes" }).refine((v) => Number.isFinite(v) && v > 0 && v <= 24 * 60, "must be a number of minutes from 0 to 1440").default(30),
  ),
  DELIVERY_TIMEOUT_MINUTES: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: "must be a number of minutes" }).refine((v) => Number.isFinite(v) && v > 0 && v <= 24 * 60, "must be a number of minutes from 0 to 1440").default(30),
  ),
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, "must be at least 16 characters (it guards /metrics on a public port)").optional()),
  REDIS_ALLOW_EVICTION: z.preprocess(blankToUndefined, z.enum(["true", "false"], { error: "must be true or false" }).default("false")),
  STATS_INTERVAL_MS: boundedInt(0, 86_400_000, 300_000),
  JOB_RETENTION_DAYS: boundedInt(1, 3650, 90),
  FAL_POLL_INTERVAL_MS: boundedInt(50, 60_000, 2_000),
  PROGRESS_EDIT_INTERVAL_MS: boundedInt(100, 60_000, 3_000),
  CREDIT_PACKS: creditPacks,
  DISCORD_PUBLIC_KEY: optionalText.pipe(z.string().regex(/^[0-9a-fA-F]{64}$/, "must be the application's public key from the developer portal (64 hex characters)").optional()),
  CREDIT_RECONCILE_SECONDS: boundedInt(10, 3600, 180),
  CONSOLE_URL: optionalText.pipe(httpUrl.optional()),
  DISCORD_CLIENT_SECRET: optionalText.pipe(z.string().min(16, "must be the application's client secret from the developer portal's OAuth2 page").optional()),
  DISCORD_WEB_URL: httpUrl.default("https://discord.com"),
  SAFETY_IMAGE_CHECK: z.preprocess(blankToUndefined, z.enum(["off", "fal"], { error: "must be off or fal" }).default("off")),
  SAFETY_NSFW_THRESHOLD: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: "must be a probability from 0 to 1, such as 0.5" }).refine((v) => Number.isFinite(v) && v >= 0 && v <= 1, "must be a probability from 0 to 1, such as 0.5").default(0.5),
  ),
  SAFETY_CHECK_USD: z.preprocess(
    blankToUndefined,
    z.coerce.number({ error: "must be a price in US dollars, such as 0.001" }).refine((v) => Number.isFinite(v) && v >= 0 && v <= 1, "must be a price in US dollars from 0 to 1").default(0.001),
  ),
});

/** A consumable SKU sold as credits: its buyer gets `micros` of credit. */
export interface CreditPack {
  skuId: string;
  micros: number;
}

export interface Config {
  discordToken: string;
  falKey: string | undefined;
  discordApiUrl: string;
  /** Origins the bot may download attachments from. */
  attachmentOrigins: string[];
  falProxyUrl: string | undefined;
  falModel: string;
  storeUrl: string;
  discordGuildId: string | undefined;
  logLevel: string;
  quotaPeriod: "day" | "week" | "month";
  defaultQuotaMicros: number;
  /** The whole deployment's spending per period (what fal billed plus holds), or null for none. */
  spendCapMicros: number | null;
  /** One server's spending per period unless the operator set its own, or null for none. */
  guildSpendCapMicros: number | null;
  /** The servers the bot serves; null: every server. */
  allowedGuildIds: string[] | null;
  /** The operator's Discord user ids; null: the application's owner or team, from Discord. */
  ownerIds: string[] | null;
  /** fal's price per billed unit (x-fal-billable-units), or null for the published price of the tier. */
  falUnitPriceUsd: number | null;
  /** Gateway shards in all, or "auto" (Discord's recommendation). */
  shardCount: number | "auto";
  /** The shards this process runs; null: all of them. */
  shardIds: number[] | null;
  /** Where /healthz, /metrics and the fal webhook are served; null: no HTTP server. */
  httpPort: number | null;
  /** The public URL fal calls when a job ends (served at POST /fal/webhook); null: no webhooks. */
  falWebhookUrl: string | null;
  falJwksUrl: string;
  /** How long a dead process's jobs wait before another process takes them over. */
  jobLeaseMs: number;
  /** How long a price question (`confirm_above_usd`) waits for the caller's answer. */
  confirmMs: number;
  maxJobsPerUser: number;
  maxConcurrentJobs: number;
  /** Jobs one server may have waiting for a fal slot; the next is refused before anything is held. */
  maxQueuedPerGuild: number;
  jobTimeoutMs: number;
  /** A finished video that has not reached Discord by then is posted as a link, or the job ends undelivered. */
  deliveryTimeoutMs: number;
  /** /metrics answers only requests with `Authorization: Bearer <token>` when set. */
  metricsToken: string | null;
  /** Start on a Redis that may evict keys (the books would be lost): only when the operator says so. */
  redisAllowEviction: boolean;
  /** Finished jobs (and their message links and ledger records) are deleted this long after they ended. */
  jobRetentionDays: number;
  /** How often a stats line (memory, event-loop delay, jobs) is logged; 0 turns it off. */
  statsIntervalMs: number;
  falPollIntervalMs: number;
  progressEditIntervalMs: number;
  /** The credit packs sold through Discord (empty: no credits, and nothing of them shows). */
  creditPacks: CreditPack[];
  /** The application's Ed25519 public key (hex): POST /discord/events is served when set. */
  discordPublicKey: string | null;
  /** How often one process lists unconsumed purchases and credits them (events may be lost). */
  creditReconcileMs: number;
  /** The operator's web console: its public base URL and the OAuth2 secret (both set, with HTTP_PORT); null: off. */
  console: { url: string; clientSecret: string; discordWebUrl: string } | null;
  /** Pictures checked by fal's NSFW classifier before the hold ("fal"), or not ("off"). */
  safetyImageCheck: "off" | "fal";
  /** Above this probability a picture is refused outside age-restricted channels. */
  safetyNsfwThreshold: number;
  /** What one check costs the operator (booked on the operator's books), µ$. */
  safetyCheckMicros: number;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * A process that runs only some shards shares the work with others, which needs a store they
 * all reach (Redis); the shards it runs must exist.
 */
export function checkShards(count: number | "auto", ids: number[] | null, storeUrl: string): void {
  if (!ids) return;
  if (ids.length === 0 || new Set(ids).size !== ids.length) throw new ConfigError("Configuration error: SHARD_IDS must list each shard once");
  if (count !== "auto" && ids.some((id) => id >= count)) throw new ConfigError(`Configuration error: SHARD_IDS must be shards below SHARD_COUNT (${count})`);
  const all = count !== "auto" && ids.length === count;
  if (!all && !/^rediss?:\/\//.test(storeUrl)) {
    throw new ConfigError("Configuration error: SHARD_IDS runs only some of the shards, so other processes run the rest: set STORE_URL=redis://… so they share one store");
  }
}

export function parseConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Configuration error: ${String(issue.path[0] ?? "environment")} ${issue.message}`);
  }
  const e = parsed.data;
  if (!e.FAL_KEY && !e.FAL_PROXY_URL) {
    throw new ConfigError("Configuration error: FAL_KEY is required (or set FAL_PROXY_URL to a proxy that adds it)");
  }
  if (Boolean(e.CONSOLE_URL) !== Boolean(e.DISCORD_CLIENT_SECRET)) {
    throw new ConfigError(`Configuration error: the console needs both CONSOLE_URL and DISCORD_CLIENT_SECRET (${e.CONSOLE_URL ? "DISCORD_CLIENT_SECRET" : "CONSOLE_URL"} is missing)`);
  }
  if (e.CONSOLE_URL && e.HTTP_PORT === undefined) throw new ConfigError("Configuration error: CONSOLE_URL needs HTTP_PORT (the console is served there)");
  const cdnOrigin = new URL(e.DISCORD_CDN_URL).origin;
  // discord.js's ShardingManager hands each process its shard in SHARDS
  const shardIds = e.SHARD_IDS ?? (env.SHARDS && /^\[?[\d,\s]+\]?$/.test(env.SHARDS) ? env.SHARDS.replace(/^\[|\]$/g, "").split(",").map(Number) : null);
  checkShards(e.SHARD_COUNT, shardIds, e.STORE_URL);
  return {
    discordToken: e.DISCORD_TOKEN,
    falKey: e.FAL_KEY,
    discordApiUrl: e.DISCORD_API_URL.replace(/\/+$/, ""),
    attachmentOrigins: cdnOrigin === DEFAULT_CDN ? [DEFAULT_CDN, MEDIA_PROXY, ...EXTERNAL_PROXIES] : [cdnOrigin],
    falProxyUrl: e.FAL_PROXY_URL,
    falModel: e.FAL_MODEL,
    storeUrl: e.STORE_URL,
    discordGuildId: e.DISCORD_GUILD_ID,
    logLevel: e.LOG_LEVEL,
    quotaPeriod: e.QUOTA_PERIOD,
    defaultQuotaMicros: Math.round(e.DEFAULT_QUOTA_USD * 1_000_000),
    spendCapMicros: e.SPEND_CAP_USD === "none" ? null : Math.round(e.SPEND_CAP_USD * 1_000_000),
    guildSpendCapMicros: e.GUILD_SPEND_CAP_USD === undefined ? null : Math.round(e.GUILD_SPEND_CAP_USD * 1_000_000),
    allowedGuildIds: e.ALLOWED_GUILD_IDS ?? null,
    ownerIds: e.OWNER_IDS ?? null,
    falUnitPriceUsd: e.FAL_UNIT_PRICE_USD ?? null,
    shardCount: e.SHARD_COUNT,
    shardIds,
    // under the ShardingManager (one process per shard on one machine) each takes HTTP_PORT + its shard
    httpPort: e.HTTP_PORT === undefined ? null : env.SHARDING_MANAGER && shardIds?.length === 1 && !e.SHARD_IDS ? e.HTTP_PORT + shardIds[0]! : e.HTTP_PORT,
    falWebhookUrl: e.FAL_WEBHOOK_URL ?? null,
    falJwksUrl: e.FAL_JWKS_URL,
    jobLeaseMs: e.JOB_LEASE_SECONDS * 1000,
    confirmMs: e.CONFIRM_SECONDS * 1000,
    maxJobsPerUser: e.MAX_JOBS_PER_USER,
    maxConcurrentJobs: e.MAX_CONCURRENT_JOBS,
    maxQueuedPerGuild: e.MAX_QUEUED_PER_GUILD,
    statsIntervalMs: e.STATS_INTERVAL_MS,
    jobTimeoutMs: Math.round(e.JOB_TIMEOUT_MINUTES * 60_000),
    deliveryTimeoutMs: Math.round(e.DELIVERY_TIMEOUT_MINUTES * 60_000),
    metricsToken: e.METRICS_TOKEN ?? null,
    redisAllowEviction: e.REDIS_ALLOW_EVICTION === "true",
    jobRetentionDays: e.JOB_RETENTION_DAYS,
    falPollIntervalMs: e.FAL_POLL_INTERVAL_MS,
    progressEditIntervalMs: e.PROGRESS_EDIT_INTERVAL_MS,
    creditPacks: e.CREDIT_PACKS,
    discordPublicKey: e.DISCORD_PUBLIC_KEY?.toLowerCase() ?? null,
    creditReconcileMs: e.CREDIT_RECONCILE_SECONDS * 1000,
    console: e.CONSOLE_URL && e.DISCORD_CLIENT_SECRET ? { url: e.CONSOLE_URL.replace(/\/+$/, ""), clientSecret: e.DISCORD_CLIENT_SECRET, discordWebUrl: e.DISCORD_WEB_URL.replace(/\/+$/, "") } : null,
    safetyImageCheck: e.SAFETY_IMAGE_CHECK,
    safetyNsfwThreshold: e.SAFETY_NSFW_THRESHOLD,
    safetyCheckMicros: Math.round(e.SAFETY_CHECK_USD * 1_000_000),
  };
}
