import { useMemo, useState } from "react";
import { useAllResults } from "../../api/allResults";
import { useVersionFields } from "../../api/samples";
import { Chart } from "../../components/Chart";
import { Empty, ErrorState, Loading } from "../../components/States";
import type { DashletSettings } from "../../lib/dashletLayout";
import { chartOption, defaultAxes, fieldColumn, planChart, type FieldInfo } from "../../lib/fieldChart";

function FieldOptions({ fields }: { fields: readonly FieldInfo[] }) {
  const builtin = fields.filter((f) => f.source !== "meta");
  const meta = fields.filter((f) => f.source === "meta");
  return (
    <>
      {builtin.map((f) => (
        <option key={f.name} value={f.name}>
          {f.title}
        </option>
      ))}
      {meta.length > 0 && (
        <optgroup label="Dataset metadata">
          {meta.map((f) => (
            <option key={f.name} value={f.name}>
              {f.title}
            </option>
          ))}
        </optgroup>
      )}
    </>
  );
}

/**
 * Any per-sample field against another at one epoch: the mean of y per x value for a category (or a
 * number with few values, like the 1–10 user score, the default x), every sample for other numbers.
 * The choice is saved with the dashboard layout through `onSettings`.
 */
export function FieldScatter({
  versionId,
  epoch,
  settings,
  onSettings,
}: {
  versionId: number;
  epoch: number;
  settings?: DashletSettings;
  onSettings?: (settings: DashletSettings) => void;
}) {
  const fields = useVersionFields(versionId);
  const results = useAllResults(versionId, epoch);
  const [own, setOwn] = useState<DashletSettings>(settings ?? {});
  const chosen = onSettings ? (settings ?? {}) : own;
  const choose = (next: DashletSettings) => (onSettings ? onSettings(next) : setOwn(next));

  const list = useMemo(() => fields.data?.fields ?? [], [fields.data]);
  const numeric = list.filter((f) => f.kind === "number");
  const defaults = defaultAxes(list);
  // A saved field another dataset lacks falls back to the default.
  const xField = list.find((f) => f.name === chosen.x) ?? list.find((f) => f.name === defaults.x);
  const yField = numeric.find((f) => f.name === chosen.y) ?? numeric.find((f) => f.name === defaults.y);

  const plan = useMemo(() => {
    if (!results.data || !xField || !yField) return null;
    const x = fieldColumn(results.data, xField);
    const y = fieldColumn(results.data, yField);
    return x && y?.kind === "number" ? planChart(x, y.values) : null;
  }, [results.data, xField, yField]);
  const option = useMemo(
    () => (plan && xField && yField ? chartOption(plan, xField.title, yField.title) : null),
    [plan, xField, yField],
  );

  const error = fields.error ?? results.error;
  if (error)
    return (
      <ErrorState
        error={error}
        onRetry={() => {
          void fields.refetch();
          void results.refetch();
        }}
      />
    );
  if (!fields.data) return <Loading label="Loading fields…" />;
  if (!xField || !yField) return <Empty>This version has no numeric field to plot.</Empty>;
  const caption = !plan
    ? ""
    : plan.mode === "means"
      ? `mean ${yField.title} per ${xField.title} · ${plan.count.toLocaleString()} samples`
      : `${plan.count.toLocaleString()} samples${plan.points.length < plan.count ? ` (${plan.points.length.toLocaleString()} drawn)` : ""}`;
  return (
    <div className="dashlet-fill" data-testid="field-scatter">
      <div className="toolbar">
        <label className="inline-field">
          x
          <select
            value={xField.name}
            onChange={(e) => choose({ ...chosen, x: e.target.value, y: yField.name })}
            aria-label="x axis"
          >
            <FieldOptions fields={list} />
          </select>
        </label>
        <label className="inline-field">
          y
          <select
            value={yField.name}
            onChange={(e) => choose({ ...chosen, x: xField.name, y: e.target.value })}
            aria-label="y axis"
          >
            <FieldOptions fields={numeric} />
          </select>
        </label>
        <span className="muted small" data-testid="field-scatter-caption">
          {caption}
        </span>
      </div>
      {!results.data ? (
        <Loading label="Loading results…" />
      ) : !plan || plan.count === 0 ? (
        <Empty>No sample has both values.</Empty>
      ) : (
        option && <Chart option={option} />
      )}
    </div>
  );
}
