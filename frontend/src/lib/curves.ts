/** Classification figures computed in the browser from per-sample results (labels, predictions, p(positive)). */

export function confusionMatrix(
  labels: ArrayLike<number>,
  predictions: ArrayLike<number>,
  numClasses: number,
): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const row = m[labels[i] as number];
    const p = predictions[i] as number;
    if (row && p >= 0 && p < numClasses) row[p] = (row[p] ?? 0) + 1;
  }
  return m;
}

export interface Curve {
  x: number[];
  y: number[];
  /** Area under the ROC curve, or average precision for a PR curve. */
  area: number;
}

/** Score-descending order with the distinct thresholds where the curve can turn. */
function sweep(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): { tp: number[]; fp: number[]; pos: number; neg: number } {
  const order = Array.from({ length: labels.length }, (_, i) => i).sort(
    (a, b) => (scores[b] as number) - (scores[a] as number),
  );
  const tp: number[] = [];
  const fp: number[] = [];
  let t = 0;
  let f = 0;
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number;
    if (labels[i] === 1) t++;
    else f++;
    const next = order[k + 1];
    // Only emit a point where the score changes: tied scores form one threshold.
    if (next === undefined || scores[next] !== scores[i]) {
      tp.push(t);
      fp.push(f);
    }
  }
  return { tp, fp, pos: t, neg: f };
}

export function rocCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): Curve {
  const { tp, fp, pos, neg } = sweep(labels, scores);
  const x = [0];
  const y = [0];
  for (let k = 0; k < tp.length; k++) {
    x.push(neg ? (fp[k] as number) / neg : 0);
    y.push(pos ? (tp[k] as number) / pos : 0);
  }
  let area = 0;
  for (let k = 1; k < x.length; k++)
    area += (((x[k] as number) - (x[k - 1] as number)) * ((y[k] as number) + (y[k - 1] as number))) / 2;
  return { x, y, area: pos && neg ? area : Number.NaN };
}

export function prCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): Curve {
  const { tp, fp, pos } = sweep(labels, scores);
  const x: number[] = [0];
  const y: number[] = [1];
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tp.length; k++) {
    const t = tp[k] as number;
    const recall = pos ? t / pos : 0;
    const precision = t + (fp[k] as number) ? t / (t + (fp[k] as number)) : 1;
    // Average precision as sklearn defines it: sum of precision weighted by the recall step.
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
    x.push(recall);
    y.push(precision);
  }
  return { x, y, area: pos ? ap : Number.NaN };
}
