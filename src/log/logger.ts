import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Interaction tokens travel inside REST paths (webhook and callback routes), so error messages
 * from discord.js carry them, and its REST debug lines name a webhook bucket as "appId/token".
 * Every line is scrubbed on its way out: the configured secrets and anything long in the place
 * after a snowflake and a slash (a path's own words there, like "messages", are short).
 */
const TOKEN_IN_PATH = /(\b\d{15,21}\/)[A-Za-z0-9_.-]{20,}/g;

export function makeRedactor(secrets: Array<string | undefined>): (text: string) => string {
  const known = secrets.filter((s): s is string => typeof s === "string" && s.length >= 6);
  return (text) => {
    let out = text.replace(TOKEN_IN_PATH, "$1[redacted]");
    for (const secret of known) out = out.split(secret).join("[redacted]");
    return out;
  };
}

/**
 * Errors are logged by their useful fields only: discord.js errors carry the request body
 * (a whole video, for a failed upload) and fal errors the model's input.
 */
function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const e = err as Error & { code?: unknown; status?: unknown; method?: unknown; url?: unknown; cause?: unknown };
  return {
    type: e.name,
    message: e.message,
    ...(e.code !== undefined ? { code: e.code } : {}),
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.method !== undefined ? { method: e.method } : {}),
    ...(typeof e.url === "string" ? { url: e.url } : {}),
    ...(e.cause instanceof Error ? { cause: `${e.cause.name}: ${e.cause.message}` } : {}),
    stack: e.stack,
  };
}

export function createLogger(level: string, secrets: Array<string | undefined>, destination?: NodeJS.WritableStream): Logger {
  const redact = makeRedactor(secrets);
  return pino(
    {
      level,
      base: undefined,
      hooks: { streamWrite: redact },
      serializers: { err: serializeError },
      redact: { paths: ["token", "*.token", "headers.authorization", "*.headers.authorization"], censor: "[redacted]" },
    },
    (destination ?? process.stdout) as pino.DestinationStream,
  );
}
