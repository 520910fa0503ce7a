import { useMemo, useState } from "react";
import { useBatchMetrics } from "../../api/metrics";
import { Chart, type ChartOption } from "../../components/Chart";
import { Empty, QueryView } from "../../components/States";
import { smooth } from "../../lib/smoothing";

export function BatchCurves({ versionId }: { versionId: number }) {
  const q = useBatchMetrics(versionId);
  const [weight, setWeight] = useState(0.8);
  return (
    <QueryView query={q}>
      {(data) => {
        if (data.items.length === 0) return <Empty>No batches yet: train this version to see its curves.</Empty>;
        return <BatchChart items={data.items} weight={weight} setWeight={setWeight} />;
      }}
    </QueryView>
  );
}

function BatchChart({
  items,
  weight,
  setWeight,
}: {
  items: { step: number; loss: number; accuracy: number; epoch: number }[];
  weight: number;
  setWeight: (w: number) => void;
}) {
  const option = useMemo<ChartOption>(() => {
    const steps = items.map((i) => i.step);
    const loss = items.map((i) => i.loss);
    const acc = items.map((i) => i.accuracy);
    const sl = smooth(loss, weight);
    const sa = smooth(acc, weight);
    // Epoch boundaries drawn as vertical lines so "all epochs" reads at a glance.
    const bounds = items
      .filter((it, k) => k > 0 && items[k - 1]?.epoch !== it.epoch)
      .map((it) => ({ xAxis: it.step, label: { formatter: `epoch ${it.epoch}` } }));
    const pair = (ys: number[]) => steps.map((s, k) => [s, ys[k]]);
    return {
      tooltip: { trigger: "axis" },
      // One scrolling legend line, and axis names along the axes: in a narrow dashlet a wrapped legend and names
      // above the axes overlapped the curves and each other.
      legend: { type: "scroll", top: 0, textStyle: { color: "#cbd5e1" }, itemWidth: 14, itemGap: 8 },
      grid: [
        { left: 58, right: 44, top: 34, height: "33%" },
        { left: 58, right: 44, bottom: 28, height: "33%" },
      ],
      xAxis: [
        { type: "value", gridIndex: 0, name: "batch", min: "dataMin", max: "dataMax" },
        { type: "value", gridIndex: 1, name: "batch", min: "dataMin", max: "dataMax" },
      ],
      yAxis: [
        { type: "value", gridIndex: 0, name: "loss", scale: true, nameLocation: "middle", nameGap: 40 },
        { type: "value", gridIndex: 1, name: "accuracy", max: 1, scale: true, nameLocation: "middle", nameGap: 40 },
      ],
      series: [
        {
          name: "loss (raw)",
          type: "line",
          data: pair(loss),
          showSymbol: false,
          lineStyle: { opacity: 0.25, width: 1 },
          color: "#f28e2b",
          xAxisIndex: 0,
          yAxisIndex: 0,
          markLine: { symbol: "none", silent: true, lineStyle: { color: "#475569", type: "dashed" }, data: bounds },
        },
        {
          name: "loss",
          type: "line",
          data: pair(sl),
          showSymbol: false,
          color: "#f28e2b",
          xAxisIndex: 0,
          yAxisIndex: 0,
        },
        {
          name: "accuracy (raw)",
          type: "line",
          data: pair(acc),
          showSymbol: false,
          lineStyle: { opacity: 0.25, width: 1 },
          color: "#4e79a7",
          xAxisIndex: 1,
          yAxisIndex: 1,
        },
        {
          name: "accuracy",
          type: "line",
          data: pair(sa),
          showSymbol: false,
          color: "#4e79a7",
          xAxisIndex: 1,
          yAxisIndex: 1,
        },
      ],
    };
  }, [items, weight]);
  return (
    <div className="dashlet-fill">
      <label className="inline-field small">
        smoothing{" "}
        <input
          type="range"
          min={0}
          max={0.99}
          step={0.01}
          value={weight}
          onChange={(e) => setWeight(Number(e.target.value))}
          aria-label="smoothing"
        />{" "}
        {weight.toFixed(2)}
      </label>
      <Chart option={option} />
    </div>
  );
}
