export { startFakeFal, PROXY_PATH } from "./server.js";
export type {
  FakeFal,
  FakeFalOptions,
  FakeJob,
  FailReply,
  JobOutcome,
  JobState,
  JobTimeline,
  RecordedRequest,
  Submission,
  Upload,
  WebhookBody,
  WebhookDelivery,
  WebhookTamper,
} from "./types.js";
export { DEFAULT_TIMELINE, FRAME_SIZES, expectedVideo } from "./types.js";
export { validateSeedanceInput, ENDPOINTS, PROMPT_MAX, type FalErrorDetail, type SeedanceInput } from "./schema.js";
export { makeMp4, readMp4Info, type Mp4Info, type Mp4Params } from "../mp4.js";
