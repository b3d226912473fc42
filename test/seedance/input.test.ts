import { describe, expect, it } from "vitest";
import { buildSeedanceInput, seedanceInputSchema, type VideoParams } from "../../src/seedance/input.js";

const params: VideoParams = {
  prompt: "a cat surfs a wave",
  imageUrl: "https://v3.fal.media/files/cat.png",
  duration: "5",
  resolution: "720p",
  aspectRatio: "16:9",
  audio: true,
};

describe("Seedance 2.0 input", () => {
  it("sends duration as a string and only fields the model has", () => {
    const input = buildSeedanceInput(params, "123");
    expect(input).toEqual({
      prompt: "a cat surfs a wave",
      image_url: "https://v3.fal.media/files/cat.png",
      resolution: "720p",
      duration: "5",
      aspect_ratio: "16:9",
      generate_audio: true,
      end_user_id: "123",
    });
    expect(typeof input.duration).toBe("string");
  });

  it("passes auto, the end frame and the seed through", () => {
    const input = buildSeedanceInput({ ...params, duration: "auto", aspectRatio: "auto", endImageUrl: "https://v3.fal.media/files/end.png", seed: 42, audio: false });
    expect(input).toMatchObject({ duration: "auto", aspect_ratio: "auto", end_image_url: "https://v3.fal.media/files/end.png", seed: 42, generate_audio: false });
  });

  it("refuses what fal would refuse", () => {
    const good = buildSeedanceInput(params);
    expect(seedanceInputSchema.safeParse({ ...good, duration: 5 }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, duration: "3" }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, duration: "16" }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, camera_fixed: true }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, resolution: "4k" }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, aspect_ratio: "2:1" }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, prompt: "" }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, prompt: "x".repeat(2501) }).success).toBe(false);
    expect(seedanceInputSchema.safeParse({ ...good, image_url: "file:///etc/passwd" }).success).toBe(false);
    expect(() => buildSeedanceInput({ ...params, seed: 1.5 })).toThrow();
  });
});
