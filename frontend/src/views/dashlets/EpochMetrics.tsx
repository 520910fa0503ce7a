import { useMemo } from "react";
import { useEpochMetrics } from "../../api/metrics";
import { Chart, type ChartOption } from "../../components/Chart";
import { Empty, QueryView } from "../../components/States";
import { fmt, pct } from "../../lib/format";

const SPLIT_COLORS: Record<string, string> = { train: "#4e79a7", val: "#f28e2b", test: "#b07aa1" };

export function EpochMetrics({ versionId }: { versionId: number }) {
  const q = useEpochMetrics(versionId);
  return (
    <QueryView query={q}>
      {(data) => (data.items.length === 0 ? <Empty>No evaluated epoch yet.</Empty> : <EpochChart items={data.items} />)}
    </QueryView>
  );
}

function EpochChart({ items }: { items: { epoch: number; split: string; loss: number; accuracy: number }[] }) {
  const option = useMemo<ChartOption>(() => {
    const splits = [...new Set(items.map((i) => i.split))];
    return {
      tooltip: { trigger: "axis" },
      // A scrolling one-line legend: in a narrow dashlet a wrapped legend would cover the axes.
      legend: { type: "scroll", top: 0, textStyle: { color: "#cbd5e1" }, itemWidth: 14, itemGap: 8 },
      grid: { left: 58, right: 58, top: 34, bottom: 30, containLabel: false },
      xAxis: { type: "value", name: "epoch", minInterval: 1, min: "dataMin", max: "dataMax" },
      // Axis names along the axes: above them they ran into the legend.
      yAxis: [
        { type: "value", name: "loss", scale: true, nameLocation: "middle", nameGap: 40 },
        { type: "value", name: "accuracy", max: 1, scale: true, nameLocation: "middle", nameGap: 40 },
      ],
      series: splits.flatMap((s) => {
        const rows = items.filter((i) => i.split === s);
        return [
          {
            name: `${s} loss`,
            type: "line",
            yAxisIndex: 0,
            color: SPLIT_COLORS[s],
            data: rows.map((r) => [r.epoch, r.loss]),
          },
          {
            name: `${s} acc`,
            type: "line",
            yAxisIndex: 1,
            color: SPLIT_COLORS[s],
            lineStyle: { type: "dashed" },
            data: rows.map((r) => [r.epoch, r.accuracy]),
          },
        ];
      }),
    };
  }, [items]);
  const last = Math.max(...items.map((i) => i.epoch));
  return (
    <div className="split-host">
      <div className="dashlet-split">
        <Chart option={option} />
        <table className="table compact" aria-label="latest epoch metrics">
          <thead>
            <tr>
              <th>split</th>
              <th>loss</th>
              <th>accuracy</th>
            </tr>
          </thead>
          <tbody>
            {items
              .filter((i) => i.epoch === last)
              .map((i) => (
                <tr key={i.split}>
                  <td>{i.split}</td>
                  <td>{fmt(i.loss)}</td>
                  <td>{pct(i.accuracy)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
