import type { FollowupDeps } from "../followups/index.js";
import type { HistoryDeps } from "../history/index.js";
import type { StatusDeps } from "../operator/index.js";
import type { Config } from "../config/index.js";
import type { JobRepository } from "../jobs/index.js";
import type { Store } from "../store/index.js";

/**
 * What the command modules and the router hand on: the union of what each feature asked for
 * in its own deps (requests, follow-ups, history, the operator's status), built once in bot.ts.
 * Features never import this: each names its own few parts, so its dependencies show in its
 * signature and a test can build just those.
 */
export interface Services extends FollowupDeps, HistoryDeps, StatusDeps {
  config: Config;
  store: Store;
  repo: JobRepository;
}
