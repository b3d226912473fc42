// The delivery feature's public surface: what other features may use of it.
export { downloadVideo, postVideo, videoCost } from "./delivery.js";
export type { Delivery } from "./delivery.js";
