import type { Fence } from "../store/index.js";
import { FairQueue, type Owner } from "./fair.js";

/** How a holder asks for a slot. */
export interface AcquireOptions {
  /** Whose job it is: the queue is round-robin by server, then member (one owner for all: first come, first served). */
  owner?: Owner;
  /** Hears the holder's place in the queue whenever it changes (coalesced: at most every `PLACES_EVERY_MS`). */
  onPlace?: (place: number) => void;
  /** Gives up (answers false) after this long. */
  timeoutMs?: number;
  /** The job's lease: a shared pool grants and keeps a slot only while it holds. */
  fence?: Fence;
}

/**
 * What the runner needs of a pool of slots: the fal slots of one process (Slots) or of all
 * (SharedSlots). A shared pool grants and keeps a slot only while the job's lease holds, so a
 * process that lost a job neither takes nor keeps a slot for it.
 */
export interface SlotPool {
  acquire(id: string, options?: AcquireOptions): Promise<boolean>;
  hold(id: string, fence?: Fence): void;
  release(id: string): void;
  withdraw(id: string): void;
  wakeAll(): void;
  /** Waiting jobs in this process (the gauge of the whole queue is `waitingByGuild`). */
  readonly queued: number;
  /** Waiting jobs of this process by server (a gauge each process reports). */
  waitingHere(): Map<string, number>;
  /** Slots no job holds now, in the whole pool (a job that asks next gets one at once). */
  freeSlots(): Promise<number>;
  /** A server's waiting jobs queued by other processes (none for one process's pool). */
  waitingElsewhere(guild: string): Promise<number>;
  /** Waiting jobs by server, in the whole pool (every process, on Redis). */
  waitingByGuild(): Promise<Map<string, number>>;
}

/** Places are worked out again at most this often: with 10,000 waiting, each pass sorts them all. */
export const PLACES_EVERY_MS = 250;

const EVERYONE: Owner = { guild: "", member: "" };

interface Waiter {
  resolve: (granted: boolean) => void;
  onPlace: ((place: number) => void) | undefined;
  lastPlace: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A queue in front of a limited resource (jobs at fal, pictures in memory): at most `capacity`
 * holders, the rest wait in the fair order (fair.ts) and can hear their place.
 */
export class Slots implements SlotPool {
  private readonly holders = new Set<string>();
  private readonly order = new FairQueue();
  private readonly waiters = new Map<string, Waiter>();
  private placesTimer: NodeJS.Timeout | undefined;
  private placesAt = 0;

  /** `maxWaiting` bounds the queue: beyond it, `acquire` answers false at once. */
  constructor(
    private readonly capacity: number,
    private readonly maxWaiting = Infinity,
  ) {}

  /** Resolves true when the holder may go on, false when it was withdrawn, the queue is full, or `timeoutMs` passed first. */
  acquire(id: string, o: AcquireOptions = {}): Promise<boolean> {
    if (this.holders.has(id)) return Promise.resolve(true);
    const owner = o.owner ?? EVERYONE;
    if (this.holders.size < this.capacity && this.order.size === 0) {
      // its turn counts (a member served now waits behind the others next time)
      this.order.add(id, owner);
      this.order.next();
      this.holders.add(id);
      return Promise.resolve(true);
    }
    if (this.order.size >= this.maxWaiting || (o.timeoutMs !== undefined && o.timeoutMs <= 0)) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = o.timeoutMs === undefined ? undefined : setTimeout(() => this.withdraw(id), o.timeoutMs);
      this.waiters.set(id, { resolve, onPlace: o.onPlace, lastPlace: 0, timer });
      this.order.add(id, owner);
      this.placesChanged();
    });
  }

  get holding(): number {
    return this.holders.size;
  }

  async freeSlots(): Promise<number> {
    return Math.max(0, this.capacity - this.holders.size);
  }

  get queued(): number {
    return this.order.size;
  }

  waitingHere(): Map<string, number> {
    return this.order.byGuild();
  }

  waitingByGuild(): Promise<Map<string, number>> {
    return Promise.resolve(this.order.byGuild());
  }

  waitingElsewhere(): Promise<number> {
    return Promise.resolve(0);
  }

  /** A job that is already at fal (found after a restart) holds a slot whatever the count. */
  hold(id: string): void {
    this.holders.add(id);
  }

  release(id: string): void {
    if (!this.holders.delete(id)) return this.withdraw(id);
    let granted = false;
    while (this.holders.size < this.capacity) {
      const next = this.order.next();
      if (next === undefined) break;
      const w = this.waiters.get(next)!;
      this.waiters.delete(next);
      clearTimeout(w.timer);
      this.holders.add(next);
      w.resolve(true);
      granted = true;
    }
    if (granted) this.placesChanged();
  }

  /** Takes a waiting holder out of the queue (it was cancelled); its acquire resolves false. */
  withdraw(id: string): void {
    if (!this.order.remove(id)) return;
    const w = this.waiters.get(id)!;
    this.waiters.delete(id);
    clearTimeout(w.timer);
    w.resolve(false);
    this.placesChanged();
  }

  /** On shutdown: every waiter gives up its place (it resumes from the store next start). */
  wakeAll(): void {
    for (const id of [...this.waiters.keys()]) this.withdraw(id);
    clearTimeout(this.placesTimer);
  }

  /** The place of a waiting holder (1 = next), or null. O(n log n): for tests and status, not per job. */
  placeOf(id: string): number | null {
    const place = this.order.order().indexOf(id) + 1;
    return place || null;
  }

  /** The waiting holders in the order they will be served. */
  waitingOrder(): string[] {
    return this.order.order();
  }

  /** Tells the waiters their places soon: one pass for any number of changes meanwhile. */
  private placesChanged(): void {
    if (this.placesTimer) return;
    const delay = Math.max(0, this.placesAt + PLACES_EVERY_MS - Date.now());
    this.placesTimer = setTimeout(() => {
      this.placesTimer = undefined;
      this.placesAt = Date.now();
      tellPlaces(this.order.order(), this.waiters);
    }, delay);
    this.placesTimer.unref();
  }
}

/** Someone waiting in a line who wants to hear their place when it changes. */
export interface PlaceListener {
  onPlace: ((place: number) => void) | undefined;
  lastPlace: number;
}

/** Tells each listener in `order` its place, unless it already knows it. */
export function tellPlaces(order: readonly string[], listeners: ReadonlyMap<string, PlaceListener>): void {
  order.forEach((id, i) => {
    const w = listeners.get(id);
    if (w?.onPlace && w.lastPlace !== i + 1) {
      w.lastPlace = i + 1;
      w.onPlace(i + 1);
    }
  });
}
