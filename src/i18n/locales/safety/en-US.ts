import type { Widen } from "../widen.js";

/**
 * The safety feature's texts: what members are told when a request is refused for safety (never
 * naming the server's list or the classifier's score), what admins see, and the moderators' log.
 */
export const safetyEnUS = {
  blocked: "This prompt uses a word or phrase this server does not allow in videos. Please rephrase it; nothing was charged.",
  pictureFlagged: "This picture cannot be animated in this channel: the picture check found it may not be safe for work. Nothing was charged.",
  checkUnavailable: "The picture check is not answering right now, so the bot cannot start this video. Please try again in a few minutes; nothing was charged.",
  report: {
    thanks: "Thank you: the server's moderators have your report.",
    already: "You have already reported this video; the moderators have it.",
    noModlog: "This server has no moderators' log set up. Please contact the server's moderators directly.",
    failed: "Your report could not reach the moderators' log. Please contact the server's moderators directly.",
  },
  show: {
    title: "🛡️ **Safety**",
    modlog: "Moderators' log: {{value}}",
    modlogOff: "off (Report tells members to contact the moderators)",
    words: "Blocked words and phrases: {{count}} of {{max}}",
    screeningOn: "Picture check: on (fal's NSFW check; pictures above {{threshold}} are refused outside age-restricted channels)",
    screeningOff: "Picture check: off (the bot's operator can turn it on)",
  },
  words: {
    empty: "This server blocks no words yet. Add some with /settings safety words:add entries:…",
    list: "Blocked words and phrases ({{count}} of {{max}}): {{entries}}",
    added: "Added {{added}}. The server now blocks {{count}} of at most {{max}} words and phrases.",
    removed: "Removed {{removed}}. The server now blocks {{count}} of at most {{max}} words and phrases.",
    needEntries: "Please give the words or phrases in `entries`, separated by commas.",
    tooLong: "Each word or phrase may be at most {{max}} characters.",
    tooMany: "A server may block at most {{max}} words and phrases; there is room for {{room}} more.",
  },
  modlog: {
    set: "The moderators' log is now <#{{channelId}}>: one line per video made, per safety refusal and per report.",
    off: "The moderators' log is off. Report now tells members to contact the moderators.",
    current: "The moderators' log is <#{{channelId}}>.",
    none: "There is no moderators' log. Set one with /settings modlog channel:#channel.",
    badChannel: "Please choose a text or announcement channel of this server.",
    cannotPost: "The bot cannot post in <#{{channelId}}>: it needs {{permissions}} there. Nothing was changed.",
    opened: "🛡️ This channel is now the moderators' log of this bot (set by <@{{userId}}>): one line per video made, per safety refusal and per report.",
    delivered: "🎬 <@{{userId}}> made a video in <#{{channelId}}> ({{cost}}): {{link}}",
    refused: "🚫 Refused for <@{{userId}}> in <#{{channelId}}>: {{reason}}",
    reasonWords: "the prompt uses a blocked word or phrase",
    reasonPicture: "the picture check scored the picture {{score}} (above {{threshold}}) outside an age-restricted channel",
    reported: "🚩 <@{{reporterId}}> reported a video by <@{{userId}}>: {{link}}",
  },
} as const;

/** The safety texts every language has: the same keys as en-US. */
export type SafetyTexts = Widen<typeof safetyEnUS>;
