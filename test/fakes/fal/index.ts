export { startFakeFal, PROXY_PATH } from "./server.js";
export type {
  CancelRequest,
  FakeFal,
  FakeFalOptions,
  FakeJob,
  FailReply,
  FaultDecision,
  FaultKind,
  FaultMatch,
  FaultPolicy,
  FaultRequest,
  JobOutcome,
  JobState,
  JobTimeline,
  OutputExpiry,
  RecordedRequest,
  Submission,
  Upload,
  WebhookBody,
  WebhookDelivery,
  WebhookQuirks,
  WebhookTamper,
} from "./types.js";
export { DEFAULT_TIMELINE, FRAME_SIZES, expectedVideo } from "./types.js";
export { billedUnitsFor } from "./billing.js";
export { PAYLOAD_ERROR } from "./webhooks.js";
export { DEFAULT_NSFW_PROBABILITY, NSFW_ENDPOINT, sha256Hex, type FakeFalNsfw, type NsfwCheck } from "./nsfw.js";
export { validateNsfwInput, type NsfwInput } from "./schema.js";
export { validateSeedanceInput, ENDPOINTS, PROMPT_MAX, type FalErrorDetail, type SeedanceInput } from "./schema.js";
export { makeMp4, readMp4Info, type Mp4Info, type Mp4Params } from "../mp4.js";
