import { useMemo, useState } from "react";
import {
  methodTitle,
  useAnalysis,
  useAnalysisMethods,
  type Analysis,
  type AnalysisMethod,
  type AnalysisRequest,
  type Method,
  type ParamSpec,
} from "../api/analyses";
import { errorMessage, type Job, type Version } from "../api/client";
import { useJob } from "../api/jobs";
import { useMapStatus, useNeighbors } from "../api/maps";
import { useSample, useSampleTokens } from "../api/samples";
import { JobCard } from "../components/JobsTray";
import { Drawer } from "../components/Overlay";
import { ProbBars } from "../components/ProbBars";
import { resultProbabilities } from "../lib/probabilities";
import { ReviewText } from "../components/ReviewText";
import { ErrorState, Loading } from "../components/States";
import { FlagEditor } from "./FlagEditor";
import { fmt } from "../lib/format";
import { spanMapper, tokenMarks, type HeatMode } from "../lib/heatmap";
import { editableText, reviewText } from "../lib/reviewText";
import { AttributedReview } from "../components/Attributions";
import { inputFor, paramsFromInputs, type ParamInputs } from "../lib/params";

const MODES: { mode: HeatMode; label: string; title: string }[] = [
  { mode: "diverging", label: "Both", title: "green pushes toward positive, red toward negative" },
  { mode: "positive", label: "Positive ↑", title: "only words that raise p(positive)" },
  { mode: "negative", label: "Negative ↑", title: "only words that raise p(negative)" },
];

function HeatModeToggle({ mode, onMode }: { mode: HeatMode; onMode: (m: HeatMode) => void }) {
  return (
    <div className="seg" role="radiogroup" aria-label="heatmap mode">
      {MODES.map((m) => (
        <button
          key={m.mode}
          type="button"
          role="radio"
          aria-checked={mode === m.mode}
          className={`seg-btn ${mode === m.mode ? "active" : ""}`}
          title={m.title}
          onClick={() => onMode(m.mode)}
        >
          {m.label}
        </button>
      ))}
    </div>
  );
}

/** The parameters the picker offers for a method: its main ones (the API's non-advanced parameters). */
function mainParams(methods: readonly AnalysisMethod[], method: Method): ParamSpec[] {
  return methods.find((m) => m.name === method)?.params.filter((p) => !p.advanced) ?? [];
}

/** Method picker with its main parameters; the fields keep what was typed (see paramsFromInputs). */
function MethodPicker({
  methods,
  method,
  inputs,
  onChange,
  disabled,
}: {
  methods: readonly AnalysisMethod[];
  method: Method;
  inputs: ParamInputs;
  onChange: (method: Method, inputs: ParamInputs) => void;
  disabled?: boolean;
}) {
  const set = (name: string, text: string) => onChange(method, { ...inputs, [name]: text });
  return (
    <div className="toolbar">
      <select
        aria-label="attribution method"
        value={method}
        disabled={disabled}
        onChange={(e) => onChange(e.target.value as Method, {})}
      >
        {methods.map((m) => (
          <option key={m.name} value={m.name}>
            {m.title}
          </option>
        ))}
      </select>
      {mainParams(methods, method).map((p) => {
        const input = inputFor(p);
        const text = inputs[p.name] ?? "";
        return (
          <label key={p.name} className="inline-field small" title={p.help}>
            {p.title}
            {input.type === "checkbox" ? (
              <input
                type="checkbox"
                checked={text === "" ? p.default === true : text === "true"}
                disabled={disabled}
                onChange={(e) => set(p.name, String(e.target.checked))}
              />
            ) : (
              <input
                className={input.type === "text" ? "input-word" : "input-num"}
                {...input}
                value={text}
                disabled={disabled}
                onChange={(e) => set(p.name, e.target.value)}
              />
            )}
          </label>
        );
      })}
    </div>
  );
}

function Faithfulness({ a }: { a: Analysis }) {
  const methods = useAnalysisMethods();
  const f = a.faithfulness;
  return (
    <table className="table compact faith" aria-label="faithfulness">
      <thead>
        <tr>
          <th title="ERASER AOPC over top-k% tokens">faithfulness</th>
          <th>{methodTitle(methods.data, a.method)}</th>
          <th>random</th>
        </tr>
      </thead>
      <tbody>
        <tr title="Drop in p(predicted) when the top-k% attributed tokens are removed: higher is better">
          <td>comprehensiveness ↑</td>
          <td className={f.comprehensiveness > f.random_comprehensiveness ? "good" : "bad"}>
            {fmt(f.comprehensiveness)}
          </td>
          <td>{fmt(f.random_comprehensiveness)}</td>
        </tr>
        <tr title="Drop in p(predicted) when only the top-k% tokens are kept: lower is better">
          <td>sufficiency ↓</td>
          <td className={f.sufficiency < f.random_sufficiency ? "good" : "bad"}>{fmt(f.sufficiency)}</td>
          <td>{fmt(f.random_sufficiency)}</td>
        </tr>
      </tbody>
    </table>
  );
}

function AnalysisSummary({ a, cls }: { a: Analysis; cls: readonly string[] }) {
  const t = a.timing;
  return (
    <div className="analysis-summary" data-testid="analysis-summary">
      <div className="small">
        prediction <b>{cls[a.prediction] ?? a.prediction}</b> at epoch {a.epoch}
        {a.cached ? <span className="pill pill-muted">cached</span> : null}
      </div>
      <ProbBars classes={a.classes} probs={a.probabilities} prediction={a.prediction} />
      <Faithfulness a={a} />
      <div className="muted small">
        {a.visible_count} of {a.token_count} tokens seen · {fmt(t.total ?? null, 2)} s (attribution{" "}
        {fmt(t.attribution ?? null, 2)} s, faithfulness {fmt(t.faithfulness ?? null, 2)} s)
        {a.n_steps ? ` · ${a.n_steps} steps` : ""}
        {a.convergence_delta !== null && a.convergence_delta !== undefined
          ? ` · convergence δ ${fmt(a.convergence_delta, 4)}`
          : ""}
      </div>
      {typeof a.extras?.warning === "string" ? (
        <div className="warning small" role="alert" data-testid="analysis-warning">
          {a.extras.warning}
        </div>
      ) : null}
    </div>
  );
}

/** The counterfactual view: how p(positive) moves when each word is removed (or replaced). */
function Counterfactuals({ a, text }: { a: Analysis; text: string }) {
  const pos = a.classes.length > 1 ? 1 : 0;
  const base = a.probabilities[pos] ?? 0;
  const map = spanMapper(text);
  const rows = a.tokens
    .filter((t) => t.counterfactual_probabilities)
    .map((t) => ({
      i: t.i,
      word: text.slice(map(t.start), map(t.end)),
      p: (t.counterfactual_probabilities as number[])[pos] ?? 0,
    }))
    .sort((x, y) => Math.abs(y.p - base) - Math.abs(x.p - base))
    .slice(0, 12);
  if (rows.length === 0) return null;
  const replace = typeof a.params.replace_with === "string" ? `→ “${a.params.replace_with}”` : "removed";
  return (
    <div data-testid="counterfactuals">
      <h4>Words that move the prediction most</h4>
      <table className="table compact">
        <thead>
          <tr>
            <th>word {replace}</th>
            <th>p({a.classes[pos]})</th>
            <th>change</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.i}>
              <td className="review-word">{r.word}</td>
              <td>
                {fmt(base, 2)} → {fmt(r.p, 2)}
              </td>
              <td className={r.p < base ? "bad" : "good"}>
                {r.p >= base ? "+" : ""}
                {((r.p - base) * 100).toFixed(1)} pt
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AnalysisStatus({ query, jobId }: { query: { isFetching: boolean; error: unknown }; jobId: number | null }) {
  const job = useJob(query.isFetching ? jobId : null);
  if (query.error) return <ErrorState error={query.error} title="The analysis failed" />;
  if (!query.isFetching) return null;
  return job.data ? <JobCard job={job.data} /> : <Loading label="Analyzing…" />;
}

/** The names the attribution colours stand for: the positive class, and the other one (or the rest). */
function directions(cls: readonly string[], pos: number): { positive: string; negative: string } {
  const positive = cls[pos] ?? "positive";
  return { positive, negative: cls.length === 2 ? (cls[1 - pos] ?? "negative") : `not ${positive}` };
}

/** What-if: edit the text, analyze it with the same method, compare the prediction. */
function WhatIf({
  version,
  epoch,
  original,
  request,
  cls,
}: {
  version: Version;
  epoch: number | null;
  original: { text: string; probabilities: readonly number[] | null };
  request: { method: Method; params: Record<string, unknown> };
  cls: readonly string[];
}) {
  const methods = useAnalysisMethods();
  // `<br />` in a review is a line break: the editor shows it as one (a textarea holds text, never markup).
  const [draft, setDraft] = useState(() => editableText(original.text));
  const [body, setBody] = useState<AnalysisRequest | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const [mode, setMode] = useState<HeatMode>("diverging");
  const q = useAnalysis(version.id, body, (job: Job) => setJobId(job.id));
  const a = q.data;
  const pos = cls.length > 1 ? 1 : 0;
  const before = original.probabilities?.[pos] ?? null;
  const after = a?.probabilities[pos] ?? null;
  const analyzedText = body?.text ?? "";
  const whatIfMarks = a ? tokenMarks(analyzedText, a.tokens, mode, pos) : [];
  return (
    <div className="whatif">
      <textarea
        className="whatif-text"
        aria-label="edited review"
        value={draft}
        rows={6}
        onChange={(e) => setDraft(e.target.value)}
      />
      <div className="toolbar">
        <button
          type="button"
          className="btn btn-small btn-primary"
          disabled={!draft.trim() || q.isFetching}
          onClick={() =>
            setBody({
              text: reviewText(draft),
              method: request.method,
              params: request.params,
              epoch: epoch ?? undefined,
            })
          }
        >
          Analyze edited text
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={draft === editableText(original.text)}
          onClick={() => setDraft(editableText(original.text))}
        >
          Reset
        </button>
        <span className="muted small">{methodTitle(methods.data, request.method)} · nothing is stored</span>
      </div>
      <AnalysisStatus query={q} jobId={jobId} />
      {a && !q.isFetching && (
        <>
          <div className="whatif-delta" data-testid="whatif-delta">
            p({cls[pos]}) {fmt(before, 3)} → <b>{fmt(after, 3)}</b>
            {before !== null && after !== null && (
              <span className={after >= before ? "good" : "bad"}>
                {" "}
                ({after >= before ? "+" : ""}
                {((after - before) * 100).toFixed(1)} pt)
              </span>
            )}{" "}
            · prediction <b>{cls[a.prediction] ?? a.prediction}</b>
          </div>
          <HeatModeToggle mode={mode} onMode={setMode} />
          <AttributedReview text={analyzedText} marks={whatIfMarks} {...directions(cls, pos)}>
            <ReviewText text={analyzedText} tokens={whatIfMarks} />
          </AttributedReview>
          <Counterfactuals a={a} text={analyzedText} />
        </>
      )}
    </div>
  );
}

function SimilarSamples({
  version,
  epoch,
  sampleId,
  cls,
  onOpenSample,
}: {
  version: Version;
  epoch: number | null;
  sampleId: number;
  cls: readonly string[];
  onOpenSample: (id: number) => void;
}) {
  // Neighbours come from a finished map's latent space: ask for them only once the map is done.
  const map = useMapStatus(version.id, epoch);
  const ready = map.data?.status === "done";
  const q = useNeighbors(version.id, ready ? epoch : null, sampleId);
  if (epoch === null) return <p className="muted small">No trained epoch yet.</p>;
  if (map.error) return <ErrorState error={map.error} onRetry={() => void map.refetch()} />;
  if (map.data && !ready)
    return (
      <p className="muted small">
        The map of epoch {epoch} is not built yet: similar samples come from its latent space.
      </p>
    );
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (!q.data) return <Loading />;
  return (
    <table className="table compact" data-testid="similar-samples">
      <thead>
        <tr>
          <th>sample</th>
          <th>split</th>
          <th>label</th>
          <th title={`${q.data.metric} distance in the latent space`}>distance</th>
        </tr>
      </thead>
      <tbody>
        {q.data.neighbors.map((n) => (
          <tr key={n.sample_id} className="clickable" onClick={() => onOpenSample(n.sample_id)}>
            <td>
              {n.sample_id} <span className="muted small">{n.key}</span>
            </td>
            <td>{n.split}</td>
            <td>{cls[n.label] ?? n.label}</td>
            <td>{fmt(n.distance)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function SamplePanel({
  sampleId,
  version,
  epoch,
  onClose,
  onOpenSample,
}: {
  sampleId: number;
  version: Version | null;
  epoch: number | null;
  onClose: () => void;
  onOpenSample: (id: number) => void;
}) {
  const q = useSample(sampleId, version?.id ?? null);
  const tokens = useSampleTokens(sampleId, version?.id ?? null);
  const methods = useAnalysisMethods();
  // The API's default method until another is picked.
  const [picked, setMethod] = useState<Method | null>(null);
  const method = picked ?? methods.data?.find((m) => m.default)?.name ?? null;
  const [inputs, setInputs] = useState<ParamInputs>({});
  const params = useMemo(
    () => (methods.data && method !== null ? paramsFromInputs(mainParams(methods.data, method), inputs) : {}),
    [methods.data, method, inputs],
  );
  const [body, setBody] = useState<AnalysisRequest | null>(null);
  const [jobId, setJobId] = useState<number | null>(null);
  const [mode, setMode] = useState<HeatMode>("diverging");
  const analysis = useAnalysis(version?.id ?? null, body, (job) => setJobId(job.id));
  // Stepping to another sample (arrow keys) starts from its plain text: the panel stays mounted, so the
  // request made for the previous sample is dropped here, while rendering, before anything paints.
  const [requestedFor, setRequestedFor] = useState(sampleId);
  if (requestedFor !== sampleId) {
    setRequestedFor(sampleId);
    setBody(null);
    setJobId(null);
  }
  const s = q.data;
  const results = s?.results ?? [];
  const result = results.find((r) => r.epoch === epoch) ?? results[results.length - 1];
  const cls = s?.classes ?? ["neg", "pos"];
  const pos = cls.length > 1 ? 1 : 0;
  // An analysis of another sample (the panel stays mounted while stepping) never paints this one.
  const a = analysis.data && analysis.data.sample_id === sampleId ? analysis.data : null;
  const marks = useMemo(() => {
    if (!s) return [];
    if (a) return tokenMarks(s.text, a.tokens, mode, pos);
    return tokens.data ? tokenMarks(s.text, tokens.data.tokens) : [];
  }, [s, a, tokens.data, mode, pos]);
  const canAnalyze = version !== null && version.epochs_done > 0;
  return (
    <Drawer
      title={
        <span>
          Sample <b>{sampleId}</b>
          {s ? (
            <span
              className="muted small"
              title="Where the review came from in the imported files. Its split here is the Split row below: part of the original train split is held out for validation."
            >
              {" "}
              · {s.split} · from file <span className="sample-key">{s.key}</span>
            </span>
          ) : null}
        </span>
      }
      onClose={onClose}
    >
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : !s ? (
        <Loading />
      ) : (
        <div className="sample-panel" data-testid="sample-panel">
          <dl className="kv kv-grid">
            <dt>Label</dt>
            <dd>{s.label_name || s.label}</dd>
            <dt>Split</dt>
            <dd>{s.split}</dd>
            <dt>User score</dt>
            <dd>{s.score ?? "–"}</dd>
            <dt>Movie</dt>
            <dd>{s.movie_id ?? "–"}</dd>
            <dt>Length</dt>
            <dd>
              {s.word_count} words · {s.token_count} tokens
            </dd>
            <dt>OOV tokens</dt>
            <dd>{s.oov_count}</dd>
            <dt>Truncated</dt>
            <dd>
              {s.truncated ? `yes: the model reads the first ${tokens.data?.max_length ?? "max-length"} tokens` : "no"}
            </dd>
          </dl>
          {result ? (
            <section className="panel-section">
              <h4>
                Epoch {result.epoch} · loss {fmt(result.loss)} ·{" "}
                <span className={result.correct ? "good" : "bad"}>{result.correct ? "correct" : "wrong"}</span>
              </h4>
              <ProbBars
                classes={s.classes}
                probs={resultProbabilities(s.classes.length, result, s.label)}
                prediction={result.prediction}
              />
              {results.length > 1 && (
                <div className="muted small">
                  loss by epoch: {results.map((r) => `${r.epoch}: ${fmt(r.loss)}`).join(" · ")}
                </div>
              )}
            </section>
          ) : (
            version && <p className="muted small">No result for this version yet.</p>
          )}
          <section className="panel-section">
            <h4>Analyze</h4>
            {!canAnalyze ? (
              <p className="muted small">Train the version to analyze its predictions.</p>
            ) : methods.error ? (
              <ErrorState error={methods.error} title="Cannot list the attribution methods" />
            ) : !methods.data || method === null ? (
              <Loading />
            ) : (
              <>
                <div className="toolbar">
                  <MethodPicker
                    methods={methods.data}
                    method={method}
                    inputs={inputs}
                    disabled={analysis.isFetching}
                    onChange={(m, p) => {
                      setMethod(m);
                      setInputs(p);
                    }}
                  />
                  <button
                    type="button"
                    className="btn btn-small btn-primary"
                    disabled={analysis.isFetching}
                    onClick={() => setBody({ sample_id: sampleId, method, params, epoch: epoch ?? undefined })}
                  >
                    {analysis.isFetching ? "Analyzing…" : "Analyze"}
                  </button>
                </div>
                <AnalysisStatus query={analysis} jobId={jobId} />
                {a && !analysis.isFetching && <AnalysisSummary a={a} cls={cls} />}
              </>
            )}
          </section>
          <section className="panel-section">
            <div className="section-head">
              <h4>Review</h4>
              {a ? (
                <HeatModeToggle mode={mode} onMode={setMode} />
              ) : (
                <span className="muted small">
                  {tokens.data
                    ? `${tokens.data.oov_count} OOV (dotted)${tokens.data.truncated ? " · ✂ marks the max length" : ""}`
                    : tokens.error
                      ? `tokens unavailable: ${errorMessage(tokens.error)}`
                      : ""}
                </span>
              )}
            </div>
            {a ? (
              <AttributedReview text={s.text} marks={marks} {...directions(cls, pos)}>
                <ReviewText text={s.text} tokens={marks} />
              </AttributedReview>
            ) : (
              <ReviewText text={s.text} tokens={marks} />
            )}
            {a && <Counterfactuals a={a} text={s.text} />}
          </section>
          {version && canAnalyze && method !== null && (
            <section className="panel-section">
              <h4>What-if</h4>
              <WhatIf
                key={sampleId}
                version={version}
                epoch={epoch}
                cls={cls}
                request={{ method, params }}
                original={{
                  text: s.text,
                  probabilities: a
                    ? a.probabilities
                    : result
                      ? resultProbabilities(s.classes.length, result, s.label)
                      : null,
                }}
              />
            </section>
          )}
          <section className="panel-section">
            <h4>Similar samples</h4>
            {version ? (
              <SimilarSamples
                version={version}
                epoch={epoch}
                sampleId={sampleId}
                cls={cls}
                onOpenSample={onOpenSample}
              />
            ) : (
              <p className="muted small">Select a version.</p>
            )}
          </section>
          <section className="panel-section">
            <h4>Flag</h4>
            {version ? (
              <FlagEditor projectId={version.project_id} sampleId={sampleId} classes={cls} label={s.label} />
            ) : (
              <p className="muted small">Select a version.</p>
            )}
          </section>
        </div>
      )}
    </Drawer>
  );
}
