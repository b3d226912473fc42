/**
 * "Was this already said recently?": remembers keys for `ttlMs`, at most `max` of them (the
 * oldest are forgotten first), so a member toggling a reaction gets one answer, not one per toggle.
 */
export class Cooldown {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  /** True, and remembered, when `key` was not taken within the last `ttlMs`. */
  take(key: string, now = Date.now()): boolean {
    const at = this.seen.get(key);
    if (at !== undefined && now - at < this.ttlMs) return false;
    this.seen.delete(key); // re-inserted last: the map stays in time order
    this.seen.set(key, now);
    while (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
    return true;
  }
}
