import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  type Attachment,
  type ChatInputCommandInteraction,
  type MessageContextMenuCommandInteraction,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type RESTPostAPIContextMenuApplicationCommandsJSONBody,
  type User,
} from "discord.js";
import type { Services } from "./services.js";

/**
 * A command is a typed definition (exactly what is registered with Discord) plus a thin
 * handler whose arguments are typed from that definition.
 */
interface OptionDefinition {
  readonly name: string;
  readonly type: ApplicationCommandOptionType;
  readonly required?: boolean;
  readonly options?: readonly OptionDefinition[];
}

export type CommandDefinition = RESTPostAPIChatInputApplicationCommandsJSONBody & { readonly options?: readonly OptionDefinition[] };

type ValueOf<T extends ApplicationCommandOptionType> = T extends ApplicationCommandOptionType.String
  ? string
  : T extends ApplicationCommandOptionType.Integer | ApplicationCommandOptionType.Number
    ? number
    : T extends ApplicationCommandOptionType.Boolean
      ? boolean
      : T extends ApplicationCommandOptionType.User
        ? User
        : T extends ApplicationCommandOptionType.Attachment
          ? Attachment
          : T extends ApplicationCommandOptionType.Channel
            ? { id: string }
            : never;

type ArgsOfOptions<O extends readonly OptionDefinition[]> = {
  [K in O[number] as K["name"]]: K["required"] extends true ? ValueOf<K["type"]> : ValueOf<K["type"]> | undefined;
};

type SubcommandArgs<O extends readonly OptionDefinition[]> = {
  [K in O[number] as K["name"]]: { subcommand: K["name"] } & ArgsOfOptions<K["options"] extends readonly OptionDefinition[] ? K["options"] : []>;
}[O[number]["name"]];

/** Arguments of a definition: a union by `subcommand` when it has subcommands. */
export type ArgsOf<D extends CommandDefinition> = D["options"] extends readonly OptionDefinition[]
  ? D["options"][number]["type"] extends ApplicationCommandOptionType.Subcommand
    ? SubcommandArgs<D["options"]>
    : ArgsOfOptions<D["options"]>
  : Record<string, never>;

export interface Command<D extends CommandDefinition = CommandDefinition> {
  definition: D;
  handle(interaction: ChatInputCommandInteraction, args: ArgsOf<D>, services: Services): Promise<void>;
}

export function defineCommand<const D extends CommandDefinition>(command: Command<D>): Command<D> {
  return command;
}

/** A message context-menu command ("Apps → Animate" on a message): no options, the message is the input. */
export type MessageCommandDefinition = RESTPostAPIContextMenuApplicationCommandsJSONBody & { type: ApplicationCommandType.Message };

export interface MessageCommand {
  definition: MessageCommandDefinition;
  handle(interaction: MessageContextMenuCommandInteraction, services: Services): Promise<void>;
}

export function defineMessageCommand(command: MessageCommand): MessageCommand {
  return command;
}

/** Any module of commands/: a slash command or a message command. */
export type AnyCommand = Command | MessageCommand;

export function isMessageCommand(command: AnyCommand): command is MessageCommand {
  return command.definition.type === ApplicationCommandType.Message;
}

function readOption(interaction: ChatInputCommandInteraction, o: OptionDefinition): unknown {
  const opts = interaction.options;
  switch (o.type) {
    case ApplicationCommandOptionType.String:
      return opts.getString(o.name) ?? undefined;
    case ApplicationCommandOptionType.Integer:
      return opts.getInteger(o.name) ?? undefined;
    case ApplicationCommandOptionType.Number:
      return opts.getNumber(o.name) ?? undefined;
    case ApplicationCommandOptionType.Boolean:
      return opts.getBoolean(o.name) ?? undefined;
    case ApplicationCommandOptionType.User:
      return opts.getUser(o.name) ?? undefined;
    case ApplicationCommandOptionType.Attachment:
      return opts.getAttachment(o.name) ?? undefined;
    case ApplicationCommandOptionType.Channel:
      return opts.getChannel(o.name) ?? undefined;
    default:
      return undefined;
  }
}

/** Reads the interaction's options by the definition (Discord has already enforced `required`). */
export function readArgs<D extends CommandDefinition>(interaction: ChatInputCommandInteraction, definition: D): ArgsOf<D> {
  const options = (definition.options ?? []) as readonly OptionDefinition[];
  const sub = options.find((o) => o.type === ApplicationCommandOptionType.Subcommand && o.name === interaction.options.getSubcommand(false));
  const fields = sub ? (sub.options ?? []) : options;
  const args: Record<string, unknown> = sub ? { subcommand: sub.name } : {};
  for (const o of fields) args[o.name] = readOption(interaction, o);
  return args as ArgsOf<D>;
}
