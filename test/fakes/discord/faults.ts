// Fault policy: a function a simulation installs (`fake.setPolicy`) that is asked about every REST
// request and may fail it (before or after handling it), answer it late, slow its upload or expire
// its interaction token.
import type { State } from "./state.js";
import type { DiscordFaultDecision, DiscordFaultRequest, DiscordRoute } from "./types.js";

/** Names the kind of request from its method and path segments (without /api/v10). */
export function classify(method: string, segs: string[]): { route: DiscordRoute; channelId?: string; interactionToken?: string } {
  const [top, a, b, c] = segs;
  const n = segs.length;
  if (top === "channels" && a) {
    const route: DiscordRoute =
      c !== undefined && segs[4] === "reactions" ? "reaction"
      : b === "messages" && n === 3 && method === "POST" ? "message.create"
      : b === "messages" && n === 4 && method === "PATCH" ? "message.edit"
      : b === "messages" && n === 4 && method === "DELETE" ? "message.delete"
      : "other";
    return { route, channelId: a };
  }
  if (top === "webhooks" && b) {
    const route: DiscordRoute =
      n === 3 && method === "POST" ? "webhook.create"
      : n === 5 && c === "messages" && method === "PATCH" ? "webhook.edit"
      : "other";
    return { route, interactionToken: b };
  }
  if (top === "interactions" && b && c === "callback" && n === 4 && method === "POST") return { route: "interaction.callback", interactionToken: b };
  if (top === "applications" && a && b === "skus" && n === 3 && method === "GET") return { route: "sku.list" };
  if (top === "applications" && a && b === "entitlements") {
    const route: DiscordRoute =
      n === 3 && method === "GET" ? "entitlement.list"
      : n === 3 && method === "POST" ? "entitlement.create"
      : n === 4 && method === "GET" ? "entitlement.get"
      : n === 4 && method === "DELETE" ? "entitlement.delete"
      : n === 5 && segs[4] === "consume" && method === "POST" ? "entitlement.consume"
      : "other";
    return { route };
  }
  return { route: "other" };
}

export function describeRequest(state: State, method: string, path: string, segs: string[], files: number, bytes: number): DiscordFaultRequest {
  const { route, channelId, interactionToken } = classify(method, segs);
  // an interaction's responses land in its channel, which its routes do not name
  const where = channelId ?? (interactionToken ? state.interactionsByToken.get(interactionToken)?.channelId : undefined);
  return {
    method, path, route, files, bytes,
    ...(where !== undefined ? { channelId: where } : {}),
    ...(interactionToken !== undefined ? { interactionToken } : {}),
  };
}

/** A policy's answer, checked: a malformed one is a test bug and should say so, not act oddly. */
export function checkDecision(d: DiscordFaultDecision, r: DiscordFaultRequest): DiscordFaultDecision {
  const keys = Object.keys(d);
  const bad = (why: string) => new Error(`fake Discord: fault policy for ${r.method} ${r.path}: ${why} (got ${JSON.stringify(d)})`);
  if (keys.length !== 1) throw bad("a decision has exactly one of fail, failAfter, holdMs, bytesPerSecond, expireToken");
  if ("fail" in d && !(Number.isInteger(d.fail?.status) && d.fail.status >= 400 && d.fail.status <= 599)) throw bad("fail.status must be an HTTP error status");
  if ("failAfter" in d && !(Number.isInteger(d.failAfter?.status) && d.failAfter.status >= 400 && d.failAfter.status <= 599)) throw bad("failAfter.status must be an HTTP error status");
  if ("holdMs" in d && !(d.holdMs >= 0)) throw bad("holdMs must be >= 0");
  if ("bytesPerSecond" in d && !(d.bytesPerSecond > 0)) throw bad("bytesPerSecond must be > 0");
  if ("expireToken" in d && (d.expireToken !== true || r.interactionToken === undefined)) throw bad("expireToken: true applies to callback and webhook routes only");
  if (!["fail", "failAfter", "holdMs", "bytesPerSecond", "expireToken"].includes(keys[0]!)) throw bad(`unknown decision "${keys[0]}"`);
  return d;
}
