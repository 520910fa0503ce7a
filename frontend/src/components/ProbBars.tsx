export function ProbBars({
  classes,
  probs,
  prediction,
}: {
  classes: readonly string[];
  probs: readonly number[];
  prediction?: number;
}) {
  return (
    <div className="probbars">
      {classes.map((c, i) => {
        // NaN: not known (stored results of a multi-class model keep only some classes).
        const p = probs[i] ?? 0;
        const known = Number.isFinite(p);
        return (
          <div className="probbar" key={c}>
            <span className="probbar-label">{c}</span>
            <span className="probbar-track">
              <span
                className={`probbar-fill ${i === 1 ? "pos" : "neg"}`}
                style={{ width: `${known ? (p * 100).toFixed(1) : 0}%` }}
              />
            </span>
            <span className="probbar-value">
              {known ? `${(p * 100).toFixed(1)}%` : "–"}
              {prediction === i ? " ◂" : ""}
            </span>
          </div>
        );
      })}
    </div>
  );
}
