import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { downloadCapped, TooLargeError } from "../../src/http/download.js";

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server?.closeAllConnections();
  server = undefined;
});

/**
 * A server that sends a compressed body in parts, pausing between them, and records how many
 * parts it got out before the client hung up.
 */
async function serveCompressed(parts: Buffer[], headers: Record<string, string | number>) {
  const sent = { parts: 0, closedEarly: false };
  server = createServer(async (req, res) => {
    res.writeHead(200, headers);
    req.socket.on("close", () => (sent.closedEarly = sent.parts < parts.length));
    for (const part of parts) {
      if (res.destroyed) return;
      res.write(part);
      sent.parts++;
      await new Promise((r) => setTimeout(r, 150));
    }
    res.end();
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/picture.png`, sent };
}

describe("capped downloads", () => {
  it("stops reading a compressed body as soon as its decoded bytes pass the cap, whatever the declared length", async () => {
    // 8 parts of gzip, each ~1 KB on the wire and 1 MB decoded: 8 MB behind a small Content-Length
    const zeros = Buffer.alloc(1024 * 1024);
    const whole = gzipSync(Buffer.concat(Array.from({ length: 8 }, () => zeros)));
    const size = Math.ceil(whole.length / 8);
    const parts = Array.from({ length: 8 }, (_, i) => whole.subarray(i * size, (i + 1) * size));
    const { url, sent } = await serveCompressed(parts, { "content-type": "image/png", "content-encoding": "gzip", "content-length": whole.length });
    await expect(downloadCapped(url, 3 * 1024 * 1024, 10_000)).rejects.toBeInstanceOf(TooLargeError);
    await new Promise((r) => setTimeout(r, 300));
    expect(sent.parts).toBeLessThan(parts.length);
  });

  it("refuses a body longer than the cap without a declared length, and passes one within it", async () => {
    const big = Buffer.alloc(2048, 1);
    const first = await serveCompressed([big.subarray(0, 1024), big.subarray(1024)], { "content-type": "image/png" });
    await expect(downloadCapped(first.url, 1500, 5_000)).rejects.toBeInstanceOf(TooLargeError);
    await new Promise<void>((r) => server!.close(() => r()));
    server!.closeAllConnections();
    const small = await serveCompressed([gzipSync(Buffer.from("hello"))], { "content-type": "text/plain", "content-encoding": "gzip" });
    expect((await downloadCapped(small.url, 1500, 5_000)).toString()).toBe("hello");
  });
});
