import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { fetchBinary, type Version } from "../api/client";
import { useSample } from "../api/hooks";
import { LegendView, PointMap } from "../components/PointMap";
import { Empty, ErrorState, Loading, NotAvailable } from "../components/States";
import { hasFeature } from "../lib/features";
import { fmt } from "../lib/format";
import { COLOR_FIELDS, FIELD_TITLES, type ColorField } from "../lib/pointColors";
import { decodePoints, type PointSet } from "../lib/points";

export function usePoints(versionId: number | null, epoch: number | null) {
  return useQuery({
    queryKey: ["points", versionId, epoch],
    enabled: versionId !== null && epoch !== null && hasFeature("map"),
    staleTime: Infinity,
    queryFn: async () => decodePoints(await fetchBinary(`/api/versions/${versionId}/map/points?epoch=${epoch}&format=binary`)),
  });
}

function HoverPreview({ points, index, at }: { points: PointSet; index: number; at: { x: number; y: number } }) {
  const sample = useSample(points.sampleId[index] as number, null);
  const words = sample.data?.text.replace(/<br\s*\/?>/gi, " ").split(/\s+/).slice(0, 30).join(" ");
  return (
    <div className="hover-card" style={{ left: at.x + 14, top: at.y + 14 }} role="tooltip">
      <div className="small">
        label <b>{points.label[index]}</b> · pred <b>{points.prediction[index]}</b> · loss <b>{fmt(points.loss[index])}</b>
      </div>
      <div className="preview-text">{sample.isPending ? "…" : sample.error ? "preview unavailable" : `${words}…`}</div>
    </div>
  );
}

export function MapExplorer({ points, epochs, epoch, onEpoch, onOpenSample }: {
  points: PointSet;
  epochs: number;
  epoch: number;
  onEpoch: (e: number) => void;
  onOpenSample: (sampleId: number) => void;
}) {
  const [colorBy, setColorBy] = useState<ColorField>("label");
  const [sizeByLoss, setSizeByLoss] = useState(true);
  const [hover, setHover] = useState<{ index: number; at: { x: number; y: number } } | null>(null);
  const [selection, setSelection] = useState<number[]>([]);
  const [playing, setPlaying] = useState(false);
  useEffect(() => {
    if (!playing) return;
    const t = window.setTimeout(() => (epoch < epochs ? onEpoch(epoch + 1) : setPlaying(false)), 1200);
    return () => window.clearTimeout(t);
  }, [playing, epoch, epochs, onEpoch]);
  return (
    <div className="map-layout">
      <div className="map-main">
        <div className="toolbar">
          <label className="inline-field">colour by
            <select value={colorBy} onChange={(e) => setColorBy(e.target.value as ColorField)} aria-label="colour by">
              {COLOR_FIELDS.map((f) => <option key={f} value={f}>{FIELD_TITLES[f]}</option>)}
            </select>
          </label>
          <label className="inline-field"><input type="checkbox" checked={sizeByLoss} onChange={(e) => setSizeByLoss(e.target.checked)} /> size by loss</label>
          <span className="spacer" />
          <button type="button" className="btn btn-small" disabled={epochs < 2} onClick={() => { if (epoch >= epochs) onEpoch(1); setPlaying(!playing); }}>{playing ? "Pause" : "▶ Play"}</button>
          <label className="inline-field">epoch
            <input type="range" min={1} max={Math.max(1, epochs)} value={epoch} onChange={(e) => onEpoch(Number(e.target.value))} aria-label="epoch slider" />
            {epoch}
          </label>
          <span className="muted small">{points.n.toLocaleString()} points · shift-drag to lasso</span>
        </div>
        <div className="map-canvas-wrap">
          <PointMap points={points} colorBy={colorBy} sizeByLoss={sizeByLoss} highlighted={selection}
            onHover={(i, at) => setHover(i === null || !at ? null : { index: i, at })}
            onClick={(i) => onOpenSample(points.sampleId[i] as number)}
            onSelect={setSelection} />
          {hover && <HoverPreview points={points} index={hover.index} at={hover.at} />}
          <div className="map-legend"><LegendView points={points} colorBy={colorBy} /></div>
        </div>
      </div>
      <aside className="map-side">
        <section>
          <h3>Insights</h3>
          {hasFeature("insights") ? <Empty>Insights load here.</Empty> : <NotAvailable feature="insights" what="Insights" />}
        </section>
        <section>
          <h3>Selection {selection.length ? `(${selection.length})` : ""}</h3>
          {selection.length === 0 ? <p className="muted small">Shift-drag on the map to lasso points.</p> : (
            <>
              <div className="toolbar">
                <button type="button" className="btn btn-small" disabled={!hasFeature("flags")} title={hasFeature("flags") ? "" : "needs the flags API (issue 5)"}>Flag all</button>
                <button type="button" className="btn btn-small" disabled={!hasFeature("analyze")} title={hasFeature("analyze") ? "" : "needs the analysis API (issue 4)"}>Analyze all</button>
                <button type="button" className="btn btn-small" onClick={() => setSelection([])}>Clear</button>
              </div>
              <div className="table-scroll">
                <table className="table compact">
                  <thead><tr><th>sample</th><th>label</th><th>pred</th><th>loss</th></tr></thead>
                  <tbody>
                    {selection.slice(0, 500).map((i) => (
                      <tr key={i} className="clickable" onClick={() => onOpenSample(points.sampleId[i] as number)}>
                        <td>{points.sampleId[i]}</td><td>{points.label[i]}</td><td>{points.prediction[i]}</td><td>{fmt(points.loss[i])}</td>
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

export function MapView({ version, epoch, onOpenSample }: { version: Version | null; epoch: number | null; onOpenSample: (id: number) => void }) {
  const [shownEpoch, setShownEpoch] = useState<number | null>(epoch);
  useEffect(() => setShownEpoch(epoch), [epoch]);
  const q = usePoints(version?.id ?? null, shownEpoch);
  if (!hasFeature("map")) return <NotAvailable feature="map" what="Population map" />;
  if (!version) return <Empty>Select or train a version.</Empty>;
  if (shownEpoch === null) return <Empty>No evaluated epoch yet.</Empty>;
  if (q.error) return <ErrorState error={q.error} title="The map is not ready" onRetry={() => void q.refetch()} />;
  if (!q.data) return <Loading label="Loading map points…" />;
  return <MapExplorer points={q.data} epochs={version.epochs_done} epoch={shownEpoch} onEpoch={setShownEpoch} onOpenSample={onOpenSample} />;
}
