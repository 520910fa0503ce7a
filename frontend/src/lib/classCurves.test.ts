import { classCurvesOption, MACRO, type Curves } from "./classCurves";

const curve = (k: number, name: string) => ({
  class_index: k,
  class_name: name,
  positives: 2,
  negatives: 4,
  roc_auc: 0.5 + k / 10,
  average_precision: 0.4,
  roc: { x: [0, 0.5, 1], y: [0, 0.8, 1] },
  pr: { x: [0, 0.5, 1], y: [1, 0.9, 0.3] },
});

describe("per-class curves chart", () => {
  const curves: Curves = {
    version_id: 1,
    epoch: 2,
    split: "test",
    count: 6,
    averaging: "one_vs_rest",
    classes: ["a", "<b>b</b>", "c"],
    curves: [curve(0, "a"), curve(1, "<b>b</b>"), curve(2, "c")],
    macro: { roc_auc: 0.6, average_precision: 0.4, classes_averaged: 3, roc: { x: [0, 1], y: [0, 1] } },
  };

  it("draws a ROC and a PR line per class, the macro ROC and the chance diagonal", () => {
    const option = classCurvesOption(curves);
    const series = option.series as { name?: string; xAxisIndex: number; data: number[][] }[];
    expect(series.map((s) => s.name)).toEqual(["a", "a", "<b>b</b>", "<b>b</b>", "c", "c", MACRO, undefined]);
    expect(series.map((s) => s.xAxisIndex)).toEqual([0, 1, 0, 1, 0, 1, 0, 0]);
    expect(series[1]?.data).toEqual([
      [0, 1],
      [0.5, 0.9],
      [1, 0.3],
    ]);
    expect(option.legend).toMatchObject({ data: ["a", "<b>b</b>", "c", MACRO] });
    expect(option.title).toMatchObject([{ text: "ROC · macro AUC 0.600" }, { text: "PR · macro AP 0.400" }]);
    // Class names are uploaded text: the tooltip is drawn on the canvas, not as HTML.
    expect(option.tooltip).toMatchObject({ renderMode: "richText" });
  });

  it("has no macro line without a macro average", () => {
    const option = classCurvesOption({ ...curves, macro: null });
    expect((option.series as { name?: string }[]).map((s) => s.name)).not.toContain(MACRO);
    expect(option.title).toMatchObject([{ text: "ROC · macro AUC –" }, { text: "PR · macro AP –" }]);
  });
});
