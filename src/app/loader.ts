import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { z } from "zod";
import type { AnyCommand } from "./command.js";

/** The shape every command module's default export must have; a malformed module stops start-up. */
const handle = z.custom<(...args: unknown[]) => unknown>((v) => typeof v === "function", "handle must be a function");
/** A slash command (type 1, the default): lower-case name, a description, up to 25 options. */
const slashCommand = z.object({
  type: z.literal(1).optional(),
  name: z.string().regex(/^[-_\p{Ll}\p{N}]{1,32}$/u),
  description: z.string().min(1).max(100),
  options: z.array(z.unknown()).max(25).optional(),
});
/** A message command (type 3): a name as shown in the menu (spaces and capitals allowed), nothing else to fill in. */
const messageCommand = z.object({ type: z.literal(3), name: z.string().min(1).max(32), description: z.literal("").optional(), options: z.never().optional() });
const commandModule = z.object({ default: z.object({ definition: z.union([slashCommand, messageCommand]), handle }) });

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

export async function loadCommands(dir: URL = COMMANDS_DIR): Promise<Map<string, AnyCommand>> {
  const files = (await readdir(dir)).filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith(".d.ts") && !isLeftover(dir, f)).sort();
  const commands = new Map<string, AnyCommand>();
  for (const file of files) {
    const module: unknown = await import(new URL(file, dir).href);
    const parsed = commandModule.safeParse(module);
    if (!parsed.success) throw new Error(`commands/${file} is not a valid command module: ${parsed.error.issues[0]?.message}`);
    const command = (module as { default: AnyCommand }).default; // as written: parsing would drop what the schema does not name
    if (commands.has(command.definition.name)) throw new Error(`commands/${file} repeats the command name ${command.definition.name}`);
    commands.set(command.definition.name, command);
  }
  return commands;
}
