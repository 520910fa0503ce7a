import { useMemo, useState } from "react";
import { errorMessage, type Version } from "../api/client";
import { useCompare } from "../api/compare";
import { useFlags } from "../api/flags";
import { useRetrain } from "../api/versions";
import { Empty, ErrorState, Loading } from "../components/States";
import { fmt, pct, relativeTime } from "../lib/format";
import { useArrowSteps } from "../lib/useArrowSteps";

/** Accuracy change in points, signed, or a dash when either side is missing. */
function accuracyDelta(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined) return "–";
  const d = b - a;
  return `${d >= 0 ? "+" : ""}${(d * 100).toFixed(1)} pt`;
}

/** Two versions side by side at their latest evaluated epochs, as GET /versions/compare computes them. */
function Compare({ a, b, onOpenSample }: { a: Version; b: Version; onOpenSample: (id: number) => void }) {
  const q = useCompare(a.id, b.id);
  if (a.id === b.id) return <Empty>Pick two different versions.</Empty>;
  if (q.error) return <ErrorState error={q.error} onRetry={() => void q.refetch()} />;
  if (!q.data) return <Loading label="Comparing the versions' per-sample results…" />;
  const c = q.data;
  return (
    <div className="compare">
      <table className="table" aria-label="version comparison">
        <thead>
          <tr>
            <th>split</th>
            <th>{a.name} acc</th>
            <th>{b.name} acc</th>
            <th>Δ acc</th>
            <th>{a.name} loss</th>
            <th>{b.name} loss</th>
          </tr>
        </thead>
        <tbody>
          {c.splits.map((s) => (
            <tr key={s.split}>
              <td>{s.split}</td>
              <td>{pct(s.a.accuracy)}</td>
              <td>{pct(s.b.accuracy)}</td>
              <td className={s.b.accuracy >= s.a.accuracy ? "good" : "bad"}>
                {accuracyDelta(s.a.accuracy, s.b.accuracy)}
              </td>
              <td>{fmt(s.a.loss)}</td>
              <td>{fmt(s.b.loss)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">
        epoch {c.epoch_a} of {a.name} vs epoch {c.epoch_b} of {b.name}
      </p>
      <h4>Samples whose prediction changed ({c.changed_total})</h4>
      {c.changed.length === 0 ? (
        <Empty>No prediction changed.</Empty>
      ) : (
        <div className="table-scroll">
          <table className="table compact" aria-label="changed predictions">
            <thead>
              <tr>
                <th>sample</th>
                <th>label</th>
                <th>{a.name}</th>
                <th>{b.name}</th>
                <th>loss A → B</th>
              </tr>
            </thead>
            <tbody>
              {c.changed.map((x) => (
                <tr key={x.sample_id} className="clickable" onClick={() => onOpenSample(x.sample_id)}>
                  <td>{x.sample_id}</td>
                  <td>{x.label_name || x.label}</td>
                  <td>{className(c.classes ?? [], x.a.prediction)}</td>
                  <td className={x.b.prediction === x.label ? "good" : "bad"}>
                    {className(c.classes ?? [], x.b.prediction)}
                  </td>
                  <td>
                    {fmt(x.a.loss)} → {fmt(x.b.loss)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {c.changed_total > c.changed.length && (
            <p className="muted small">The first {c.changed.length} are listed.</p>
          )}
        </div>
      )}
    </div>
  );
}

const FLAG_STATES_F = ["", "suspected", "confirmed", "dismissed"] as const;
/** A class index as its name (the number itself when the dataset has no name for it). */
function className(classes: readonly string[], label: number): string {
  return classes[label] ?? String(label);
}

const SOURCES = ["", "manual", "ranking", "insight"] as const;
const SPLIT_F = ["", "train", "val", "test"] as const;

const NO_IDS: readonly number[] = [];

function FlagList({
  projectId,
  openSample,
  onOpenSample,
}: {
  projectId: number;
  openSample: number | null;
  onOpenSample: (id: number) => void;
}) {
  const [state, setState] = useState<(typeof FLAG_STATES_F)[number]>("");
  const [source, setSource] = useState<(typeof SOURCES)[number]>("");
  const [split, setSplit] = useState<(typeof SPLIT_F)[number]>("");
  const [offset, setOffset] = useState(0);
  const q = useFlags(projectId, {
    state: state || undefined,
    source: source || undefined,
    split: split || undefined,
    offset,
    limit: 50,
  });
  const [suspectedMode, setSuspectedMode] = useState<"keep" | "drop" | "relabel">("keep");
  // How many unreviewed flags the choice affects (the list's total for state=suspected).
  const suspectedQ = useFlags(projectId, { state: "suspected", limit: 1 });
  const suspectedCount = suspectedQ.data?.total ?? null;
  const base = `/api/projects/${projectId}`;
  // ↓ / ↑ step through the listed flags' samples, opening each (as in "Samples by loss").
  const ids = useMemo(() => q.data?.items.map((f) => f.sample_id) ?? NO_IDS, [q.data]);
  useArrowSteps(ids, openSample, onOpenSample);
  return (
    <>
      <div className="toolbar">
        <select
          aria-label="flag state"
          value={state}
          onChange={(e) => {
            setState(e.target.value as typeof state);
            setOffset(0);
          }}
        >
          {FLAG_STATES_F.map((v) => (
            <option key={v} value={v}>
              {v || "any state"}
            </option>
          ))}
        </select>
        <select
          aria-label="flag source"
          value={source}
          onChange={(e) => {
            setSource(e.target.value as typeof source);
            setOffset(0);
          }}
        >
          {SOURCES.map((v) => (
            <option key={v} value={v}>
              {v || "any source"}
            </option>
          ))}
        </select>
        <select
          aria-label="flag split"
          value={split}
          onChange={(e) => {
            setSplit(e.target.value as typeof split);
            setOffset(0);
          }}
        >
          {SPLIT_F.map((v) => (
            <option key={v} value={v}>
              {v || "any split"}
            </option>
          ))}
        </select>
        <span className="spacer" />
        <span className="muted small">export</span>
        <a className="btn btn-small" href={`${base}/flags/export?format=csv`} download data-testid="export-flags-csv">
          Flags CSV
        </a>
        <a className="btn btn-small" href={`${base}/flags/export?format=jsonl`} download>
          Flags JSONL
        </a>
        <select
          aria-label="suspected flags in the cleaned export"
          value={suspectedMode}
          onChange={(e) => setSuspectedMode(e.target.value as typeof suspectedMode)}
          title="What the cleaned dataset does with suspected (unreviewed) flags; confirmed flags always apply"
        >
          <option value="keep">suspected: keep as labelled</option>
          <option value="drop">suspected: drop</option>
          <option value="relabel">suspected: keep with the suggested label</option>
        </select>
        <a
          className="btn btn-small"
          href={`${base}/cleaned-dataset?format=tar.gz&suspected=${suspectedMode}`}
          download
          title="Confirmed flags applied, Stanford layout"
        >
          Cleaned dataset .tar.gz
        </a>
        <a className="btn btn-small" href={`${base}/cleaned-dataset?format=csv&suspected=${suspectedMode}`} download>
          Cleaned CSV
        </a>
        <span className="muted small" data-testid="cleaning-says">
          {suspectedCount === null
            ? ""
            : `${suspectedCount} suspected flag${suspectedCount === 1 ? "" : "s"} will be ${
                { keep: "kept as labelled", drop: "dropped", relabel: "kept with the suggested label" }[suspectedMode]
              }`}
        </span>
      </div>
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading />
      ) : q.data.items.length === 0 ? (
        <Empty>
          No flag
          {state || source || split
            ? " matches these filters"
            : " yet: flag samples from the sample panel or a map selection"}
          .
        </Empty>
      ) : (
        <>
          <div className="table-scroll">
            <table className="table compact" data-testid="flag-table">
              <thead>
                <tr>
                  <th>sample</th>
                  <th>split</th>
                  <th>label</th>
                  <th>state</th>
                  <th>corrected</th>
                  <th>source</th>
                  <th>note</th>
                  <th>updated</th>
                </tr>
              </thead>
              <tbody>
                {q.data.items.map((f) => (
                  <tr
                    key={f.id}
                    className={`clickable ${f.sample_id === openSample ? "selected" : ""}`}
                    onClick={() => onOpenSample(f.sample_id)}
                    data-sample-id={f.sample_id}
                  >
                    <td>
                      {f.sample_id} <span className="muted small">{f.sample_key}</span>
                    </td>
                    <td>{f.split}</td>
                    <td>{f.label_name || f.label}</td>
                    <td>
                      <span
                        className={`pill ${f.state === "confirmed" ? "pill-bad" : f.state === "suspected" ? "pill-info" : "pill-muted"}`}
                      >
                        {f.state}
                      </span>
                    </td>
                    <td>{f.corrected_name ?? f.corrected_label ?? "–"}</td>
                    <td>{f.source}</td>
                    <td className="preview">{f.note}</td>
                    <td className="muted small">{relativeTime(f.updated_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="toolbar">
            <span className="muted small">{q.data.total} flags · ↑/↓ step through</span>
            <span className="spacer" />
            <button
              type="button"
              className="btn btn-small"
              disabled={offset === 0}
              onClick={() => setOffset(Math.max(0, offset - 50))}
            >
              ‹
            </button>
            <span className="small">
              {offset + 1}–{Math.min(q.data.total, offset + 50)}
            </span>
            <button
              type="button"
              className="btn btn-small"
              disabled={offset + 50 >= q.data.total}
              onClick={() => setOffset(offset + 50)}
            >
              ›
            </button>
          </div>
        </>
      )}
    </>
  );
}

function Retrain({ projectId, versions }: { projectId: number; versions: Version[] }) {
  const trained = versions.filter((v) => v.epochs_done > 0);
  const [vid, setVid] = useState<number | null>(trained[trained.length - 1]?.id ?? null);
  const [mode, setMode] = useState<"relabel" | "exclude">("relabel");
  const retrain = useRetrain(projectId);
  if (trained.length === 0) return <Empty>Train a version first.</Empty>;
  return (
    <div className="toolbar">
      <select aria-label="version to retrain" value={vid ?? ""} onChange={(e) => setVid(Number(e.target.value))}>
        {trained.map((v) => (
          <option key={v.id} value={v.id}>
            {v.name}
          </option>
        ))}
      </select>
      <select aria-label="retrain mode" value={mode} onChange={(e) => setMode(e.target.value as typeof mode)}>
        <option value="relabel">relabel confirmed (remove those without a correction)</option>
        <option value="exclude">exclude every confirmed sample</option>
      </select>
      <button
        type="button"
        className="btn btn-small btn-primary"
        disabled={vid === null || retrain.isPending}
        onClick={() => vid !== null && retrain.mutate({ versionId: vid, body: { mode } })}
      >
        Retrain without confirmed mislabels
      </button>
      {retrain.data && <span className="small good">started a new version (same hyperparameters and seed)</span>}
      {retrain.error && <span className="small bad">{errorMessage(retrain.error)}</span>}
    </div>
  );
}

export function FlagsView({
  projectId,
  versions,
  onOpenSample,
  selectedSample = null,
}: {
  projectId: number;
  versions: Version[];
  onOpenSample: (id: number) => void;
  /** The sample open in the drawer, if any: the flag list marks it and steps on from it. */
  selectedSample?: number | null;
}) {
  const trained = versions.filter((v) => v.epochs_done > 0);
  const [aId, setA] = useState<number | null>(trained[0]?.id ?? null);
  const [bId, setB] = useState<number | null>(trained[1]?.id ?? null);
  const a = trained.find((v) => v.id === aId) ?? null,
    b = trained.find((v) => v.id === bId) ?? null;
  return (
    <div className="flags-view">
      <section className="card">
        <h3>Flags</h3>
        <FlagList projectId={projectId} openSample={selectedSample} onOpenSample={onOpenSample} />
      </section>
      <section className="card">
        <h3>Retrain</h3>
        <Retrain projectId={projectId} versions={versions} />
      </section>
      <section className="card">
        <h3>Compare versions</h3>
        {trained.length < 2 ? (
          <Empty>Train two versions to compare them.</Empty>
        ) : (
          <>
            <div className="toolbar">
              <select value={aId ?? ""} onChange={(e) => setA(Number(e.target.value))} aria-label="version A">
                {trained.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}
                  </option>
                ))}
              </select>
              <span>vs</span>
              <select value={bId ?? ""} onChange={(e) => setB(Number(e.target.value))} aria-label="version B">
                {trained.map((v) => (
                  <option key={v.id} value={v.id}>
                    {v.name}
                  </option>
                ))}
              </select>
            </div>
            {a && b && <Compare a={a} b={b} onOpenSample={onOpenSample} />}
          </>
        )}
      </section>
    </div>
  );
}
