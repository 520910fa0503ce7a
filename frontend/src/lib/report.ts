/** What the per-version report states in words and numbers, computed from the per-sample results. */
import { prCurve, rocCurve } from "./curves";

export interface SplitSummary {
  n: number;
  accuracy: number;
  rocAuc: number;
  averagePrecision: number;
}

/** Accuracy, ROC AUC and average precision of one split (NaN where undefined, e.g. a single class). */
export function summarize(labels: ArrayLike<number>, predictions: ArrayLike<number>, scores: ArrayLike<number>): SplitSummary {
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
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * SLOT for sweeps (built on another branch): which sweep and trial produced a version. The version
 * schema has no sweep fields yet; when it does, read them here and only here. Until then null.
 */
export interface SweepContext {
  sweepId: number;
  sweepName: string;
  trial: number;
}

export function sweepContextOf(version: object): SweepContext | null {
  const v = version as { sweep_id?: unknown; sweep_name?: unknown; sweep_trial?: unknown };
  if (typeof v.sweep_id !== "number" || typeof v.sweep_trial !== "number") return null;
  return { sweepId: v.sweep_id, sweepName: typeof v.sweep_name === "string" ? v.sweep_name : `#${v.sweep_id}`, trial: v.sweep_trial };
}

export function sweepLabel(ctx: SweepContext): string {
  return `part of sweep ${ctx.sweepName}, trial ${ctx.trial}`;
}
