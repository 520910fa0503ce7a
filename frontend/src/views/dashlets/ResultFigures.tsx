import { useMemo, useState, type ReactNode } from "react";
import { subsetBySplit, useAllResults, type ResultColumns } from "../../api/allResults";
import { Chart, type ChartOption } from "../../components/Chart";
import { Empty, QueryView } from "../../components/States";
import { confusionMatrix, prCurve, rocCurve } from "../../lib/curves";
import { rocPrPanes } from "../../lib/classCurves";
import { fmt } from "../../lib/format";
import { ClassCurves } from "./ClassCurves";

export type Split = "all" | "train" | "val" | "test";

/** A figure of one epoch's results: with `split`, the split is the caller's (the report page) and no picker shows. */
export interface FigureProps {
  versionId: number;
  epoch: number;
  classes: readonly string[];
  split?: Split;
}

/** A curve pane of one split; `picker` is the split picker its caller shows, if any. */
export interface CurvePaneProps {
  versionId: number;
  epoch: number;
  split: Split;
  picker?: ReactNode;
}

export function SplitPicker({ value, onChange }: { value: Split; onChange: (s: Split) => void }) {
  return (
    <select value={value} onChange={(e) => onChange(e.target.value as Split)} aria-label="split">
      {(["test", "val", "train", "all"] as const).map((s) => (
        <option key={s} value={s}>
          {s}
        </option>
      ))}
    </select>
  );
}

export function pick(c: ResultColumns, idx: number[]) {
  return {
    labels: idx.map((i) => c.label[i] as number),
    preds: idx.map((i) => c.prediction[i] as number),
    scores: idx.map((i) => c.pPositive[i] as number),
  };
}

export function Confusion({ versionId, epoch, classes, split: fixed }: FigureProps) {
  const q = useAllResults(versionId, epoch);
  const [picked, setSplit] = useState<Split>("test");
  const split = fixed ?? picked;
  return (
    <QueryView query={q} loading="Loading results…">
      {(c) => {
        const idx = subsetBySplit(c, split);
        const { labels, preds } = pick(c, idx);
        const m = confusionMatrix(labels, preds, classes.length);
        const max = Math.max(1, ...m.flat());
        return (
          <div className="dashlet-fill">
            <div className="toolbar">
              {!fixed && <SplitPicker value={split} onChange={setSplit} />}
              <span className="muted small">
                epoch {epoch} · {idx.length} samples
              </span>
            </div>
            {idx.length === 0 ? (
              <Empty>No samples in this split.</Empty>
            ) : (
              <table className="confusion" aria-label="confusion matrix">
                <thead>
                  <tr>
                    <th className="muted small">label ↓ / pred →</th>
                    {classes.map((k) => (
                      <th key={k}>{k}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {m.map((row, i) => (
                    <tr key={i}>
                      <th>{classes[i]}</th>
                      {row.map((v, j) => (
                        <td
                          key={j}
                          style={{
                            background: `rgba(${i === j ? "78,121,167" : "225,87,89"}, ${(0.15 + (0.75 * v) / max).toFixed(3)})`,
                          }}
                        >
                          {v}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </div>
        );
      }}
    </QueryView>
  );
}

/**
 * ROC and precision-recall curves. Two classes: from p(positive), in the browser. Three or more: one
 * curve per class against the rest, with the macro average, from the API (ClassCurves).
 */
export function RocPr({ versionId, epoch, classes, split: fixed }: FigureProps) {
  const [picked, setSplit] = useState<Split>("test");
  const split = fixed ?? picked;
  const picker = fixed ? null : <SplitPicker value={split} onChange={setSplit} />;
  return classes.length > 2 ? (
    <ClassCurves versionId={versionId} epoch={epoch} split={split} picker={picker} />
  ) : (
    <BinaryRocPr versionId={versionId} epoch={epoch} split={split} picker={picker} />
  );
}

function BinaryRocPr({ versionId, epoch, split, picker }: CurvePaneProps) {
  const q = useAllResults(versionId, epoch);
  const option = useMemo<ChartOption | null>(() => {
    if (!q.data) return null;
    const { labels, scores } = pick(q.data, subsetBySplit(q.data, split));
    const roc = rocCurve(labels, scores);
    const pr = prCurve(labels, scores);
    const pts = (xs: number[], ys: number[]) => xs.map((x, k) => [x, ys[k]]);
    return {
      tooltip: { trigger: "axis" },
      ...rocPrPanes(`ROC · AUC ${fmt(roc.area)}`, `PR · AP ${fmt(pr.area)}`, 35),
      series: [
        {
          type: "line",
          xAxisIndex: 0,
          yAxisIndex: 0,
          showSymbol: false,
          data: pts(roc.x, roc.y),
          color: "#4e79a7",
          areaStyle: { opacity: 0.15 },
        },
        {
          type: "line",
          xAxisIndex: 0,
          yAxisIndex: 0,
          showSymbol: false,
          data: [
            [0, 0],
            [1, 1],
          ],
          lineStyle: { type: "dashed", color: "#475569" },
        },
        {
          type: "line",
          xAxisIndex: 1,
          yAxisIndex: 1,
          showSymbol: false,
          step: "end",
          data: pts(pr.x, pr.y),
          color: "#f28e2b",
        },
      ],
    };
  }, [q.data, split]);
  return (
    <QueryView query={q} loading="Loading results…">
      {() => (
        <div className="dashlet-fill">
          <div className="toolbar">
            {picker}
            <span className="muted small">epoch {epoch} · from p(positive)</span>
          </div>
          {option && <Chart option={option} />}
        </div>
      )}
    </QueryView>
  );
}
