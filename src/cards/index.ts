// The cards feature's public surface: what other features may use of it.
export { DELETE_EMOJI, REGENERATE_EMOJI, REPORT_PREFIX, isCancellable, parseControlId, parseReportId, progressComponents, resultComponents } from "./controls.js";
export { isMajorChange, progressCard, shownPlace } from "./progress.js";
export type { ProgressView } from "./progress.js";
export { resultCard } from "./result.js";
export type { ResultFacts } from "./result.js";
export { readVideoModal, videoModal } from "./video-modal.js";
export type { ModalChoices } from "./video-modal.js";
