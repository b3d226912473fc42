console.error("start");
import { startFakeDiscord } from "../test/fakes/discord/index.ts";
console.error("imported");
const d = await startFakeDiscord({ rateLimit: false });
console.error("fake up", d.apiUrl);
process.exit(0);
