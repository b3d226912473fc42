// The app feature's public surface: what other features may use of it.
export { defineCommand, defineMessageCommand } from "./command.js";
export { botRoutes } from "./http-routes.js";
export { loadCommands } from "./loader.js";
export { registerCommands } from "./register.js";
export { routeCommands, routeReactions } from "./router.js";
export type { Services } from "./services.js";
