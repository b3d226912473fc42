import { describe, expect, it } from "vitest";
import { Slots, PLACES_EVERY_MS } from "../../src/queue/slots.js";

const settle = () => new Promise((r) => setTimeout(r, PLACES_EVERY_MS + 50));

describe("the bot's own queue", () => {
  it("lets `capacity` jobs through and the rest in order, telling each its place", async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const places: Record<string, number[]> = { c: [], d: [] };
    await slots.acquire("a");
    await slots.acquire("b");
    const c = slots.acquire("c", { onPlace: (p) => places.c!.push(p) }).then(() => order.push("c"));
    const d = slots.acquire("d", { onPlace: (p) => places.d!.push(p) }).then(() => order.push("d"));
    expect(slots.placeOf("c")).toBe(1);
    expect(slots.placeOf("d")).toBe(2);
    await settle();
    expect(places).toEqual({ c: [1], d: [2] });
    slots.release("a");
    await c;
    await settle();
    expect(places.d).toEqual([2, 1]);
    slots.release("c");
    await d;
    expect(order).toEqual(["c", "d"]);
  });

  it("forgets a waiting job that is cancelled", async () => {
    const slots = new Slots(1);
    await slots.acquire("a");
    void slots.acquire("b");
    slots.release("b");
    expect(slots.placeOf("b")).toBeNull();
    slots.release("a");
    let granted = false;
    await slots.acquire("c").then(() => (granted = true));
    expect(granted).toBe(true);
  });
});

describe("a bounded queue with waits that time out", () => {
  it("answers false at once when the queue is full, and when a wait outlasts its timeout", async () => {
    const slots = new Slots(1, 1);
    expect(await slots.acquire("a")).toBe(true);
    const b = slots.acquire("b", { timeoutMs: 50 });
    expect(await slots.acquire("c")).toBe(false); // one waiting already: full
    expect(await b).toBe(false); // timed out
    expect(slots.placeOf("b")).toBeNull();
    const d = slots.acquire("d", { timeoutMs: 5_000 });
    slots.release("a");
    expect(await d).toBe(true);
  });
});
