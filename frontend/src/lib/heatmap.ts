/**
 * Token heatmap colouring. An attribution toward "positive" is painted green, toward "negative" red,
 * with opacity proportional to |score| / max|score| so that the strongest token is fully saturated.
 */
export const POSITIVE_RGB = [34, 160, 90] as const;
export const NEGATIVE_RGB = [220, 60, 60] as const;

export function maxAbs(scores: readonly (number | null)[]): number {
  let m = 0;
  for (const s of scores) if (s !== null && Number.isFinite(s)) m = Math.max(m, Math.abs(s));
  return m;
}

/** The background colour for one token, or null for a token the model did not score. */
export function heatColor(score: number | null, scale: number): string | null {
  if (score === null || !Number.isFinite(score) || scale <= 0) return null;
  const alpha = Math.min(1, Math.abs(score) / scale);
  const [r, g, b] = score >= 0 ? POSITIVE_RGB : NEGATIVE_RGB;
  return `rgba(${r}, ${g}, ${b}, ${Math.round(alpha * 0.85 * 1000) / 1000})`;
}
