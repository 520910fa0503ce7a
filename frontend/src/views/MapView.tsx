import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useSearchParams } from "react-router";
import { useArrowSteps } from "../lib/useArrowSteps";
import { errorMessage, type Job, type Schemas, type Version } from "../api/client";
import { useAnalyzeBatch } from "../api/analyses";
import { useBulkFlags, useUndoBulkFlags } from "../api/flags";
import { useJob } from "../api/jobs";
import { useBuildMap, useClusters, useInsights, useMaps, useMapStatus, type MapState } from "../api/maps";
import { prefetchPoints, stillLoading, usePoints } from "../api/points";
import { LOD_MIN_POINTS, LOD_POINTS } from "../components/mapDetail";
import { useSample } from "../api/samples";
import { JobCard } from "../components/JobsTray";
import { LegendView, PointMap } from "../components/PointMap";
import { Empty, ErrorState, Loading } from "../components/States";
import { fmt, pct } from "../lib/format";
import { colorFields, fieldTitle, sizeFields, type ColorField, type SizeField } from "../lib/pointColors";
import { PROGRESSIVE_ROWS, rowsOf, SPLITS, type PointSet, type PointsMeta } from "../lib/points";

type Insight = Schemas["InsightOut"];
type Cluster = Schemas["ClusterOut"];

const INSIGHT_KIND: Record<string, string> = {
  weak_cluster: "weak spot",
  mislabel: "mislabel?",
  duplicate: "duplicates",
  leakage: "leakage",
  split_cluster: "split-only",
};

function HoverPreview({
  points,
  index,
  at,
  classes,
}: {
  points: PointSet;
  index: number;
  at: { x: number; y: number };
  classes: readonly string[];
}) {
  const sample = useSample(points.sampleId[index] as number, null);
  const words = sample.data?.text
    .replace(/<br\s*\/?>/gi, " ")
    .split(/\s+/)
    .slice(0, 30)
    .join(" ");
  const cls = (c: number | undefined) => (c === undefined ? "–" : (classes[c] ?? String(c)));
  return (
    <div className="hover-card" style={{ left: at.x + 14, top: at.y + 14 }} role="tooltip">
      <div className="small">
        #{points.sampleId[index]} · {SPLITS[points.split[index] as number]} · label <b>{cls(points.label[index])}</b> ·
        pred{" "}
        <b className={points.label[index] === points.prediction[index] ? "good" : "bad"}>
          {cls(points.prediction[index])}
        </b>{" "}
        · loss <b>{fmt(points.loss[index])}</b>
      </div>
      <div className="preview-text">{sample.isPending ? "…" : sample.error ? "preview unavailable" : `${words}…`}</div>
    </div>
  );
}

function InsightList({
  insights,
  active,
  onPick,
}: {
  insights: readonly Insight[];
  active: number | null;
  onPick: (i: Insight | null) => void;
}) {
  if (insights.length === 0) return <p className="muted small">No insight for this epoch.</p>;
  return (
    <ul className="insight-list" data-testid="insights">
      {insights.map((ins) => (
        <li key={ins.rank}>
          <button
            type="button"
            className={`insight ${active === ins.rank ? "active" : ""}`}
            onClick={() => onPick(active === ins.rank ? null : ins)}
            title="Highlight these samples on the map"
          >
            <div className="insight-head">
              <span className="pill pill-info">{INSIGHT_KIND[ins.kind] ?? ins.kind.replace(/_/g, " ")}</span>
              <span className="insight-title">{ins.title}</span>
              <span className="muted small">{ins.count}</span>
            </div>
            <div className="small muted">{ins.sentence}</div>
          </button>
        </li>
      ))}
    </ul>
  );
}

function ClusterTable({
  clusters,
  active,
  onPick,
}: {
  clusters: readonly Cluster[];
  active: number | null;
  onPick: (c: number | null) => void;
}) {
  return (
    <div className="table-scroll short">
      <table className="table compact" data-testid="clusters">
        <thead>
          <tr>
            <th>#</th>
            <th>size</th>
            <th>loss</th>
            <th>acc</th>
            <th>purity</th>
          </tr>
        </thead>
        <tbody>
          {[...clusters]
            .sort((a, b) => b.mean_loss - a.mean_loss)
            .map((c) => (
              <tr
                key={c.cluster}
                className={`clickable ${active === c.cluster ? "selected" : ""}`}
                onClick={() => onPick(active === c.cluster ? null : c.cluster)}
              >
                <td>{c.cluster}</td>
                <td>{c.size}</td>
                <td>{fmt(c.mean_loss)}</td>
                <td className={c.accuracy < 0.7 ? "bad" : ""}>{pct(c.accuracy, 0)}</td>
                <td>{pct(c.label_purity, 0)}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </div>
  );
}

function BulkFlag({
  projectId,
  sampleIds,
  fromInsight,
}: {
  projectId: number;
  sampleIds: number[];
  fromInsight: boolean;
}) {
  const bulk = useBulkFlags(projectId);
  const undo = useUndoBulkFlags(projectId);
  const [asking, setAsking] = useState(false);
  const n = sampleIds.length;
  const flagAll = () =>
    bulk.mutate(
      { action: "flag", sample_ids: sampleIds, state: "suspected", source: fromInsight ? "insight" : "manual" },
      { onSettled: () => setAsking(false) },
    );
  if (asking) {
    // A lasso can hold thousands of points: say how many before flagging them all.
    return (
      <span className="small" data-testid="bulk-flag-confirm">
        Flag {n.toLocaleString()} samples as suspected?{" "}
        <button type="button" className="btn btn-small" disabled={bulk.isPending} onClick={flagAll}>
          {bulk.isPending ? "Flagging…" : `Flag ${n.toLocaleString()}`}
        </button>{" "}
        <button type="button" className="btn btn-small" onClick={() => setAsking(false)}>
          Cancel
        </button>
      </span>
    );
  }
  return (
    <>
      <button
        type="button"
        className="btn btn-small"
        disabled={bulk.isPending || (bulk.isSuccess && !undo.isSuccess) || n === 0}
        title={`Flag the ${n.toLocaleString()} selected samples as suspected mislabels`}
        onClick={() => {
          bulk.reset();
          undo.reset();
          setAsking(true);
        }}
      >
        Flag all {n.toLocaleString()}
      </button>
      {bulk.data && !undo.isSuccess && (
        <span className="small good" data-testid="bulk-flag-state">
          {bulk.data.changed} flagged{" "}
          <button
            type="button"
            className="btn btn-small"
            disabled={undo.isPending}
            onClick={() => undo.mutate(bulk.data.batch_id)}
          >
            Undo
          </button>
        </span>
      )}
      {undo.data && (
        <span className="small muted" data-testid="bulk-flag-undone">
          undone: {undo.data.reverted_event_ids.length} changes reverted
        </span>
      )}
      {bulk.error && <span className="bad small">{errorMessage(bulk.error)}</span>}
      {undo.error && <span className="bad small">{errorMessage(undo.error)}</span>}
    </>
  );
}

function BulkAnalyze({ version, epoch, sampleIds }: { version: Version; epoch: number; sampleIds: number[] }) {
  const batch = useAnalyzeBatch(version.id);
  const job = useJob(batch.data?.job?.id ?? null);
  const tooMany = sampleIds.length > 5000;
  return (
    <>
      <button
        type="button"
        className="btn btn-small"
        disabled={batch.isPending || tooMany}
        title={
          tooMany
            ? "at most 5,000 samples per request"
            : "Integrated Gradients for every selected sample, in batches on a worker"
        }
        onClick={() => batch.mutate({ sample_ids: sampleIds, epoch, method: "integrated_gradients", params: {} })}
      >
        {batch.isPending ? "Queuing…" : "Analyze all"}
      </button>
      {batch.error && <span className="bad small">{errorMessage(batch.error)}</span>}
      {batch.data && !batch.data.job && (
        <span className="small good">all {Object.keys(batch.data.cached).length} already analyzed</span>
      )}
      {job.data && (
        <span className="small muted" data-testid="bulk-analyze-state">
          {job.data.state === "SUCCESS"
            ? `analyzed ${batch.data?.pending.length ?? 0} (+${Object.keys(batch.data?.cached ?? {}).length} cached)`
            : `${job.data.state.toLowerCase()} ${Math.round(job.data.progress * 100)}%`}
        </span>
      )}
    </>
  );
}

export function MapExplorer({
  points,
  meta,
  version,
  epochs,
  epoch,
  doneEpochs,
  loadingEpoch,
  onEpoch,
  onOpenSample,
  insights,
  clusters,
}: {
  points: PointSet;
  meta?: PointsMeta;
  version: Version | null;
  epochs: number;
  epoch: number;
  /** Epochs whose map is finished (the slider plays through these). */
  doneEpochs: readonly number[];
  loadingEpoch?: boolean;
  onEpoch: (e: number) => void;
  onOpenSample: (sampleId: number) => void;
  insights?: { data?: readonly Insight[]; error: unknown; isPending: boolean };
  clusters?: { data?: readonly Cluster[]; error: unknown; isPending: boolean };
}) {
  // Colour, size and the open insight live in the URL, so a shared link reopens the same view.
  const [search, setSearch] = useSearchParams();
  // One update per event: two in a row would each start from the same URL and the second would win.
  const setParams = (patch: Record<string, string | null>) =>
    setSearch(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [key, value] of Object.entries(patch)) {
          if (value === null) next.delete(key);
          else next.set(key, value);
        }
        return next;
      },
      { replace: true },
    );
  const setParam = (key: string, value: string | null) => setParams({ [key]: value });
  const colorParam = search.get("color");
  const sizeParam = search.get("size");
  const colorBy: ColorField = colorFields(points).find((f) => f === colorParam) ?? "label";
  const sizeBy: SizeField = sizeFields(points).find((f) => f === sizeParam) ?? "loss";
  const setColorBy = (f: ColorField) => setParam("color", f === "label" ? null : f);
  const setSizeBy = (f: SizeField) => setParam("size", f === "loss" ? null : f);
  const [hover, setHover] = useState<{ index: number; at: { x: number; y: number } } | null>(null);
  const [selection, setSelection] = useState<number[]>([]);
  const insightParam = search.get("insight");
  const activeInsight = insightParam !== null && /^\d+$/.test(insightParam) ? Number(insightParam) : null;
  const setActiveInsight = (rank: number | null) => setParam("insight", rank === null ? null : String(rank));

  const [activeCluster, setActiveCluster] = useState<number | null>(null);
  // An insight named by the URL selects its samples once the insights have loaded (set while rendering, as
  // React allows for state derived from props, so the first paint already shows the selection).
  const [selectedFor, setSelectedFor] = useState<number | null>(null);
  if (activeInsight !== null && selectedFor !== activeInsight) {
    const ins = insights?.data?.find((i) => i.rank === activeInsight);
    if (ins) {
      setSelectedFor(activeInsight);
      setSelection(rowsOf(points, ins.sample_ids));
    }
  }
  const [playing, setPlaying] = useState(false);
  const classes = meta?.classes ?? undefined;
  useEffect(() => {
    if (!playing) return;
    const next = doneEpochs.find((e) => e > epoch);
    const t = window.setTimeout(() => (next !== undefined ? onEpoch(next) : setPlaying(false)), 1500);
    return () => window.clearTimeout(t);
  }, [playing, epoch, doneEpochs, onEpoch]);
  const pickInsight = (ins: Insight | null) => {
    setActiveCluster(null);
    setActiveInsight(ins?.rank ?? null);
    setSelectedFor(ins?.rank ?? null);
    setSelection(ins ? rowsOf(points, ins.sample_ids) : []);
  };
  const pickCluster = (c: number | null) => {
    setActiveCluster(c);
    const rows: number[] = [];
    if (c !== null) for (let i = 0; i < points.n; i++) if (points.cluster[i] === c) rows.push(i);
    setSelection(rows);
    setParams(c !== null ? { insight: null, color: "cluster" } : { insight: null });
  };
  const selectedIds = useMemo(() => selection.map((i) => points.sampleId[i] as number), [selection, points]);
  // The selection as listed (highest loss first): ↓ / ↑ step through it, opening each sample.
  const listed = useMemo(
    // Ties (common after a short training) in row order: a selection re-announced in another order (the
    // scatterplot does after a resize) lists, and steps, the same way.
    () => [...selection].sort((a, b) => (points.loss[b] as number) - (points.loss[a] as number) || a - b).slice(0, 500),
    [selection, points],
  );
  const listedIds = useMemo(() => listed.map((i) => points.sampleId[i] as number), [listed, points]);
  const sampleParam = search.get("sample");
  const openSample = sampleParam !== null && /^\d+$/.test(sampleParam) ? Number(sampleParam) : null;
  useArrowSteps(listedIds, openSample, onOpenSample);
  const cls = (c: number | undefined) => (c === undefined ? "–" : (classes?.[c] ?? String(c)));
  return (
    <div className="map-layout">
      <div className="map-main">
        <div className="toolbar">
          <label className="inline-field">
            colour by
            <select value={colorBy} onChange={(e) => setColorBy(e.target.value as ColorField)} aria-label="colour by">
              {colorFields(points).map((f) => (
                <option key={f} value={f}>
                  {fieldTitle(f)}
                </option>
              ))}
            </select>
          </label>
          <label className="inline-field">
            size by
            <select value={sizeBy} onChange={(e) => setSizeBy(e.target.value as SizeField)} aria-label="size by">
              {sizeFields(points).map((f) => (
                <option key={f} value={f}>
                  {fieldTitle(f)}
                </option>
              ))}
            </select>
          </label>
          <span className="spacer" />
          <button
            type="button"
            className="btn btn-small"
            disabled={doneEpochs.length < 2}
            title={doneEpochs.length < 2 ? "needs maps of two epochs" : "animate through the epochs"}
            onClick={() => {
              if (!playing && epoch >= (doneEpochs[doneEpochs.length - 1] ?? 0)) onEpoch(doneEpochs[0] ?? 1);
              setPlaying(!playing);
            }}
          >
            {playing ? "❚❚ Pause" : "▶ Play epochs"}
          </button>
          <label className="inline-field">
            epoch
            <input
              type="range"
              min={1}
              max={Math.max(1, epochs)}
              value={epoch}
              onChange={(e) => onEpoch(Number(e.target.value))}
              aria-label="epoch slider"
              list="map-epochs"
            />
            <datalist id="map-epochs">
              {doneEpochs.map((e) => (
                <option key={e} value={e} />
              ))}
            </datalist>
            <b>{epoch}</b>
            {loadingEpoch && <span className="spinner" aria-label="loading epoch" />}
          </label>
          <span className="muted small" data-testid="map-count">
            {meta?.rows != null && points.n < meta.rows ? (
              <>
                <span className="spinner" aria-label="loading points" /> {points.n.toLocaleString()} of{" "}
                {meta.rows.toLocaleString()} points loaded
              </>
            ) : (
              `${points.n.toLocaleString()} points`
            )}{" "}
            · drag pans · wheel zooms · shift-drag lassoes
            {points.n >= LOD_MIN_POINTS &&
              ` · while the map moves or a lasso is drawn, about ${LOD_POINTS.toLocaleString()} of its points are drawn`}
          </span>
        </div>
        <div className="map-canvas-wrap">
          <PointMap
            points={points}
            colorBy={colorBy}
            sizeBy={sizeBy}
            classes={classes}
            highlighted={selection}
            onHover={(i, at) => setHover(i === null || !at ? null : { index: i, at })}
            onClick={(i) => onOpenSample(points.sampleId[i] as number)}
            onSelect={(rows) => {
              setActiveInsight(null);
              setActiveCluster(null);
              setSelection(rows);
            }}
          />
          {hover && (
            <HoverPreview points={points} index={hover.index} at={hover.at} classes={classes ?? ["neg", "pos"]} />
          )}
          <div className="map-legend">
            <div className="legend-title small muted">{fieldTitle(colorBy)}</div>
            <LegendView points={points} colorBy={colorBy} classes={classes} />
          </div>
        </div>
      </div>
      <aside className="map-side">
        <section>
          <h3>Insights</h3>
          {!insights ? null : insights.error ? (
            <ErrorState error={insights.error} />
          ) : insights.isPending || !insights.data ? (
            <Loading />
          ) : (
            <InsightList insights={insights.data} active={activeInsight} onPick={pickInsight} />
          )}
        </section>
        <section>
          <h3>Clusters</h3>
          {!clusters ? null : clusters.error ? (
            <ErrorState error={clusters.error} />
          ) : clusters.isPending || !clusters.data ? (
            <Loading />
          ) : (
            <ClusterTable clusters={clusters.data} active={activeCluster} onPick={pickCluster} />
          )}
        </section>
        <section>
          <h3>Selection {selection.length ? `(${selection.length.toLocaleString()})` : ""}</h3>
          {(() => {
            // An insight lists its strongest samples only: say so, rather than let "3,186 possible label
            // errors" pass for the selection.
            const ins = insights?.data?.find((i) => i.rank === activeInsight);
            return ins && ins.count > ins.sample_ids.length ? (
              <p className="muted small" data-testid="insight-partial">
                {ins.sample_ids.length.toLocaleString()} of the insight&apos;s {ins.count.toLocaleString()} samples (its
                strongest) are selected.
              </p>
            ) : null;
          })()}
          {selection.length === 0 ? (
            <p className="muted small">Shift-drag on the map to lasso points, or pick an insight or a cluster.</p>
          ) : (
            <>
              <div className="toolbar wrap">
                {version && (
                  <BulkFlag
                    key={`f${selectedIds.length}-${selectedIds[0] ?? 0}`}
                    projectId={version.project_id}
                    sampleIds={selectedIds}
                    fromInsight={activeInsight !== null}
                  />
                )}
                {version && (
                  <BulkAnalyze
                    key={selectedIds.join(",").slice(0, 200) + selectedIds.length}
                    version={version}
                    epoch={epoch}
                    sampleIds={selectedIds}
                  />
                )}
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => {
                    setSelection([]);
                    setActiveInsight(null);
                    setActiveCluster(null);
                  }}
                >
                  Clear
                </button>
              </div>
              <div className="table-scroll">
                <table className="table compact" data-testid="selection-table">
                  <thead>
                    <tr>
                      <th>sample</th>
                      <th>split</th>
                      <th>label</th>
                      <th>pred</th>
                      <th>loss</th>
                    </tr>
                  </thead>
                  <tbody>
                    {listed.map((i) => (
                      <tr
                        key={i}
                        className={`clickable ${points.sampleId[i] === openSample ? "selected" : ""}`}
                        data-sample-id={points.sampleId[i]}
                        onClick={() => onOpenSample(points.sampleId[i] as number)}
                      >
                        <td>{points.sampleId[i]}</td>
                        <td>{SPLITS[points.split[i] as number]}</td>
                        <td>{cls(points.label[i])}</td>
                        <td className={points.label[i] === points.prediction[i] ? "" : "bad"}>
                          {cls(points.prediction[i])}
                        </td>
                        <td>{fmt(points.loss[i])}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </section>
      </aside>
    </div>
  );
}

/** A map that is not drawable yet: its state, its job's live progress, and a way to (re)build it. */
export function MapStatusCard({ state, version, epoch }: { state: MapState; version: Version; epoch: number }) {
  const build = useBuildMap(version.id);
  const live = useJob(state.job?.id ?? null);
  const job: Job | null = live.data ?? state.job;
  const running = job !== null && ["PENDING", "STARTED", "PROGRESS"].includes(job.state);
  const title =
    state.status === "failed"
      ? "The map failed"
      : running || state.status === "pending" || state.status === "running"
        ? `Building the map of epoch ${epoch}…`
        : `No map for epoch ${epoch} yet`;
  return (
    <div className="page-center">
      <div className="card map-status" data-testid="map-status" data-status={state.status}>
        <h2>{title}</h2>
        <p className="muted small">
          {state.status === "failed"
            ? state.message
            : "The map projects every sample's multi-layer latent vector to 2-D (UMAP), then clusters it and looks for insights. It is built after each epoch."}
        </p>
        {job && <JobCard job={job} />}
        <div className="form-actions">
          {build.error && <span className="bad small">{errorMessage(build.error)}</span>}
          <button
            type="button"
            className="btn btn-primary"
            disabled={running || build.isPending}
            onClick={() => build.mutate(epoch)}
          >
            {state.status === "failed" ? "Rebuild map" : "Build map"}
          </button>
        </div>
      </div>
    </div>
  );
}

/**
 * The newest finished map to show instead of `epoch` when the URL named no epoch and `epoch`'s map is not
 * finished (being built, or never built): people see the latest map they can use at once, with a banner for
 * the one coming. An epoch the URL names is shown as asked, finished or not.
 */
export function mapEpochToShow(epoch: number, pinned: boolean, doneEpochs: readonly number[]): number {
  if (pinned || doneEpochs.includes(epoch)) return epoch;
  const older = doneEpochs.filter((e) => e < epoch);
  return older.length ? Math.max(...older) : epoch;
}

/** A line above the map while a newer epoch's map is not finished: its progress, or a way to build it. */
function NewerMapBanner({ version, epoch, onOpen }: { version: Version; epoch: number; onOpen: () => void }) {
  const status = useMapStatus(version.id, epoch);
  const build = useBuildMap(version.id);
  const live = useJob(status.data?.job?.id ?? null);
  const job: Job | null = live.data ?? status.data?.job ?? null;
  const running =
    (job !== null && ["PENDING", "STARTED", "PROGRESS"].includes(job.state)) ||
    status.data?.status === "pending" ||
    status.data?.status === "running";
  const failed = status.data?.status === "failed";
  return (
    <div className="map-banner" role="status" data-testid="newer-map-banner">
      <span>
        {running
          ? `The map of epoch ${epoch} is being built${job?.message ? ` (${job.message})` : ""}; this is the newest finished one.`
          : failed
            ? `The map of epoch ${epoch} failed; this is the newest finished one.`
            : `Epoch ${epoch} has no map yet; this is the newest finished one.`}
      </span>
      <span className="spacer" />
      {build.error && <span className="bad small">{errorMessage(build.error)}</span>}
      {!running && (
        <button type="button" className="btn btn-small" disabled={build.isPending} onClick={() => build.mutate(epoch)}>
          {failed ? "Rebuild" : "Build"} the map of epoch {epoch}
        </button>
      )}
      <button type="button" className="btn btn-small" onClick={onOpen}>
        Go to epoch {epoch}
      </button>
    </div>
  );
}

export function MapView({
  version,
  epoch: wanted,
  pinned = true,
  onEpoch,
  onOpenSample,
}: {
  version: Version | null;
  epoch: number | null;
  /** Whether the URL names the epoch; if not, the newest finished map stands in for an unfinished one. */
  pinned?: boolean;
  onEpoch: (e: number) => void;
  onOpenSample: (id: number) => void;
}) {
  const qc = useQueryClient();
  const vid = version?.id ?? null;
  const maps = useMaps(vid);
  const doneEpochs = useMemo(
    () => (maps.data ?? []).filter((m) => m.status === "done").map((m) => m.epoch),
    [maps.data],
  );
  // Until the list of maps arrives, nothing is known to be finished: wait for it rather than flash a status.
  const epoch = wanted === null || !maps.data ? wanted : mapEpochToShow(wanted, pinned, doneEpochs);
  const newer = wanted !== null && epoch !== null && epoch < wanted ? wanted : null;
  const status = useMapStatus(vid, maps.data ? epoch : null);
  const done = epoch !== null && (doneEpochs.includes(epoch) || status.data?.status === "done");
  const points = usePoints(vid, epoch, done);
  const insights = useInsights(vid, epoch, done);
  const clusters = useClusters(vid, epoch, done);
  // Warm the cache with the other finished epochs so the slider and Play animate without a wait; not for
  // a map so large that it is drawn while it loads (each epoch would be as many megabytes again).
  const rows = points.data?.meta.rows ?? null;
  const loaded = points.data !== undefined && !stillLoading(points.data);
  useEffect(() => {
    if (vid === null || !loaded || (rows !== null && rows >= PROGRESSIVE_ROWS)) return;
    for (const e of doneEpochs) {
      void prefetchPoints(qc, vid, e);
    }
  }, [qc, vid, doneEpochs, loaded, rows]);
  if (!version) return <Empty>No version yet: train one with “Train…” on the left.</Empty>;
  if (epoch === null) return <Empty>No evaluated epoch yet: train the version first.</Empty>;
  if (maps.error)
    return <ErrorState error={maps.error} title="Cannot list the maps" onRetry={() => void maps.refetch()} />;
  if (!maps.data) return <Loading label="Checking the map…" />;
  if (!done) {
    if (status.error)
      return (
        <ErrorState error={status.error} title="Cannot read the map's status" onRetry={() => void status.refetch()} />
      );
    if (!status.data) return <Loading label="Checking the map…" />;
    return <MapStatusCard state={status.data} version={version} epoch={epoch} />;
  }
  if (points.error)
    return (
      <ErrorState error={points.error} title="Cannot load the map's points" onRetry={() => void points.refetch()} />
    );
  // While another epoch loads, the previous epoch's points stay on screen, then move (the animation).
  const shown = points.data;
  if (!shown) return <Loading label="Loading map points…" />;
  return (
    <>
      {newer !== null && <NewerMapBanner version={version} epoch={newer} onOpen={() => onEpoch(newer)} />}
      <MapExplorer
        points={shown.points}
        meta={shown.meta}
        version={version}
        epochs={version.epochs_done}
        epoch={epoch}
        doneEpochs={doneEpochs}
        loadingEpoch={points.isPlaceholderData}
        onEpoch={onEpoch}
        onOpenSample={onOpenSample}
        insights={insights}
        clusters={clusters}
      />
    </>
  );
}
