/** Exponential moving average with bias correction (as TensorBoard does), so early points are not pulled to 0. */
export function smooth(values: readonly number[], weight: number): number[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  const out: number[] = [];
  let last = 0;
  let n = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) {
      out.push(v);
      continue;
    }
    last = last * w + (1 - w) * v;
    n += 1;
    out.push(last / (1 - Math.pow(w, n)));
  }
  return out;
}
