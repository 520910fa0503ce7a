/**
 * One per-sample field against another (the dashboard's field scatter): the columns of the fields that
 * GET /versions/{id}/fields lists, read from the epoch's results, and what to draw of them.
 *
 * A category or a number with few distinct values (a 1–10 score) on x gives the mean of y per x value;
 * any other number gives the samples themselves, thinned to at most MAX_POINTS.
 */
import type { EChartsOption } from "echarts";
import type { ResultColumns } from "../api/allResults";
import type { Schemas } from "../api/client";

export type FieldInfo = Schemas["FieldOut"];

export const META_FIELD_PREFIX = "meta:";
/** Categories shown one by one; rarer values are grouped as OTHER. */
export const MAX_GROUPS = 24;
/** A numeric x with at most this many distinct whole values is grouped like a category. */
export const MAX_DISCRETE = 20;
export const MAX_POINTS = 5000;
export const OTHER = "other values";

export type FieldColumn =
  { kind: "number"; values: Float64Array } | { kind: "category"; codes: Int32Array; labels: string[] };

function numbers(n: number, at: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = at(i);
  return out;
}

function classLabels(known: readonly string[] | null | undefined, codes: ArrayLike<number>): string[] {
  const labels = [...(known ?? [])];
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] as number;
    while (labels.length <= c) labels.push(String(labels.length));
  }
  return labels;
}

/** Text values as categories: the MAX_GROUPS most frequent (ties alphabetical), the rest as OTHER, missing -1. */
export function categoryColumn(values: readonly (string | number | null)[]): FieldColumn {
  const counts = new Map<string, number>();
  for (const v of values) if (v !== null) counts.set(String(v), (counts.get(String(v)) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const labels = ranked.slice(0, MAX_GROUPS).map(([w]) => w);
  const code = new Map(labels.map((w, k) => [w, k]));
  const rare = ranked.length > MAX_GROUPS;
  if (rare) labels.push(OTHER);
  const codes = new Int32Array(values.length);
  values.forEach((v, i) => {
    codes[i] = v === null ? -1 : (code.get(String(v)) ?? (rare ? MAX_GROUPS : -1));
  });
  return { kind: "category", codes, labels };
}

/** The field's value for every row, or null for a field these results cannot give. */
export function fieldColumn(c: ResultColumns, field: FieldInfo): FieldColumn | null {
  const n = c.n;
  if (field.name.startsWith(META_FIELD_PREFIX)) {
    const raw = c.meta[field.name.slice(META_FIELD_PREFIX.length)] ?? new Array<null>(n).fill(null);
    if (field.kind === "category") return categoryColumn(raw);
    return {
      kind: "number",
      values: numbers(n, (i) => (typeof raw[i] === "number" ? raw[i] : Number.NaN)),
    };
  }
  switch (field.name) {
    case "loss":
      return { kind: "number", values: numbers(n, (i) => c.loss[i] as number) };
    case "p_positive":
      return { kind: "number", values: numbers(n, (i) => c.pPositive[i] as number) };
    case "p_label":
      return { kind: "number", values: numbers(n, (i) => c.pLabel[i] as number) };
    case "score":
      // 0 stands for "no score".
      return {
        kind: "number",
        values: numbers(n, (i) => ((c.score[i] as number) > 0 ? (c.score[i] as number) : Number.NaN)),
      };
    case "token_count":
      return { kind: "number", values: numbers(n, (i) => c.tokenCount[i] as number) };
    case "word_count":
      return { kind: "number", values: numbers(n, (i) => c.wordCount[i] as number) };
    case "label":
      return { kind: "category", codes: Int32Array.from(c.label), labels: classLabels(field.categories, c.label) };
    case "prediction":
      return {
        kind: "category",
        codes: Int32Array.from(c.prediction),
        labels: classLabels(field.categories, c.prediction),
      };
    case "correct":
      return {
        kind: "category",
        codes: Int32Array.from(c.label, (l, i) => (l === c.prediction[i] ? 0 : 1)),
        labels: ["correct", "incorrect"],
      };
    case "split": {
      const splits = ["train", "val", "test"];
      return { kind: "category", codes: Int32Array.from(c.split, (s) => splits.indexOf(s)), labels: splits };
    }
    default:
      return null;
  }
}

export interface Group {
  label: string;
  mean: number;
  count: number;
}

export type ChartPlan =
  { mode: "means"; groups: Group[]; count: number } | { mode: "points"; points: [number, number][]; count: number };

/** What to draw of y against x, over the rows where both have a value. */
export function planChart(x: FieldColumn, y: Float64Array): ChartPlan {
  if (x.kind === "category") {
    const sum = new Float64Array(x.labels.length),
      cnt = new Int32Array(x.labels.length);
    for (let i = 0; i < y.length; i++) {
      const k = x.codes[i] as number,
        v = y[i] as number;
      if (k >= 0 && Number.isFinite(v)) {
        sum[k] = (sum[k] as number) + v;
        cnt[k] = (cnt[k] as number) + 1;
      }
    }
    const groups = x.labels
      .map((label, k) => ({ label, mean: (sum[k] as number) / Math.max(1, cnt[k] as number), count: cnt[k] as number }))
      .filter((g) => g.count > 0);
    return { mode: "means", groups, count: groups.reduce((t, g) => t + g.count, 0) };
  }
  const rows: number[] = [];
  const distinct = new Set<number>();
  let whole = true;
  for (let i = 0; i < y.length; i++) {
    const xv = x.values[i] as number;
    if (!Number.isFinite(xv) || !Number.isFinite(y[i])) continue;
    rows.push(i);
    if (distinct.size <= MAX_DISCRETE) distinct.add(xv);
    if (!Number.isInteger(xv)) whole = false;
  }
  if (whole && distinct.size <= MAX_DISCRETE && rows.length > 0) {
    const values = [...distinct].sort((a, b) => a - b);
    const at = new Map(values.map((v, k) => [v, k]));
    const codes = Int32Array.from({ length: y.length }, () => -1);
    for (const i of rows) codes[i] = at.get(x.values[i] as number) as number;
    return planChart({ kind: "category", codes, labels: values.map(String) }, y);
  }
  const step = Math.max(1, Math.ceil(rows.length / MAX_POINTS));
  const points: [number, number][] = [];
  for (let k = 0; k < rows.length; k += step) {
    const i = rows[k] as number;
    points.push([x.values[i] as number, y[i] as number]);
  }
  return { mode: "points", points, count: rows.length };
}

/** x: a score when the dataset has them (the dashboard's classic "user score vs loss"), else a metadata number, else length. */
export function defaultAxes(fields: readonly FieldInfo[]): { x: string; y: string } {
  const has = (name: string) => fields.some((f) => f.name === name);
  const metaNumber = fields.find((f) => f.source === "meta" && f.kind === "number");
  return { x: has("score") ? "score" : (metaNumber?.name ?? "token_count"), y: "loss" };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3)) : "–";
}

/**
 * The ECharts option. Field titles and category values come from uploaded data: ECharts draws axes on a
 * canvas, and the tooltip is drawn there too (richText), so none of it is ever parsed as HTML.
 */
export function chartOption(plan: ChartPlan, xTitle: string, yTitle: string): EChartsOption {
  const grid = { left: 56, right: 16, top: 20, bottom: 42 };
  if (plan.mode === "means") {
    return {
      tooltip: {
        trigger: "axis",
        renderMode: "richText",
        formatter: (p: unknown) => {
          const g = plan.groups[(p as { dataIndex: number }[])[0]?.dataIndex ?? 0];
          return g ? `${xTitle} ${g.label}: mean ${yTitle} ${fmt(g.mean)} (${g.count} samples)` : "";
        },
      },
      grid,
      xAxis: {
        type: "category",
        data: plan.groups.map((g) => g.label),
        name: xTitle,
        nameLocation: "middle",
        nameGap: 26,
      },
      yAxis: { type: "value", name: `mean ${yTitle}` },
      series: [{ type: "bar", data: plan.groups.map((g) => g.mean), itemStyle: { color: "#76b7b2" } }],
    };
  }
  return {
    tooltip: {
      trigger: "item",
      renderMode: "richText",
      formatter: (p: unknown) => {
        const [x, y] = (p as { value: [number, number] }).value;
        return `${xTitle} ${fmt(x)} · ${yTitle} ${fmt(y)}`;
      },
    },
    grid,
    xAxis: { type: "value", scale: true, name: xTitle, nameLocation: "middle", nameGap: 26 },
    yAxis: { type: "value", scale: true, name: yTitle },
    series: [
      { type: "scatter", symbolSize: 3, large: true, data: plan.points, itemStyle: { color: "#76b7b2", opacity: 0.6 } },
    ],
  };
}
