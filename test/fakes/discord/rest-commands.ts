// Application command registration (bulk overwrite, create, list), global and per guild.
import { snowflake } from "./ids.js";
import { ApiError, Errors, FormErrors } from "./http-util.js";
import type { Ctx, Reply, RouteDef } from "./router.js";
import { guildById } from "./payloads.js";
import type { State } from "./state.js";

type Json = Record<string, any>;

const NAME_RE = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

function checkOptions(options: unknown, at: Array<string | number>, errs: FormErrors, depth: number): void {
  if (!Array.isArray(options)) return;
  let sawOptional = false;
  const names = new Set<string>();
  options.forEach((o: Json, i) => {
    const here = [...at, i];
    if (typeof o?.name === "string") {
      if (!NAME_RE.test(o.name) || o.name !== o.name.toLowerCase()) {
        errs.add([...here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
      }
      if (names.has(o.name)) errs.add([...here, "name"], "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS", "Option name already exists");
      names.add(o.name);
    }
    if (typeof o?.description !== "string" || o.description.length < 1 || o.description.length > 100) {
      errs.add([...here, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
    const isSub = o?.type === 1 || o?.type === 2;
    if (isSub) {
      if (depth >= 2 || (o.type === 2 && depth >= 1)) errs.add([...here, "type"], "APPLICATION_COMMAND_OPTION_TYPE_INVALID", "Subcommands nested too deeply");
      checkOptions(o.options, [...here, "options"], errs, depth + 1);
      return;
    }
    if (o?.required === true && sawOptional) {
      errs.add([...here, "required"], "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", "Required options must be placed before non-required options");
    }
    if (o?.required !== true) sawOptional = true;
  });
}

function normalize(state: State, c: Json, guildId: string | undefined, existing: Json[]): Json {
  const type = c.type ?? 1;
  const prior = existing.find((x) => x.name === c.name && x.type === type);
  const perms = c.default_member_permissions;
  return {
    id: prior?.id ?? snowflake(),
    application_id: state.world.applicationId,
    version: snowflake(),
    type,
    name: c.name,
    name_localizations: c.name_localizations ?? null,
    description: c.description ?? "",
    description_localizations: c.description_localizations ?? null,
    ...(c.options ? { options: c.options } : {}),
    default_member_permissions: perms == null ? null : String(perms),
    dm_permission: c.dm_permission ?? true,
    contexts: c.contexts ?? null,
    integration_types: c.integration_types ?? [0],
    nsfw: c.nsfw ?? false,
    ...(guildId ? { guild_id: guildId } : {}),
  };
}

/**
 * Application command rules beyond the schema (interactions/application-commands): names unique
 * per type; a CHAT_INPUT name lowercase and matching the name regex, its description 1–100
 * characters, its options ordered and nested within limits. USER (2) and MESSAGE (3) commands, the
 * context-menu ones, "may be mixed case and can include spaces" (1–32 characters, the schema), have
 * no description ("Empty string for USER and MESSAGE commands"; Discord answers a non-empty one
 * with APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID) and no options.
 */
function validateCommand(c: Json, here: Array<string | number>, errs: FormErrors, seen: Set<string>): void {
  const type = c.type ?? 1;
  if (typeof c.name === "string") {
    const key = `${type}:${c.name}`;
    if (seen.has(key)) errs.add([...here, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", `Application command names must be unique (${c.name})`);
    seen.add(key);
    if (type === 1 && (!NAME_RE.test(c.name) || c.name !== c.name.toLowerCase())) {
      errs.add([...here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    }
    if ((type === 2 || type === 3) && c.name.trim().length === 0) {
      errs.add([...here, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid");
    }
  }
  if (type === 1) {
    if (typeof c.description !== "string" || c.description.length < 1 || c.description.length > 100) {
      errs.add([...here, "description"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.");
    }
    checkOptions(c.options, [...here, "options"], errs, 0);
  }
  if (type === 2 || type === 3) {
    if (typeof c.description === "string" && c.description.length > 0) {
      errs.add([...here, "description"], "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION_INVALID", "Context menu commands cannot have description");
    }
    if (Array.isArray(c.options) && c.options.length > 0) {
      errs.add([...here, "options"], "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS_INVALID", "Context menu commands cannot have options");
    }
  }
}

function scope(ctx: Ctx): string | undefined {
  const w = ctx.state.world;
  if (ctx.params.application_id !== w.applicationId) {
    throw new ApiError(403, { code: 20012, message: "You are not authorized to perform this action on this application" });
  }
  // any of the fake's guilds (the bot is in each); another guild answers 50001 Missing Access
  if (ctx.params.guild_id !== undefined && !guildById(w, ctx.params.guild_id)) throw Errors.missingAccess();
  return ctx.params.guild_id;
}

function getList(state: State, guildId: string | undefined): Json[] {
  return guildId ? (state.guildCommands.get(guildId) ?? []) : state.globalCommands;
}

function setList(state: State, guildId: string | undefined, list: Json[]): void {
  if (guildId) state.guildCommands.set(guildId, list);
  else state.globalCommands = list;
}

function put(ctx: Ctx): Reply {
  const guildId = scope(ctx);
  const body = (Array.isArray(ctx.json) ? ctx.json : []) as Json[];
  const errs = new FormErrors();
  const seen = new Set<string>();
  body.forEach((c, i) => validateCommand(c, [i], errs, seen));
  errs.throwIfAny();
  const existing = getList(ctx.state, guildId);
  const list = body.map((c) => normalize(ctx.state, c, guildId, existing));
  setList(ctx.state, guildId, list);
  if (!guildId) ctx.state.globalCommandPuts++;
  return { status: 200, body: list };
}

function post(ctx: Ctx): Reply {
  const guildId = scope(ctx);
  const c = (ctx.json ?? {}) as Json;
  const errs = new FormErrors();
  validateCommand(c, [], errs, new Set());
  errs.throwIfAny();
  const existing = getList(ctx.state, guildId);
  const cmd = normalize(ctx.state, c, guildId, existing);
  const created = !existing.some((x) => x.id === cmd.id);
  setList(ctx.state, guildId, [...existing.filter((x) => x.id !== cmd.id), cmd]);
  return { status: created ? 201 : 200, body: cmd };
}

export function commandRoutes(): RouteDef[] {
  const get = (ctx: Ctx): Reply => ({ status: 200, body: getList(ctx.state, scope(ctx)) });
  const routes: RouteDef[] = [];
  for (const template of ["/applications/{application_id}/commands", "/applications/{application_id}/guilds/{guild_id}/commands"]) {
    routes.push(
      { method: "GET", template, auth: true, handler: get },
      { method: "PUT", template, auth: true, handler: put },
      { method: "POST", template, auth: true, handler: post },
    );
  }
  return routes;
}
