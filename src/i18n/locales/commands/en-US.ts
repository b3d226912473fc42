import type { Widen } from "../widen.js";

/**
 * What Discord shows beside each command, option and choice (registered with the commands, in
 * every language as `*_localizations`): at most 100 characters each, names at most 32.
 */
export const commandsEnUS = {
  animate: { name: "Animate" },
  video: {
    description: "Turn a picture and a prompt into a short video (Seedance 2.0)",
    image: "The first frame: a PNG, JPEG or WebP picture up to 30 MB",
    prompt: "What should happen in the video",
    duration: "Length in seconds, 4 to 15 (leave empty to let the model choose)",
    resolution: "Frame size (default 720p)",
    aspectRatio: "Shape of the video (default: follow the picture)",
    audio: "Generate sound as well (default: yes)",
    endImage: "Optional last frame: the video moves from the first picture to this one",
    seed: "Seed for a repeatable result",
    auto: "auto",
  },
  quota: {
    description: "See or manage video budgets",
    show: "Show a video budget: spent, held, left and when it resets",
    showUser: "Whose budget (admins only for others)",
    set: "Set one member's budget per period (admins)",
    member: "The member",
    usd: "Amount in US dollars per period (0 to {{max}})",
    default: "Set this server's default budget per period (admins)",
    reset: "Clear a member's spending for the current period (admins)",
  },
  operator: {
    description: "The bot's operator: spending, caps and the emergency brake",
    status: "This period's spending by server, the caps in force, jobs in flight",
    cap: "Set one server's spending cap per period (overrides GUILD_SPEND_CAP_USD)",
    guildId: "The server's id",
    usd: "Dollars per period, or none (no cap), or default (GUILD_SPEND_CAP_USD)",
    pause: "Refuse new videos everywhere (jobs already at fal finish and are delivered)",
    resume: "Accept new videos again",
  },
  help: { description: "What the bot does, what it costs, your budget, the commands" },
  history: { description: "Your past videos (admins: another member's)", user: "Whose videos (admins only for others)", page: "Which page (10 videos each)" },
  settings: {
    animate: "Whose pictures Animate may use: anyone's, the member's own, or none",
    animateFrom: { anyone: "anyone's", own: "own only", off: "off" },
    description: "This server's video settings (admins)",
    show: "Show this server's settings and the operator's limits",
    channels: "Choose the channels where videos may be made",
    action: "Allow a channel, remove one, or clear the list (any channel)",
    channel: "The channel",
    allow: "allow",
    remove: "remove",
    clear: "clear",
    limits: "Set this server's limits for videos",
    maxResolution: "The largest resolution members may ask for",
    maxDuration: "The longest video in seconds (4 to 15); an auto length is held at this",
    confirmAbove: "Ask the member to confirm videos above this many US dollars",
    audioDefault: "Whether videos have sound when the member does not say",
    reset: "Back to the defaults: any channel, no limits, no question, sound on",
    safety: "Blocked words and the picture check: show them, or change the word list",
    words: "Add or remove blocked words and phrases, or list them",
    wordActions: { add: "add", remove: "remove", list: "list" },
    entries: "Words or phrases, separated by commas (up to 60 characters each)",
    modlog: "The moderators' log: a channel with a line per video, safety refusal and report",
    modlogChannel: "The channel for the log (the bot must be able to post there)",
    modlogOff: "Stop the log",
  },
} as const;

/** The command texts every language has: the same keys as en-US. */
export type CommandTexts = Widen<typeof commandsEnUS>;
