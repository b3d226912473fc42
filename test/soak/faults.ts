import type { DiscordFaultPolicy, FakeDiscord } from "../fakes/discord/index.js";
import { billedUnitsFor, expectedVideo, type FakeFal, type FaultPolicy } from "../fakes/fal/index.js";
import { orderOfPrompt, type Plan } from "./plan.js";
import { Dice } from "./random.js";

/** How many faults of each kind the run injected (what the report shows). */
export class FaultLog {
  readonly counts = new Map<string, number>();

  add(kind: string, n = 1): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + n);
  }
}

/**
 * fal's side of the plan: each job's timeline from its order, and the order's faults on the
 * requests that belong to it (the submit and upload of the order's first job; status, stream and
 * result calls by request). Requests are told apart by the order's tag in the prompt.
 */
export function armFal(fal: FakeFal, plan: Plan, log: FaultLog): void {
  fal.setTimelines((input) => {
    const order = orderOfPrompt((input as { prompt?: string } | undefined)?.prompt);
    const o = order === undefined ? undefined : plan.orders[order];
    if (!o) return undefined;
    if (o.falBill === undefined) return o.timeline;
    if (o.falBill === null) return { ...o.timeline, billableUnits: null };
    // a share of what the whole render would cost, in fal's whole tokens
    const v = expectedVideo((input ?? {}) as Record<string, string>);
    return { ...o.timeline, billableUnits: Math.round(billedUnitsFor(v.width, v.height, v.durationSec) * o.falBill * 1000) / 1000 };
  });
  const orderOfRequest = new Map<string, number | undefined>();
  const orderOf = (requestId: string | undefined) => {
    if (!requestId) return undefined;
    if (!orderOfRequest.has(requestId)) {
      const sub = fal.submissions.find((s) => s.requestId === requestId);
      if (!sub) return undefined;
      orderOfRequest.set(requestId, orderOfPrompt(sub.input?.prompt));
    }
    return orderOfRequest.get(requestId);
  };
  const submitted = new Set<number>();
  const used = new Map<string, number>();
  const take = (key: string, allowed: number) => {
    const n = used.get(key) ?? 0;
    if (n >= allowed) return false;
    used.set(key, n + 1);
    return true;
  };
  let uploads = 0;
  const policy: FaultPolicy = (r) => {
    if (r.kind === "submit") {
      const order = orderOfPrompt((r.input as { prompt?: string } | undefined)?.prompt);
      const o = order === undefined ? undefined : plan.orders[order];
      if (!o || submitted.has(o.index)) return undefined; // a take, or the order's submit sent again
      if (o.fal.refuseSubmit && take(`refuse:${o.index}`, 1)) {
        log.add("fal: submit refused (429)");
        return { fail: { status: 429, body: { detail: "Too many requests in queue" } } };
      }
      submitted.add(o.index);
      if (o.fal.loseSubmit) {
        log.add("fal: submit answer lost");
        return { lose: o.fal.loseSubmit === "reset" ? "reset" : { status: 502, body: { detail: "Bad Gateway" } } };
      }
      return undefined;
    }
    if (r.kind === "upload-initiate") {
      if (new Dice(plan.seed, "upload", uploads++).chance(0.02)) {
        log.add("fal: picture upload failed");
        return { fail: { status: 500, body: { detail: "storage hiccup" } } };
      }
      return undefined;
    }
    const order = orderOf(r.requestId);
    const o = order === undefined ? undefined : plan.orders[order];
    if (!o) return undefined;
    if (r.kind === "status" && take(`status:${r.requestId}`, o.fal.statusErrors)) {
      log.add("fal: status route failed");
      return { fail: { status: 503, body: { detail: "Service Unavailable" } } };
    }
    if (r.kind === "stream" && take(`stream:${r.requestId}`, o.fal.streamErrors)) {
      log.add("fal: status stream refused");
      return { fail: { status: 500, body: { detail: "streaming unavailable" } } };
    }
    if (r.kind === "result" && take(`result:${r.requestId}`, o.fal.resultErrors)) {
      log.add("fal: result call failed");
      return { fail: { status: 500, body: {} } };
    }
    if (r.kind === "file" && o.fal.outputGone) {
      if (take(`gone:${r.requestId}`, 1)) log.add("fal: output link expired (403)");
      return { fail: { status: 403, body: { detail: "Forbidden" } } };
    }
    return undefined;
  };
  fal.setPolicy(policy);
}

/**
 * Discord's side: 5xx and 429s on the bot's message posts and edits, slow uploads, and the
 * interaction tokens of planned orders expiring; each request's fate is drawn from the seed and
 * the request's number on its route.
 */
export function armDiscord(discord: FakeDiscord, plan: Plan, log: FaultLog, expiringTokens: Set<string>, consumeFault: DiscordFaultPolicy = () => undefined): void {
  const counters = new Map<string, number>();
  const tokenUses = new Map<string, number>();
  const policy: DiscordFaultPolicy = (r) => {
    const consume = consumeFault(r);
    if (consume) return consume;
    const n = (counters.get(r.route) ?? 0) + 1;
    counters.set(r.route, n);
    const d = new Dice(plan.seed, "discord", r.route, n);
    const webhook = r.interactionToken !== undefined && (r.route === "webhook.edit" || r.route === "webhook.create");
    const uses = webhook ? (tokenUses.get(r.interactionToken!) ?? 0) + 1 : 0;
    if (webhook) tokenUses.set(r.interactionToken!, uses);
    // a token dies at 15 minutes, long after the card was first shown: never before its first edit
    if (webhook && uses >= 2 && expiringTokens.has(r.interactionToken!)) {
      expiringTokens.delete(r.interactionToken!);
      log.add("discord: interaction token expired");
      return { expireToken: true };
    }
    if (r.route === "message.create" && r.files > 0) {
      if (d.chance(0.03)) {
        log.add("discord: upload failed (502)");
        return { fail: { status: 502, body: { code: 0, message: "Bad Gateway" } } };
      }
      if (d.chance(0.04)) {
        log.add("discord: slow upload");
        return { bytesPerSecond: Math.max(20_000, Math.round(r.bytes / 3)) };
      }
    }
    if (r.route === "message.edit" || r.route === "webhook.edit" || r.route === "message.create") {
      const roll = d.roll();
      if (roll < 0.02) {
        log.add("discord: 429");
        return { fail: { status: 429, body: { message: "You are being rate limited.", retry_after: 0.05, global: false } } };
      }
      if (roll < 0.03) {
        log.add("discord: 5xx");
        return { fail: { status: 503, body: { code: 0, message: "Service Unavailable" } } };
      }
    }
    return undefined;
  };
  discord.setPolicy(policy);
}
