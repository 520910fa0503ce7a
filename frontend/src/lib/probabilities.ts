/**
 * Class probabilities from a stored per-sample result. Results keep p(class 1) and p(label) only: with
 * two classes that is the whole distribution; with more, the other classes are unknown (NaN).
 */
export function resultProbabilities(
  numClasses: number,
  result: { p_positive: number; p_label: number },
  label: number,
): number[] {
  if (numClasses <= 2) return [1 - result.p_positive, result.p_positive];
  const probs = new Array<number>(numClasses).fill(Number.NaN);
  probs[1] = result.p_positive;
  if (label >= 0 && label < numClasses) probs[label] = result.p_label;
  return probs;
}
