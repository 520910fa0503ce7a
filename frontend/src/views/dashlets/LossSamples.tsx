import { useEffect, useMemo, useRef, useState } from "react";
import type { SampleRow } from "../../api/client";
import { useFlags } from "../../api/flags";
import { useSamples } from "../../api/samples";
import { Empty, ErrorState, Loading } from "../../components/States";
import { fmt } from "../../lib/format";
import { arrowStep } from "../../lib/useArrowSteps";

const PAGE = 25;
const NO_ROWS: readonly SampleRow[] = [];

/** Samples sorted by loss, paged. Arrow keys step through them (opening each), across page boundaries. */
export function LossSamples({
  versionId,
  projectId,
  classes,
  epoch,
  selected,
  onOpen,
}: {
  versionId: number;
  projectId: number;
  classes: readonly string[];
  epoch: number;
  selected: number | null;
  onOpen: (id: number) => void;
}) {
  const [split, setSplit] = useState<"" | "train" | "val" | "test">("");
  const [page, setPage] = useState(0);
  const q = useSamples(versionId, {
    epoch,
    sort: "loss",
    order: "desc",
    offset: page * PAGE,
    limit: PAGE,
    split: split || undefined,
  });
  const items = q.data?.items ?? NO_ROWS;
  // The project's flags (a few hundred at most in practice), to mark flagged rows; refetched on every change.
  const flags = useFlags(projectId, { limit: 5000 });
  const flagOf = useMemo(
    () => new Map((flags.data?.items ?? []).map((f) => [f.sample_id, f.state] as const)),
    [flags.data],
  );
  const total = q.data?.total ?? 0;
  const pendingStep = useRef<"first" | "last" | null>(null);

  useEffect(() => {
    if (pendingStep.current && items.length && !q.isPlaceholderData) {
      const row = pendingStep.current === "first" ? items[0] : items[items.length - 1];
      pendingStep.current = null;
      if (row) onOpen(row.id);
    }
  }, [items, q.isPlaceholderData, onOpen]);

  // The sample a key steps from: the one this list last opened, until the page's state catches up. A second
  // key pressed before React re-rendered would otherwise step from the sample before the first key's.
  const current = useRef(selected);
  useEffect(() => {
    current.current = selected;
  }, [selected]);

  useEffect(() => {
    const open = (id: number) => {
      current.current = id;
      onOpen(id);
    };
    const onKey = (e: KeyboardEvent) => {
      const step = arrowStep(e);
      if (step === null || !items.length) return;
      e.preventDefault();
      const k = items.findIndex((r) => r.id === current.current);
      const down = step === 1;
      if (k === -1) return open((items[0] as { id: number }).id);
      const next = k + (down ? 1 : -1);
      if (next >= 0 && next < items.length) return open((items[next] as { id: number }).id);
      if (down && (page + 1) * PAGE < total) {
        pendingStep.current = "first";
        setPage(page + 1);
      } else if (!down && page > 0) {
        pendingStep.current = "last";
        setPage(page - 1);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [items, page, total, onOpen]);

  return (
    <div className="dashlet-fill">
      <div className="toolbar">
        <select
          value={split}
          onChange={(e) => {
            setSplit(e.target.value as typeof split);
            setPage(0);
          }}
          aria-label="split"
        >
          <option value="">all splits</option>
          <option value="train">train</option>
          <option value="val">val</option>
          <option value="test">test</option>
        </select>
        <span className="muted small">↑/↓ step through · {total.toLocaleString()} samples</span>
        <span className="spacer" />
        <button type="button" className="btn btn-small" disabled={page === 0} onClick={() => setPage(page - 1)}>
          ‹
        </button>
        <span className="small">
          {page + 1} / {Math.max(1, Math.ceil(total / PAGE))}
        </span>
        <button
          type="button"
          className="btn btn-small"
          disabled={(page + 1) * PAGE >= total}
          onClick={() => setPage(page + 1)}
        >
          ›
        </button>
      </div>
      {q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : q.isPending ? (
        <Loading />
      ) : items.length === 0 ? (
        <Empty>No samples.</Empty>
      ) : (
        <div className="table-scroll">
          <table className="table" data-testid="loss-table">
            <thead>
              <tr>
                <th>#</th>
                <th>loss</th>
                <th>label</th>
                <th>pred</th>
                <th>split</th>
                <th>review</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r, k) => (
                <tr
                  key={r.id}
                  className={`clickable ${r.id === selected ? "selected" : ""}`}
                  onClick={() => onOpen(r.id)}
                  data-sample-id={r.id}
                >
                  <td className="muted">{page * PAGE + k + 1}</td>
                  <td className="num">{fmt(r.result?.loss)}</td>
                  <td>
                    {r.label_name || r.label}
                    {flagOf.has(r.id) && (
                      <span className="pill" data-testid="row-flag" title="flag state">
                        {" "}
                        {flagOf.get(r.id)}
                      </span>
                    )}
                  </td>
                  <td className={r.result?.correct ? "" : "bad"}>
                    {r.result ? (classes[r.result.prediction] ?? r.result.prediction) : ""}
                  </td>
                  <td>{r.split}</td>
                  <td className="preview">{r.preview}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
