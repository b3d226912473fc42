import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { doneMessage, runVideo, startHarness, type Harness } from "../support/harness.js";
import { freePort } from "../support/net.js";
import { redisAnswers } from "../support/redis.js";

let h: Harness | undefined;
let redis: ChildProcess | undefined;
afterEach(async () => {
  await h?.close().catch(() => undefined);
  redis?.kill("SIGKILL");
  h = undefined;
  redis = undefined;
});

/** A Redis server of the test's own, so the test can stop it (redis-server is part of the test environment). */
async function ownRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await redisAnswers(url)); i++) await new Promise((r) => setTimeout(r, 50));
  expect(await redisAnswers(url), "redis-server must start (install Redis)").toBe(true);
  return { url, process: child };
}

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, text: await res.text() };
};

describe("health and metrics on HTTP_PORT", () => {
  it("/healthz is 200 while the shard and the store answer, 503 naming the store within 10 s of Redis going away; /metrics counts a delivered job", async () => {
    const own = await ownRedis();
    redis = own.process;
    h = await startHarness({ storeUrl: `${own.url}?namespace=health`, env: { HTTP_PORT: "0" } });
    const port = h.bot.httpPort!;
    expect(port).toBeGreaterThan(0);
    expect(await get(port, "/healthz")).toEqual({ status: 200, text: JSON.stringify({ status: "ok" }) });

    const before = await get(port, "/metrics");
    expect(before.text).toContain('seedance_jobs_total{outcome="delivered"} 0');
    expect(before.text).toContain("process_cpu_user_seconds_total"); // prom-client's default metrics
    const i = await runVideo(h, { duration: 5, resolution: "720p", aspect_ratio: "16:9" });
    await doneMessage(h, i.id);
    const after = (await get(port, "/metrics")).text;
    expect(after).toContain('seedance_jobs_total{outcome="delivered"} 1');
    expect(after).toMatch(/seedance_member_charged_usd_total 1\.5246/);
    expect(after).toMatch(/seedance_fal_billed_usd_total 1\.5246/);
    expect(after).toMatch(/seedance_fal_render_seconds_count 1/);
    expect(after).toMatch(/seedance_bot_queue_length\{guild="other"\} 0/);
    // every metric the committed Grafana dashboard plots exists
    const dashboard = readFileSync(new URL("../../src/metrics/grafana-dashboard.json", import.meta.url), "utf8");
    const plotted = new Set([...dashboard.matchAll(/\b(seedance_[a-z_]+|process_[a-z_]+|nodejs_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_bucket$/, "")));
    for (const name of plotted) expect(after, name).toContain(`# TYPE ${name} `);

    redis.kill("SIGKILL");
    const stoppedAt = Date.now();
    let health = await get(port, "/healthz");
    while (health.status === 200 && Date.now() - stoppedAt < 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      health = await get(port, "/healthz");
    }
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text)).toEqual({ status: "down", down: ["store (redis)"] });
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
  });

  it("/healthz answers within a second while Redis hangs (it takes connections, never answers): 503 naming the store", async () => {
    const own = await ownRedis();
    redis = own.process;
    h = await startHarness({ storeUrl: `${own.url}?namespace=health`, env: { HTTP_PORT: "0" } });
    const port = h.bot.httpPort!;
    expect((await get(port, "/healthz")).status).toBe(200);
    process.kill(own.process.pid!, "SIGSTOP"); // a blackholed Redis: connected, silent
    try {
      for (let n = 0; n < 3; n++) {
        const asked = Date.now();
        const health = await get(port, "/healthz");
        expect(Date.now() - asked).toBeLessThan(1_000);
        expect(health.status).toBe(503);
        expect(JSON.parse(health.text).down).toEqual(["store (redis)"]);
      }
    } finally {
      process.kill(own.process.pid!, "SIGCONT");
    }
  });

  it("with METRICS_TOKEN, /metrics needs it as a bearer token (401 without, or with another); /healthz stays open", async () => {
    h = await startHarness({ env: { HTTP_PORT: "0", METRICS_TOKEN: "s3cret-metrics-token-0123" } });
    const port = h.bot.httpPort!;
    expect((await get(port, "/metrics")).status).toBe(401);
    const wrong = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: "Bearer s3cret-metrics-token-0124" } });
    expect(wrong.status).toBe(401);
    const right = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: "Bearer s3cret-metrics-token-0123" } });
    expect(right.status).toBe(200);
    expect(await right.text()).toContain("seedance_jobs_total");
    expect((await get(port, "/healthz")).status).toBe(200);
    expect(h.logs()).not.toContain("s3cret-metrics-token-0123");
  });

  it("/healthz names a shard that lost the gateway", async () => {
    h = await startHarness({ env: { HTTP_PORT: "0" } });
    const port = h.bot.httpPort!;
    expect((await get(port, "/healthz")).status).toBe(200);
    await h.discord.close(); // Discord goes away
    const goneAt = Date.now();
    let health = await get(port, "/healthz");
    while (health.status === 200 && Date.now() - goneAt < 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      health = await get(port, "/healthz");
    }
    expect(health.status).toBe(503);
    expect(JSON.parse(health.text).down).toEqual(["discord shard 0"]);
  });
});
