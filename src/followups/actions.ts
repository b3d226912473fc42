import { randomInt } from "node:crypto";
import { MessageFlags, PermissionFlagsBits, Routes, type ButtonInteraction, type Client, type ModalSubmitInteraction } from "discord.js";
import { botPermissionsIn, missingPermissions, REPLY_DELIVERY } from "../discord/index.js";
import { DEFAULT_LOCALE, msg, permissionList, render, t, type Message } from "../i18n/index.js";
import { refuse } from "../discord/index.js";
import { MAX_SEED, type VideoParams } from "../seedance/index.js";
import { allowedResolutions, askRefusal, blockedPrompt, durationFor, takeRefusal } from "../requests/index.js";
import { startingAfter } from "../requests/index.js";
import type { Cooldown } from "../discord/index.js";
import type { RequestDeps } from "../requests/index.js";

/** A new take goes through the same admission as a command; reactions also need the client and a memory of refusals. */
export interface FollowupDeps extends RequestDeps {
  client: Client;
  /** Refusals already answered for a reaction (message and member), for 10 minutes. */
  reactionReplies: Cooldown;
}
import { DELETE_EMOJI, isCancellable, parseControlId, REGENERATE_EMOJI } from "../cards/index.js";
import type { Job } from "../jobs/index.js";
import { launchJob, newJob, shortOffer, type Presenter } from "../requests/index.js";
import { readVideoModal, videoModal, type ModalChoices } from "../cards/index.js";
import type { GuildSettings } from "../settings/index.js";
import { estimate } from "../seedance/index.js";

/** A reaction as the gateway reports it; the message may be in no cache (after a restart). */
export interface ReactionEvent {
  messageId: string;
  channelId: string;
  guildId: string | null;
  userId: string;
  emoji: string | null;
}

/** A server's moderators: Manage Messages in the channel (where they could delete it by hand), or Manage Server. */
async function isModerator(client: Client, guildId: string | null, channelId: string, userId: string): Promise<boolean> {
  const guild = guildId ? client.guilds.cache.get(guildId) : undefined;
  if (!guild) return false;
  const member = guild.members.cache.get(userId) ?? (await guild.members.fetch(userId).catch(() => null));
  if (!member) return false;
  if (member.permissions.has(PermissionFlagsBits.ManageGuild)) return true;
  const channel = client.channels.cache.get(channelId);
  const inChannel = channel && "permissionsFor" in channel ? channel.permissionsFor(member) : member.permissions;
  return inChannel?.has(PermissionFlagsBits.ManageMessages) ?? false;
}

/** Progress for a regenerated take: a new channel message replying to the result. */
function replyPresenter(s: FollowupDeps, job: Job, refuseTo: Presenter["refuse"], refusesPrivately: boolean): Presenter {
  return {
    refuse: refuseTo,
    refusesPrivately,
    show: (body) =>
      s.messages.post(job.channelId, { ...body, message_reference: { message_id: job.resultMessageId!, fail_if_not_exists: false } } as never),
    webhook: null,
  };
}

/** What a Remix form asks for, checked as `/video` checks it; the new options, or why not. */
async function remixParams(s: FollowupDeps, source: Job, c: ModalChoices, locale: string): Promise<VideoParams | Message> {
  const settings = await s.settings.get(source.guildId);
  if (blockedPrompt(s, settings, { guildId: source.guildId, channelId: source.channelId, userId: source.userId, prompt: c.prompt.trim(), locale: source.locale ?? DEFAULT_LOCALE })) return msg("safety.blocked");
  const refusal = askRefusal({ channelId: source.channelId, prompt: c.prompt, resolution: c.resolution, duration: c.duration }, settings, s.tier, s.seedance.model, locale);
  if (refusal) return refusal;
  // a new video of the same picture: a loop's or a transition's end frame is not kept
  const { endImageUrl: _end, ...picture } = source.params;
  return { ...picture, prompt: c.prompt.trim(), duration: durationFor(c.duration, settings), resolution: c.resolution, aspectRatio: c.aspectRatio, audio: c.audio };
}

/** fal keeps a job's picture at least this long; a take of an older video could not be rendered. */
const PICTURE_KEPT_MS = 7 * 86_400_000;

/** When the picture reached fal's storage: a take's is its source's (it never uploads it again). */
function pictureStoredAt(source: Job): number {
  return source.imageStoredAt ?? source.createdAt;
}

function tooOld(source: Job): boolean {
  return Date.now() - pictureStoredAt(source) > PICTURE_KEPT_MS;
}

/** The kinds of new take a result offers: the same (🔁), a loop, or a remix with the member's new options. */
type Take = { kind: "regen" } | { kind: "loop" } | { kind: "remix"; params: VideoParams };

function paramsOf(source: Job, take: Take, settings: GuildSettings): VideoParams {
  const base = take.kind === "remix" ? take.params : source.params;
  // a loop ends where it starts: the start picture is the end frame too
  const frames = take.kind === "loop" ? { endImageUrl: source.params.imageUrl } : {};
  // an `auto` length asks for (and holds) the server's longest video, as /video does
  const duration = base.duration === "auto" ? durationFor(undefined, settings) : base.duration;
  return { ...base, ...frames, duration, seed: randomInt(0, MAX_SEED) };
}

/** Another take of a delivered job from its picture in fal storage, with a new seed. */
async function regenerate(s: FollowupDeps, source: Job, presenter: Presenter, take: Take = { kind: "regen" }): Promise<void> {
  // never render what cannot be delivered: the bot must still be able to post there (now)
  const have = botPermissionsIn(s.client, source.channelId);
  const missing = have ? missingPermissions(have, REPLY_DELIVERY, s.client.channels.cache.get(source.channelId)) : [];
  if (missing.length) {
    s.log.warn({ job: source.id, channel: source.channelId, missing }, "regeneration refused: the bot can no longer post there");
    // a reaction's refusal is a channel message, which could not be posted either
    if (!presenter.refusesPrivately && missing.some((p) => p === "viewChannel" || p === "sendMessages" || p === "sendMessagesInThreads")) return;
    return presenter.refuse(msg("video.cannotPostAnyMore", { permissions: permissionList(missing) }));
  }
  if (tooOld(source)) return presenter.refuse(msg("buttons.tooOld"));
  const settings = await s.settings.get(source.guildId);
  const params = paramsOf(source, take, settings);
  // the server's channels or limits may have changed since
  const refusal = takeRefusal(settings, source.channelId, params, source.locale ?? DEFAULT_LOCALE);
  if (refusal) return presenter.refuse(refusal);
  // the server's blocked words may have grown since the video was made
  if (blockedPrompt(s, settings, { guildId: source.guildId, channelId: source.channelId, userId: source.userId, prompt: params.prompt, locale: source.locale ?? DEFAULT_LOCALE })) {
    return presenter.refuse(msg("safety.blocked"));
  }
  const job = newJob(s, {
    guildId: source.guildId,
    channelId: source.channelId,
    userId: source.userId,
    params,
    uploadLimitBytes: source.uploadLimitBytes,
    state: "image_stored",
    sourceUrls: null,
    parentJobId: source.id,
    locale: source.locale ?? DEFAULT_LOCALE,
    imageStoredAt: pictureStoredAt(source),
    // the same picture: the source's check holds (none when it was not checked)
    pictureScore: source.pictureScore ?? null,
  });
  s.log.info({ job: job.id, parent: source.id, take: take.kind }, "regenerating");
  await launchJob(s, job, presenter);
}

export async function onReaction(s: FollowupDeps, e: ReactionEvent): Promise<void> {
  if (e.userId === s.client.user?.id || (e.emoji !== REGENERATE_EMOJI && e.emoji !== DELETE_EMOJI)) return;
  const job = await s.repo.byMessage(e.messageId);
  if (!job || (job.guildId ?? null) !== (e.guildId ?? null)) return;
  const onResult = job.resultMessageId === e.messageId;
  const isRequester = e.userId === job.userId;
  // Removing someone else's reaction needs Manage Messages: try only when the bot has it.
  const removeReaction = async () => {
    const channel = s.client.channels.cache.get(e.channelId);
    const me = s.client.user;
    if (!me || !channel || !("permissionsFor" in channel) || !channel.permissionsFor(me)?.has(PermissionFlagsBits.ManageMessages)) return;
    await s.client.rest.delete(Routes.channelMessageUserReaction(e.channelId, e.messageId, encodeURIComponent(e.emoji!), e.userId)).catch(() => undefined);
  };

  if (e.emoji === REGENERATE_EMOJI && onResult) {
    if (!isRequester) {
      s.log.debug({ job: job.id, by: e.userId }, "🔁 from someone other than the requester ignored");
      return void (await removeReaction()); // needs Manage Messages; otherwise ignored
    }
    const presenter = replyPresenter(s, job, async (text) => {
      // one answer per result and member per 10 minutes: toggling 🔁 must not spam the channel
      if (!s.reactionReplies.take(`${e.messageId}:${e.userId}`)) return void s.log.debug({ job: job.id }, "repeated 🔁 refusal not posted");
      await s.messages.post(job.channelId, {
        content: `<@${job.userId}> ${render(job.locale ?? DEFAULT_LOCALE, text)}`,
        allowed_mentions: { parse: [], users: [job.userId] },
        message_reference: { message_id: e.messageId, fail_if_not_exists: false },
      });
    }, false);
    return regenerate(s, job, presenter);
  }
  if (e.emoji !== DELETE_EMOJI) return;
  if (!isRequester && !(await isModerator(s.client, e.guildId, e.channelId, e.userId))) {
    s.log.debug({ job: job.id, by: e.userId }, "❌ from someone who is neither the requester nor a moderator ignored");
    return void (await removeReaction());
  }
  if (onResult) {
    await s.client.rest.delete(Routes.channelMessage(e.channelId, e.messageId));
    s.log.info({ job: job.id, by: e.userId }, "result deleted");
  } else if (job.progressMessageId === e.messageId && isCancellable(job.state)) {
    await s.runner.cancel(job.id, e.userId);
  }
}

export async function onButton(s: FollowupDeps, interaction: ButtonInteraction): Promise<void> {
  const control = parseControlId(interaction.customId);
  const job = control ? await s.repo.get(control.jobId) : undefined;
  if (!control || !job) return refuse(interaction, msg("buttons.unknownJob"));
  // A button acts only on the job of the message it sits on, in that message's server.
  const home = control.action === "cancel" ? job.progressMessageId : job.resultMessageId;
  if (interaction.message.id !== home || (interaction.guildId ?? null) !== (job.guildId ?? null)) {
    s.log.warn({ job: job.id, message: interaction.message.id, by: interaction.user.id }, "button refused: it does not belong to this message");
    return refuse(interaction, msg("buttons.notThisMessage"));
  }
  const isRequester = interaction.user.id === job.userId;
  const ephemeral = privately(interaction);

  if (control.action !== "cancel") {
    if (!isRequester) return refuse(interaction, msg("buttons.onlyRequesterRegenerates", { userId: job.userId }));
    if (!job.resultMessageId) return refuse(interaction, msg("buttons.notFinished"));
    // the form must be the first answer (within 3 s): only reads of records in memory or the local store come before it
    if (control.action === "remix") {
      if (tooOld(job)) return refuse(interaction, msg("buttons.tooOld"));
      return interaction.showModal(remixModal(s, job, await s.settings.get(job.guildId), interaction.locale));
    }
    await interaction.deferUpdate();
    return regenerate(s, job, replyPresenter(s, job, ephemeral, true), { kind: control.action });
  }
  if (!isRequester && !interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) {
    return refuse(interaction, msg("buttons.onlyRequesterCancels"));
  }
  await interaction.deferUpdate();
  const outcome = await s.runner.cancel(job.id, interaction.user.id);
  if (outcome === "too_late") await ephemeral(msg("buttons.tooLate"));
  else if (outcome === "requested") await ephemeral(msg("buttons.cancelRequested"));
  else if (outcome !== "cancelled") await ephemeral(msg("buttons.alreadyFinished"));
}

export const REMIX_PREFIX = "remix";

/** The form pre-filled with the video's prompt and options, offering only what the server allows now. */
function remixModal(s: FollowupDeps, job: Job, settings: GuildSettings, locale: string) {
  const p = job.params;
  return videoModal(`${REMIX_PREFIX}:${job.id}`, t(locale, "remix.title"), locale, allowedResolutions(s.tier, settings), {
    prompt: p.prompt,
    duration: p.duration === "auto" ? undefined : Number(p.duration),
    maxDuration: settings.maxDuration ?? undefined,
    resolution: p.resolution,
    aspectRatio: p.aspectRatio,
    audio: p.audio,
  });
}

/** A Remix form sent: a new job on the same picture with the member's prompt and options. */
export async function onRemix(s: FollowupDeps, interaction: ModalSubmitInteraction): Promise<void> {
  const job = await s.repo.get(interaction.customId.split(":")[1] ?? "");
  if (!job) return refuse(interaction, msg("buttons.unknownJob"));
  if (interaction.user.id !== job.userId) return refuse(interaction, msg("buttons.onlyRequesterRegenerates", { userId: job.userId }));
  if (!job.resultMessageId || interaction.message?.id !== job.resultMessageId || (interaction.guildId ?? null) !== (job.guildId ?? null)) {
    return refuse(interaction, msg("buttons.notThisMessage"));
  }
  const params = await remixParams(s, job, readVideoModal(interaction), interaction.locale);
  if (!("prompt" in params)) return refuse(interaction, params);
  const take = { kind: "remix", params } as const;
  // a remix may cost more than the video it remixes: above the server's threshold, the member is asked first
  const { confirmAboveMicros } = await s.settings.get(job.guildId);
  const cost = estimate(s.tier, params.resolution, params.aspectRatio, params.duration).micros;
  if (confirmAboveMicros !== null && cost > confirmAboveMicros) {
    const short = await shortOffer(s, job.guildId, job.userId, cost);
    return s.confirmations.ask(interaction, job.userId, cost, async (press) => {
      await startingAfter(press);
      await regenerate(s, job, replyPresenter(s, job, privately(press), true), take);
    }, short);
  }
  await interaction.deferUpdate();
  return regenerate(s, job, replyPresenter(s, job, privately(interaction), true), take);
}

/** Tells the member who pressed or sent something, and no one else (a follow-up after the acknowledgement). */
function privately(interaction: ButtonInteraction | ModalSubmitInteraction) {
  return async (text: Message, components?: readonly unknown[]) =>
    void (await interaction.followUp({ content: render(interaction.locale, text), flags: MessageFlags.Ephemeral, allowedMentions: { parse: [] }, ...(components ? { components: components as never[] } : {}) }));
}
