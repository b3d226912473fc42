/**
 * Commands of each member that this process is admitting right now (acknowledged, budget not
 * yet held). Counted synchronously, before the first await, so a member's burst of commands
 * sees itself: the extras are refused at once, before anything is acknowledged or fetched.
 */
export class Admissions {
  private readonly counts = new Map<string, number>();

  count(member: string): number {
    return this.counts.get(member) ?? 0;
  }

  /** Counts one more for `member`; the returned function counts it out again (once). */
  enter(member: string): () => void {
    this.counts.set(member, this.count(member) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const n = this.count(member) - 1;
      if (n > 0) this.counts.set(member, n);
      else this.counts.delete(member);
    };
  }
}
