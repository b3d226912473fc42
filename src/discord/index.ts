// The discord feature's public surface: what other features may use of it.
export { AttachmentRefusal, checkAttachment, fetchImage } from "./attachments.js";
export type { FetchedImage, PictureSource } from "./attachments.js";
export { createDiscordClient, planShards } from "./client.js";
export { Cooldown } from "./cooldown.js";
export { CoalescingEditor } from "./editor.js";
export { messageLink } from "./links.js";
export { inertPreview } from "./markdown.js";
export { COMPONENTS_V2, DiscordMessages, isDiscordError } from "./messages.js";
export type { InteractionWebhook, MessageBody, ProgressTarget, UploadFile } from "./messages.js";
export { DELIVERY, REPLY_DELIVERY, botPermissionsIn, isAgeRestricted, isClosedThread, missingPermissions } from "./permissions.js";
export { refuse } from "./replies.js";
