import { useMemo } from "react";
import { useCurves } from "../../api/metrics";
import { Chart } from "../../components/Chart";
import { Empty, QueryView } from "../../components/States";
import { classColor, classCurvesOption, type Curves } from "../../lib/classCurves";
import { fmt } from "../../lib/format";
import type { CurvePaneProps } from "./ResultFigures";

/** Every class's ROC AUC and average precision, and their macro average, as a table (text, never markup). */
export function ClassCurveTable({ curves }: { curves: Curves }) {
  return (
    <table className="table compact" aria-label="curves per class">
      <thead>
        <tr>
          <th>class</th>
          <th className="num">n</th>
          <th className="num">AUC</th>
          <th className="num">AP</th>
        </tr>
      </thead>
      <tbody>
        {curves.curves.map((c, k) => (
          <tr key={c.class_index}>
            <td className="wrap-text">
              <span className="swatch" style={{ background: classColor(k) }} />
              {c.class_name}
            </td>
            <td className="num">{c.positives}</td>
            <td className="num">{fmt(c.roc_auc)}</td>
            <td className="num">{fmt(c.average_precision)}</td>
          </tr>
        ))}
        {curves.macro && (
          <tr>
            <th scope="row">macro</th>
            <td className="num muted">{curves.macro.classes_averaged}</td>
            <td className="num">{fmt(curves.macro.roc_auc)}</td>
            <td className="num">{fmt(curves.macro.average_precision)}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

/** One-vs-rest ROC and PR curves of three or more classes, computed by the API from every class's probability. */
export function ClassCurves({ versionId, epoch, split, picker }: CurvePaneProps) {
  const q = useCurves(versionId, epoch, split);
  const option = useMemo(() => (q.data ? classCurvesOption(q.data) : null), [q.data]);
  return (
    <div className="dashlet-fill" data-testid="class-curves">
      <div className="toolbar">
        {picker}
        <span className="muted small">epoch {epoch} · one class against the rest</span>
      </div>
      <QueryView query={q} loading="Loading curves…">
        {(curves) =>
          curves.count === 0 ? (
            <Empty>No samples in this split.</Empty>
          ) : (
            <div className="split-host">
              <div className="dashlet-split">
                {option && <Chart option={option} />}
                <div className="table-scroll">
                  <ClassCurveTable curves={curves} />
                </div>
              </div>
            </div>
          )
        }
      </QueryView>
    </div>
  );
}
