export class TooLargeError extends Error {
  override name = "TooLargeError";
}

export class DownloadError extends Error {
  override name = "DownloadError";
}

/**
 * Downloads at most `maxBytes` (a longer body aborts with TooLargeError), refuses redirects
 * (an allowed origin must not bounce us elsewhere) and gives up after `timeoutMs`.
 */
export async function downloadCapped(url: string, maxBytes: number, timeoutMs = 60_000): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { redirect: "error", signal: controller.signal });
    if (!response.ok || !response.body) throw new DownloadError(`HTTP ${response.status}`);
    const declared = Number(response.headers.get("content-length") ?? NaN);
    if (declared > maxBytes) throw new TooLargeError(`${declared} bytes`);
    if (Number.isFinite(declared)) {
      // a declared length within the cap: one native read (the cap still holds if the server lies)
      const body = Buffer.from(await response.arrayBuffer());
      if (body.length > maxBytes) throw new TooLargeError(`${body.length} bytes`);
      return body;
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        controller.abort();
        throw new TooLargeError(`more than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof TooLargeError || err instanceof DownloadError) throw err;
    throw new DownloadError(controller.signal.aborted ? "timed out" : (err as Error).message);
  } finally {
    clearTimeout(timer);
  }
}
