import { Client, GatewayIntentBits, Options, Partials, REST, Routes } from "discord.js";
import { checkShards, type Config } from "../config/index.js";

export interface ShardPlan {
  count: number;
  /** The shards this process runs. */
  ids: number[];
}

/**
 * The shards in all (Discord's recommendation for `auto`, asked of DISCORD_API_URL, which
 * discord.js's own `auto` would not use) and those this process runs.
 */
export async function planShards(config: Pick<Config, "shardCount" | "shardIds" | "storeUrl" | "discordApiUrl" | "discordToken">): Promise<ShardPlan> {
  let count = config.shardCount;
  if (count === "auto") {
    const rest = new REST({ api: config.discordApiUrl }).setToken(config.discordToken);
    count = ((await rest.get(Routes.gatewayBot())) as { shards: number }).shards;
  }
  const ids = config.shardIds ?? Array.from({ length: count }, (_, i) => i);
  checkShards(count, ids, config.storeUrl);
  return { count, ids };
}

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

/**
 * The gateway client for exactly the planned shards: they are passed explicitly, since
 * discord.js otherwise reads SHARD_COUNT from the environment and identifies every shard.
 */
export function createDiscordClient(config: Pick<Config, "discordApiUrl">, shards: ShardPlan): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessageReactions],
    partials: [Partials.Message, Partials.Reaction, Partials.User],
    makeCache: boundedCaches(),
    rest: { api: config.discordApiUrl },
    allowedMentions: { parse: [] },
    shards: shards.ids,
    shardCount: shards.count,
  });
}
