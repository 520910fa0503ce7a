import { heatColor, heatScale } from "../lib/heatmap";
import { segmentReview, type TokenMark } from "../lib/reviewText";

/**
 * A review rendered as text nodes only (no HTML is ever interpreted): `<br />` becomes a line break,
 * [OOV] tokens are underlined, tokens past the max length are greyed after a truncation marker, and
 * scored tokens are painted with the heatmap colours.
 */
export function ReviewText({ text, tokens = [] }: { text: string; tokens?: readonly TokenMark[] }) {
  const segments = segmentReview(text, tokens);
  // Scale by tokens the model saw: unseen ones carry no score that could wash out the colours.
  const scale = heatScale(tokens.filter((t) => !t.beyond).map((t) => t.score));
  return (
    <div className="review-text" data-testid="review-text">
      {segments.map((s, k) => {
        switch (s.kind) {
          case "text":
            return <span key={k}>{s.text}</span>;
          case "br":
            return <br key={k} />;
          case "truncation":
            return (
              <span key={k} className="truncation-mark" title="The model reads no further (max length)">
                ✂ max length
              </span>
            );
          case "token": {
            const bg = s.mark.beyond ? null : heatColor(s.mark.score, scale);
            const cls = ["tok", s.mark.oov ? "tok-oov" : "", s.mark.beyond ? "tok-beyond" : ""].join(" ").trim();
            const title = s.mark.beyond
              ? "beyond max length: not seen by the model"
              : `${s.mark.oov ? "[OOV] " : ""}${s.mark.score === null ? "" : `attribution ${s.mark.score.toFixed(4)}`}`;
            return (
              <span
                key={k}
                className={cls}
                style={bg ? { backgroundColor: bg } : undefined}
                title={title || undefined}
                data-score={s.mark.score ?? undefined}
              >
                {s.text}
              </span>
            );
          }
        }
      })}
    </div>
  );
}
