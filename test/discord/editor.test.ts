import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CoalescingEditor } from "../../src/discord/editor.js";

describe("coalescing editor", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("sends at most one edit per interval, only the latest text, and nothing unchanged", async () => {
    const sent: string[] = [];
    const editor = new CoalescingEditor(async (c) => void sent.push(c), 3000, 30_000, () => undefined);
    editor.update("a", true);
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual(["a"]);
    editor.update("b", true);
    editor.update("c", true);
    await vi.advanceTimersByTimeAsync(2999);
    expect(sent).toEqual(["a"]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(["a", "c"]);
    editor.update("c", true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toEqual(["a", "c"]);
  });

  it("holds minor changes for the longer interval but flushes on demand", async () => {
    const sent: string[] = [];
    const editor = new CoalescingEditor(async (c) => void sent.push(c), 3000, 30_000, () => undefined);
    editor.markSent("start");
    editor.update("minor 1", false);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sent).toEqual([]);
    editor.update("final", false);
    const flushed = editor.flush();
    await vi.advanceTimersByTimeAsync(3000);
    await flushed;
    expect(sent).toEqual(["final"]);
  });

  it("keeps going after a failed edit", async () => {
    const sent: string[] = [];
    let fail = true;
    const errors: unknown[] = [];
    const editor = new CoalescingEditor(
      async (c) => {
        if (fail) throw new Error("503");
        sent.push(c);
      },
      1000,
      1000,
      (e) => errors.push(e),
    );
    editor.update("x", true);
    await vi.advanceTimersByTimeAsync(0);
    fail = false;
    editor.update("y", true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(errors).toHaveLength(1);
    expect(sent).toEqual(["y"]);
  });

  it("sends a major change after a minor one at the short interval, not the minor change's long one", async () => {
    const sent: string[] = [];
    const editor = new CoalescingEditor(async (c) => void sent.push(c), 3000, 30_000, () => undefined);
    editor.markSent("queued 3");
    editor.update("queued 2", false);
    await vi.advanceTimersByTimeAsync(1000);
    editor.update("rendering", true);
    await vi.advanceTimersByTimeAsync(1999);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toEqual(["rendering"]);
  });
});
