// What admins and members do to a guild's channels and threads, told to the bot over the gateway as
// Discord tells it: CHANNEL_CREATE / CHANNEL_UPDATE, THREAD_CREATE / THREAD_UPDATE, GUILD_ROLE_UPDATE
// (each to the shard that owns the guild, to the sessions with the GUILDS intent).
import { channelById, channelJson, channelsOf, newChannel, type ChannelWorld } from "./channels.js";
import { botRoleJson, type GuildWorld } from "./payloads.js";
import { Intents, type State } from "./state.js";
import { newThread, threadById, type ThreadWorld } from "./threads.js";
import type { AddChannelOptions, AddThreadOptions } from "./types.js";

export class ChannelEvents {
  constructor(
    private readonly state: State,
    /** `fake.guilds[index]` (default guild 0), checked. */
    private readonly guild: (index: number | undefined, what: string) => GuildWorld,
  ) {}

  private send(t: string, d: unknown, g: GuildWorld): void {
    this.state.dispatch(t, d, { guildId: g.guildId, intent: Intents.Guilds });
  }

  private channelUpdate(c: ChannelWorld): void {
    this.send("CHANNEL_UPDATE", channelJson(this.state.world, c), c.guild);
  }

  /** The bot's role changed: its role and every text channel's overwrites, in every guild. */
  setBotPermissions(permissions: bigint): void {
    const w = this.state.world;
    w.botPermissions = permissions;
    for (const g of w.guilds) {
      this.send("GUILD_ROLE_UPDATE", { guild_id: g.guildId, role: botRoleJson(w, g) }, g);
      for (const c of channelsOf(w, g)) this.channelUpdate(c);
    }
  }

  addChannel(opts: AddChannelOptions): string {
    const c = newChannel(this.state.world, this.guild(opts.guild, "addChannel()"), opts);
    this.send("CHANNEL_CREATE", channelJson(this.state.world, c), c.guild);
    return c.id;
  }

  setChannelNsfw(channelId: string, nsfw: boolean): void {
    const c = channelById(this.state.world, channelId);
    if (!c) {
      const thread = threadById(this.state.world, channelId);
      throw new Error(
        thread
          ? `fake Discord: setChannelNsfw: ${channelId} is a thread; a thread has no age restriction of its own (set its parent ${thread.parentId}'s)`
          : `fake Discord: setChannelNsfw: ${channelId} is not a text channel of the fake (see fake.channelId, fake.addChannel())`,
      );
    }
    c.nsfw = nsfw;
    this.channelUpdate(c);
  }

  addThread(opts: AddThreadOptions): string {
    const w = this.state.world;
    const g = opts.guild !== undefined || opts.parentId === undefined ? this.guild(opts.guild, "addThread()") : undefined;
    const t = newThread(w, g, w.users.requester.id, opts);
    this.send("THREAD_CREATE", { ...this.state.threadJson(t), newly_created: true }, t.guild);
    // Discord creates a thread active; archiving or locking it afterwards is a THREAD_UPDATE.
    if (opts.archived || opts.locked) this.updateThread(t.id, { archived: opts.archived ?? false, locked: opts.locked ?? false });
    return t.id;
  }

  updateThread(threadId: string, changes: { archived?: boolean; locked?: boolean }): void {
    const t: ThreadWorld | undefined = threadById(this.state.world, threadId);
    if (!t) throw new Error(`fake Discord: updateThread: ${threadId} is not a thread of the fake (see fake.addThread())`);
    if (changes.archived !== undefined && changes.archived !== t.archived) {
      t.archived = changes.archived;
      t.archiveTimestamp = new Date().toISOString(); // "changed when ... archiving, or unarchiving a thread"
    }
    if (changes.locked !== undefined) t.locked = changes.locked;
    this.send("THREAD_UPDATE", this.state.threadJson(t), t.guild);
  }
}
