import type { ParamSpec } from "../api/analyses";
import { paramSpec } from "../test/specs";
import { describeParam, inputFor, paramFromInput, paramProblem, paramsFromInputs } from "./params";

const spec = (over: Partial<ParamSpec>): ParamSpec => paramSpec("p", { default: 50, ...over });

describe("parameter inputs", () => {
  it("offers numbers with the bounds an input can enforce", () => {
    expect(inputFor(spec({ minimum: 2, maximum: 1000 }))).toEqual({
      type: "number",
      min: 2,
      max: 1000,
      step: 1,
      placeholder: "50",
    });
    // An exclusive bound (above 0) is left to the API: min=0 would allow 0.
    expect(inputFor(spec({ type: "number", default: 0.02, minimum: 0, exclusive_minimum: true, maximum: 1 }))).toEqual({
      type: "number",
      min: undefined,
      max: 1,
      step: "any",
      placeholder: "0.02",
    });
    expect(inputFor(spec({ type: "string", default: null, nullable: true }))).toEqual({
      type: "text",
      placeholder: "",
    });
    expect(inputFor(spec({ type: "integer_list", default: [3, 4, 5] })).placeholder).toBe("3, 4, 5");
    expect(inputFor(spec({ type: "boolean", default: true })).type).toBe("checkbox");
  });

  it("turns what was typed into the request's value, and an empty field into the server's default", () => {
    expect(paramFromInput(spec({}), " 12 ")).toBe(12);
    expect(paramFromInput(spec({}), "  ")).toBeUndefined();
    expect(paramFromInput(spec({ type: "number" }), "0.5")).toBe(0.5);
    expect(paramFromInput(spec({ type: "string" }), " awful ")).toBe("awful");
    expect(paramFromInput(spec({ type: "integer_list" }), "3, 4,,5")).toEqual([3, 4, 5]);
    expect(paramFromInput(spec({ type: "boolean" }), "false")).toBe(false);
  });

  it("sends only the fields with something typed in them", () => {
    const specs = [spec({ name: "window" }), spec({ name: "replace_with", type: "string" })];
    expect(paramsFromInputs(specs, { window: "3", replace_with: " ", stray: "1" })).toEqual({ window: 3 });
    expect(paramsFromInputs(specs, {})).toEqual({});
  });
});

describe("parameter checks, in the spec's own words", () => {
  const dropout = spec({
    title: "dropout",
    type: "number",
    default: 0.5,
    minimum: 0,
    maximum: 1,
    exclusive_maximum: true,
  });
  it("says the range, the choices and the default", () => {
    expect(describeParam(dropout)).toBe("number at least 0 and below 1 · default 0.5");
    expect(describeParam(spec({ minimum: 1, maximum: 8 }))).toBe("whole number from 1 to 8 · default 50");
    expect(describeParam(spec({ type: "string", default: "adam", choices: ["adam", "sgd"] }))).toBe(
      "one of adam, sgd · default adam",
    );
    expect(describeParam(spec({ type: "string", default: null, nullable: true }))).toBe("default none");
  });
  it("refuses what the API would refuse", () => {
    expect(paramProblem(dropout, 1)).toBe("Dropout must be at least 0 and below 1");
    expect(paramProblem(dropout, 0)).toBeNull();
    expect(paramProblem(dropout, Number.NaN)).toBe("Dropout must be a number");
    expect(paramProblem(spec({ title: "layers", minimum: 1, maximum: 8 }), 2.5)).toBe("Layers must be a whole number");
    expect(
      paramProblem(spec({ title: "kernels", type: "integer_list", min_length: 1, max_length: 2 }), [1, 2, 3]),
    ).toBe("Kernels takes at most 2 numbers");
    expect(paramProblem(spec({ title: "opt", type: "string", choices: ["adam"] }), "sgd")).toBe(
      "Opt must be one of adam",
    );
    expect(paramProblem(spec({}), undefined)).toBeNull();
  });
});
