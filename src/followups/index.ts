// The followups feature's public surface: what other features may use of it.
export { REMIX_PREFIX, onButton, onReaction, onRemix } from "./actions.js";
export type { FollowupDeps } from "./actions.js";
