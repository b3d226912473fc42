// The queue feature's public surface: what other features may use of it.
export { SharedSlots } from "./shared-slots.js";
export { Slots } from "./slots.js";
export type { SlotPool } from "./slots.js";
