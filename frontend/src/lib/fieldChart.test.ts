import { toColumns } from "../api/allResults";
import type { SampleRow } from "../api/client";
import {
  categoryColumn,
  chartOption,
  defaultAxes,
  fieldColumn,
  MAX_GROUPS,
  MAX_POINTS,
  OTHER,
  planChart,
  type FieldInfo,
} from "./fieldChart";

function row(id: number, over: Partial<SampleRow> & { loss?: number; prediction?: number } = {}): SampleRow {
  const { loss = 0.5, prediction = 0, ...rest } = over;
  return {
    id,
    index: id,
    key: `k${id}`,
    split: "train",
    label: 0,
    score: null,
    movie_id: null,
    word_count: 10,
    token_count: 12,
    oov_count: 0,
    truncated: false,
    preview: "",
    meta: {},
    result: { epoch: 1, loss, p_positive: 0.2, p_label: 0.8, prediction, correct: prediction === (rest.label ?? 0) },
    ...rest,
  };
}

const field = (name: string, kind: "number" | "category", extra: Partial<FieldInfo> = {}): FieldInfo => ({
  name,
  title: name,
  kind,
  source: name.startsWith("meta:") ? "meta" : "result",
  ...extra,
});

describe("field columns from the epoch's results", () => {
  const rows = [
    row(1, { score: 2, loss: 1.0, label: 0, prediction: 1, meta: { length: 12, source: "wire" } }),
    row(2, { score: 9, loss: 0.1, label: 2, prediction: 2, split: "test", meta: { length: 30, source: "blog" } }),
    row(3, { score: null, loss: 0.4, label: 1, prediction: 1, meta: { source: null } }),
  ];
  const c = toColumns(rows);

  it("reads built-in numbers, a missing score as no value", () => {
    expect(fieldColumn(c, field("loss", "number"))).toEqual({
      kind: "number",
      values: Float64Array.from([1.0, 0.1, 0.4].map(Math.fround)),
    });
    const score = fieldColumn(c, field("score", "number"));
    expect(score?.kind === "number" && [...score.values]).toEqual([2, 9, Number.NaN]);
    const tokens = fieldColumn(c, field("token_count", "number"));
    expect(tokens?.kind === "number" && [...tokens.values]).toEqual([12, 12, 12]);
  });

  it("reads categories: classes by index, correctness, split", () => {
    expect(fieldColumn(c, field("label", "category", { categories: ["a", "b", "c"] }))).toEqual({
      kind: "category",
      codes: Int32Array.from([0, 2, 1]),
      labels: ["a", "b", "c"],
    });
    expect(fieldColumn(c, field("correct", "category"))).toEqual({
      kind: "category",
      codes: Int32Array.from([1, 0, 0]),
      labels: ["correct", "incorrect"],
    });
    expect(fieldColumn(c, field("split", "category"))).toEqual({
      kind: "category",
      codes: Int32Array.from([0, 2, 0]),
      labels: ["train", "val", "test"],
    });
    expect(fieldColumn(c, field("nonsense", "number"))).toBeNull();
  });

  it("reads metadata columns: numbers with NaN where absent, text as categories with -1 where absent", () => {
    const length = fieldColumn(c, field("meta:length", "number"));
    expect(length?.kind === "number" && [...length.values]).toEqual([12, 30, Number.NaN]);
    expect(fieldColumn(c, field("meta:source", "category"))).toEqual({
      kind: "category",
      codes: Int32Array.from([1, 0, -1]),
      labels: ["blog", "wire"],
    });
    const absent = fieldColumn(c, field("meta:nothing", "number"));
    expect(absent?.kind === "number" && [...absent.values]).toEqual([Number.NaN, Number.NaN, Number.NaN]);
  });

  it("keeps the commonest MAX_GROUPS text values and groups the rest", () => {
    const values = [...Array.from({ length: 40 }, (_, i) => `v${String(i).padStart(2, "0")}`), "top", "top", null];
    const col = categoryColumn(values);
    expect(col.kind === "category" && col.labels.length).toBe(MAX_GROUPS + 1);
    expect(col.kind === "category" && col.labels[0]).toBe("top");
    expect(col.kind === "category" && col.labels[MAX_GROUPS]).toBe(OTHER);
    expect(col.kind === "category" && [...col.codes.slice(-3)]).toEqual([0, 0, -1]);
    expect(col.kind === "category" && col.codes[39]).toBe(MAX_GROUPS);
  });
});

describe("what the field chart draws", () => {
  it("means of y per category, skipping rows without a value and empty groups", () => {
    const plan = planChart(
      { kind: "category", codes: Int32Array.from([0, 0, 1, -1, 0]), labels: ["a", "b", "c"] },
      Float64Array.from([1, 3, 10, 99, Number.NaN]),
    );
    expect(plan).toEqual({
      mode: "means",
      count: 3,
      groups: [
        { label: "a", mean: 2, count: 2 },
        { label: "b", mean: 10, count: 1 },
      ],
    });
  });

  it("a number with few whole values (the 1-10 score) is grouped; other numbers are points", () => {
    const grouped = planChart(
      { kind: "number", values: Float64Array.from([3, 1, 3, Number.NaN]) },
      Float64Array.from([1, 2, 3, 4]),
    );
    expect(grouped).toEqual({
      mode: "means",
      count: 3,
      groups: [
        { label: "1", mean: 2, count: 1 },
        { label: "3", mean: 2, count: 2 },
      ],
    });
    const points = planChart(
      { kind: "number", values: Float64Array.from([0.5, 1.5, Number.NaN]) },
      Float64Array.from([1, 2, 3]),
    );
    expect(points).toEqual({
      mode: "points",
      count: 2,
      points: [
        [0.5, 1],
        [1.5, 2],
      ],
    });
    const many = planChart(
      { kind: "number", values: Float64Array.from({ length: 12_000 }, (_, i) => i / 7) },
      new Float64Array(12_000).fill(1),
    );
    expect(many.mode === "points" && many.count).toBe(12_000);
    expect(many.mode === "points" && many.points.length).toBeLessThanOrEqual(MAX_POINTS);
  });

  it("defaults to score vs loss, else a metadata number vs loss", () => {
    const builtin = [field("loss", "number"), field("score", "number"), field("token_count", "number")];
    expect(defaultAxes(builtin)).toEqual({ x: "score", y: "loss" });
    expect(
      defaultAxes([field("loss", "number"), field("token_count", "number"), field("meta:length", "number")]),
    ).toEqual({ x: "meta:length", y: "loss" });
    expect(defaultAxes([field("loss", "number"), field("token_count", "number")])).toEqual({
      x: "token_count",
      y: "loss",
    });
  });

  it("draws bars or a scatter, with the tooltip on the canvas (uploaded names are never HTML)", () => {
    const bars = chartOption(
      { mode: "means", count: 2, groups: [{ label: "<b>x</b>", mean: 1, count: 2 }] },
      "source",
      "loss",
    );
    expect(bars.tooltip).toMatchObject({ renderMode: "richText" });
    expect(bars.xAxis).toMatchObject({ type: "category", data: ["<b>x</b>"], name: "source" });
    const scatter = chartOption({ mode: "points", count: 1, points: [[1, 2]] }, "length", "loss");
    expect(scatter.tooltip).toMatchObject({ renderMode: "richText" });
    expect(scatter.series).toMatchObject([{ type: "scatter", data: [[1, 2]] }]);
  });
});
