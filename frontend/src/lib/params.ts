/**
 * Form fields for the parameters the API describes (ParamSpec, from GET /api/analysis-methods): which input
 * shows each one, and what a typed value becomes in the request. Range checks stay with the API (422).
 */
import type { ParamSpec } from "../api/analyses";

export interface InputAttributes {
  type: "number" | "text" | "checkbox";
  min?: number;
  max?: number;
  step?: number | "any";
  placeholder: string;
}

/** The input for a parameter: its kind, the bounds a number input can enforce, and the default shown. */
export function inputFor(spec: ParamSpec): InputAttributes {
  const placeholder =
    spec.default === null ? "" : Array.isArray(spec.default) ? spec.default.join(", ") : String(spec.default);
  if (spec.type === "boolean") return { type: "checkbox", placeholder };
  if (spec.type === "integer" || spec.type === "number") {
    // An exclusive bound is no HTML min/max (those include the bound): the API rejects it instead.
    return {
      type: "number",
      min: spec.minimum !== null && !spec.exclusive_minimum ? spec.minimum : undefined,
      max: spec.maximum !== null && !spec.exclusive_maximum ? spec.maximum : undefined,
      step: spec.type === "integer" ? 1 : "any",
      placeholder,
    };
  }
  return { type: "text", placeholder };
}

/** What was typed into each parameter's field, by name ("true"/"false" for a checkbox). */
export type ParamInputs = Record<string, string>;

/**
 * The request's value for what was typed: undefined for an empty field (the server's default applies), a
 * number for numeric parameters, a list of whole numbers for a list ("3, 4, 5"), the text otherwise.
 */
export function paramFromInput(spec: ParamSpec, raw: string): unknown {
  const text = raw.trim();
  if (text === "") return undefined;
  switch (spec.type) {
    case "integer":
    case "number":
      return Number(text);
    case "integer_list":
      return text
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part !== "")
        .map(Number);
    case "boolean":
      return text === "true";
    case "string":
      return text;
  }
}

/** The request's `params` from the typed fields: only the fields with something in them. */
export function paramsFromInputs(specs: readonly ParamSpec[], inputs: ParamInputs): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const spec of specs) {
    const value = paramFromInput(spec, inputs[spec.name] ?? "");
    if (value !== undefined) params[spec.name] = value;
  }
  return params;
}

function formatBound(spec: ParamSpec): string {
  const lo = spec.minimum;
  const hi = spec.maximum;
  const above = spec.exclusive_minimum ? "above" : "at least";
  const below = spec.exclusive_maximum ? "below" : "at most";
  if (lo !== null && hi !== null) {
    if (!spec.exclusive_minimum && !spec.exclusive_maximum) return `from ${lo} to ${hi}`;
    return `${above} ${lo} and ${below} ${hi}`;
  }
  if (lo !== null) return `${above} ${lo}`;
  if (hi !== null) return `${below} ${hi}`;
  return "";
}

/** A short line under a field: its range or choices and its default, from the spec alone. */
export function describeParam(spec: ParamSpec): string {
  const parts: string[] = [];
  if (spec.choices) parts.push(`one of ${spec.choices.join(", ")}`);
  else if (spec.type === "integer_list") {
    const n = spec.min_length !== null && spec.max_length !== null ? `${spec.min_length}–${spec.max_length}` : "some";
    parts.push(`${n} whole numbers, comma-separated`);
  } else if (spec.type === "integer" || spec.type === "number") {
    const range = formatBound(spec);
    parts.push(
      spec.type === "integer" ? `whole number${range ? " " + range : ""}` : `number${range ? " " + range : ""}`,
    );
  }
  const def =
    spec.default === null
      ? spec.nullable
        ? "none"
        : null
      : Array.isArray(spec.default)
        ? spec.default.join(", ")
        : String(spec.default);
  if (def !== null) parts.push(`default ${def}`);
  return parts.join(" · ");
}

function numberProblem(spec: ParamSpec, n: number, what: string): string | null {
  if (!Number.isFinite(n)) return `${what} must be a number`;
  if (spec.type === "integer" && !Number.isInteger(n)) return `${what} must be a whole number`;
  const lo = spec.minimum;
  const hi = spec.maximum;
  const low = lo !== null && (spec.exclusive_minimum ? n <= lo : n < lo);
  const high = hi !== null && (spec.exclusive_maximum ? n >= hi : n > hi);
  if (low || high) return `${what} must be ${formatBound(spec)}`;
  return null;
}

/**
 * What is wrong with a value for a parameter, said with the spec's own title and bounds, or null when the API
 * will accept it. `value` is what paramFromInput made of the field (undefined: empty, the default applies).
 * Rules between two parameters are the API's (its 422 is shown).
 */
export function paramProblem(spec: ParamSpec, value: unknown): string | null {
  const what = spec.title.charAt(0).toUpperCase() + spec.title.slice(1);
  if (value === undefined) return null;
  if (value === null) return spec.nullable ? null : `${what} needs a value`;
  switch (spec.type) {
    case "integer":
    case "number":
      return typeof value === "number" ? numberProblem(spec, value, what) : `${what} must be a number`;
    case "boolean":
      return typeof value === "boolean" ? null : `${what} must be on or off`;
    case "integer_list": {
      if (!Array.isArray(value)) return `${what} must be a list of whole numbers`;
      if (value.some((v) => typeof v !== "number" || !Number.isInteger(v)))
        return `${what} must be whole numbers separated by commas`;
      if (spec.min_length !== null && value.length < spec.min_length)
        return `${what} needs at least ${spec.min_length} number${spec.min_length === 1 ? "" : "s"}`;
      if (spec.max_length !== null && value.length > spec.max_length)
        return `${what} takes at most ${spec.max_length} numbers`;
      return null;
    }
    case "string": {
      if (typeof value !== "string") return `${what} must be text`;
      if (spec.choices && !spec.choices.includes(value)) return `${what} must be one of ${spec.choices.join(", ")}`;
      if (spec.min_length !== null && value.length < spec.min_length)
        return `${what} needs at least ${spec.min_length} characters`;
      if (spec.max_length !== null && value.length > spec.max_length)
        return `${what} takes at most ${spec.max_length} characters`;
      if (spec.pattern !== null && !new RegExp(spec.pattern).test(value)) return `${what} is not in the expected form`;
      return null;
    }
  }
}

/** The first problem among the typed fields (in the spec's order), or null. */
export function inputsProblem(specs: readonly ParamSpec[], inputs: ParamInputs): string | null {
  for (const spec of specs) {
    const problem = paramProblem(spec, paramFromInput(spec, inputs[spec.name] ?? ""));
    if (problem) return problem;
  }
  return null;
}
