import type { TokenMark } from "./reviewText";

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

/** Which attributions paint the text: both directions, or one class's supporting words only. */
export type HeatMode = "diverging" | "positive" | "negative";

/** The API's token shape (analysis result or /samples/{id}/tokens), reduced to what painting needs. */
export interface ApiToken {
  start: number;
  end: number;
  is_oov: boolean;
  beyond_max_length: boolean;
  attribution?: number[] | null;
}

/**
 * Python counts characters in code points, JavaScript strings in UTF-16 units: an emoji is one
 * character to the API but two here. Returns a function mapping API offsets to string offsets.
 */
export function spanMapper(text: string): (offset: number) => number {
  if (!/[\uD800-\uDBFF]/.test(text)) return (o) => o;
  const at: number[] = [];
  let unit = 0;
  for (const ch of text) {
    at.push(unit);
    unit += ch.length;
  }
  at.push(unit);
  return (o) => at[Math.max(0, Math.min(o, at.length - 1))] as number;
}

/**
 * Token marks for ReviewText. Scores are signed toward "positive" (green) vs "negative" (red):
 * diverging uses the positive class's attribution; "positive ↑" keeps only words that raise
 * p(positive), "negative ↑" only words that raise p(negative), shown red. Without attributions the
 * marks still carry OOV and the truncation point.
 */
export function tokenMarks(
  text: string,
  tokens: readonly ApiToken[],
  mode: HeatMode = "diverging",
  positiveClass = 1,
): TokenMark[] {
  const map = spanMapper(text);
  const negativeClass = positiveClass === 1 ? 0 : 1;
  return tokens.map((t) => {
    const a = t.beyond_max_length ? null : (t.attribution ?? null);
    let score: number | null = null;
    if (a) {
      const pos = a[positiveClass] ?? null;
      const neg = a.length > 1 ? (a[negativeClass] ?? null) : pos === null ? null : -pos;
      if (mode === "diverging") score = pos;
      else if (mode === "positive") score = pos !== null && pos > 0 ? pos : 0;
      else score = neg !== null && neg > 0 ? -neg : 0;
    }
    return { start: map(t.start), end: map(t.end), oov: t.is_oov, beyond: t.beyond_max_length, score };
  });
}
