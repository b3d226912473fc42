import { createHash } from "node:crypto";
import { Routes, type REST } from "discord.js";
import type { Store } from "../store/index.js";
import type { Leases } from "../store/index.js";
import type { AnyCommand } from "./command.js";

/**
 * Registers the commands with one bulk overwrite, only when the definitions differ from the
 * last registration of this application in this scope (Discord limits command writes per day).
 * Processes starting together take turns under a lease, so the first registers and the others
 * find the definitions unchanged.
 */
export async function registerCommands(
  rest: REST,
  store: Store,
  leases: Leases,
  applicationId: string,
  guildId: string | undefined,
  definitions: Array<AnyCommand["definition"]>,
): Promise<"registered" | "unchanged"> {
  const scope = guildId ? `guild:${guildId}` : "global";
  const key = `commands:${applicationId}:${scope}`;
  const lease = `register:${key}`;
  const hash = createHash("sha256").update(JSON.stringify(definitions)).digest("hex");
  const until = Date.now() + 60_000;
  let fence;
  while (!(fence = await leases.take(lease))) {
    if (Date.now() > until) throw new Error("another process has been registering the commands for a minute; giving up");
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    if ((await store.get<string>(key)) === hash) return "unchanged";
    const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
    await rest.put(route, { body: definitions });
    await store.set(key, hash);
    return "registered";
  } finally {
    await leases.release(fence).catch(() => undefined);
  }
}
