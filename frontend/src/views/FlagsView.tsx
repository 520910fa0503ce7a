import { useMemo, useState } from "react";
import { useAllResults } from "../api/allResults";
import type { Version } from "../api/client";
import { useEpochMetrics } from "../api/hooks";
import { Empty, ErrorState, Loading, NotAvailable } from "../components/States";
import { hasFeature } from "../lib/features";
import { fmt, pct } from "../lib/format";

/** Side-by-side comparison of two versions from their epoch metrics and per-sample results. */
function Compare({ a, b, onOpenSample }: { a: Version; b: Version; onOpenSample: (id: number) => void }) {
  const ma = useEpochMetrics(a.id), mb = useEpochMetrics(b.id);
  const ra = useAllResults(a.id, a.epochs_done || null), rb = useAllResults(b.id, b.epochs_done || null);
  const changed = useMemo(() => {
    if (!ra.data || !rb.data) return null;
    const predB = new Map<number, { p: number; l: number }>();
    for (let i = 0; i < rb.data.n; i++) predB.set(rb.data.sampleId[i] as number, { p: rb.data.prediction[i] as number, l: rb.data.loss[i] as number });
    const out: { id: number; label: number; from: number; to: number; lossA: number; lossB: number }[] = [];
    for (let i = 0; i < ra.data.n; i++) {
      const other = predB.get(ra.data.sampleId[i] as number);
      if (other && other.p !== ra.data.prediction[i]) {
        out.push({ id: ra.data.sampleId[i] as number, label: ra.data.label[i] as number, from: ra.data.prediction[i] as number, to: other.p, lossA: ra.data.loss[i] as number, lossB: other.l });
      }
    }
    return out;
  }, [ra.data, rb.data]);
  const err = ma.error ?? mb.error ?? ra.error ?? rb.error;
  if (err) return <ErrorState error={err} />;
  if (!ma.data || !mb.data) return <Loading />;
  const last = (items: { epoch: number; split: string; loss: number; accuracy: number }[]) => {
    const e = Math.max(0, ...items.map((i) => i.epoch));
    return new Map(items.filter((i) => i.epoch === e).map((i) => [i.split, i]));
  };
  const la = last(ma.data.items), lb = last(mb.data.items);
  const splits = [...new Set([...la.keys(), ...lb.keys()])];
  return (
    <div className="compare">
      <table className="table" aria-label="version comparison">
        <thead><tr><th>split</th><th>{a.name} acc</th><th>{b.name} acc</th><th>Δ acc</th><th>{a.name} loss</th><th>{b.name} loss</th></tr></thead>
        <tbody>
          {splits.map((s) => {
            const x = la.get(s), y = lb.get(s);
            const d = x && y ? y.accuracy - x.accuracy : null;
            return (
              <tr key={s}><td>{s}</td><td>{pct(x?.accuracy)}</td><td>{pct(y?.accuracy)}</td><td className={d === null ? "" : d >= 0 ? "good" : "bad"}>{d === null ? "–" : `${d >= 0 ? "+" : ""}${(d * 100).toFixed(1)} pt`}</td><td>{fmt(x?.loss)}</td><td>{fmt(y?.loss)}</td></tr>
            );
          })}
        </tbody>
      </table>
      <h4>Samples whose prediction changed {changed ? `(${changed.length})` : ""}</h4>
      {!changed ? <Loading label="Loading per-sample results…" /> : changed.length === 0 ? <Empty>No prediction changed.</Empty> : (
        <div className="table-scroll">
          <table className="table compact">
            <thead><tr><th>sample</th><th>label</th><th>{a.name}</th><th>{b.name}</th><th>loss A → B</th></tr></thead>
            <tbody>
              {changed.slice(0, 300).map((c) => (
                <tr key={c.id} className="clickable" onClick={() => onOpenSample(c.id)}>
                  <td>{c.id}</td><td>{c.label}</td><td>{c.from}</td><td className={c.to === c.label ? "good" : "bad"}>{c.to}</td><td>{fmt(c.lossA)} → {fmt(c.lossB)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

export function FlagsView({ versions, onOpenSample }: { projectId: number; versions: Version[]; onOpenSample: (id: number) => void }) {
  const trained = versions.filter((v) => v.epochs_done > 0);
  const [aId, setA] = useState<number | null>(trained[0]?.id ?? null);
  const [bId, setB] = useState<number | null>(trained[1]?.id ?? null);
  const a = trained.find((v) => v.id === aId) ?? null, b = trained.find((v) => v.id === bId) ?? null;
  return (
    <div className="flags-view">
      <section className="card">
        <h3>Flags</h3>
        {hasFeature("flags") ? null : <NotAvailable feature="flags" what="The flag list, exports and retraining without mislabels" />}
      </section>
      <section className="card">
        <h3>Compare versions</h3>
        {trained.length < 2 ? <Empty>Train two versions to compare them.</Empty> : (
          <>
            <div className="toolbar">
              <select value={aId ?? ""} onChange={(e) => setA(Number(e.target.value))} aria-label="version A">{trained.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}</select>
              <span>vs</span>
              <select value={bId ?? ""} onChange={(e) => setB(Number(e.target.value))} aria-label="version B">{trained.map((v) => <option key={v.id} value={v.id}>{v.name}</option>)}</select>
            </div>
            {a && b && <Compare a={a} b={b} onOpenSample={onOpenSample} />}
          </>
        )}
      </section>
    </div>
  );
}
