/**
 * Point colour and size encoding for the population map. regl-scatterplot takes, per point, an
 * integer category (categorical fields) or a value in [0, 1] (continuous fields) plus a palette.
 */
import { FLAG_STATES, META_PREFIX, SPLITS, type PointSet } from "./points";
import { categoryColor } from "./palette";

export const COLOR_FIELDS = [
  "label",
  "prediction",
  "correct",
  "loss",
  "score",
  "token_count",
  "truncated",
  "flag",
  "cluster",
  "split",
] as const;
export type BuiltinColorField = (typeof COLOR_FIELDS)[number];
/** A metadata column of a custom dataset (numeric, or text as categories). */
export type MetaField = `meta:${string}`;
export type ColorField = BuiltinColorField | MetaField;
/** What point size can follow: nothing, the loss, or a numeric metadata column. */
export type SizeField = "none" | "loss" | MetaField;

export function metaField(name: string): MetaField {
  return `meta:${name}`;
}

/** The colour options of a point set: the built-in fields, then its metadata columns (numbers, then categories). */
export function colorFields(points: PointSet): ColorField[] {
  return [
    ...COLOR_FIELDS,
    ...Object.keys(points.metadata).map(metaField),
    ...Object.keys(points.categories).map(metaField),
  ];
}

/** Size follows numbers only: the loss or a numeric metadata column. */

export function sizeFields(points: PointSet): SizeField[] {
  return ["none", "loss", ...Object.keys(points.metadata).map(metaField)];
}

export function fieldTitle(field: ColorField | SizeField): string {
  if (field === "none") return "Nothing";
  return field.startsWith(META_PREFIX) ? field.slice(META_PREFIX.length) : FIELD_TITLES[field as BuiltinColorField];
}

export const FIELD_TITLES: Record<BuiltinColorField, string> = {
  label: "Label",
  prediction: "Prediction",
  correct: "Correct / incorrect",
  loss: "Loss",
  score: "User score",
  token_count: "Token count",
  truncated: "Truncated",
  flag: "Flag state",
  cluster: "Cluster",
  split: "Split",
};

export type Legend =
  | { kind: "categorical"; entries: { label: string; color: string; count: number }[] }
  | { kind: "continuous"; min: number; max: number; stops: string[]; note?: string };

export interface Encoding {
  /** Per point: integer category index, or a continuous value in [0, 1]. */
  values: Float32Array;
  palette: string[];
  categorical: boolean;
  legend: Legend;
}

const CLASS_COLORS = ["#e15759", "#59a14f"]; // neg red, pos green: matches the heatmap
const NEUTRAL = "#6b7280";
// A perceptually ordered ramp (dark blue to yellow), interpolated to 64 steps.
const RAMP_STOPS = ["#30123b", "#4145ab", "#4675ed", "#1bcfd4", "#61fc6c", "#d2e935", "#fe9b2d", "#d93806", "#7a0403"];
export const RAMP = interpolateRamp(RAMP_STOPS, 64);

function hex(c: string): [number, number, number] {
  const v = parseInt(c.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

export function interpolateRamp(stops: string[], steps: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const t = (i / (steps - 1)) * (stops.length - 1);
    const k = Math.min(Math.floor(t), stops.length - 2);
    const a = hex(stops[k] as string),
      b = hex(stops[k + 1] as string);
    const f = t - k;
    const rgb = a.map((v, j) => Math.round(v + ((b[j] as number) - v) * f));
    out.push(`#${rgb.map((v) => v.toString(16).padStart(2, "0")).join("")}`);
  }
  return out;
}

/** The q-quantile of a column (robust upper bound so one huge loss does not wash out the colours). */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).filter(Number.isFinite).sort();
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] as number;
}

function categorical(n: number, category: (i: number) => number, labels: string[], colors: string[]): Encoding {
  const values = new Float32Array(n);
  const counts = new Array<number>(labels.length).fill(0);
  for (let i = 0; i < n; i++) {
    const c = category(i);
    values[i] = c;
    counts[c] = (counts[c] ?? 0) + 1;
  }
  return {
    values,
    palette: colors,
    categorical: true,
    legend: {
      kind: "categorical",
      entries: labels.map((label, i) => ({ label, color: colors[i] as string, count: counts[i] ?? 0 })),
    },
  };
}

function continuous(n: number, raw: (i: number) => number, min: number, max: number, note?: string): Encoding {
  const values = new Float32Array(n);
  const span = max - min || 1;
  for (let i = 0; i < n; i++) values[i] = Math.min(1, Math.max(0, (raw(i) - min) / span));
  return {
    values,
    palette: RAMP,
    categorical: false,
    legend: { kind: "continuous", min, max, stops: RAMP_STOPS, note },
  };
}

/** A metadata column (zeros when this point set lacks it), and its 1st–99th percentile range. */
function metadataColumn(points: PointSet, field: MetaField): { values: Float32Array; min: number; max: number } {
  const values = points.metadata[field.slice(META_PREFIX.length)] ?? new Float32Array(points.n);
  return { values, min: quantile(values, 0.01), max: quantile(values, 0.99) };
}

/** The legend's name for points without a value (or, when the payload names only the commonest, a rarer one). */
export function noValueLabel(other: boolean): string {
  return other ? "(other or none)" : "(none)";
}

export function encodeColor(
  points: PointSet,
  field: ColorField,
  classes: readonly string[] = ["neg", "pos"],
): Encoding {
  const n = points.n;
  const category = field.startsWith(META_PREFIX) ? points.categories[field.slice(META_PREFIX.length)] : undefined;
  if (category) {
    // Category 0 is "no value"; value k is category k + 1.
    const colors = [NEUTRAL, ...category.values.map((_, k) => categoryColor(k))];
    return categorical(
      n,
      (i) => (category.codes[i] as number) + 1,
      [noValueLabel(category.other), ...category.values],
      colors,
    );
  }
  if (field.startsWith(META_PREFIX)) {
    const { values, min, max } = metadataColumn(points, field as MetaField);
    // Points without a value take the bottom of the ramp.
    return continuous(
      n,
      (i) => (Number.isFinite(values[i]) ? (values[i] as number) : min),
      min,
      max,
      "1st–99th percentile",
    );
  }
  // Red/green only means something for two classes; past two, red/green then the palette from index 2 painted
  // classes 0 and 3 alike (and 1 and 2), so more classes take the categorical palette from its start.
  const classColors = classes.map((_, i) => (classes.length <= 2 ? (CLASS_COLORS[i] as string) : categoryColor(i)));
  switch (field as BuiltinColorField) {
    case "label":
      return categorical(n, (i) => points.label[i] as number, [...classes], classColors);
    case "prediction":
      return categorical(n, (i) => points.prediction[i] as number, [...classes], classColors);
    case "correct":
      return categorical(
        n,
        (i) => (points.label[i] === points.prediction[i] ? 0 : 1),
        ["correct", "incorrect"],
        ["#4e79a7", "#ff5a36"],
      );
    case "truncated":
      return categorical(n, (i) => (points.truncated[i] ? 1 : 0), ["complete", "truncated"], [NEUTRAL, "#f28e2b"]);
    case "flag":
      return categorical(
        n,
        (i) => points.flag[i] as number,
        [...FLAG_STATES],
        [NEUTRAL, "#edc948", "#e15759", "#4e79a7"],
      );
    case "split":
      return categorical(n, (i) => points.split[i] as number, [...SPLITS], [0, 1, 4].map(categoryColor));
    case "cluster": {
      let max = -1;
      for (let i = 0; i < n; i++) max = Math.max(max, points.cluster[i] as number);
      // Category 0 is "no cluster"; cluster c is category c + 1.
      const labels = ["none", ...Array.from({ length: max + 1 }, (_, c) => `cluster ${c}`)];
      const colors = [NEUTRAL, ...Array.from({ length: max + 1 }, (_, c) => categoryColor(c))];
      return categorical(n, (i) => (points.cluster[i] as number) + 1, labels, colors);
    }
    case "loss":
      // 1st to 99th percentile: early in training every loss sits near ln 2, and a 0-based ramp paints them all one colour.
      return continuous(
        n,
        (i) => points.loss[i] as number,
        quantile(points.loss, 0.01),
        quantile(points.loss, 0.99),
        "1st–99th percentile",
      );
    case "score":
      return continuous(n, (i) => points.score[i] as number, 1, 10);
    case "token_count":
      return continuous(n, (i) => points.tokenCount[i] as number, 0, quantile(points.tokenCount, 0.99));
  }
}

export const SIZE_STEPS = 16;
export const POINT_SIZES = Array.from({ length: SIZE_STEPS }, (_, i) => 2 + (i / (SIZE_STEPS - 1)) * 8);

/** Size by loss (the default) or a metadata column: values in [0, 1], a larger value draws a larger point. */
export function encodeSize(points: PointSet, field: Exclude<SizeField, "none"> = "loss"): Float32Array {
  const out = new Float32Array(points.n);
  if (field === "loss") {
    const cap = quantile(points.loss, 0.99) || 1;
    for (let i = 0; i < points.n; i++) out[i] = Math.min(1, Math.max(0, (points.loss[i] as number) / cap));
    return out;
  }
  const { values, min, max } = metadataColumn(points, field);
  const span = max - min || 1;
  for (let i = 0; i < points.n; i++) {
    const v = values[i] as number;
    out[i] = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - min) / span)) : 0;
  }
  return out;
}
