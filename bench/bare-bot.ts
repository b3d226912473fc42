// The baseline for acknowledgement latency: a bare discord.js bot whose only act is deferReply().
import { Client, Events, GatewayIntentBits } from "discord.js";

const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: process.env.DISCORD_API_URL! } });
client.on(Events.InteractionCreate, (interaction) => {
  if (interaction.isRepliable()) interaction.deferReply().catch(() => undefined);
});
client.once(Events.ClientReady, () => console.log(JSON.stringify({ msg: "bot ready" })));
process.once("SIGTERM", () => void client.destroy().then(() => process.exit(0)));
await client.login(process.env.DISCORD_TOKEN);
