import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FalWebhookVerifier } from "../../src/seedance/webhook.js";

let server: Server | undefined;
afterEach(async () => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A JWKS endpoint that counts how often it is read, answering `reply()` each time (slowly, so requests overlap). */
async function jwks(reply: () => { status: number; body: unknown }): Promise<{ url: string; reads: () => number }> {
  let reads = 0;
  server = createServer((_req, res) => {
    reads++;
    const { status, body } = reply();
    setTimeout(() => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body)), 50);
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`, reads: () => reads };
}

/** A forgery: the four headers present, a fresh timestamp, a signature no key makes. */
function forged(now: number) {
  return {
    headers: { "x-fal-webhook-request-id": "r", "x-fal-webhook-user-id": "u", "x-fal-webhook-timestamp": String(Math.floor(now / 1000)), "x-fal-webhook-signature": "ab".repeat(64) },
    body: Buffer.from(JSON.stringify({ request_id: "r", status: "OK", payload: null })),
  };
}

describe("fal's webhook keys", () => {
  it("a burst of forged webhooks reads fal's keys once, not once each", async () => {
    const endpoint = await jwks(() => ({ status: 200, body: { keys: [] } }));
    let now = Date.now();
    const verifier = new FalWebhookVerifier(endpoint.url, () => now);
    const burst = await Promise.all(Array.from({ length: 30 }, () => verifier.check(forged(now).headers, forged(now).body)));
    expect(burst.every((v) => !v.ok)).toBe(true);
    expect(endpoint.reads()).toBe(1);
    // a key set with no Ed25519 key is not read again on every request, only after five minutes
    for (let n = 0; n < 10; n++) await verifier.check(forged(now).headers, forged(now).body);
    expect(endpoint.reads()).toBe(1);
    now += 5 * 60_000 + 1;
    await verifier.check(forged(now).headers, forged(now).body);
    expect(endpoint.reads()).toBe(2);
  });

  it("after fal's keys could not be read, they are not asked for again for a while (503s meanwhile)", async () => {
    let status = 500;
    const endpoint = await jwks(() => ({ status, body: { keys: [] } }));
    let now = Date.now();
    const verifier = new FalWebhookVerifier(endpoint.url, () => now);
    for (let n = 0; n < 5; n++) await expect(verifier.check(forged(now).headers, forged(now).body)).rejects.toThrow();
    expect(endpoint.reads()).toBe(1);
    status = 200;
    now += 10_001;
    expect((await verifier.check(forged(now).headers, forged(now).body)).ok).toBe(false);
    expect(endpoint.reads()).toBe(2);
  });
});
