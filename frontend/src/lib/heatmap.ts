import type { TokenMark } from "./reviewText";

/**
 * Token heatmap colouring. An attribution toward "positive" is painted green, toward "negative" red. Each
 * direction has its own scale (its strongest token is fully saturated), so a review whose positive words
 * score ten times its negative ones still shows its negative words; and any token scoring at least
 * MIN_SHARE of its direction's strongest is painted at MIN_ALPHA or more, so it stays visible.
 */
export const POSITIVE_RGB = [34, 160, 90] as const;
export const NEGATIVE_RGB = [220, 60, 60] as const;
export const MAX_ALPHA = 0.85;
export const MIN_ALPHA = 0.22;
/** Below this share of its direction's strongest token a token is left unpainted (noise). */
export const MIN_SHARE = 0.05;

export function maxAbs(scores: readonly (number | null)[]): number {
  let m = 0;
  for (const s of scores) if (s !== null && Number.isFinite(s)) m = Math.max(m, Math.abs(s));
  return m;
}

/** The strongest positive and the strongest negative score (both ≥ 0; 0 when a direction has none). */
export interface HeatScale {
  positive: number;
  negative: number;
}

export function heatScale(scores: readonly (number | null)[]): HeatScale {
  let positive = 0;
  let negative = 0;
  for (const s of scores) {
    if (s === null || !Number.isFinite(s)) continue;
    if (s > 0) positive = Math.max(positive, s);
    else negative = Math.max(negative, -s);
  }
  return { positive, negative };
}

/** The opacity for a token's share of its direction's strongest score (0: unpainted). */
export function heatAlpha(share: number): number {
  if (!Number.isFinite(share) || share < MIN_SHARE) return 0;
  const alpha = MIN_ALPHA + (MAX_ALPHA - MIN_ALPHA) * Math.min(1, share);
  return Math.round(alpha * 1000) / 1000;
}

/** The background colour for one token, or null for a token the model did not score (or scored ~0). */
export function heatColor(score: number | null, scale: HeatScale): string | null {
  if (score === null || !Number.isFinite(score) || score === 0) return null;
  const top = score > 0 ? scale.positive : scale.negative;
  if (top <= 0) return null;
  const alpha = heatAlpha(Math.abs(score) / top);
  if (alpha === 0) return null;
  const [r, g, b] = score > 0 ? POSITIVE_RGB : NEGATIVE_RGB;
  return `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** A word with its attribution, for the top-words chart. */
export interface WordScore {
  word: string;
  score: number;
}

/**
 * The `n` words pushing hardest each way (positive: toward the positive class), each word once at its
 * strongest occurrence; tokens beyond the max length are not counted (the model never saw them).
 */
export function topWords(
  text: string,
  marks: readonly TokenMark[],
  n = 10,
): { positive: WordScore[]; negative: WordScore[] } {
  const best = new Map<string, number>();
  for (const m of marks) {
    if (m.beyond || m.score === null || !Number.isFinite(m.score) || m.score === 0) continue;
    const word = text.slice(m.start, m.end);
    const key = `${m.score > 0 ? "+" : "-"}${word.toLowerCase()}`;
    const prev = best.get(key);
    if (prev === undefined || Math.abs(m.score) > Math.abs(prev)) best.set(key, m.score);
  }
  const all = [...best.entries()].map(([key, score]) => ({ word: key.slice(1), score }));
  return {
    positive: all
      .filter((w) => w.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, n),
    negative: all
      .filter((w) => w.score < 0)
      .sort((a, b) => a.score - b.score)
      .slice(0, n),
  };
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
