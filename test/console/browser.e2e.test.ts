import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";
import { deliveredVideo, type Harness } from "../support/harness.js";
import { consoleHarness } from "./browser-less.js";

/** Debian's Chromium (.ci/run installs it); CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** The README shows this screenshot: the test takes it. */
export const SCREENSHOT = join(import.meta.dirname, "../../docs/console-overview.png");

let h: Harness | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  await h?.close();
  browser = undefined;
  h = undefined;
});

describe("the console in a real browser", () => {
  it("logs in through Discord, reads the overview, pauses, and shows it", async () => {
    // with CI set a missing browser fails the test: it never passes by not running
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`no browser at ${CHROMIUM}: .ci/run installs Debian's chromium`);
      console.warn(`skipped: no browser at ${CHROMIUM} (apt-get install chromium)`);
      return;
    }
    const started = await consoleHarness();
    h = started.h;
    const { base } = started;
    await deliveredVideo(h, { prompt: "the cat surfs a wave" });
    await deliveredVideo(h, { prompt: "the dog runs on the beach", resolution: "480p", duration: 4 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const problems: string[] = [];
    page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
    page.on("pageerror", (e) => problems.push(e.message));
    await page.goto(`${base}/console`);
    expect(page.url()).toBe(`${base}/console`);
    await expect.poll(() => page.locator("h2").textContent()).toBe("Overview");
    expect(await page.locator("main").textContent()).toContain("New videos are running.");
    expect(await page.locator("figure svg[role=img]").count()).toBe(1);
    expect(await page.locator("table tbody tr").count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Pause new videos" }).click();
    await page.waitForURL(`${base}/console`);
    expect(await page.locator("main").textContent()).toContain("New videos are paused since");
    expect(await h.bot.services.operator.paused()).not.toBeNull();
    // the stylesheet loaded (it is a file: the CSP allows no inline style)
    expect(await page.locator("header").evaluate((e) => (globalThis as unknown as { getComputedStyle(e: unknown): { display: string } }).getComputedStyle(e).display)).toBe("flex");
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(problems, problems.join("\n")).toEqual([]);
  }, 60_000);
});
