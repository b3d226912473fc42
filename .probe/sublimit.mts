import { REST, Routes } from "discord.js";
import { startFakeDiscord } from "../test/fakes/discord/index.ts";
const d = await startFakeDiscord({ rateLimit: false });
const rest = new REST({ api: d.apiUrl }).setToken(d.token);
// an interaction to get a token
const { Client, GatewayIntentBits } = await import("discord.js");
const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: d.apiUrl } });
await client.login(d.token);
await new Promise((r) => client.once("clientReady", r)); console.error("ready");
const got = new Promise<any>((r) => client.once("interactionCreate", r));
await d.slashCommand({ name: "x", options: [] });
const i = await got; console.error("got");
await i.deferReply();
let n = 0;
d.setPolicy((r) => (r.route === "webhook.edit" && ++n === 2 ? { fail: { status: 429, body: { message: "You are being rate limited.", retry_after: 0.05, global: false } } } : undefined));
rest.on("debug", (m) => console.error("DEBUG", m.slice(0, 150)));
for (let k = 0; k < 5; k++) {
  const t = Date.now();
  const p = rest.patch(Routes.webhookMessage(client.application!.id, i.token, "@original"), { body: { content: `edit ${k}` }, auth: false });
  const r = await Promise.race([p.then(() => "ok", (e) => `err ${e}`), new Promise((res) => setTimeout(() => res("HUNG"), 5000))]);
  console.error(k, r, Date.now() - t);
}
await client.destroy(); await d.close(); process.exit(0);
