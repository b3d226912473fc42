import { DiscordAPIError, RESTJSONErrorCodes, Routes, type REST, type RESTPostAPIChannelMessageJSONBody } from "discord.js";

/** The interaction webhook, usable for the first 15 minutes (minus a margin) only. */
export interface InteractionWebhook {
  applicationId: string;
  token: string;
  expiresAt: number;
  /** The webhook's message to edit: a follow-up's id, else the original response. */
  messageId?: string | undefined;
}

export interface ProgressTarget {
  channelId: string;
  messageId: string | null;
  webhook: InteractionWebhook | null;
}

/** IS_COMPONENTS_V2: the message is its components (no content or embeds); it cannot be unset. */
export const COMPONENTS_V2 = 1 << 15;

/** A job's card: Components V2, so every text sits in a Text Display. */
export interface MessageBody {
  flags: typeof COMPONENTS_V2;
  components: unknown[];
  allowed_mentions: { parse: []; users?: string[] };
}

export interface UploadFile {
  name: string;
  data: Buffer;
  contentType: string;
}

const TOKEN_GONE = new Set<number | string>([RESTJSONErrorCodes.InvalidWebhookToken, RESTJSONErrorCodes.UnknownWebhook, RESTJSONErrorCodes.UnknownInteraction]);

export function isDiscordError(err: unknown, ...codes: Array<number | string>): boolean {
  return err instanceof DiscordAPIError && codes.includes(err.code);
}

const deadline = (timeoutMs: number | undefined) => (timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) });

/** A message body with its uploads: each file is named in `attachments` by its part index. */
function withFiles(body: object, files: UploadFile[]) {
  return {
    body: files.length ? { ...body, attachments: files.map((f, i) => ({ id: String(i), filename: f.name })) } : body,
    files: files.map((f) => ({ name: f.name, data: f.data, contentType: f.contentType })),
  };
}

/** Message traffic by REST, so it works for messages and channels no cache has seen. */
export class DiscordMessages {
  /**
   * `uploads` carries posts with files: discord.js times out every request after 15 s (its
   * client's setting), too short for a large video on a slow link, so uploads go through a REST
   * client whose requests may take as long as each post's own deadline (its signal).
   */
  constructor(
    private readonly rest: REST,
    private readonly uploads: REST = rest,
  ) {}

  /**
   * Edits the progress message: through the interaction webhook while it lives, else the channel
   * route. An edit clears content and embeds: a message shown before cards (a job that spans an
   * upgrade) may become a card only so, and on a card it changes nothing.
   */
  async editProgress(target: ProgressTarget, card: MessageBody, options: { mayCreate?: boolean } = {}): Promise<string | null> {
    const body = { ...card, content: "", embeds: [] };
    if (target.webhook && Date.now() < target.webhook.expiresAt) {
      try {
        const message = (await this.rest.patch(Routes.webhookMessage(target.webhook.applicationId, target.webhook.token, target.webhook.messageId ?? "@original"), {
          body,
          auth: false,
        })) as { id: string };
        target.messageId ??= message.id;
        return message.id;
      } catch (err) {
        if (!(err instanceof DiscordAPIError) || !(TOKEN_GONE.has(err.code) || err.status === 401)) throw err;
        target.webhook = null;
      }
    }
    if (target.messageId) {
      await this.rest.patch(Routes.channelMessage(target.channelId, target.messageId), { body });
      return target.messageId;
    }
    // a card never shown, of a job that already ended, is not worth a new public message
    if (options.mayCreate === false) return null;
    const created = (await this.rest.post(Routes.channelMessages(target.channelId), { body: card })) as { id: string };
    target.messageId = created.id;
    return created.id;
  }

  /** Posts in a channel; with files, `timeoutMs` bounds the upload (a timed-out attempt is retried by discord.js). */
  async post(channelId: string, body: RESTPostAPIChannelMessageJSONBody, files: UploadFile[] = [], timeoutMs?: number): Promise<string> {
    const rest = files.length ? this.uploads : this.rest;
    const message = (await rest.post(Routes.channelMessages(channelId), { ...withFiles(body, files), ...deadline(timeoutMs) })) as { id: string };
    return message.id;
  }

  /** A message through the interaction's webhook: needs no channel permission, lives 15 minutes. */
  async followUp(webhook: InteractionWebhook, body: MessageBody, files: UploadFile[] = [], timeoutMs?: number): Promise<string> {
    const rest = files.length ? this.uploads : this.rest;
    const message = (await rest.post(Routes.webhook(webhook.applicationId, webhook.token), {
      ...withFiles(body, files),
      query: new URLSearchParams({ wait: "true" }),
      auth: false,
      ...deadline(timeoutMs),
    })) as { id: string };
    return message.id;
  }

  async react(channelId: string, messageId: string, emoji: string): Promise<void> {
    await this.rest.put(Routes.channelMessageOwnReaction(channelId, messageId, encodeURIComponent(emoji)));
  }
}
