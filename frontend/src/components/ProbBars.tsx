export function ProbBars({ classes, probs, prediction }: { classes: readonly string[]; probs: readonly number[]; prediction?: number }) {
  return (
    <div className="probbars">
      {classes.map((c, i) => {
        const p = probs[i] ?? 0;
        return (
          <div className="probbar" key={c}>
            <span className="probbar-label">{c}</span>
            <span className="probbar-track">
              <span className={`probbar-fill ${i === 1 ? "pos" : "neg"}`} style={{ width: `${(p * 100).toFixed(1)}%` }} />
            </span>
            <span className="probbar-value">
              {(p * 100).toFixed(1)}%{prediction === i ? " ◂" : ""}
            </span>
          </div>
        );
      })}
    </div>
  );
}
