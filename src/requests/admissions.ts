/**
 * Commands of each member and server that this process is admitting right now (acknowledged,
 * not yet a job waiting for a slot). Counted synchronously, before the first await, so a burst
 * sees itself: the extras are refused at once, before anything is acknowledged or fetched.
 */
export class Admissions {
  private readonly counts = new Map<string, number>();

  count(member: string): number {
    return this.counts.get(member) ?? 0;
  }

  /** Commands being admitted in a server (keyed apart from members). */
  countGuild(guildId: string | null): number {
    return this.count(`guild:${guildId}`);
  }

  /** Counts one more for `member` and its server; the returned function counts them out again (once). */
  enter(member: string, guildId: string | null): () => void {
    const keys = [member, `guild:${guildId}`];
    for (const key of keys) this.counts.set(key, this.count(key) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      for (const key of keys) {
        const n = this.count(key) - 1;
        if (n > 0) this.counts.set(key, n);
        else this.counts.delete(key);
      }
    };
  }
}
