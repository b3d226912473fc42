// The http feature's public surface: what other features may use of it.
export { DownloadError, TooLargeError, downloadCapped } from "./download.js";
export { startHttpServer } from "./server.js";
export type { HttpRoutes } from "./server.js";
