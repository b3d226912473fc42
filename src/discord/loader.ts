import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { z } from "zod";
import type { Command } from "./command.js";

/** The shape every command module's default export must have; a malformed module stops start-up. */
const commandModule = z.object({
  default: z.object({
    definition: z.object({
      name: z.string().regex(/^[-_\p{Ll}\p{N}]{1,32}$/u),
      description: z.string().min(1).max(100),
      options: z.array(z.unknown()).max(25).optional(),
    }),
    handle: z.custom<(...args: unknown[]) => unknown>((v) => typeof v === "function", "handle must be a function"),
  }),
});

const COMMANDS_DIR = new URL("../../commands/", import.meta.url);
// Compiled (dist/src/discord/loader.js): the sources, when they are beside dist/ (not in the image).
const SOURCES_DIR = new URL("../../../commands/", import.meta.url);

/**
 * A compiled command whose source was deleted or renamed: the build does not remove its old
 * output, and it must not be registered again.
 */
function isLeftover(dir: URL, file: string): boolean {
  if (!file.endsWith(".js") || dir.href !== COMMANDS_DIR.href || !existsSync(SOURCES_DIR)) return false;
  return !existsSync(new URL(file.replace(/\.js$/, ".ts"), SOURCES_DIR));
}

export async function loadCommands(dir: URL = COMMANDS_DIR): Promise<Map<string, Command>> {
  const files = (await readdir(dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts") && !isLeftover(dir, f)).sort();
  const commands = new Map<string, Command>();
  for (const file of files) {
    const module: unknown = await import(new URL(file, dir).href);
    const parsed = commandModule.safeParse(module);
    if (!parsed.success) throw new Error(`commands/${file} is not a valid command module: ${parsed.error.issues[0]?.message}`);
    const command = (module as { default: Command }).default; // as written: parsing would drop what the schema does not name
    if (commands.has(command.definition.name)) throw new Error(`commands/${file} repeats the command name ${command.definition.name}`);
    commands.set(command.definition.name, command);
  }
  return commands;
}
