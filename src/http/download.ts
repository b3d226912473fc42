export class TooLargeError extends Error {
  override name = "TooLargeError";
}

export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(
    message: string,
    /** The HTTP status the server answered, when it answered. */
    readonly status?: number,
  ) {
    super(message);
  }

  /**
   * Asking again will not help: the file is gone (404, 410), the host refuses the bot (401, 403:
   * a signed link that expired), or it sends the bot elsewhere (a redirect, which is never followed).
   */
  get final(): boolean {
    return this.status !== undefined && [401, 403, 404, 410].includes(this.status) || (this.status !== undefined && this.status >= 300 && this.status < 400);
  }
}

/**
 * Downloads at most `maxBytes` (a longer body aborts with TooLargeError), refuses redirects
 * (an allowed origin must not bounce us elsewhere: a DownloadError with the redirect's status)
 * and gives up after `timeoutMs`.
 *
 * A compressed body is counted as its bytes arrive, after fetch has decoded them: its declared
 * length says nothing about its real size, so it is never read in one piece.
 */
export async function downloadCapped(url: string, maxBytes: number, timeoutMs = 60_000): Promise<Buffer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    // ask for the bytes as they are; a server that compresses anyway is still capped below
    const response = await fetch(url, { redirect: "manual", signal: controller.signal, headers: { "accept-encoding": "identity" } });
    if (!response.ok || !response.body) throw new DownloadError(`HTTP ${response.status}`, response.status);
    const declared = Number(response.headers.get("content-length") ?? NaN);
    const encoding = response.headers.get("content-encoding");
    if (!encoding || encoding === "identity") {
      if (declared > maxBytes) throw new TooLargeError(`${declared} bytes`);
      // plain bytes of a declared length: HTTP's framing stops the body there, so one native read
      if (Number.isFinite(declared)) return Buffer.from(await response.arrayBuffer());
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        controller.abort();
        throw new TooLargeError(`more than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return Buffer.concat(chunks, total);
  } catch (err) {
    if (err instanceof TooLargeError || err instanceof DownloadError) throw err;
    throw new DownloadError(controller.signal.aborted ? "timed out" : (err as Error).message);
  } finally {
    clearTimeout(timer);
  }
}
