// The fake Discord's Premium Apps surface (SKUs, entitlements, their events and webhook events,
// premium buttons), driven by the real discord.js Client.
import { createPublicKey, verify } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import {
  ActionRowBuilder, ButtonBuilder, ButtonStyle, Client, ContainerBuilder, DiscordAPIError, Events, GatewayIntentBits,
  MessageFlags, REST, Routes, SectionBuilder, TextDisplayBuilder, type Entitlement,
} from "discord.js";
import { premiumSkus, startFakeDiscord, type FakeDiscord, type FakeDiscordOptions } from "./discord/index.js";

const clients: Client[] = [];
afterEach(async () => void (await Promise.all(clients.splice(0).map((c) => c.destroy()))));

async function withFake(opts: FakeDiscordOptions, fn: (f: FakeDiscord) => Promise<void>): Promise<void> {
  const f = await startFakeDiscord({ rateLimit: false, ...opts });
  try {
    await fn(f);
  } finally {
    await Promise.all(clients.splice(0).map((c) => c.destroy()));
    await f.close();
  }
}

async function connect(f: FakeDiscord, shards?: { shards: number[]; shardCount: number }): Promise<Client> {
  const client = new Client({ intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages], rest: { api: f.apiUrl }, ...shards });
  clients.push(client);
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  await client.login(f.token);
  await ready;
  return client;
}

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error("expected a rejection"); }, (e: unknown) => e as DiscordAPIError);

describe("fake Discord: SKUs and entitlements over REST", () => {
  it("lists SKUs, finds a purchase, consumes it once; refuses what Discord refuses", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const skus = await client.application!.fetchSKUs();
      expect([...skus.values()].map((s) => [s.name, s.type, s.flags.bitfield])).toEqual([["Small pack", 3, 4], ["Big pack", 3, 4], ["Supporter", 2, 4]]);
      expect(f.skus.map((s) => s.slug)).toEqual(["small-pack", "big-pack", "supporter"]);
      const [small, big, supporter] = f.skus as [typeof f.skus[0], typeof f.skus[0], typeof f.skus[0]];
      const buyer = f.users.requester.id;

      const bought = await f.purchase({ userId: buyer, skuId: small.id });
      expect(bought).toEqual({ id: bought.id, sku_id: small.id, application_id: f.applicationId, user_id: buyer, type: 1, deleted: false, starts_at: null, ends_at: null, consumed: false });
      await expect(f.purchase({ userId: buyer, skuId: small.id })).rejects.toThrow(/one at a time/);
      const found = await client.application!.entitlements.fetch({ skus: [small.id, big.id], excludeEnded: true, user: buyer });
      expect([...found.keys()]).toEqual([bought.id]);
      expect(f.requests.find((r) => r.path.endsWith("/entitlements") && r.method === "GET")!.query).toMatchObject({ sku_ids: `${small.id},${big.id}`, exclude_ended: "true" });

      const updated = new Promise<Entitlement>((resolve) => client.once(Events.EntitlementUpdate, (_old, e) => resolve(e)));
      await client.application!.entitlements.consume(bought.id);
      expect(f.entitlement(bought.id)!.consumed).toBe(true);
      expect((await updated).consumed).toBe(true); // the fake sends an UPDATE after a consume (unconfirmed on Discord)
      const again = await failure(client.application!.entitlements.consume(bought.id));
      expect([again.status, again.message]).toEqual([400, "Entitlement already consumed"]);
      const listed = await client.application!.entitlements.fetch({ user: buyer, cache: false });
      expect([...listed.values()].map((e) => e.consumed)).toEqual([true]); // consumed ones stay listed
      const second = await f.purchase({ userId: buyer, skuId: small.id, test: true }); // consumed: may buy again
      expect(second.type).toBe(4);

      const rest = client.rest;
      const durable = await f.purchase({ userId: buyer, skuId: supporter.id });
      expect(await failure(rest.post(Routes.consumeEntitlement(f.applicationId, durable.id)))).toMatchObject({ status: 400, code: 40018 });
      expect(await failure(rest.post(Routes.consumeEntitlement(f.applicationId, "1234567890123456789")))).toMatchObject({ status: 404, code: 10029 });
      expect(await failure(rest.get(Routes.entitlement(f.applicationId, "1234567890123456789")))).toMatchObject({ status: 404, code: 10029 });
      expect(await failure(rest.get(Routes.entitlements("1234567890123456789")))).toMatchObject({ status: 403, code: 20012 });
      expect(((await rest.get(Routes.entitlement(f.applicationId, second.id))) as { id: string }).id).toBe(second.id);

      // paging: `after` answers the oldest after it, ascending; limit must be 1-100, sku_ids snowflakes
      const page = (await rest.get(Routes.entitlements(f.applicationId), { query: new URLSearchParams({ after: "0", limit: "2" }) })) as Array<{ id: string }>;
      expect(page.map((e) => e.id)).toEqual([bought.id, second.id]);
      expect(f.rejections).toEqual([]);
      const queries: Array<Record<string, string>> = [{ limit: "0" }, { limit: "101" }, { sku_ids: `${small.id},pack` }];
      for (const query of queries) {
        expect(await failure(rest.get(Routes.entitlements(f.applicationId), { query: new URLSearchParams(query) }))).toMatchObject({ status: 400, code: 50035 });
      }
      expect(f.rejections.map((r) => r.code)).toEqual([50035, 50035, 50035]);
    });
  });

  it("creates and deletes test entitlements; only those can be deleted", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const ents = client.application!.entitlements;
      const made = await ents.createTest({ sku: f.skus[1]!.id, user: f.users.stranger.id });
      expect([made.type, made.userId, made.guildId, made.consumed]).toEqual([4, f.users.stranger.id, null, false]);
      const forGuild = await ents.createTest({ sku: f.skus[2]!.id, guild: f.guildId });
      expect(f.entitlement(forGuild.id)).toMatchObject({ guild_id: f.guildId, type: 4 });
      expect(f.entitlement(forGuild.id)).not.toHaveProperty("user_id");
      expect(await failure(ents.createTest({ sku: "1234567890123456789", user: f.users.stranger.id }))).toMatchObject({ status: 400, code: 50057 });
      expect(f.rejections.map((r) => r.code)).toEqual([50057]);

      await ents.deleteTest(made.id);
      expect(f.entitlement(made.id)!.deleted).toBe(true);
      expect((await ents.fetch({ user: f.users.stranger.id, cache: false })).size).toBe(0); // exclude_deleted defaults to true
      expect((await ents.fetch({ user: f.users.stranger.id, excludeDeleted: false, cache: false })).size).toBe(1);
      expect(await failure(ents.deleteTest(made.id))).toMatchObject({ status: 404, code: 10029 });
      const bought = await f.purchase({ userId: f.users.stranger.id, skuId: f.skus[0]!.id });
      expect(await failure(ents.deleteTest(bought.id))).toMatchObject({ status: 404, code: 10029 });
    });
  });

  it("failAfter: the consume happens, its answer is lost; a retry then finds it consumed", async () => {
    await withFake({}, async (f) => {
      const e = await f.purchase({ userId: f.users.requester.id, skuId: f.skus[0]!.id, deliver: [] });
      let n = 0;
      f.setPolicy((r) => (r.route === "entitlement.consume" && n++ === 0 ? { failAfter: { status: 500 } } : undefined));
      const rest = new REST({ api: f.apiUrl, retries: 0 }).setToken(f.token);
      expect((await failure(rest.post(Routes.consumeEntitlement(f.applicationId, e.id)))).status).toBe(500);
      expect(f.entitlement(e.id)!.consumed).toBe(true);
      expect(await failure(rest.post(Routes.consumeEntitlement(f.applicationId, e.id)))).toMatchObject({ status: 400 });
      expect(f.requests.filter((r) => r.path.endsWith("/consume")).map((r) => r.status)).toEqual([500, 400]);
    });
  });
});

describe("fake Discord: entitlement events", () => {
  it("sends ENTITLEMENT_CREATE to shard 0's session only, whatever guild the buyer is in; a lost event stays lost", async () => {
    await withFake({ shards: 2 }, async (f) => {
      const lost = await f.purchase({ userId: f.users.admin.id, skuId: f.skus[0]!.id }); // nobody is connected
      const seen: Array<[number, string, string]> = [];
      const a = await connect(f, { shards: [0], shardCount: 2 });
      const b = await connect(f, { shards: [1], shardCount: 2 });
      await f.ready(1);
      for (const [i, c] of [a, b].entries()) c.on(Events.Raw, (p: { t: string; d: { id?: string } }) => void (p.t?.startsWith("ENTITLEMENT_") && seen.push([i, p.t, p.d.id!])));
      const created = new Promise<Entitlement>((resolve) => a.once(Events.EntitlementCreate, resolve));
      const e = await f.purchase({ userId: f.users.requester.id, skuId: f.skus[1]!.id });
      expect((await created).id).toBe(e.id);
      await f.refundPurchase(e.id);
      await f.replayEntitlementEvent(e.id, "ENTITLEMENT_CREATE", ["gateway"]);
      await f.purchase({ userId: f.users.stranger.id, skuId: f.skus[1]!.id, deliver: [] });
      // a barrier: a guild-1 message reaches b after anything sent to it before
      const barrier = new Promise<void>((resolve) => b.once(Events.MessageCreate, () => resolve()));
      f.userMessage({ content: "hi", guild: 1 });
      await barrier;
      await f.waitFor(() => seen.length === 3);
      expect(seen).toEqual([[0, "ENTITLEMENT_CREATE", e.id], [0, "ENTITLEMENT_DELETE", e.id], [0, "ENTITLEMENT_CREATE", e.id]]);
      expect(f.entitlement(e.id)!.deleted).toBe(true);
      expect((await a.application!.entitlements.fetch({ user: f.users.admin.id })).map((x) => x.id)).toEqual([lost.id]);
    });
  });

  it("carries entitlements: [] in interactions", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const got = new Promise<number>((resolve) => client.once(Events.InteractionCreate, (i) => resolve(i.entitlements.size)));
      const raw = new Promise<unknown>((resolve) => client.on(Events.Raw, (p: { t: string; d: { entitlements?: unknown } }) => p.t === "INTERACTION_CREATE" && resolve(p.d.entitlements)));
      await f.slashCommand({ name: "video", options: [] });
      expect([await got, await raw]).toEqual([0, []]);
    });
  });
});

/** A bot's events endpoint: verifies the signature with the public key, answers 401 if it fails, else the next of `answers` (then 204). */
async function eventsEndpoint(publicKey: string, answers: Array<number | "hang">) {
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: Buffer.from(publicKey, "hex").toString("base64url") }, format: "jwk" });
  const got: Array<{ verified: boolean; body: any; headers: Record<string, unknown> }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const ts = String(req.headers["x-signature-timestamp"] ?? "");
      const sig = Buffer.from(String(req.headers["x-signature-ed25519"] ?? ""), "hex");
      const verified = sig.length === 64 && verify(null, Buffer.from(ts + raw), key, sig);
      got.push({ verified, body: JSON.parse(raw), headers: req.headers });
      const answer = verified ? (answers.shift() ?? 204) : 401;
      if (answer !== "hang") res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/discord/events`;
  return { url, got, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

describe("fake Discord: signed webhook events", () => {
  it("signs events with the app's key, retries until a 2xx, and probes with a ping and a bad signature", async () => {
    await withFake({ eventWebhookRetry: { firstDelayMs: 20, maxTotalMs: 2000, timeoutMs: 300 } }, async (f) => {
      expect(f.publicKey).toMatch(/^[0-9a-f]{64}$/);
      const client = await connect(f);
      expect(((await client.rest.get(Routes.currentApplication())) as { verify_key: string }).verify_key).toBe(f.publicKey);
      const ep = await eventsEndpoint(f.publicKey, [500, "hang", 200]);
      try {
        f.setEventWebhookUrl(ep.url);
        const e = await f.purchase({ userId: f.users.requester.id, skuId: f.skus[0]!.id, deliver: ["webhook"] });
        await f.eventDeliveriesSettled();
        expect(f.eventDeliveries.map((d) => [d.eventType, d.entitlementId, d.status, d.attempt])).toEqual([
          ["ENTITLEMENT_CREATE", e.id, 500, 1], ["ENTITLEMENT_CREATE", e.id, "timeout", 2], ["ENTITLEMENT_CREATE", e.id, 200, 3],
        ]);
        expect(f.eventDeliveries[2]!.at - f.eventDeliveries[0]!.at).toBeGreaterThanOrEqual(20 + 300 + 40 - 5);
        expect(ep.got.map((g) => g.verified)).toEqual([true, true, true]);
        const { body, headers } = ep.got[0]!;
        expect(body).toEqual({ version: 1, application_id: f.applicationId, type: 1, event: { type: "ENTITLEMENT_CREATE", timestamp: expect.any(String), data: e } });
        expect(headers["content-type"]).toBe("application/json");
        expect(Math.abs(Number(headers["x-signature-timestamp"]) - Date.now() / 1000)).toBeLessThan(5);

        expect(await f.probeEventWebhook("ping")).toBe(204);
        expect(ep.got[3]).toMatchObject({ verified: true, body: { version: 1, application_id: f.applicationId, type: 0 } });
        expect(await f.probeEventWebhook("bad-signature")).toBe(401);
        expect(ep.got[4]).toMatchObject({ verified: false, body: { type: 1, event: { type: "ENTITLEMENT_CREATE" } } });
        expect(f.entitlement(ep.got[4]!.body.event.data.id)).toBeUndefined(); // made up
        expect(f.eventDeliveries).toHaveLength(3); // probes are not deliveries

        // an endpoint that keeps failing: retried with backoff until maxTotalMs, then given up
        const ep2 = await eventsEndpoint(f.publicKey, Array(50).fill(503));
        f.setEventWebhookUrl(ep2.url);
        await f.replayEntitlementEvent(e.id, "ENTITLEMENT_UPDATE", ["webhook"]);
        await f.eventDeliveriesSettled();
        await ep2.close();
        const tries = f.eventDeliveries.slice(3);
        expect(tries.every((d) => d.status === 503 && d.eventType === "ENTITLEMENT_UPDATE")).toBe(true);
        expect(tries.length).toBeGreaterThanOrEqual(5); // 20, 40, 80, 160, 320, 640 ms apart
        expect(tries.length).toBeLessThanOrEqual(8);
        expect(tries.at(-1)!.at - tries[0]!.at).toBeLessThanOrEqual(2000);
      } finally {
        await ep.close();
      }
    });
  });
});

describe("fake Discord: premium buttons", () => {
  it("accepts a premium button offering the app's SKU, and nothing else on it", async () => {
    await withFake({}, async (f) => {
      const client = await connect(f);
      const sku = f.skus[0]!.id;
      const route = Routes.channelMessages(f.channelId);
      const row = (button: Record<string, unknown>) => [{ type: 1, components: [button] }];
      const ok = (await client.rest.post(route, { body: { content: "buy", components: [new ActionRowBuilder<ButtonBuilder>().addComponents(new ButtonBuilder().setStyle(ButtonStyle.Premium).setSKUId(sku)).toJSON()] } })) as { id: string };
      expect(premiumSkus(f.message(ok.id))).toEqual([sku]);
      const v2 = new ContainerBuilder().addSectionComponents(
        new SectionBuilder().addTextDisplayComponents(new TextDisplayBuilder().setContent("Big pack")).setButtonAccessory(new ButtonBuilder().setStyle(ButtonStyle.Premium).setSKUId(f.skus[1]!.id)),
      );
      const okV2 = (await client.rest.post(route, { body: { flags: MessageFlags.IsComponentsV2, components: [v2.toJSON()] } })) as { id: string };
      expect(premiumSkus(f.message(okV2.id))).toEqual([f.skus[1]!.id]);
      expect(f.rejections).toEqual([]);

      const bad: Array<[Record<string, unknown>, string]> = [
        [{ type: 2, style: 6, sku_id: sku, label: "Buy" }, "BUTTON_COMPONENT_LABEL_NOT_ALLOWED"],
        [{ type: 2, style: 6, sku_id: sku, custom_id: "buy" }, "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED"],
        [{ type: 2, style: 6, sku_id: sku, emoji: { name: "💎" } }, "BUTTON_COMPONENT_EMOJI_NOT_ALLOWED"],
        [{ type: 2, style: 6, sku_id: sku, url: "https://example.com" }, "BUTTON_COMPONENT_URL_NOT_ALLOWED"],
        [{ type: 2, style: 6 }, "BUTTON_COMPONENT_SKU_ID_REQUIRED"],
        [{ type: 2, style: 6, sku_id: "1234567890123456789" }, "BUTTON_COMPONENT_INVALID_SKU"],
        [{ type: 2, style: 1, custom_id: "x", label: "x", sku_id: sku }, "BUTTON_COMPONENT_SKU_ID_NOT_ALLOWED"],
      ];
      for (const [button, code] of bad) {
        const err = await failure(client.rest.post(route, { body: { content: "buy", components: row(button) } }));
        expect(err).toMatchObject({ status: 400, code: 50035 });
        expect(JSON.stringify(err.rawError)).toContain(code);
      }
      // an edit is checked the same way
      const edit = await failure(client.rest.patch(Routes.channelMessage(f.channelId, ok.id), { body: { components: row({ type: 2, style: 6, sku_id: "1234567890123456789" }) } }));
      expect(edit).toMatchObject({ code: 50035 });
      expect(f.rejections).toHaveLength(bad.length + 1);
    });
  });
});
