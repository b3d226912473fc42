/**
 * The bot's own queue in front of fal: at most `capacity` jobs are at fal at once, the rest
 * wait in arrival order and can ask for their place.
 */
export class Slots {
  private readonly holders = new Set<string>();
  private readonly waiting: Array<{ id: string; grant: () => void; withdraw: () => void }> = [];

  constructor(private readonly capacity: number) {}

  /**
   * Resolves true when the job may go to fal, false when it was withdrawn while waiting;
   * `onPlace` hears its place while it waits.
   */
  acquire(id: string, onPlace?: (place: number) => void): Promise<boolean> {
    if (this.holders.has(id)) return Promise.resolve(true);
    if (this.holders.size < this.capacity && this.waiting.length === 0) {
      this.holders.add(id);
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      this.waiting.push({
        id,
        grant: () => {
          this.holders.add(id);
          resolve(true);
        },
        withdraw: () => resolve(false),
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

  /** Takes a waiting job out of the queue (it was cancelled); its acquire resolves false. */
  withdraw(id: string): void {
    const idx = this.waiting.findIndex((w) => w.id === id);
    if (idx < 0) return;
    this.waiting.splice(idx, 1)[0]!.withdraw();
    this.announce();
  }

  /** On shutdown: every waiter gives up its place (it resumes from the store next start). */
  wakeAll(): void {
    while (this.waiting.length) this.waiting.shift()!.withdraw();
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
