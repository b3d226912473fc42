// Modals: what Discord accepts as a MODAL callback (type 9), and the MODAL_SUBMIT data its client
// sends back (https://discord.com/developers/docs/components/reference,
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal).
// The OpenAPI schema (ModalInteractionCallbackRequest) already bounds the plain lengths (title ≤ 45,
// custom_id 1–100, Label label ≤ 45 / description ≤ 100, text input lengths 0..4000, value ≤ 4000,
// select options 1–25 with labels/values ≤ 100, min/max_values 0..25); these are the rest.
import type { FormErrors } from "./http-util.js";

type Json = Record<string, any>;
type Path = Array<string | number>;

/** "Between 1 and 5 (inclusive) components that make up the modal" (the schema allows 40). */
export const MAX_MODAL_COMPONENTS = 5;
export const MAX_TEXT_INPUT = 4000;

/** Interactive components a Label may hold, and what their submit carries. */
const VALUE_TYPES = new Set([4, 21, 23]); // text input, radio group, checkbox: `value`
const VALUES_TYPES = new Set([3, 5, 6, 7, 8, 19, 22]); // selects, file upload, checkbox group: `values`

/** Visits a modal's components in order (a Label, then its component; an Action Row, then its children). */
function eachModalComponent(list: unknown, at: Path, visit: (c: Json, here: Path) => void): void {
  if (!Array.isArray(list)) return;
  list.forEach((c: Json, i) => {
    if (!c || typeof c !== "object") return;
    const here = [...at, i];
    visit(c, here);
    if (c.component && typeof c.component === "object") eachModalComponent([c.component], [...here, "component"], visit);
    eachModalComponent(c.components, [...here, "components"], visit);
  });
}

/** `min_values` "must be either omitted or at least 1 if `required` is omitted or true". */
function checkRequiredMin(c: Json, here: Path, errs: FormErrors): void {
  if (c.required !== false && c.min_values === 0) {
    errs.add([...here, "min_values"], "COMPONENT_MIN_VALUES_REQUIRED", "min_values must be at least 1 when the component is required");
  }
  if (typeof c.min_values === "number" && typeof c.max_values === "number" && c.min_values > c.max_values) {
    errs.add([...here, "min_values"], "SELECT_COMPONENT_MIN_VALUES_EXCEEDS_MAX", "min_values must be less than or equal to max_values");
  }
}

function checkTextInput(c: Json, here: Path, errs: FormErrors, inActionRow: boolean): void {
  const min = typeof c.min_length === "number" ? c.min_length : 0;
  const max = typeof c.max_length === "number" ? c.max_length : MAX_TEXT_INPUT;
  if (min > max) errs.add([...here, "min_length"], "TEXT_INPUT_MIN_LENGTH_EXCEEDS_MAX", "min_length must be less than or equal to max_length");
  if (typeof c.value === "string" && c.value.length > max) {
    errs.add([...here, "value"], "BASE_TYPE_MAX_LENGTH", `Must be ${max} or fewer in length (the text input's max_length).`);
  }
  // The legacy Action Row form has no Label, so the text input's own label is what the member reads.
  if (inActionRow && (typeof c.label !== "string" || c.label.length === 0)) {
    errs.add([...here, "label"], "BASE_TYPE_REQUIRED", "This field is required (a text input in an Action Row needs a label)");
  }
}

function checkStringSelect(c: Json, here: Path, errs: FormErrors): void {
  const options: Json[] = Array.isArray(c.options) ? c.options : [];
  const seen = new Set<string>();
  options.forEach((o, n) => {
    if (typeof o?.value !== "string") return;
    if (seen.has(o.value)) errs.add([...here, "options", n, "value"], "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED", "The specified option value is already used");
    seen.add(o.value);
  });
  const min = typeof c.min_values === "number" ? c.min_values : 1;
  const max = typeof c.max_values === "number" ? c.max_values : 1;
  if (min > options.length) {
    errs.add([...here, "min_values"], "SELECT_COMPONENT_MIN_VALUES_EXCEEDS_OPTIONS", `min_values (${min}) exceeds the number of options (${options.length})`);
  }
  const defaults = options.filter((o) => o?.default === true).length;
  if (defaults > max) {
    errs.add([...here, "options"], "SELECT_COMPONENT_TOO_MANY_DEFAULT_VALUES", `${defaults} options are marked default but max_values is ${max}`);
  }
}

/**
 * The modal checks the schema does not express: 1–5 top-level components; custom_ids and ids
 * unique; no `disabled` ("Modals can not currently have disabled components"); one text input per
 * legacy Action Row, which must carry its own label; text input min_length ≤ max_length and a
 * pre-filled value within max_length; select min/max_values consistent with `required` and with
 * the options, option values unique, no more defaults than max_values.
 */
export function checkModal(data: unknown, errs: FormErrors, base: Path = ["data"]): void {
  if (!data || typeof data !== "object") return;
  const comps = (data as Json).components;
  if (!Array.isArray(comps)) return;
  if (comps.length > MAX_MODAL_COMPONENTS) {
    errs.add([...base, "components"], "BASE_TYPE_MAX_LENGTH", `Must be ${MAX_MODAL_COMPONENTS} or fewer in length.`);
  }
  const customIds = new Set<string>();
  const ids = new Set<number>();
  eachModalComponent(comps, [...base, "components"], (c, here) => {
    if (typeof c.custom_id === "string") {
      if (customIds.has(c.custom_id)) errs.add([...here, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated");
      customIds.add(c.custom_id);
    }
    if (typeof c.id === "number" && c.id !== 0) {
      if (ids.has(c.id)) errs.add([...here, "id"], "COMPONENT_ID_DUPLICATED", "Component id cannot be duplicated");
      ids.add(c.id);
    }
    if (c.disabled === true) errs.add([...here, "disabled"], "COMPONENT_DISABLED_NOT_ALLOWED", "Modals cannot have disabled components");
    if (c.type === 1) {
      const inner = Array.isArray(c.components) ? c.components : [];
      if (inner.length > 1) errs.add([...here, "components"], "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width");
      inner.forEach((t: Json, n: number) => t?.type === 4 && checkTextInput(t, [...here, "components", n], errs, true));
    }
    if (c.type === 18 && c.component?.type === 4) checkTextInput(c.component, [...here, "component"], errs, false);
    if (c.type === 3) checkStringSelect(c, here, errs);
    if ([3, 5, 6, 7, 8, 19, 22].includes(c.type)) checkRequiredMin(c, here, errs);
  });
}

/**
 * The modal as Discord keeps it: every component gets an `id`, "generated sequentially if left
 * empty", skipping ids the modal already uses (0 counts as empty).
 */
export function withComponentIds(data: Json): Json {
  const modal = structuredClone(data);
  const used = new Set<number>();
  eachModalComponent(modal.components, [], (c) => {
    if (typeof c.id === "number" && c.id !== 0) used.add(c.id);
  });
  let next = 1;
  eachModalComponent(modal.components, [], (c) => {
    if (typeof c.id === "number" && c.id !== 0) return;
    while (used.has(next)) next++;
    c.id = next;
    used.add(next);
  });
  return modal;
}

/** Every interactive component of a modal, by custom_id. */
function fields(modal: Json): Map<string, Json> {
  const out = new Map<string, Json>();
  eachModalComponent(modal.components, [], (c) => {
    if (typeof c.custom_id === "string" && (VALUE_TYPES.has(c.type) || VALUES_TYPES.has(c.type))) out.set(c.custom_id, c);
  });
  return out;
}

/** Discord's client refuses to send this; so does the fake (a test asking for it has a bug). */
function impossible(field: string, why: string): never {
  throw new Error(`fake Discord: submitModal: field "${field}" ${why} (Discord's client would not let a member submit this)`);
}

/** What a text input submits: the given text, else its pre-filled value; checked like the client does. */
function textValue(c: Json, given: string | string[] | undefined): string {
  if (Array.isArray(given)) impossible(c.custom_id, "is a text input: give it a string, not a list");
  const value = given ?? (typeof c.value === "string" ? c.value : "");
  const required = c.required !== false;
  const min = typeof c.min_length === "number" ? c.min_length : 0;
  const max = typeof c.max_length === "number" ? c.max_length : MAX_TEXT_INPUT;
  if (value.length === 0) {
    if (required) impossible(c.custom_id, "is required but empty");
    return value;
  }
  if (value.length < min) impossible(c.custom_id, `is shorter than min_length ${min}`);
  if (value.length > max) impossible(c.custom_id, `is longer than max_length ${max}`);
  if (c.style === 1 && value.includes("\n")) impossible(c.custom_id, "is a single-line (short) text input but the value has a line break");
  return value;
}

/** What a string select submits: the given values, else its default options; checked like the client does. */
function selectValues(c: Json, given: string | string[] | undefined): string[] {
  if (typeof given === "string") impossible(c.custom_id, "is a select: give it a list of option values");
  const options: Json[] = Array.isArray(c.options) ? c.options : [];
  const values = given ?? options.filter((o) => o.default === true).map((o) => String(o.value));
  for (const v of values) {
    if (!options.some((o) => o.value === v)) impossible(c.custom_id, `has no option "${v}" (options: ${options.map((o) => o.value).join(", ")})`);
  }
  if (new Set(values).size !== values.length) impossible(c.custom_id, "lists an option twice");
  const min = typeof c.min_values === "number" ? c.min_values : 1;
  const max = typeof c.max_values === "number" ? c.max_values : 1;
  if (values.length === 0) {
    if (c.required !== false) impossible(c.custom_id, "is required but nothing is selected");
    return values;
  }
  if (values.length < min) impossible(c.custom_id, `needs at least ${min} selected (min_values)`);
  if (values.length > max) impossible(c.custom_id, `allows at most ${max} selected (max_values)`);
  return values;
}

/** The submit form of one interactive component (components/reference, "... Interaction Response Structure"). */
function submitted(c: Json, given: string | string[] | undefined): Json {
  const head = { type: c.type, id: c.id, custom_id: c.custom_id };
  if (c.type === 4) return { ...head, value: textValue(c, given) };
  if (c.type === 3) return { ...head, values: selectValues(c, given) };
  if (given !== undefined) impossible(c.custom_id, `is a component of type ${c.type}; the fake submits values for text inputs and string selects only`);
  // The rest submit what they show untouched: no users/roles/channels/files picked, the default option, the default state.
  if (c.type === 21) {
    const picked = (Array.isArray(c.options) ? (c.options as Json[]) : []).find((o) => o.default === true);
    if (!picked && c.required !== false) impossible(c.custom_id, "is a required radio group with no default option");
    return { ...head, value: picked ? String(picked.value) : null };
  }
  if (c.type === 23) return { ...head, value: c.default === true };
  const values = c.type === 22 ? (Array.isArray(c.options) ? (c.options as Json[]) : []).filter((o) => o.default === true).map((o) => String(o.value)) : [];
  if (values.length === 0 && c.required !== false) impossible(c.custom_id, "is required but nothing is selected or uploaded");
  return { ...head, values };
}

/**
 * The `data.components` of the MODAL_SUBMIT for a stored modal (ids filled in) and the member's
 * values: a Label as `{ type: 18, id, component }`, a legacy Action Row as `{ type: 1, id, components }`,
 * a Text Display as `{ type: 10, id }`.
 */
export function submission(modal: Json, values: Record<string, string | string[]>): Json[] {
  const known = fields(modal);
  for (const key of Object.keys(values)) {
    if (!known.has(key)) throw new Error(`fake Discord: submitModal: the modal has no field "${key}" (has: ${[...known.keys()].join(", ") || "none"})`);
  }
  const out: Json[] = [];
  for (const c of (modal.components ?? []) as Json[]) {
    if (c.type === 18) out.push({ type: 18, id: c.id, component: submitted(c.component, values[c.component.custom_id]) });
    else if (c.type === 1) out.push({ type: 1, id: c.id, components: ((c.components ?? []) as Json[]).map((t) => submitted(t, values[t.custom_id])) });
    else if (c.type === 10) out.push({ type: 10, id: c.id });
  }
  return out;
}
