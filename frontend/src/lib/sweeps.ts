/** Sweep results: the metric columns, sorting trials, the best trial and the parallel-coordinates chart. */
import type { ChartOption } from "../components/Chart";
import type { Trial } from "../api/sweeps";
import type { ParamSpec } from "../api/analyses";
import { paramProblem } from "./params";

/** What may rank a sweep's trials: validation only, so that test stays a held-out estimate. */
export const RANK_METRICS = ["val_accuracy", "val_loss", "best_val_accuracy", "best_val_loss"] as const;
export type RankMetric = (typeof RANK_METRICS)[number];
/** Every metric column (test beside val, read at the epoch val picks, to look at, never to choose). */
export const METRICS = [...RANK_METRICS, "test_accuracy", "test_loss"] as const;
export type Metric = (typeof METRICS)[number];

export const METRIC_TITLES: Record<Metric, string> = {
  val_accuracy: "val acc",
  val_loss: "val loss",
  best_val_accuracy: "best val acc",
  best_val_loss: "best val loss",
  test_accuracy: "test acc (held-out)",
  test_loss: "test loss (held-out)",
};

export function isMetric(key: string): key is Metric {
  return (METRICS as readonly string[]).includes(key);
}

export function isRankMetric(key: string): key is RankMetric {
  return (RANK_METRICS as readonly string[]).includes(key);
}

export function lowerIsBetter(metric: Metric): boolean {
  return metric.endsWith("loss");
}

/** What a column sorts by: a metric, a swept hyperparameter, or the trial's index / epochs / status. */
export type SortKey =
  { kind: "metric"; metric: Metric } | { kind: "param"; name: string } | { kind: "trial" | "epochs" | "status" };
export interface Sort {
  key: SortKey;
  descending: boolean;
}

/** The natural direction of a column: best first for metrics, ascending otherwise. */
export function defaultSort(key: SortKey): Sort {
  return { key, descending: key.kind === "metric" ? !lowerIsBetter(key.metric) : false };
}

function valueOf(t: Trial, key: SortKey): number | string | null {
  switch (key.kind) {
    case "metric":
      return t[key.metric] ?? null;
    case "param": {
      const v = t.params[key.name];
      return v === undefined || v === null ? null : typeof v === "number" ? v : JSON.stringify(v);
    }
    case "trial":
      return t.trial_index;
    case "epochs":
      return t.epochs_done;
    case "status":
      return t.status;
  }
}

/** Sorted copy; trials without a value stay last in both directions, ties by trial index. */
export function sortTrials(trials: readonly Trial[], sort: Sort): Trial[] {
  const dir = sort.descending ? -1 : 1;
  return [...trials].sort((a, b) => {
    const va = valueOf(a, sort.key);
    const vb = valueOf(b, sort.key);
    if (va === null || vb === null) {
      if (va === vb) return a.trial_index - b.trial_index;
      return va === null ? 1 : -1;
    }
    const c = typeof va === "number" && typeof vb === "number" ? va - vb : String(va).localeCompare(String(vb));
    return c === 0 ? a.trial_index - b.trial_index : dir * c;
  });
}

/** The swept hyperparameter names, in a stable order. */
/** Epochs trained of those asked, and why a trial stopped before them (pruned, or early stopping). */
export function epochsNote(t: Trial): string {
  if (t.pruned) return ` (pruned at epoch ${t.pruned_at_epoch ?? t.epochs_done})`;
  return t.stopped_early ? " (early stop)" : "";
}

export function paramNames(trials: readonly Trial[]): string[] {
  return [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
}

export function formatParam(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : Number(v.toPrecision(3)).toString();
  if (v === undefined || v === null) return "–";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Is this swept range log-scaled in the sweep's space ({min, max, log: true})? */
function isLog(space: Record<string, unknown>, name: string): boolean {
  const spec = space[name];
  return typeof spec === "object" && spec !== null && !Array.isArray(spec) && (spec as { log?: unknown }).log === true;
}

/**
 * A parallel-coordinates chart: one axis per swept hyperparameter (numeric, log or categorical) and a
 * last axis for the metric; one line per trial with a value, the best one highlighted.
 */
export function parallelOption(
  trials: readonly Trial[],
  space: Record<string, unknown>,
  metric: Metric,
  bestVersionId: number | null,
): ChartOption {
  const names = paramNames(trials);
  const scored = trials.filter((t) => t[metric] !== null && t[metric] !== undefined);
  const axes = names.map((name, dim) => {
    const values = trials.map((t) => t.params[name]);
    const numeric = values.every((v) => typeof v === "number");
    if (numeric) return { dim, name, type: isLog(space, name) ? ("log" as const) : ("value" as const), scale: true };
    return { dim, name, type: "category" as const, data: [...new Set(values.map(formatParam))] };
  });
  const cell = (t: Trial, name: string) => {
    const v = t.params[name];
    return typeof v === "number" ? v : formatParam(v);
  };
  const line = (t: Trial) => [...names.map((n) => cell(t, n)), t[metric] as number];
  const best = scored.filter((t) => t.version_id === bestVersionId);
  return {
    parallelAxis: [
      ...axes,
      {
        // Losses run downwards, so that the best trials end at the top on every metric.
        dim: names.length,
        name: METRIC_TITLES[metric],
        type: "value",
        scale: true,
        inverse: lowerIsBetter(metric),
        nameLocation: lowerIsBetter(metric) ? "start" : "end",
      },
    ],
    parallel: { left: 60, right: 90, top: 40, bottom: 30 },
    tooltip: { trigger: "item" },
    series: [
      {
        type: "parallel",
        name: "trials",
        lineStyle: { width: 1.5, opacity: 0.5, color: "#4f8cff" },
        data: scored.filter((t) => t.version_id !== bestVersionId).map(line),
      },
      { type: "parallel", name: "best", lineStyle: { width: 3.5, opacity: 1, color: "#3fb96b" }, data: best.map(line) },
    ],
  };
}

/**
 * What is wrong with one entry of a sweep's search space, checked against the swept parameter's spec (the
 * same messages as the Train dialog), or null. `epochs` is checked by the caller's epochs spec.
 */
export function spaceEntryProblem(spec: ParamSpec, entry: unknown): string | null {
  const what = spec.title.charAt(0).toUpperCase() + spec.title.slice(1);
  const values = Array.isArray(entry)
    ? entry
    : typeof entry === "object" && entry !== null && "values" in entry && Array.isArray(entry.values)
      ? (entry.values as unknown[])
      : null;
  if (values !== null) {
    if (values.length === 0) return `${what}: list at least one value to try`;
    for (const v of values) {
      const problem = paramProblem(spec, v);
      if (problem) return problem;
    }
    return null;
  }
  if (typeof entry === "object" && entry !== null && "min" in entry && "max" in entry) {
    if (spec.type !== "integer" && spec.type !== "number") return `${what} cannot take a range; list its values`;
    const { min, max } = entry;
    const problem = paramProblem(spec, min) ?? paramProblem(spec, max);
    if (problem) return problem;
    if (typeof min !== "number" || typeof max !== "number" || min > max)
      return `${what}: the range's min must not exceed its max`;
    if ("log" in entry && entry.log === true && min <= 0) return `${what}: a log range must start above 0`;
    return null;
  }
  return `${what}: give a list of values, or {"min": a, "max": b} for random search`;
}

/** The first problem in a search space for an architecture's specs (unknown names included), or null. */
export function spaceProblem(specs: readonly ParamSpec[], space: Record<string, unknown>): string | null {
  for (const [name, entry] of Object.entries(space)) {
    const spec = name === "epochs" ? EPOCHS_SPEC : specs.find((s) => s.name === name);
    if (!spec)
      return `"${name}" is not a hyperparameter of this architecture (it has ${specs.map((s) => s.name).join(", ")})`;
    const problem = spaceEntryProblem(spec, entry);
    if (problem) return problem;
  }
  return null;
}

/** `epochs` may be swept too; its bounds are the sweep request's (1..1000). */
export const EPOCHS_SPEC: ParamSpec = {
  name: "epochs",
  title: "epochs",
  help: "",
  type: "integer",
  nullable: false,
  default: 2,
  minimum: 1,
  maximum: 1000,
  exclusive_minimum: false,
  exclusive_maximum: false,
  choices: null,
  min_length: null,
  max_length: null,
  pattern: null,
  advanced: false,
};
