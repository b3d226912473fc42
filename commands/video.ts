import { ApplicationCommandOptionType as T, ApplicationIntegrationType, InteractionContextType } from "discord.js";
import { defineCommand } from "../src/discord/command.js";
import { requestVideo } from "../src/jobs/intake.js";
import { MAX_PROMPT_LENGTH, MAX_SEED } from "../src/seedance/input.js";
import type { AspectRatio, Resolution } from "../src/seedance/pricing.js";

const choices = <V extends string>(values: readonly V[]) => values.map((value) => ({ name: value, value }));

export default defineCommand({
  definition: {
    name: "video",
    description: "Turn a picture and a prompt into a short video (Seedance 2.0)",
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: [
      { type: T.Attachment, name: "image", description: "The first frame: a PNG, JPEG or WebP picture up to 30 MB", required: true },
      { type: T.String, name: "prompt", description: "What should happen in the video", required: true, max_length: MAX_PROMPT_LENGTH },
      { type: T.Integer, name: "duration", description: "Length in seconds, 4 to 15 (leave empty to let the model choose)", min_value: 4, max_value: 15 },
      { type: T.String, name: "resolution", description: "Frame size (default 720p)", choices: choices(["480p", "720p", "1080p"]) },
      {
        type: T.String,
        name: "aspect_ratio",
        description: "Shape of the video (default: follow the picture)",
        choices: choices(["auto", "21:9", "16:9", "4:3", "1:1", "3:4", "9:16"]),
      },
      { type: T.Boolean, name: "audio", description: "Generate sound as well (default: yes)" },
      { type: T.Attachment, name: "end_image", description: "Optional last frame: the video moves from the first picture to this one" },
      { type: T.Integer, name: "seed", description: "Seed for a repeatable result", min_value: 0, max_value: MAX_SEED },
    ],
  },
  async handle(interaction, args, services) {
    await requestVideo(
      interaction,
      {
        image: args.image,
        endImage: args.end_image,
        prompt: args.prompt,
        duration: args.duration,
        resolution: args.resolution as Resolution | undefined,
        aspectRatio: args.aspect_ratio as AspectRatio | undefined,
        audio: args.audio,
        seed: args.seed,
      },
      services,
    );
  },
});
