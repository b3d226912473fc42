import type { Fence } from "../store/index.js";

/**
 * A first-come queue in front of a limited resource (jobs at fal, pictures in memory): at
 * most `capacity` holders, the rest wait in arrival order and can hear their place.
 */
interface Waiter {
  id: string;
  grant: () => void;
  withdraw: () => void;
  onPlace: ((place: number) => void) | undefined;
  lastPlace: number;
}

/**
 * What the runner needs of a pool of slots: the fal slots of one process (Slots) or of all
 * (SharedSlots). `fence` is the job's lease: a shared pool grants and keeps a slot only while
 * it holds, so a process that lost a job neither takes nor keeps a slot for it.
 */
export interface SlotPool {
  acquire(id: string, onPlace?: (place: number) => void, timeoutMs?: number, fence?: Fence): Promise<boolean>;
  hold(id: string, fence?: Fence): void;
  release(id: string): void;
  withdraw(id: string): void;
  wakeAll(): void;
  placeOf(id: string): number | null;
  readonly queued: number;
}

export class Slots implements SlotPool {
  private readonly holders = new Set<string>();
  private waiting: Waiter[] = [];

  /** `maxWaiting` bounds the queue: beyond it, `acquire` answers false at once. */
  constructor(
    private readonly capacity: number,
    private readonly maxWaiting = Infinity,
  ) {}

  /**
   * Resolves true when the holder may go on, false when it was withdrawn while waiting, the
   * queue is full, or `timeoutMs` passed first; `onPlace` hears its place whenever it changes.
   */
  acquire(id: string, onPlace?: (place: number) => void, timeoutMs?: number): Promise<boolean> {
    if (this.holders.has(id)) return Promise.resolve(true);
    if (this.holders.size < this.capacity && this.waiting.length === 0) {
      this.holders.add(id);
      return Promise.resolve(true);
    }
    if (this.waiting.length >= this.maxWaiting || (timeoutMs !== undefined && timeoutMs <= 0)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(() => this.withdraw(id), timeoutMs);
      const waiter: Waiter = {
        id,
        grant: () => {
          clearTimeout(timer);
          this.holders.add(id);
          resolve(true);
        },
        withdraw: () => {
          clearTimeout(timer);
          resolve(false);
        },
        onPlace,
        lastPlace: 0,
      };
      this.waiting.push(waiter);
      tellPlace(waiter, this.waiting.length);
    });
  }

  get holding(): number {
    return this.holders.size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** A job that is already at fal (found after a restart) holds a slot whatever the count. */
  hold(id: string): void {
    this.holders.add(id);
  }

  release(id: string): void {
    if (!this.holders.delete(id)) return this.withdraw(id);
    let granted = 0;
    while (this.holders.size < this.capacity && granted < this.waiting.length) this.waiting[granted++]!.grant();
    if (granted) {
      this.waiting = this.waiting.slice(granted);
      this.announce();
    }
  }

  /** Takes a waiting holder out of the queue (it was cancelled); its acquire resolves false. */
  withdraw(id: string): void {
    const idx = this.waiting.findIndex((w) => w.id === id);
    if (idx < 0) return;
    this.waiting.splice(idx, 1)[0]!.withdraw();
    this.announce(idx);
  }

  /** On shutdown: every waiter gives up its place (it resumes from the store next start). */
  wakeAll(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.withdraw();
  }

  placeOf(id: string): number | null {
    const idx = this.waiting.findIndex((w) => w.id === id);
    return idx < 0 ? null : idx + 1;
  }

  private announce(from = 0): void {
    announcePlaces(this.waiting, from);
  }
}

/** Someone waiting in a line who wants to hear their place when it changes. */
export interface PlaceListener {
  onPlace: ((place: number) => void) | undefined;
  lastPlace: number;
}

/** Tells `w` its place, unless it already knows it. */
export function tellPlace(w: PlaceListener, place: number): void {
  if (w.onPlace && w.lastPlace !== place) {
    w.lastPlace = place;
    w.onPlace(place);
  }
}

/** Tells waiters from index `from` on their new place: one pass, not one per waiter. */
export function announcePlaces(waiting: readonly PlaceListener[], from = 0): void {
  for (let i = from; i < waiting.length; i++) tellPlace(waiting[i]!, i + 1);
}
