import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnimateForms, FORM_TTL_MS, type OpenForm } from "../../src/requests/forms.js";
import { openStore, type Store } from "../../src/store/index.js";
import { REDIS_URL, redisAnswers } from "../support/redis.js";

const form = (over: Partial<OpenForm> = {}): OpenForm => ({
  channelId: "c1",
  messageId: "m1",
  userId: "u1",
  pictures: [{ url: "https://cdn.example/a.png", name: "a.png", size: 10, contentType: "image/png", width: 640, height: 480 }],
  ...over,
});

const backends = [
  { name: "SQLite", open: () => openStore(`sqlite://${join(mkdtempSync(join(tmpdir(), "forms-")), "bot.sqlite")}`) },
  { name: "Redis", open: () => openStore(REDIS_URL, { namespace: `test-${randomUUID()}` }) },
];

beforeAll(async () => expect(await redisAnswers(), `Redis must answer at ${REDIS_URL}`).toBe(true));

for (const backend of backends) {
  describe(`Animate forms on ${backend.name}`, () => {
    let store: Store;
    let forms: AnimateForms;
    beforeAll(async () => {
      store = await backend.open();
      forms = new AnimateForms(store);
    });
    afterAll(async () => store.close());

    it("gives a form once, to its member in its channel", async () => {
      await forms.open("f1", form());
      expect(await forms.take("f1", "someone else", "c1")).toBeUndefined();
      expect(await forms.take("f1", "u1", "another channel")).toBeUndefined();
      expect(await forms.take("f1", "u1", "c1")).toEqual(form());
      expect(await forms.take("f1", "u1", "c1")).toBeUndefined();
    });

    it("two submits of one form at the same moment: one gets it", async () => {
      await forms.open("f2", form());
      const both = await Promise.all([forms.take("f2", "u1", "c1"), forms.take("f2", "u1", "c1")]);
      expect(both.filter(Boolean)).toHaveLength(1);
    });

    it("sweeps forms never sent once they expire, and only those", async () => {
      await forms.open("old", form());
      await forms.open("new", form());
      await store.indexAdd("animate-forms", "old", Date.now() - 1); // as if opened more than FORM_TTL_MS ago
      expect(await forms.sweep()).toBe(1);
      expect(await store.get("animate:old")).toBeUndefined();
      expect(await forms.take("new", "u1", "c1")).toEqual(form());
      expect(await forms.sweep(Date.now() + FORM_TTL_MS + 1)).toBe(0);
    });
  });
}
