// Usage: node test/fakes/discord/make-openapi-subset.mjs /work/shared/reference/discord-openapi.json test/fakes/discord/openapi-subset.json
// Regenerates openapi-subset.json from Discord's published OpenAPI v10 description.
import fs from "node:fs";
const [src, out] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(src, "utf8"));
const keep = [
  "/gateway", "/gateway/bot", "/users/@me", "/users/{user_id}", "/applications/@me",
  "/applications/{application_id}/commands", "/applications/{application_id}/guilds/{guild_id}/commands",
  // (GET /applications/{application_id}/skus is not in Discord's OpenAPI description)
  "/applications/{application_id}/entitlements", "/applications/{application_id}/entitlements/{entitlement_id}",
  "/applications/{application_id}/entitlements/{entitlement_id}/consume",
  "/guilds/{guild_id}", "/guilds/{guild_id}/channels", "/guilds/{guild_id}/members/{user_id}", "/guilds/{guild_id}/roles",
  "/channels/{channel_id}", "/channels/{channel_id}/messages", "/channels/{channel_id}/messages/{message_id}",
  "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}",
  "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/@me",
  "/channels/{channel_id}/messages/{message_id}/reactions/{emoji_name}/{user_id}",
  "/channels/{channel_id}/typing",
  "/interactions/{interaction_id}/{interaction_token}/callback",
  "/webhooks/{webhook_id}/{webhook_token}", "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
  "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
];
// Response schemas the fake's tests check its own payloads against (SpecValidator.validateSchema).
const keepSchemas = ["GuildChannelResponse", "ThreadResponse"];
const paths = {};
for (const p of keep) {
  if (!spec.paths[p]) throw new Error("missing " + p);
  const item = {};
  for (const [m, op] of Object.entries(spec.paths[p])) {
    if (m === "parameters") { item[m] = op; continue; }
    item[m] = { operationId: op.operationId, parameters: op.parameters, requestBody: op.requestBody };
  }
  paths[p] = item;
}
const schemas = {};
const refs = (v) => { if (Array.isArray(v)) return v.forEach(refs); if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) { if (k === "$ref" && typeof x === "string") { const n = x.split("/").pop(); if (!schemas[n]) { schemas[n] = spec.components.schemas[n]; refs(schemas[n]); } } else refs(x); } };
refs(paths);
for (const n of keepSchemas) { schemas[n] = spec.components.schemas[n]; refs(schemas[n]); }
fs.writeFileSync(out, JSON.stringify({ openapi: spec.openapi, info: { ...spec.info, description: "Subset of Discord's OpenAPI v10 description (request bodies of the routes the fake serves, and the response schemas its tests check it against)." }, paths, components: { schemas } }));
console.log(Object.keys(schemas).length, "schemas", fs.statSync(out).size, "bytes");
