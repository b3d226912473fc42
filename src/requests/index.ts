// The requests feature's public surface: what other features may use of it.
export { Admissions } from "./admissions.js";
export { ANIMATE_PREFIX, openAnimate, submitAnimate } from "./animate.js";
export { allowedResolutions, askRefusal, durationFor, takeRefusal } from "./checks.js";
export { Confirmations, startingAfter } from "./confirm.js";
export type { RequestDeps } from "./deps.js";
export { AnimateForms } from "./forms.js";
export { requestVideo } from "./intake.js";
export { launchJob, newJob, shortOffer } from "./launch.js";
export type { Presenter } from "./launch.js";
export { blockedPrompt } from "./safety.js";
