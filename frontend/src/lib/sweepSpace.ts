/**
 * A sweep's search space as a form built from the architecture's specs: per hyperparameter (and `epochs`),
 * keep it fixed (the value shared by every trial), try a list of values, or draw from a range (numbers
 * only, log-scaled where the range may be, random search only). What the form makes is the API's space JSON
 * ({name: [values]} or {name: {min, max, log}}), checked by spaceProblem with the specs' own words.
 */
import type { ParamSpec } from "../api/analyses";
import { EPOCHS_SPEC } from "./sweeps";

export type DimMode = "fixed" | "values" | "range";

/** What was typed for one hyperparameter of the space. */
export interface DimInput {
  mode: DimMode;
  /** Comma-separated values (a list parameter: its lists separated by ";", e.g. "3, 4, 5; 2, 3"). */
  values: string;
  min: string;
  max: string;
  log: boolean;
}

export type SpaceInputs = Record<string, DimInput>;

/** The rows of the form: every hyperparameter of the architecture, then epochs (which may be swept too). */
export function spaceSpecs(specs: readonly ParamSpec[]): ParamSpec[] {
  return [...specs, EPOCHS_SPEC];
}

/** Only numbers can be drawn from a range. */
export function rangeAllowed(spec: ParamSpec): boolean {
  return spec.type === "integer" || spec.type === "number";
}

/** A log-scaled range needs positive bounds: offered only where the spec's range may stay above 0. */
export function logAllowed(spec: ParamSpec): boolean {
  return rangeAllowed(spec) && (spec.maximum === null || spec.maximum > 0);
}

const FIXED: DimInput = { mode: "fixed", values: "", min: "", max: "", log: false };

/**
 * The form's start: the learning rate from 1e-4 to 1e-2 on a log scale and dropout at 0.2 or 0.5 where the
 * architecture has them, every other hyperparameter fixed.
 */
export function defaultSpaceInputs(specs: readonly ParamSpec[]): SpaceInputs {
  const out: SpaceInputs = {};
  for (const s of spaceSpecs(specs)) out[s.name] = { ...FIXED };
  if (out.learning_rate) out.learning_rate = { mode: "range", values: "", min: "0.0001", max: "0.01", log: true };
  if (out.dropout) out.dropout = { ...FIXED, mode: "values", values: "0.2, 0.5" };
  return out;
}

/** One typed value as the API takes it (NaN for a number that is not one: spaceProblem names it). */
function valueOf(spec: ParamSpec, text: string): unknown {
  switch (spec.type) {
    case "integer":
    case "number":
      return Number(text);
    case "boolean":
      return text === "true" ? true : text === "false" ? false : text;
    case "integer_list":
      return text
        .split(",")
        .map((p) => p.trim())
        .filter((p) => p !== "")
        .map(Number);
    case "string":
      return text;
  }
}

/** The listed values: split on commas, or on ";" for a parameter whose value is itself a list. */
export function parseValues(spec: ParamSpec, text: string): unknown[] {
  const sep = spec.type === "integer_list" ? ";" : ",";
  return text
    .split(sep)
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => valueOf(spec, p));
}

function bound(text: string): number | string {
  return text.trim() === "" ? "" : Number(text);
}

/** The API's search space from the form: the swept hyperparameters only (fixed ones are the shared values). */
export function spaceFromInputs(specs: readonly ParamSpec[], inputs: SpaceInputs): Record<string, unknown> {
  const space: Record<string, unknown> = {};
  for (const spec of spaceSpecs(specs)) {
    const dim = inputs[spec.name];
    if (!dim || dim.mode === "fixed") continue;
    if (dim.mode === "values") space[spec.name] = parseValues(spec, dim.values);
    else space[spec.name] = { min: bound(dim.min), max: bound(dim.max), ...(dim.log ? { log: true } : {}) };
  }
  return space;
}

/** A problem the specs cannot see: a range needs random search (grid search tries listed values only). */
export function strategyProblem(specs: readonly ParamSpec[], inputs: SpaceInputs, strategy: string): string | null {
  if (strategy !== "grid") return null;
  const ranged = spaceSpecs(specs).find((s) => inputs[s.name]?.mode === "range");
  if (!ranged) return null;
  const what = ranged.title.charAt(0).toUpperCase() + ranged.title.slice(1);
  return `${what}: a range needs random search; list its values for a grid`;
}

/** How a row's values are typed, said from the spec (shown under the values field). */
export function valuesHint(spec: ParamSpec): string {
  if (spec.choices) return `some of ${spec.choices.join(", ")}, comma-separated`;
  if (spec.type === "boolean") return "true, false";
  if (spec.type === "integer_list") return "lists separated by “;”, e.g. 3, 4, 5; 2, 3";
  if (spec.type === "integer") return "whole numbers, comma-separated";
  if (spec.type === "number") return "numbers, comma-separated";
  return "comma-separated";
}
