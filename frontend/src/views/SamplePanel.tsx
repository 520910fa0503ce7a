import type { Version } from "../api/client";
import { useSample } from "../api/hooks";
import { Drawer } from "../components/Overlay";
import { ProbBars } from "../components/ProbBars";
import { ReviewText } from "../components/ReviewText";
import { ErrorState, Loading, NotAvailable } from "../components/States";
import { hasFeature } from "../lib/features";
import { fmt } from "../lib/format";

export function SamplePanel({ sampleId, version, epoch, onClose }: {
  sampleId: number;
  version: Version | null;
  epoch: number | null;
  onClose: () => void;
  onOpenSample: (id: number) => void;
}) {
  const q = useSample(sampleId, version?.id ?? null);
  const s = q.data;
  const results = s?.results ?? [];
  const result = results.find((r) => r.epoch === epoch) ?? results[results.length - 1];
  return (
    <Drawer title={<span>Sample <b>{sampleId}</b>{s ? <span className="muted small"> · {s.key}</span> : null}</span>} onClose={onClose}>
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : !s ? (
        <Loading />
      ) : (
        <div className="sample-panel" data-testid="sample-panel">
          <dl className="kv kv-grid">
            <dt>Label</dt><dd>{s.label_name || s.label}</dd>
            <dt>Split</dt><dd>{s.split}</dd>
            <dt>User score</dt><dd>{s.score ?? "–"}</dd>
            <dt>Movie</dt><dd>{s.movie_id ?? "–"}</dd>
            <dt>Length</dt><dd>{s.word_count} words · {s.token_count} tokens</dd>
            <dt>OOV tokens</dt><dd>{s.oov_count}</dd>
            <dt>Truncated</dt><dd>{s.truncated ? "yes: the model reads only the first max-length tokens" : "no"}</dd>
          </dl>
          {result ? (
            <section className="panel-section">
              <h4>Epoch {result.epoch} · loss {fmt(result.loss)} · {result.correct ? "correct" : "wrong"}</h4>
              <ProbBars classes={s.classes} probs={[1 - result.p_positive, result.p_positive]} prediction={result.prediction} />
              {results.length > 1 && (
                <div className="muted small">loss by epoch: {results.map((r) => `${r.epoch}: ${fmt(r.loss)}`).join(" · ")}</div>
              )}
            </section>
          ) : (
            version && <p className="muted small">No result for this version yet.</p>
          )}
          <section className="panel-section">
            <h4>Review</h4>
            <ReviewText text={s.text} />
          </section>
          <section className="panel-section">
            <h4>Analyze</h4>
            {hasFeature("analyze") ? null : <NotAvailable feature="analyze" what="Token attributions" />}
          </section>
          <section className="panel-section">
            <h4>Flag</h4>
            {hasFeature("flags") ? null : <NotAvailable feature="flags" what="Flags" />}
          </section>
          <section className="panel-section">
            <h4>Similar samples</h4>
            {hasFeature("similar") ? null : <NotAvailable feature="similar" what="Similar samples" />}
          </section>
          <section className="panel-section">
            <h4>What-if</h4>
            {hasFeature("whatIf") ? null : <NotAvailable feature="whatIf" what="What-if editing" />}
          </section>
        </div>
      )}
    </Drawer>
  );
}
