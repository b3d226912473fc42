// The settings feature's public surface: what other features may use of it.
export { ANIMATE_FROM, NO_SETTINGS, SAFETY_FIELDS, Settings } from "./settings.js";
export type { AnimateFrom, GuildSettings } from "./settings.js";
