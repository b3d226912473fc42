import type { PictureSource } from "../discord/index.js";
import type { Store } from "../store/index.js";

/** An open Animate form: the pictures it animates (the submit does not carry them), whose it is, where. */
export interface OpenForm {
  channelId: string;
  messageId: string;
  userId: string;
  /** Who posted the message whose pictures it animates (the server's `animate` setting is checked again on submit). */
  authorId?: string;
  pictures: PictureSource[];
}

/** How long an open form keeps the message's pictures. */
export const FORM_TTL_MS = 30 * 60_000;
const INDEX = "animate-forms";
const key = (id: string) => `animate:${id}`;

/**
 * Open forms in the store (so a form sent after a restart still works), each taken once: a second
 * submit of the same form finds nothing. Forms never sent are swept after they expire (an embedded
 * store drops an expired value only when it is read).
 */
export class AnimateForms {
  /** Forms being taken in this process: the check and the mark happen before any await. */
  private readonly taking = new Set<string>();
  /**
   * Forms being written right now: a member can send a form before its record is in the store
   * (it is written while Discord shows the form), so a take waits for the write it would race.
   */
  private readonly opening = new Map<string, Promise<void>>();

  constructor(private readonly store: Store) {}

  /** Keeps a form under the id its modal carries (call it before showing the modal, await it after). */
  open(id: string, form: OpenForm): Promise<void> {
    const write = (async () => {
      await this.store.set(key(id), form, FORM_TTL_MS);
      await this.store.indexAdd(INDEX, id, Date.now() + FORM_TTL_MS);
    })();
    this.opening.set(id, write);
    return write.finally(() => this.opening.delete(id));
  }

  /** The form, once: for its member in its channel; undefined when it expired, was taken, or is not theirs. */
  async take(id: string, userId: string, channelId: string | null): Promise<OpenForm | undefined> {
    if (this.taking.has(id)) return undefined;
    this.taking.add(id);
    try {
      await this.opening.get(id)?.catch(() => undefined);
      const form = await this.store.get<OpenForm>(key(id));
      if (!form || form.userId !== userId || form.channelId !== channelId) return undefined;
      await this.store.delete(key(id));
      await this.store.indexRemove(INDEX, [id]);
      return form;
    } finally {
      this.taking.delete(id);
    }
  }

  /** Deletes forms that expired unsent; returns how many. */
  async sweep(now = Date.now()): Promise<number> {
    let swept = 0;
    for (;;) {
      const ids = await this.store.indexRange(INDEX, now, 500);
      if (!ids.length) return swept;
      for (const id of ids) await this.store.delete(key(id));
      await this.store.indexRemove(INDEX, ids);
      swept += ids.length;
    }
  }
}
