import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/env.js";
import { makeRedactor } from "../../src/log/logger.js";

const base = { DISCORD_TOKEN: "MTIzNDU2Nzg5.secret-bot-token", FAL_KEY: "fal-secret-key" };

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = parseConfig(base);
    expect(c).toMatchObject({
      discordApiUrl: "https://discord.com/api",
      attachmentOrigins: ["https://cdn.discordapp.com", "https://media.discordapp.net", "https://images-ext-1.discordapp.net", "https://images-ext-2.discordapp.net"],
      falModel: "bytedance/seedance-2.0/image-to-video",
      storeUrl: "sqlite://data/bot.sqlite",
      logLevel: "info",
      quotaPeriod: "day",
      defaultQuotaMicros: 5_000_000,
      spendCapMicros: 20_000_000, // on unless turned off: the operator pays
      guildSpendCapMicros: null,
      allowedGuildIds: null,
      ownerIds: null,
      falUnitPriceUsd: null,
      maxJobsPerUser: 2,
      maxConcurrentJobs: 10,
      jobTimeoutMs: 30 * 60_000,
      jobRetentionDays: 90,
      falPollIntervalMs: 2000,
      progressEditIntervalMs: 3000,
    });
    expect(c.discordGuildId).toBeUndefined();
  });

  it("reads the credit packs, and turns credits off when CREDIT_PACKS is unset", () => {
    expect(parseConfig(base)).toMatchObject({ creditPacks: [], discordPublicKey: null, creditReconcileMs: 180_000 });
    const c = parseConfig({ ...base, CREDIT_PACKS: " 1300000000000000001:5, 1300000000000000002:12.50 ", DISCORD_PUBLIC_KEY: "AB".repeat(32) });
    expect(c.creditPacks).toEqual([{ skuId: "1300000000000000001", micros: 5_000_000 }, { skuId: "1300000000000000002", micros: 12_500_000 }]);
    expect(c.discordPublicKey).toBe("ab".repeat(32));
    const wrong: Array<[string, RegExp]> = [
      ["1300000000000000001", /CREDIT_PACKS must be a comma list of sku_id:usd/],
      ["sku:5", /CREDIT_PACKS must be a comma list of sku_id:usd/],
      ["1300000000000000001:0", /CREDIT_PACKS must grant from \$0.01/],
      ["1300000000000000001:5,1300000000000000001:6", /CREDIT_PACKS must name each SKU once/],
      [Array.from({ length: 6 }, (_, i) => `130000000000000000${i}:1`).join(","), /CREDIT_PACKS must list at most 5 packs/],
    ];
    for (const [value, error] of wrong) expect(() => parseConfig({ ...base, CREDIT_PACKS: value }), value).toThrow(error);
    expect(() => parseConfig({ ...base, DISCORD_PUBLIC_KEY: "not-a-key" })).toThrow(/^Configuration error: DISCORD_PUBLIC_KEY must be the application's public key/);
  });

  it("stops with one line naming the variable, never its value", () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{}, /^Configuration error: DISCORD_TOKEN is required/],
      [{ DISCORD_TOKEN: "x" }, /^Configuration error: FAL_KEY is required \(or set FAL_PROXY_URL/],
      [{ ...base, STORE_URL: "postgres://db" }, /^Configuration error: STORE_URL must be sqlite:\/\/path/],
      [{ ...base, DISCORD_API_URL: "not a url" }, /^Configuration error: DISCORD_API_URL must be an http\(s\) URL/],
      [{ ...base, QUOTA_PERIOD: "year" }, /^Configuration error: QUOTA_PERIOD must be day, week or month/],
      [{ ...base, SPEND_CAP_USD: "-3" }, /^Configuration error: SPEND_CAP_USD must be an amount/],
      [{ ...base, MAX_JOBS_PER_USER: "0" }, /^Configuration error: MAX_JOBS_PER_USER must be a whole number from 1/],
      [{ ...base, DISCORD_GUILD_ID: "abc" }, /^Configuration error: DISCORD_GUILD_ID must be a guild id/],
      [{ ...base, SPEND_CAP_USD: "off" }, /^Configuration error: SPEND_CAP_USD must be an amount in US dollars, such as 20, or none/],
      [{ ...base, ALLOWED_GUILD_IDS: "123, my-server" }, /^Configuration error: ALLOWED_GUILD_IDS must be a comma list of Discord ids/],
      [{ ...base, JOB_RETENTION_DAYS: "0" }, /^Configuration error: JOB_RETENTION_DAYS must be a whole number from 1 to 3650/],
      [{ ...base, DISCORD_TOKEN: "has space secret" }, /^Configuration error: DISCORD_TOKEN must be a bot token without spaces/],
    ];
    for (const [env, message] of cases) {
      let error: Error | undefined;
      try {
        parseConfig(env);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message.split("\n")).toHaveLength(1);
      for (const value of Object.values(env)) if (value.length > 4) expect(error?.message).not.toContain(value);
    }
  });

  it("accepts a proxy instead of a fal key, a guild, a cheaper tier and a cap", () => {
    const c = parseConfig({ DISCORD_TOKEN: "t0ken", FAL_PROXY_URL: "http://127.0.0.1:9/fal", DISCORD_GUILD_ID: "123456789012345678", SPEND_CAP_USD: "250", DISCORD_CDN_URL: "http://127.0.0.1:8080/" });
    expect(c).toMatchObject({ falKey: undefined, falProxyUrl: "http://127.0.0.1:9/fal", discordGuildId: "123456789012345678", spendCapMicros: 250_000_000, attachmentOrigins: ["http://127.0.0.1:8080"] });
  });

  it("takes the operator's controls: servers, owners, caps (none in words), fal's unit price", () => {
    const c = parseConfig({ ...base, ALLOWED_GUILD_IDS: "123456789012345678, 223456789012345678", OWNER_IDS: "323456789012345678", SPEND_CAP_USD: "none", GUILD_SPEND_CAP_USD: "7.5", FAL_UNIT_PRICE_USD: "0.02" });
    expect(c).toMatchObject({ allowedGuildIds: ["123456789012345678", "223456789012345678"], ownerIds: ["323456789012345678"], spendCapMicros: null, guildSpendCapMicros: 7_500_000, falUnitPriceUsd: 0.02 });
  });

  it("scrubs secrets and interaction tokens from log lines", () => {
    const redact = makeRedactor(["fal-secret-key", base.DISCORD_TOKEN]);
    const line = `PATCH /api/v10/webhooks/123456789012345678/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnRva2Vu/messages/@original key=fal-secret-key ${base.DISCORD_TOKEN}`;
    const out = redact(line);
    expect(out).not.toContain("fal-secret-key");
    expect(out).not.toContain(base.DISCORD_TOKEN);
    expect(out).not.toContain("aW50ZXJhY3Rpb246");
    expect(out).toContain("/webhooks/123456789012345678/[redacted]/messages/@original");
    // discord.js's REST debug lines name a webhook's bucket by application id and token
    const debug = redact("[REST abc:123456789012345678/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnRva2Vu] Waiting 5ms");
    expect(debug).toBe("[REST abc:123456789012345678/[redacted]] Waiting 5ms");
    expect(redact("/channels/123456789012345678/messages/123456789012345679")).toBe("/channels/123456789012345678/messages/123456789012345679");
  });
});

describe("log lines", () => {
  it("log an error's useful fields, never its request body, and scrub tokens from its URL", async () => {
    const { createLogger } = await import("../../src/log/logger.js");
    const { Writable } = await import("node:stream");
    let out = "";
    const sink = new Writable({ write: (c, _e, done) => ((out += c.toString()), done()) });
    const log = createLogger("info", ["bot-token-secret"], sink);
    const err = Object.assign(new Error("Missing Permissions"), {
      code: 50013,
      status: 403,
      method: "POST",
      url: "https://discord.com/api/v10/webhooks/123456789012345678/aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnRva2Vu",
      requestBody: { files: [{ data: Buffer.alloc(1000, 1) }], json: { content: "bot-token-secret" } },
    });
    log.error({ err }, "post failed");
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(out) as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({ type: "Error", message: "Missing Permissions", code: 50013, status: 403 });
    expect(line.err.requestBody).toBeUndefined();
    expect(out).not.toContain("aW50ZXJhY3Rpb246");
    expect(out).not.toContain("bot-token-secret");
  });
});
