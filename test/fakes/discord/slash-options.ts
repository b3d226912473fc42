// The options of a slash command as the Discord client sends them: data.options and resolved, checked
// against the registered definition (what the client would not let a member send throws).
import { resolvedChannelJson } from "./channels.js";
import { memberJson, memberPermissions, userJson, type GuildWorld } from "./payloads.js";
import { threadById } from "./threads.js";
import type { State } from "./state.js";
import type { APIAttachmentLike, FakeUser, SlashOption } from "./types.js";

type Json = Record<string, any>;

/**
 * Builds data.options (+ resolved) and checks them against the registered definition when there is
 * one. `user`: who invokes it (a resolved channel's `permissions` are theirs).
 */
export function commandOptions(state: State, opts: SlashOption[], defs: Json[] | undefined, where: string, resolved: Json, given: APIAttachmentLike[], strict: boolean, g: GuildWorld, user: FakeUser): Json[] {
  const w = state.world;
  const out: Json[] = [];
  for (const o of opts) {
    const def = defs?.find((d) => d.name === o.name);
    if (strict && !def) throw new Error(`fake Discord: ${where} has no option "${o.name}" (registered: ${(defs ?? []).map((d) => d.name).join(", ") || "none"})`);
    if (def && def.type !== o.type) throw new Error(`fake Discord: ${where} option "${o.name}" has type ${def.type}, not ${o.type}`);
    if ("options" in o) {
      out.push({ name: o.name, type: o.type, options: commandOptions(state, o.options, def?.options, `${where} ${o.name}`, resolved, given, strict, g, user) });
      continue;
    }
    let value = o.value;
    if (o.type === 11) {
      const id = typeof value === "object" && value && "id" in value ? String((value as { id: string }).id) : String(value);
      const att = given.find((a) => a.id === id) ?? (typeof value === "object" ? (value as APIAttachmentLike) : undefined) ?? state.attachments.get(id);
      if (!att) throw new Error(`fake Discord: attachment ${id} for option "${o.name}" is unknown; create it with fake.addAttachment()`);
      const { bytes: _b, ...json } = att as APIAttachmentLike & { bytes?: Buffer };
      (resolved.attachments ??= {})[id] = json;
      value = id;
    } else if (o.type === 6 || o.type === 9) {
      const u = typeof value === "object" && value ? (value as FakeUser) : [w.botUser, w.owner, ...Object.values(w.users)].find((x) => x.id === value);
      if (u) {
        (resolved.users ??= {})[u.id] = userJson(u);
        const { user: _u, ...member } = memberJson(w, g, u, true);
        (resolved.members ??= {})[u.id] = member;
        value = u.id;
      }
    } else if (o.type === 7) {
      // one of the fake's text channels or threads as it is now; any other id: a plain text channel
      const id = String(value);
      const thread = threadById(w, id);
      (resolved.channels ??= {})[id] = resolvedChannelJson(w, g, id, memberPermissions(w, user), thread && state.threadJson(thread));
    }
    if (def) checkValue(def, value, `${where} ${o.name}`);
    out.push({ name: o.name, type: o.type, value });
  }
  if (strict && defs) {
    const leaf = !defs.some((d) => d.type === 1 || d.type === 2);
    for (const d of defs) {
      if (leaf && d.required && !opts.some((o) => o.name === d.name)) throw new Error(`fake Discord: ${where} requires option "${d.name}"`);
    }
  }
  return out;
}

function checkValue(def: Json, value: unknown, where: string): void {
  const bad = (why: string) => {
    throw new Error(`fake Discord: ${where}: ${why} (Discord's client would not let a user send this)`);
  };
  if (def.type === 3) {
    if (typeof value !== "string") bad("must be a string");
    const s = value as string;
    if (def.min_length !== undefined && s.length < def.min_length) bad(`shorter than min_length ${def.min_length}`);
    if (s.length > (def.max_length ?? 6000)) bad(`longer than max_length ${def.max_length ?? 6000}`);
  }
  if (def.type === 4 && !Number.isInteger(value)) bad("must be an integer");
  if (def.type === 10 && typeof value !== "number") bad("must be a number");
  if (def.type === 5 && typeof value !== "boolean") bad("must be a boolean");
  if ((def.type === 4 || def.type === 10) && typeof value === "number") {
    if (def.min_value !== undefined && value < def.min_value) bad(`below min_value ${def.min_value}`);
    if (def.max_value !== undefined && value > def.max_value) bad(`above max_value ${def.max_value}`);
  }
  if (Array.isArray(def.choices) && def.choices.length && !def.choices.some((c: Json) => c.value === value)) {
    bad(`not one of the choices ${JSON.stringify(def.choices.map((c: Json) => c.value))}`);
  }
}
