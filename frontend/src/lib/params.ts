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
