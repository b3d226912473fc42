import type { FakeMessage, FakeUser, InteractionHandle } from "../fakes/discord/index.js";
import { buttonOf, ephemeralText, PICTURE, PNG, type Harness } from "../support/harness.js";
import type { FaultLog } from "./faults.js";
import type { OrderPlan, Take } from "./plan.js";
import { processOf, runEvent, type SoakWorld } from "./world.js";
import { Purchases } from "./purchases.js";

export type OrderOutcome = "delivered" | "failed" | "cancelled" | "refused" | "unanswered";

/** One member's /video as the simulation sent it and saw it end. */
export interface OrderState {
  plan: OrderPlan;
  interaction?: InteractionHandle;
  sentAt?: number;
  outcome?: OrderOutcome;
  refusal?: string;
  /** For an unanswered order: what Discord saw (no acknowledgement, or an empty "thinking…"). */
  unanswered?: string;
  pressedCancel?: boolean;
  tookTakes?: boolean;
}

const FINAL: Array<[string, OrderOutcome]> = [["✅ Done", "delivered"], ["❌", "failed"], ["🛑", "cancelled"]];
/** An order nobody answered (its process died or stalled under it, past Discord's 3 s) counts as such after this long. */
const UNANSWERED_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The members: each order is a /video in its member's server, sent when that member has fewer than
 * two orders unsettled and at most `concurrency` are, with the plan's presses (Cancel while
 * waiting or queued, new takes on a delivered video) made as the cards show their states. The
 * global events start when their order has been sent.
 */
export class Driver {
  readonly orders: OrderState[];
  private readonly users: FakeUser[];
  private readonly running: Array<Promise<void>> = [];
  /** The most the operator's books showed at once (fal billed plus held), from /operator status. */
  peakSpendMicros = 0;

  readonly purchases: Purchases;

  constructor(
    private readonly w: SoakWorld,
    private readonly log: FaultLog,
    private readonly expiringTokens: Set<string>,
    private readonly concurrency: number,
  ) {
    this.orders = w.plan.orders.map((plan) => ({ plan }));
    const base = BigInt(w.discord.users.requester.id);
    this.users = Array.from({ length: w.plan.members }, (_, i) => ({ ...w.discord.users.requester, id: (base + BigInt(i + 1) * 7919n).toString(), username: `member${i}` }));
    this.purchases = new Purchases(w.discord, w.plan, this.users, log);
  }

  /** The members who pay with credit packs. */
  get buyers(): FakeUser[] {
    return this.w.plan.buyers.map((i) => this.users[i]!);
  }

  private get h(): Harness {
    return { discord: this.w.discord } as unknown as Harness;
  }

  /** One line on how far the run is (for a long run's operator). */
  progress(): string {
    const sent = this.orders.filter((o) => o.sentAt !== undefined).length;
    const settled = this.orders.filter((o) => o.outcome !== undefined).length;
    const slow = this.unsettled().filter((o) => Date.now() - o.sentAt! > 30_000);
    const waiting = slow.map((o) => `\n    order ${o.plan.index}: ${(this.cardOf(o)?.text ?? ephemeralText(this.h, o.interaction!) ?? "(no answer)").replace(/\n/g, " | ").slice(0, 160)}`);
    return `${sent}/${this.orders.length} orders sent, ${settled} settled${waiting.join("")}`;
  }

  async run(): Promise<void> {
    await this.purchases.zeroBudgets();
    const watching = this.watch();
    const sampling = this.sample();
    let next = 0;
    for (const order of this.orders) {
      // a member waits for one of their two videos before the next (at most half a minute: a stuck job must not stop the run)
      const waitUntil = Date.now() + 30_000;
      while ((this.unsettled().length >= this.concurrency || this.unsettled().filter((o) => o.plan.member === order.plan.member).length >= 2) && Date.now() < waitUntil) await sleep(50);
      await this.send(order);
      for (const e of this.w.plan.events.filter((ev) => ev.afterOrder === order.plan.index)) this.running.push(runEvent(this.w, e, this.log));
      this.running.push(...this.purchases.after(order.plan.index));
      next++;
    }
    // a job that never ends is a finding, not a reason to wait forever: the invariants name it
    const until = Date.now() + 120_000;
    while (this.unsettled().length && Date.now() < until) await sleep(200);
    await Promise.all(this.running);
    this.done = true;
    await Promise.all([watching, sampling]);
    void next;
  }

  private done = false;

  private unsettled(): OrderState[] {
    return this.orders.filter((o) => o.sentAt !== undefined && o.outcome === undefined);
  }

  /** Sends the order's /video once its server's process can hear it. */
  private async send(order: OrderState): Promise<void> {
    const p = order.plan;
    // a process that never comes back is the world's finding (a crash); its members stop waiting
    const giveUpAt = Date.now() + 60_000;
    for (; Date.now() < giveUpAt; ) {
      const proc = processOf(this.w, p.guild);
      if (proc.crashed) return;
      // a member whose server's bot is away (restarting, or stopped) tries again a moment later
      if (!proc.down && !proc.stalled) {
        try {
          const image = this.w.discord.addAttachment(PNG, "picture.png", "image/png", { ...PICTURE, guild: p.guild });
          order.interaction = await this.w.discord.slashCommand({
            name: "video",
            guild: p.guild,
            user: this.users[p.member],
            attachments: [image],
            options: [
              { name: "image", type: 11, value: image.id },
              { name: "prompt", type: 3, value: `${p.tag} a cat surfs a wave` },
              { name: "duration", type: 4, value: p.duration },
              { name: "resolution", type: 3, value: p.resolution },
              { name: "aspect_ratio", type: 3, value: p.aspect },
            ],
          });
          order.sentAt = Date.now();
          if (p.expireToken) this.expiringTokens.add(order.interaction.token);
          return;
        } catch {
          // its shard is reconnecting: try again in a moment
        }
      }
      await sleep(200);
    }
  }

  /**
   * The order's progress card: its interaction's own reply, or, when the first edit found the
   * interaction's token gone, the channel message the bot posted instead (its header and prompt).
   */
  private cardOf(order: OrderState): FakeMessage | undefined {
    const messages = this.w.discord.messages();
    const own = messages.find((m) => m.interactionId === order.interaction!.id && !(m.flags & 64));
    if (own && own.text !== "") return own;
    // the card shows the prompt inert (markdown escaped: "soak1\-5"), so it is compared without escapes
    const moved = messages.find((m) => !m.interactionId && !m.deleted && m.text.replace(/\\/g, "").includes(`> ${order.plan.tag} a cat`) && !m.text.includes("your video is ready"));
    return moved ?? own;
  }

  /** Reads every unsettled order's card and answer, and presses what the plan says. */
  private async watch(): Promise<void> {
    while (!this.done) {
      for (const order of this.unsettled()) {
        try {
          await this.look(order);
        } catch {
          // a message deleted under us, a process away: looked at again next round
        }
      }
      await sleep(150);
    }
  }

  private async look(order: OrderState): Promise<void> {
    const card = this.cardOf(order);
    const final = card && FINAL.find(([mark]) => card.text.includes(mark));
    if (final) {
      order.outcome = final[1];
      if (final[1] === "delivered" && order.plan.takes.length && !order.tookTakes) {
        order.tookTakes = true;
        this.running.push(this.takes(order, card!));
      }
      return;
    }
    const refusal = ephemeralText(this.h, order.interaction!);
    // the low-balance note follows a delivered video privately: it is no refusal
    if (refusal && !refusal.startsWith("🔔")) {
      order.outcome = "refused";
      order.refusal = refusal;
      return;
    }
    if (card && order.plan.cancelWhen && !order.pressedCancel) {
      const showing = order.plan.cancelWhen === "waiting" ? "Waiting for a free slot" : "Queued at fal";
      if (card.text.includes(showing)) {
        order.pressedCancel = true;
        this.log.add(`member pressed Cancel (${order.plan.cancelWhen})`);
        await this.w.discord.clickButton({ messageId: card.id, customId: buttonOf(card, "cancel").custom_id, user: this.users[order.plan.member] });
      }
    }
    // nothing but Discord's "thinking…" (its process died right under it) counts as unanswered too
    if (!refusal && (!card || card.text === "") && Date.now() - order.sentAt! > UNANSWERED_MS) {
      order.outcome = "unanswered";
      const seen = this.w.discord.interactionState(order.interaction!.id);
      if (process.env.SOAK_KEEP_LOGS) {
        const all = this.w.discord.allMessages().filter((m) => m.interactionId === order.interaction!.id);
        console.error(`unanswered order ${order.plan.index}: interaction ${order.interaction!.id} sent ${new Date(order.sentAt!).toISOString()}: ${JSON.stringify(all.map((m) => ({ id: m.id, deleted: m.deleted, flags: m.flags, text: m.text.slice(0, 80), history: m.editHistory.length })))}`);
      }
      // a process killed or stopped within Discord's 3 s of the order could not answer it: no bot can
      const proc = processOf(this.w, order.plan.guild);
      const struck = proc.disruptedAt.some((at) => at >= order.sentAt! - 250 && at <= order.sentAt! + 3_000);
      order.unanswered = !seen?.ackType ? (struck ? "never acknowledged: its process was killed or stopped within 3 s" : "never acknowledged") : card ? `acknowledged ${seen.ackedAt! - seen.dispatchedAt} ms after, left thinking` : `acknowledged (type ${seen.ackType}), no message`;
    }
  }

  /** The plan's new takes on a delivered video: buttons, the 🔁 reaction, a Remix form. */
  private async takes(order: OrderState, card: FakeMessage): Promise<void> {
    const resultId = [...card.text.matchAll(/\/channels\/\d+\/\d+\/(\d+)/g)].at(-1)?.[1];
    const user = this.users[order.plan.member]!;
    for (const take of order.plan.takes) {
      await sleep(100);
      const result = resultId ? this.w.discord.message(resultId) : undefined;
      if (!result || result.deleted || processOf(this.w, order.plan.guild).down) continue;
      this.log.add(`member asked for a take (${take})`);
      try {
        await this.take(take, result, user, order);
      } catch {
        // the result went away or its process is restarting: the member moves on
      }
    }
  }

  private async take(take: Take, result: FakeMessage, user: FakeUser, order: OrderState): Promise<void> {
    const d = this.w.discord;
    if (take === "regen-reaction") return d.react({ messageId: result.id, emoji: "🔁", user });
    const action = take === "regen-button" ? "regen" : take;
    const press = await d.clickButton({ messageId: result.id, customId: buttonOf(result, action).custom_id, user });
    if (take !== "remix") return;
    await d.waitFor(() => d.modalOf(press.id), 5_000);
    await d.submitModal({ interactionId: press.id, user, values: { prompt: `${order.plan.tag}r remixed at dusk`, duration: ["4"] } });
  }

  /** Samples the operator's books (fal billed plus held) as /operator status shows them. */
  private async sample(): Promise<void> {
    while (!this.done) {
      await sleep(1_000);
      const proc = processOf(this.w, 0);
      if (proc.down || proc.stalled || this.w.redisDown) continue;
      try {
        const i = await this.w.discord.slashCommand({ name: "operator", guild: 0, user: this.w.discord.owner, options: [{ name: "status", type: 1, options: [] }] });
        const text = await this.w.discord.waitFor(() => ephemeralText(this.h, i), 5_000);
        const m = /All servers: fal billed \$([\d,.]+) · held \$([\d,.]+)/.exec(text);
        // what credits paid and hold is the members' own money: the caps do not bind it
        const credits = /Credits this period: sold \$[\d,.]+ · spent \$[\d,.]+ · paying \$([\d,.]+) of the bills and holds above/.exec(text);
        const usd = (v: string | undefined) => Number((v ?? "0").replace(/,/g, ""));
        if (m) this.peakSpendMicros = Math.max(this.peakSpendMicros, Math.round((usd(m[1]) + usd(m[2]) - usd(credits?.[1])) * 1_000_000));
      } catch {
        // not answered now: the next sample
      }
    }
  }

  /** Waits until the bot has no job with anything left to do (its /operator status says 0 in flight twice), at most `timeoutMs`. */
  async quiescent(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    let zeroes = 0;
    while (Date.now() < until) {
      await sleep(1_000);
      try {
        const i = await this.w.discord.slashCommand({ name: "operator", guild: 0, user: this.w.discord.owner, options: [{ name: "status", type: 1, options: [] }] });
        const text = await this.w.discord.waitFor(() => ephemeralText(this.h, i), 5_000);
        const n = Number(/Jobs in flight: (\d+)/.exec(text)?.[1] ?? NaN);
        zeroes = n === 0 ? zeroes + 1 : 0;
        if (zeroes >= 2) return true;
      } catch {
        zeroes = 0;
      }
    }
    return false;
  }
}
