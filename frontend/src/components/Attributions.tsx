/**
 * Reading an attribution: the colour legend for the painted review, and the words that pushed hardest each
 * way as a bar chart. Words are review text: rendered as text nodes only.
 */
import { heatScale, MAX_ALPHA, MIN_ALPHA, NEGATIVE_RGB, POSITIVE_RGB, topWords, type WordScore } from "../lib/heatmap";
import type { TokenMark } from "../lib/reviewText";

const rgba = (rgb: readonly number[], a: number) => `rgba(${rgb.join(", ")}, ${a})`;

/** A score in a few characters: 0.12, 4.1e-4 (attributions span many orders of magnitude). */
function signedShort(v: number): string {
  const sign = v > 0 ? "+" : "−";
  const a = Math.abs(v);
  return sign + (a >= 0.01 ? a.toPrecision(2) : a.toExponential(1));
}

/** What red and green mean, and the strongest score each way (each direction is scaled on its own). */
export function HeatLegend({
  marks,
  positive,
  negative,
}: {
  marks: readonly TokenMark[];
  positive: string;
  negative: string;
}) {
  const scale = heatScale(marks.filter((t) => !t.beyond).map((t) => t.score));
  const ramp = `linear-gradient(to right, ${rgba(NEGATIVE_RGB, MAX_ALPHA)}, ${rgba(NEGATIVE_RGB, MIN_ALPHA)}, transparent, ${rgba(POSITIVE_RGB, MIN_ALPHA)}, ${rgba(POSITIVE_RGB, MAX_ALPHA)})`;
  return (
    <div className="heat-legend small" data-testid="heat-legend" aria-label="attribution colours">
      <span className="muted">toward {negative}</span>
      <span className="heat-ramp" style={{ background: ramp }} />
      <span className="muted">toward {positive}</span>
      <span className="muted heat-scale" title="Each colour is scaled to the strongest word of its direction">
        strongest −{scale.negative.toPrecision(2)} / +{scale.positive.toPrecision(2)}
      </span>
    </div>
  );
}

function Bars({ words, max, rgb, label }: { words: WordScore[]; max: number; rgb: readonly number[]; label: string }) {
  return (
    <ol className="word-bars" aria-label={label}>
      {words.map((w) => (
        <li key={w.word} title={`${w.word}: ${w.score.toPrecision(3)}`}>
          <span className="word-bar-word">{w.word}</span>
          <span className="word-bar-track">
            <span
              className="word-bar"
              style={{ width: `${Math.max(2, (100 * Math.abs(w.score)) / max)}%`, background: rgba(rgb, MAX_ALPHA) }}
            />
          </span>
          <span className="word-bar-value">{signedShort(w.score)}</span>
        </li>
      ))}
    </ol>
  );
}

/** The top `n` words toward each class, as horizontal bars on one shared scale. */
export function TopWords({
  text,
  marks,
  positive,
  negative,
  n = 10,
}: {
  text: string;
  marks: readonly TokenMark[];
  positive: string;
  negative: string;
  n?: number;
}) {
  const top = topWords(text, marks, n);
  if (top.positive.length === 0 && top.negative.length === 0) return null;
  const max = Math.max(...top.positive.map((w) => w.score), ...top.negative.map((w) => -w.score));
  return (
    <div className="top-words" data-testid="top-words">
      <div>
        <div className="small muted">Top words toward {positive}</div>
        <Bars words={top.positive} max={max} rgb={POSITIVE_RGB} label={`words toward ${positive}`} />
      </div>
      <div>
        <div className="small muted">Top words toward {negative}</div>
        <Bars words={top.negative} max={max} rgb={NEGATIVE_RGB} label={`words toward ${negative}`} />
      </div>
    </div>
  );
}

/** A painted review with its legend, and the top words beside it (below it where the panel is narrow). */
export function AttributedReview({
  text,
  marks,
  positive,
  negative,
  children,
}: {
  text: string;
  marks: readonly TokenMark[];
  positive: string;
  negative: string;
  children: React.ReactNode;
}) {
  return (
    <div className="attributed">
      <div className="attributed-text">
        <HeatLegend marks={marks} positive={positive} negative={negative} />
        {children}
      </div>
      <TopWords text={text} marks={marks} positive={positive} negative={negative} />
    </div>
  );
}
