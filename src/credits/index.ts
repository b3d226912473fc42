// The credits feature's public surface: packs sold through Discord, credited exactly once.
export { CreditShop, nextMark, type EntitlementData } from "./shop.js";
export { discordEventsRoute, publicKeyFromHex } from "./events.js";
export { noticeLowBalance } from "./low-balance.js";
export { creditLines, packButtons, storeLink, type PackOnSale } from "./packs.js";
