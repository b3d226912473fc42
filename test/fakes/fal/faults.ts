/**
 * Injected faults: the one-shot rules (failNext, holdNext, loseAnswerNext, holdAnswerNext) and a
 * standing FaultPolicy for simulations. Rules win: the policy is asked only about a request no rule
 * applied to, so a test can still aim one exact fault inside a noisy simulation.
 */
import { type Exchange, sendInjected, sleep } from "./http.js";
import { JWKS_PATH } from "./webhooks.js";
import type { FailReply, FaultDecision, FaultMatch, FaultPolicy, FaultRequest } from "./types.js";

interface Rule<T> {
  method?: string;
  target: RegExp;
  what: T;
  remaining: number;
}

/** Takes one use of the first rule matching this request, if any. */
function take<T>(rules: Array<Rule<T>>, method: string, href: string): T | undefined {
  const rule = rules.find((r) => r.remaining > 0 && (!r.method || r.method.toUpperCase() === method) && r.target.test(href));
  if (!rule) return undefined;
  rule.remaining--;
  return rule.what;
}

function rule<T>(match: FaultMatch, what: T, times: number): Rule<T> {
  return { ...(match.method ? { method: match.method } : {}), target: match.target, what, remaining: times };
}

/** Makes the exchange lose its answer: the handler runs, then this plays instead of its reply. */
function loseAnswer(x: Exchange, lost: "reset" | FailReply): void {
  x.loseAnswer = () => {
    if (lost === "reset") {
      x.record.status = 0;
      x.res.socket?.destroy();
      x.res.destroy();
    } else sendInjected({ ...x, loseAnswer: undefined, answerDelayMs: undefined }, lost);
  };
}

/**
 * Names the route a request is for. `isRequest` tells whether an id is a known request, so that
 * an output file (stored under its request id) carries it.
 */
export function classify(x: Exchange, baseUrl: string, isRequest: (id: string) => boolean): FaultRequest {
  const t = x.target;
  const base = { method: x.method, target: t.href };
  const seg = t.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (t.pathname === JWKS_PATH && (t.origin === baseUrl || t.host === "rest.fal.ai")) return { ...base, kind: "jwks" };
  if (t.origin === baseUrl) {
    if (seg[0] === "upload") return { ...base, kind: "upload" };
    if (seg[0] !== "files") return { ...base, kind: "other" };
    const id = seg[1];
    return { ...base, kind: "file", ...(id && isRequest(id) ? { requestId: id } : {}) };
  }
  if (t.host === "rest.fal.ai") {
    return { ...base, kind: /^\/storage\/upload\/initiate(-multipart)?$/.test(t.pathname) ? "upload-initiate" : "other" };
  }
  const input = x.json !== undefined ? { input: x.json } : {};
  // a sync run (fal.run) is a submit too: it is where the input goes in
  if (t.host === "fal.run") return { ...base, kind: x.method === "POST" ? "submit" : "other", ...input };
  if (t.host !== "queue.fal.run" || seg.length < 3) return { ...base, kind: "other" };
  if (seg[2] !== "requests") return { ...base, kind: x.method === "POST" ? "submit" : "other", ...input };
  const id = seg[3];
  if (!id) return { ...base, kind: "other" };
  const sub = seg.slice(4).join("/");
  const kinds: Record<string, FaultRequest["kind"]> = { "": "result", status: "status", "status/stream": "stream", cancel: "cancel" };
  const kind = kinds[sub];
  return kind ? { ...base, kind, requestId: id } : { ...base, kind: "other" };
}

export class Faults {
  private readonly fails: Array<Rule<FailReply>> = [];
  private readonly holds: Array<Rule<number>> = [];
  private readonly losses: Array<Rule<"reset" | FailReply>> = [];
  private readonly lateAnswers: Array<Rule<number>> = [];
  private policy: FaultPolicy | undefined;

  failNext(match: FaultMatch, reply: FailReply, times = 1): void {
    this.fails.push(rule(match, reply, times));
  }
  holdNext(match: FaultMatch, ms: number, times = 1): void {
    this.holds.push(rule(match, ms, times));
  }
  loseAnswerNext(match: FaultMatch, lost: "reset" | FailReply, times = 1): void {
    this.losses.push(rule(match, lost, times));
  }
  holdAnswerNext(match: FaultMatch, ms: number, times = 1): void {
    this.lateAnswers.push(rule(match, ms, times));
  }
  setPolicy(policy: FaultPolicy | undefined): void {
    this.policy = policy;
  }

  /**
   * Applies the faults due to this request. Returns true when it was answered already (a `fail`)
   * and must not be handled; otherwise it has been held as asked and may carry a lost or late answer.
   */
  async apply(x: Exchange, describe: () => FaultRequest): Promise<boolean> {
    const href = x.target.href;
    const failed = take(this.fails, x.method, href);
    if (failed) {
      sendInjected(x, failed);
      return true;
    }
    const hold = take(this.holds, x.method, href);
    if (hold !== undefined) await sleep(hold);
    // taken after the hold, so a request arriving meanwhile is "the next" one for these rules
    const lost = take(this.losses, x.method, href);
    if (lost !== undefined) loseAnswer(x, lost);
    const late = take(this.lateAnswers, x.method, href);
    if (late !== undefined) x.answerDelayMs = late;
    if (hold !== undefined || lost !== undefined || late !== undefined) return false;
    const decision: FaultDecision | undefined = this.policy?.(describe());
    if (!decision) return false;
    if ("fail" in decision) {
      sendInjected(x, decision.fail);
      return true;
    }
    if ("lose" in decision) loseAnswer(x, decision.lose);
    else if ("holdMs" in decision) await sleep(decision.holdMs);
    else x.answerDelayMs = decision.holdAnswerMs;
    return false;
  }
}
