// Request validation against Discord's published OpenAPI v10 description (ajv, JSON Schema 2020-12).
//
// The spec is openapi-subset.json (request bodies of the routes this fake serves, and the response
// schemas its tests check its own payloads against, made from
// /work/shared/reference/discord-openapi.json by make-openapi-subset.mjs). FAKE_DISCORD_OPENAPI
// can point at the full file instead.
import { readFileSync } from "node:fs";
import Ajv2020Module from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv";
import { FormErrors } from "./http-util.js";

const Ajv2020 = Ajv2020Module.default;
type Json = Record<string, any>;
const SPEC_ID = "discord-openapi";

export function loadSpec(): Json {
  const file = process.env.FAKE_DISCORD_OPENAPI ?? new URL("./openapi-subset.json", import.meta.url);
  return JSON.parse(readFileSync(file, "utf8")) as Json;
}

function enumOf(schema: Json | undefined): unknown[] | undefined {
  const t = schema?.properties?.type;
  if (!t) return undefined;
  if (Array.isArray(t.enum)) return t.enum;
  if ("const" in t) return [t.const];
  return undefined;
}

/**
 * Rewrites the spec so that errors point at the real problem:
 * - `oneOf/anyOf` of object schemas discriminated by an integer `type` become if/then chains
 *   (same acceptance, but only the matching branch reports errors);
 * - `oneOf: [{type:"null"}, X]` becomes `if null else X`;
 * - `$ref`s are made absolute so every operation shares one compiled copy of each schema.
 * Patches where Discord (and discord.js) accept more than the spec says:
 * - `default_member_permissions` is documented as "serialized as a string" and discord.js sends "32".
 */
function transform(node: unknown, schemas: Json): unknown {
  if (Array.isArray(node)) return node.map((n) => transform(n, schemas));
  if (!node || typeof node !== "object") return node;
  const src = node as Json;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === "$ref" && typeof v === "string" && v.startsWith("#/")) out[k] = SPEC_ID + v;
    else if (k === "properties") {
      out[k] = Object.fromEntries(Object.entries(v as Json).map(([p, s]) => [p, transform(s, schemas)]));
    } else out[k] = transform(v, schemas);
  }
  if (out.properties?.default_member_permissions) {
    out.properties.default_member_permissions = {
      anyOf: [{ type: ["integer", "null"], minimum: 0 }, { type: "string", pattern: "^[0-9]{1,20}$" }],
    };
  }
  for (const key of ["oneOf", "anyOf"] as const) {
    const branches = out[key] as Json[] | undefined;
    if (!Array.isArray(branches)) continue;
    if (branches.length === 2 && branches.some((b) => b.type === "null" && Object.keys(b).length === 1)) {
      const other = branches.find((b) => !(b.type === "null" && Object.keys(b).length === 1))!;
      delete out[key];
      out.if = { type: "null" };
      out.else = other;
      continue;
    }
    const targets = branches.map((b) =>
      typeof b.$ref === "string" ? (schemas[b.$ref.split("/").pop()!] as Json | undefined) : undefined,
    );
    const discriminated = targets.every((t) => t && enumOf(t) && (t.required ?? []).includes("type"));
    if (!discriminated || branches.length < 2) continue;
    const all = targets.flatMap((t) => enumOf(t)!);
    delete out[key];
    out.type = "object";
    out.required = [...new Set([...(out.required ?? []), "type"])];
    out.properties = { ...(out.properties ?? {}), type: { enum: all } };
    out.allOf = [
      ...(out.allOf ?? []),
      ...branches.map((b, i) => ({
        if: { required: ["type"], properties: { type: { enum: enumOf(targets[i]) } } },
        then: b,
      })),
    ];
  }
  return out;
}

const URI_SCHEMES = new Set(["http:", "https:", "attachment:", "discord:"]);

function isDateTime(s: string): boolean {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(s) && !isNaN(Date.parse(s));
}

function isUri(s: string): boolean {
  try {
    return URI_SCHEMES.has(new URL(s).protocol);
  } catch {
    return false;
  }
}

export class SpecValidator {
  private readonly ajv: InstanceType<typeof Ajv2020>;
  private readonly cache = new Map<string, ValidateFunction | null>();
  private readonly spec: Json;

  constructor(spec: Json = loadSpec()) {
    this.spec = spec;
    const schemas = spec.components.schemas as Json;
    this.ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: true });
    this.ajv.addFormat("snowflake", /^(0|[1-9][0-9]*)$/);
    this.ajv.addFormat("nonce", true);
    this.ajv.addFormat("uri", isUri);
    this.ajv.addFormat("date-time", isDateTime);
    this.ajv.addFormat("int32", { type: "number", validate: (n: number) => Number.isInteger(n) && Math.abs(n) <= 2 ** 31 });
    this.ajv.addFormat("int64", { type: "number", validate: (n: number) => Number.isInteger(n) });
    this.ajv.addFormat("double", { type: "number", validate: (n: number) => Number.isFinite(n) });
    this.ajv.addSchema({ $id: SPEC_ID, components: { schemas: transform(schemas, schemas) } });
  }

  hasOperation(path: string, method: string): boolean {
    return Boolean(this.spec.paths?.[path]?.[method.toLowerCase()]);
  }

  private compiled(path: string, method: string): ValidateFunction | null {
    const key = `${method} ${path}`;
    if (!this.cache.has(key)) {
      const op = this.spec.paths?.[path]?.[method.toLowerCase()];
      const schema = op?.requestBody?.content?.["application/json"]?.schema;
      const schemas = this.spec.components.schemas as Json;
      this.cache.set(key, schema ? this.ajv.compile(transform(schema, schemas) as Json) : null);
    }
    return this.cache.get(key)!;
  }

  /**
   * Validates something the fake sends against a schema of the spec's components (e.g. a channel
   * object against "GuildChannelResponse"). Returns null when valid.
   */
  validateSchema(name: string, value: unknown): FormErrors | null {
    const key = `#${name}`;
    if (!this.cache.has(key)) {
      if (!(name in this.spec.components.schemas)) throw new Error(`fake Discord: the OpenAPI subset has no schema ${name} (see make-openapi-subset.mjs)`);
      this.cache.set(key, this.ajv.getSchema(`${SPEC_ID}#/components/schemas/${name}`) ?? null);
    }
    const validate = this.cache.get(key)!;
    return !validate || validate(value) ? null : toFormErrors(validate.errors ?? [], value);
  }

  /** Validates a JSON body (or a multipart payload_json). Returns null when valid. */
  validateBody(path: string, method: string, body: unknown): FormErrors | null {
    const op = this.spec.paths?.[path]?.[method.toLowerCase()];
    if (!op) return null;
    if (body === undefined) {
      return op.requestBody?.required ? new FormErrors().add([], "BASE_TYPE_REQUIRED", "This field is required") : null;
    }
    const validate = this.compiled(path, method);
    if (!validate || validate(body)) return null;
    return toFormErrors(validate.errors ?? [], body);
  }

  /** Validates typed query parameters (booleans, integers and their range, snowflakes). Returns null when valid. */
  validateQuery(path: string, method: string, query: Record<string, string>): FormErrors | null {
    const item = this.spec.paths?.[path];
    const params = [...(item?.parameters ?? []), ...(item?.[method.toLowerCase()]?.parameters ?? [])] as Json[];
    const errs = new FormErrors();
    for (const p of params) {
      if (p.in !== "query" || !(p.name in query)) continue;
      const v = query[p.name]!;
      let s = p.schema as Json;
      if (typeof s?.$ref === "string") s = this.spec.components.schemas[s.$ref.split("/").pop()!];
      const type = Array.isArray(s?.type) ? s.type[0] : s?.type;
      if (type === "boolean" && !/^(true|false|1|0)$/i.test(v)) {
        errs.add([p.name], "BASE_TYPE_BOOLEAN", "Must be either true or false.");
      } else if (type === "integer" && !/^-?\d+$/.test(v)) {
        errs.add([p.name], "NUMBER_TYPE_COERCE", `Value "${v}" is not int.`);
      } else if (type === "integer" && typeof s.minimum === "number" && Number(v) < s.minimum) {
        // e.g. limit=0 where the route takes 1-100 (Discord: "int value should be greater than or equal to 1.")
        errs.add([p.name], "NUMBER_TYPE_MIN", `int value should be greater than or equal to ${s.minimum}.`);
      } else if (type === "integer" && typeof s.maximum === "number" && Number(v) > s.maximum) {
        errs.add([p.name], "NUMBER_TYPE_MAX", `int value should be less than or equal to ${s.maximum}.`);
      } else if (type === "string" && s.pattern && !new RegExp(s.pattern).test(v)) {
        errs.add([p.name], "NUMBER_TYPE_COERCE", `Value "${v}" is not snowflake.`);
      }
    }
    return errs.count ? errs : null;
  }
}

function valueAt(root: unknown, segs: string[]): unknown {
  let v: any = root;
  for (const s of segs) v = v?.[s];
  return v;
}

function toFormErrors(errors: ErrorObject[], body: unknown): FormErrors {
  const out = new FormErrors();
  const structural = new Set(["oneOf", "anyOf", "allOf", "if", "then", "else", "not"]);
  const useful = errors.filter((e) => !structural.has(e.keyword));
  // oneOf-of-consts (e.g. ButtonStyleTypes) reports one error per const: merge them per path.
  const choices = new Map<string, unknown[]>();
  for (const e of useful) {
    if (e.keyword !== "enum" && e.keyword !== "const") continue;
    const p = e.params as Json;
    choices.set(e.instancePath, [...(choices.get(e.instancePath) ?? []), ...(p.allowedValues ?? [p.allowedValue])]);
  }
  for (const e of useful.length ? useful : errors) {
    const segs = e.instancePath.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
    const p = e.params as Json;
    const value = valueAt(body, segs);
    const shown = JSON.stringify(value)?.slice(0, 80);
    switch (e.keyword) {
      case "required":
        out.add([...segs, p.missingProperty], "BASE_TYPE_REQUIRED", "This field is required");
        break;
      case "maxLength":
      case "maxItems":
        out.add(segs, "BASE_TYPE_MAX_LENGTH", `Must be ${p.limit} or fewer in length.`);
        break;
      case "minLength":
      case "minItems":
        out.add(segs, "BASE_TYPE_MIN_LENGTH", `Must be ${p.limit} or more in length.`);
        break;
      case "type": {
        const t = [p.type].flat().filter((x: string) => x !== "null")[0] ?? "null";
        const code = { string: "BASE_TYPE_STRING", integer: "NUMBER_TYPE_COERCE", number: "NUMBER_TYPE_COERCE", boolean: "BASE_TYPE_BOOLEAN", array: "BASE_TYPE_ARRAY", object: "DICT_TYPE_CONVERT" }[t as string] ?? "BASE_TYPE_BAD_TYPE";
        out.add(segs, code, `Value ${shown} is not ${t}.`);
        break;
      }
      case "enum":
      case "const":
        out.add(segs, "BASE_TYPE_CHOICES", `Value must be one of ${JSON.stringify([...new Set(choices.get(e.instancePath))])}.`);
        break;
      case "minimum":
        out.add(segs, "NUMBER_TYPE_MIN", `Value should be greater than or equal to ${p.limit}.`);
        break;
      case "maximum":
        out.add(segs, "NUMBER_TYPE_MAX", `Value should be less than or equal to ${p.limit}.`);
        break;
      case "pattern":
        out.add(segs, "NUMBER_TYPE_COERCE", `Value ${shown} is not snowflake.`);
        break;
      case "format":
        if (p.format === "uri") out.add(segs, "URL_TYPE_INVALID_URL", `Not a well formed URL (${shown}).`);
        else out.add(segs, `FORMAT_${String(p.format).toUpperCase().replace(/-/g, "_")}`, `Value ${shown} is not a valid ${p.format}.`);
        break;
      default:
        out.add(segs, `SCHEMA_${e.keyword.toUpperCase()}`, `${e.message ?? "invalid"} (schema ${e.schemaPath})`);
    }
  }
  return out;
}
