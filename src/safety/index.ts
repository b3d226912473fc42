// The safety feature's public surface: what other features may use of it.
export { modlogCommand, safetyCommand, safetyLines, WORD_ACTIONS, type SafetyAdminDeps } from "./admin.js";
export { Modlog, type LogOutcome, type RefusedRequest, type SafetyRefusal } from "./modlog.js";
export { onReport, type ReportDeps } from "./report.js";
export { PictureScreen, type Screening, type ScreeningPlace } from "./screening.js";
export { MAX_BLOCKED_WORD_LENGTH, MAX_BLOCKED_WORDS, containsBlocked, foldForMatching } from "./words.js";
