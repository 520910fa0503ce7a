/**
 * Class probabilities from a stored per-sample result. A sample's detail carries every class's probability
 * for three or more classes; otherwise results keep p(class 1) and p(label) only: with two classes that is the
 * whole distribution; with more (an epoch that kept no per-class probabilities) the others are unknown (NaN).
 */
export function resultProbabilities(
  numClasses: number,
  result: { p_positive: number; p_label: number; probabilities?: number[] | null },
  label: number,
): number[] {
  if (numClasses <= 2) return [1 - result.p_positive, result.p_positive];
  if (result.probabilities && result.probabilities.length === numClasses) return [...result.probabilities];
  const probs = new Array<number>(numClasses).fill(Number.NaN);
  probs[1] = result.p_positive;
  if (label >= 0 && label < numClasses) probs[label] = result.p_label;
  return probs;
}
