/**
 * The bot's own queue in front of fal: at most `capacity` jobs are at fal at once, the rest
 * wait in arrival order and can ask for their place.
 */
export class Slots {
  private readonly holders = new Set<string>();
  private readonly waiting: Array<{ id: string; grant: () => void }> = [];

  constructor(private readonly capacity: number) {}

  /** Resolves when the job may go to fal; `onPlace` hears its place while it waits. */
  acquire(id: string, onPlace?: (place: number) => void): Promise<void> {
    if (this.holders.has(id)) return Promise.resolve();
    if (this.holders.size < this.capacity && this.waiting.length === 0) {
      this.holders.add(id);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push({
        id,
        grant: () => {
          this.holders.add(id);
          resolve();
        },
      });
      this.places = this.places.filter((p) => p.id !== id).concat({ id, onPlace });
      this.announce();
    });
  }

  /** A job that is already at fal (found after a restart) holds a slot whatever the count. */
  hold(id: string): void {
    this.holders.add(id);
  }

  release(id: string): void {
    const idx = this.waiting.findIndex((w) => w.id === id);
    if (idx >= 0) this.waiting.splice(idx, 1);
    if (!this.holders.delete(id) && idx < 0) return;
    while (this.holders.size < this.capacity && this.waiting.length) this.waiting.shift()!.grant();
    this.announce();
  }

  /** On shutdown: wake every waiter (callers check that the bot is stopping before going on). */
  wakeAll(): void {
    while (this.waiting.length) this.waiting.shift()!.grant();
  }

  placeOf(id: string): number | null {
    const idx = this.waiting.findIndex((w) => w.id === id);
    return idx < 0 ? null : idx + 1;
  }

  private places: Array<{ id: string; onPlace: ((place: number) => void) | undefined }> = [];

  private announce(): void {
    this.places = this.places.filter((p) => this.waiting.some((w) => w.id === p.id));
    for (const p of this.places) p.onPlace?.(this.placeOf(p.id)!);
  }
}
