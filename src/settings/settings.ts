import type { Logger } from "../log/index.js";
import type { Resolution } from "../seedance/index.js";
import type { Store } from "../store/index.js";

/** What a server's admins decide about videos (`/settings`). */
export interface GuildSettings {
  /** Channels where videos may be made; empty: any channel. */
  channels: string[];
  maxResolution: Resolution | null;
  /** Seconds; an `auto` length is held (and asked) at this. */
  maxDuration: number | null;
  /** Above this estimate the caller confirms first (µ$). */
  confirmAboveMicros: number | null;
  /** Sound when the member does not say; null: the model's default (on). */
  audioDefault: boolean | null;
  /** Whose pictures Animate may use: anyone's (the default), the member's own, or none. */
  animate: AnimateFrom;
  /** Words and phrases a prompt may not contain (matched by the safety feature). */
  blockedWords: string[];
  /** Where the moderators' log goes; null: nowhere. */
  modlogChannelId: string | null;
}

export const ANIMATE_FROM = ["anyone", "own", "off"] as const;
export type AnimateFrom = (typeof ANIMATE_FROM)[number];

export const NO_SETTINGS: GuildSettings = { channels: [], maxResolution: null, maxDuration: null, confirmAboveMicros: null, audioDefault: null, animate: "anyone", blockedWords: [], modlogChannelId: null };

/** The safety settings, which `/settings reset` keeps: a reset of limits must not open the door. */
export const SAFETY_FIELDS = ["blockedWords", "modlogChannelId"] as const;

const key = (guildId: string) => `settings:${guildId}`;
/** Another process's change is seen within this long (this process's own at once). */
const FRESH_MS = 30_000;
const KEPT = 5_000;

/**
 * Servers' settings in the store, read through a small cache: a command reads them before it is
 * acknowledged, so they are in memory almost always (one read per server per half minute).
 */
export class Settings {
  private readonly cache = new Map<string, { at: number; value: Promise<GuildSettings> }>();

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
  ) {}

  get(guildId: string | null): Promise<GuildSettings> {
    if (!guildId) return Promise.resolve(NO_SETTINGS);
    const hit = this.cache.get(guildId);
    if (hit && Date.now() - hit.at < FRESH_MS) return hit.value;
    const value = this.store.get<Partial<GuildSettings>>(key(guildId)).then((stored) => ({ ...NO_SETTINGS, ...stored }));
    this.cache.set(guildId, { at: Date.now(), value });
    value.catch(() => this.cache.delete(guildId));
    while (this.cache.size > KEPT) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }

  async update(guildId: string, change: Partial<GuildSettings>, by: string): Promise<GuildSettings> {
    const next = { ...(await this.get(guildId)), ...change };
    await this.store.set(key(guildId), next);
    this.cache.set(guildId, { at: Date.now(), value: Promise.resolve(next) });
    this.log.info({ guild: guildId, by, change }, "server settings changed");
    return next;
  }
}
