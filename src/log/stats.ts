import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Logger } from "./logger.js";

/**
 * A periodic health line: memory, event-loop delay (p99 and max over the interval, in ms)
 * and jobs in progress. Operators watch it; the benchmark reads it.
 */
export function startStats(log: Logger, intervalMs: number, activeJobs: () => number): () => void {
  if (intervalMs <= 0) return () => undefined;
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const timer = setInterval(() => {
    const memory = process.memoryUsage();
    log.info(
      {
        rssMb: Math.round(memory.rss / 1048576),
        heapMb: Math.round(memory.heapUsed / 1048576),
        heapTotalMb: Math.round(memory.heapTotal / 1048576),
        externalMb: Math.round(memory.external / 1048576),
        loopDelayP99Ms: Number((delay.percentile(99) / 1e6).toFixed(2)),
        loopDelayMaxMs: Number((delay.max / 1e6).toFixed(2)),
        activeJobs: activeJobs(),
      },
      "stats",
    );
    delay.reset();
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    delay.disable();
  };
}
