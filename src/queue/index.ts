// The queue feature's public surface: what other features may use of it.
export { SharedSlots } from "./shared-slots.js";
export { Slots } from "./slots.js";
export type { SlotPool } from "./slots.js";
export { fairOrder, FairQueue } from "./fair.js";
export type { Owner } from "./fair.js";
export type { AcquireOptions } from "./slots.js";
