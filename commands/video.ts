import { ApplicationCommandOptionType as T, ApplicationIntegrationType, InteractionContextType } from "discord.js";
import { defineCommand } from "../src/app/index.js";
import { choiceNamed, described } from "../src/i18n/index.js";
import { requestVideo } from "../src/requests/index.js";
import { MAX_PROMPT_LENGTH, MAX_SEED } from "../src/seedance/index.js";
import type { AspectRatio, Resolution } from "../src/seedance/index.js";

const choices = <V extends string>(values: readonly V[]) => values.map((value) => ({ name: value, value }));
const d = (option: string) => described(`commands.video.${option}`);

export default defineCommand({
  definition: {
    name: "video",
    ...d("description"),
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: [
      { type: T.Attachment, name: "image", ...d("image"), required: true },
      { type: T.String, name: "prompt", ...d("prompt"), required: true, max_length: MAX_PROMPT_LENGTH },
      { type: T.Integer, name: "duration", ...d("duration"), min_value: 4, max_value: 15 },
      { type: T.String, name: "resolution", ...d("resolution"), choices: choices(["480p", "720p", "1080p"]) },
      {
        type: T.String,
        name: "aspect_ratio",
        ...d("aspectRatio"),
        choices: [{ ...choiceNamed("commands.video.auto"), value: "auto" }, ...choices(["21:9", "16:9", "4:3", "1:1", "3:4", "9:16"])],
      },
      { type: T.Boolean, name: "audio", ...d("audio") },
      { type: T.Attachment, name: "end_image", ...d("endImage") },
      { type: T.Integer, name: "seed", ...d("seed"), min_value: 0, max_value: MAX_SEED },
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
