import type { ParamSpec } from "../api/analyses";

/** A parameter as GET /api/analysis-methods describes it: an unbounded integer defaulting to 1, unless `over` says. */
export function paramSpec(name: string, over: Partial<ParamSpec> = {}): ParamSpec {
  return {
    name,
    title: name,
    help: "",
    type: "integer",
    nullable: false,
    default: 1,
    minimum: null,
    maximum: null,
    exclusive_minimum: false,
    exclusive_maximum: false,
    choices: null,
    min_length: null,
    max_length: null,
    pattern: null,
    advanced: false,
    ...over,
  };
}
