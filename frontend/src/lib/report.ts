/** What the per-version report states in words and numbers, computed from the per-sample results. */
import { prCurve, rocCurve } from "./curves";

export interface SplitSummary {
  n: number;
  accuracy: number;
  rocAuc: number;
  averagePrecision: number;
}

/** Accuracy, ROC AUC and average precision of one split (NaN where undefined, e.g. a single class). */
export function summarize(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  scores: ArrayLike<number>,
): SplitSummary {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) right++;
  return {
    n: labels.length,
    accuracy: labels.length ? right / labels.length : Number.NaN,
    rocAuc: rocCurve(labels, scores).area,
    averagePrecision: prCurve(labels, scores).area,
  };
}

/** A hyperparameter value as the table shows it: lists inline, objects as compact JSON. */
export function formatParam(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (Array.isArray(value)) return `[${value.map(formatParam).join(", ")}]`;
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/** Which sweep and trial produced a version (the report's sweep context). */
export interface SweepContext {
  sweepId: number;
  trial: number;
}

export function sweepContextOf(version: {
  sweep_id?: number | null;
  trial_index?: number | null;
}): SweepContext | null {
  if (version.sweep_id == null || version.trial_index == null) return null;
  return { sweepId: version.sweep_id, trial: version.trial_index };
}

export function sweepLabel(ctx: SweepContext): string {
  return `part of sweep #${ctx.sweepId}, trial ${ctx.trial}`;
}
