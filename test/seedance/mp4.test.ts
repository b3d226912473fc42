import { describe, expect, it } from "vitest";
import { videoCost } from "../../src/delivery/delivery.js";
import { readMp4Info } from "../../src/seedance/mp4.js";
import { estimate, tierOf } from "../../src/seedance/pricing.js";
import { makeMp4 } from "../fakes/mp4.js";

const tier = tierOf("bytedance/seedance-2.0/image-to-video");
const job = (duration: "auto" | "5", aspect: "auto" | "16:9") => ({
  params: { prompt: "p", imageUrl: "https://x/y.png", duration, resolution: "720p" as const, aspectRatio: aspect, audio: true },
  estimate: estimate(tier, "720p", aspect, duration),
});

describe("reading the delivered video", () => {
  it("finds length and frame size in the MP4 boxes", () => {
    expect(readMp4Info(makeMp4({ width: 1280, height: 720, durationSec: 5 }))).toEqual({ durationSec: 5, width: 1280, height: 720 });
    expect(readMp4Info(Buffer.from("not a video"))).toBeNull();
  });

  it("charges an auto-length video for the length and frame the model chose, not the 15 s ceiling", () => {
    const cost = videoCost(job("auto", "auto"), tier, makeMp4({ width: 1280, height: 720, durationSec: 6 }));
    expect(cost).toEqual({ micros: 1_827_000, seconds: 6 });
  });

  it("prices the requested length when it was fixed, at the frame fal delivered", () => {
    expect(videoCost(job("5", "16:9"), tier, makeMp4({ width: 1280, height: 720, durationSec: 5.04 }))).toEqual({ micros: 1_524_600, seconds: 5 });
    // a larger frame than asked for costs what fal bills for it (the member pays at most the hold)
    expect(videoCost(job("5", "16:9"), tier, makeMp4({ width: 1920, height: 1080, durationSec: 5 })).micros).toBe(3_430_350);
  });
});
