import { createHash } from "node:crypto";
import { Routes, type REST } from "discord.js";
import type { Store } from "../store/index.js";
import type { CommandDefinition } from "./command.js";

/**
 * Registers the commands with one bulk overwrite, only when the definitions differ from the
 * last registration of this application in this scope (Discord limits command writes per day).
 */
export async function registerCommands(
  rest: REST,
  store: Store,
  applicationId: string,
  guildId: string | undefined,
  definitions: CommandDefinition[],
): Promise<"registered" | "unchanged"> {
  const scope = guildId ? `guild:${guildId}` : "global";
  const key = `commands:${applicationId}:${scope}`;
  const hash = createHash("sha256").update(JSON.stringify(definitions)).digest("hex");
  if ((await store.get<string>(key)) === hash) return "unchanged";
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  await rest.put(route, { body: definitions });
  await store.set(key, hash);
  return "registered";
}
