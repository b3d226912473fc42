import { describe, expect, it } from "vitest";
import { Slots } from "../../src/jobs/slots.js";

describe("the bot's own queue", () => {
  it("lets `capacity` jobs through and the rest in order, telling each its place", async () => {
    const slots = new Slots(2);
    const order: string[] = [];
    const places: Record<string, number[]> = { c: [], d: [] };
    await slots.acquire("a");
    await slots.acquire("b");
    const c = slots.acquire("c", (p) => places.c!.push(p)).then(() => order.push("c"));
    const d = slots.acquire("d", (p) => places.d!.push(p)).then(() => order.push("d"));
    expect(slots.placeOf("c")).toBe(1);
    expect(slots.placeOf("d")).toBe(2);
    slots.release("a");
    await c;
    expect(places.d).toContain(1);
    slots.release("c");
    await d;
    expect(order).toEqual(["c", "d"]);
    expect(places.c![0]).toBe(1);
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
