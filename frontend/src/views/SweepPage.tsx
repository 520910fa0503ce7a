import { useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { errorMessage } from "../api/client";
import { useProject } from "../api/projects";
import { useCancelSweep, useSweep, type SweepDetail, type Trial } from "../api/sweeps";
import { Chart } from "../components/Chart";
import { Empty, ErrorState, Loading } from "../components/States";
import { TopBar } from "../components/TopBar";
import { fmt } from "../lib/format";
import {
  METRIC_TITLES,
  METRICS,
  defaultSort,
  epochsNote,
  formatParam,
  isMetric,
  paramNames,
  parallelOption,
  sortTrials,
  type Metric,
  type Sort,
  type SortKey,
} from "../lib/sweeps";

const STATUS_CLASS: Record<string, string> = {
  running: "pill-info",
  done: "pill-ok",
  cancelled: "pill-muted",
  failed: "pill-bad",
  queued: "pill-muted",
  created: "pill-muted",
  training: "pill-info",
  trained: "pill-ok",
  // Stopped by the sweep's median pruning: its epochs are kept, it is simply not worth training on.
  pruned: "pill-muted",
};

function sameKey(a: SortKey, b: SortKey): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "metric" && b.kind === "metric") return a.metric === b.metric;
  if (a.kind === "param" && b.kind === "param") return a.name === b.name;
  return true;
}

function SortHeader({
  label,
  sortKey,
  sort,
  onSort,
  className,
}: {
  label: string;
  sortKey: SortKey;
  sort: Sort;
  onSort: (s: Sort) => void;
  className?: string;
}) {
  const active = sameKey(sortKey, sort.key);
  const ariaSort = active ? (sort.descending ? "descending" : "ascending") : "none";
  return (
    <th aria-sort={ariaSort} className={className}>
      <button
        type="button"
        className="th-sort"
        onClick={() => onSort(active ? { key: sortKey, descending: !sort.descending } : defaultSort(sortKey))}
      >
        {label}
        {active ? (sort.descending ? " ▼" : " ▲") : ""}
      </button>
    </th>
  );
}

function ResultsTable({ sweep, projectId }: { sweep: SweepDetail; projectId: number }) {
  const navigate = useNavigate();
  const metric: Metric = isMetric(sweep.metric) ? sweep.metric : "val_accuracy";
  const [sort, setSort] = useState<Sort>(defaultSort({ kind: "metric", metric }));
  const names = paramNames(sweep.trials);
  const rows = useMemo(() => sortTrials(sweep.trials, sort), [sweep.trials, sort]);
  const open = (t: Trial) => void navigate(`/projects/${projectId}/dashboard?version=${t.version_id}`);
  return (
    <div className="table-scroll">
      <table className="table compact" data-testid="sweep-table">
        <thead>
          <tr>
            <SortHeader label="trial" sortKey={{ kind: "trial" }} sort={sort} onSort={setSort} />
            <th>version</th>
            <SortHeader label="status" sortKey={{ kind: "status" }} sort={sort} onSort={setSort} />
            <SortHeader label="epochs" sortKey={{ kind: "epochs" }} sort={sort} onSort={setSort} />
            {names.map((n) => (
              <SortHeader key={n} label={n} sortKey={{ kind: "param", name: n }} sort={sort} onSort={setSort} />
            ))}
            {METRICS.map((m) => (
              <SortHeader
                key={m}
                label={METRIC_TITLES[m]}
                sortKey={{ kind: "metric", metric: m }}
                sort={sort}
                onSort={setSort}
                className="num"
              />
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => {
            const best = t.version_id === sweep.best_version_id;
            return (
              <tr
                key={t.version_id}
                className={`clickable ${best ? "best-row" : ""}`}
                data-testid="trial-row"
                data-best={best || undefined}
                onClick={() => open(t)}
              >
                <td title={t.proposed_by ? `proposed by ${t.proposed_by}` : undefined}>
                  {best ? "★ " : ""}
                  {t.trial_index}
                </td>
                <td>
                  <Link
                    to={`/projects/${projectId}/dashboard?version=${t.version_id}`}
                    onClick={(e) => e.stopPropagation()}
                  >
                    {t.name}
                  </Link>
                </td>
                <td>
                  <span className={`pill ${STATUS_CLASS[t.status] ?? "pill-muted"}`} title={t.error ?? undefined}>
                    {t.status}
                  </span>
                </td>
                <td className="num">
                  {t.epochs_done}/{t.epochs}
                  {epochsNote(t)}
                </td>
                {names.map((n) => (
                  <td key={n} className="num">
                    {formatParam(t.params[n])}
                  </td>
                ))}
                {METRICS.map((m) => (
                  <td key={m} className="num">
                    {fmt(t[m], 4)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function SweepPage() {
  const params = useParams();
  const projectId = Number(params.projectId);
  const sweepId = Number(params.sweepId);
  const project = useProject(projectId);
  const sweep = useSweep(sweepId);
  const cancel = useCancelSweep(sweepId, projectId);
  const [chartMetric, setChartMetric] = useState<Metric | null>(null);
  const data = sweep.data;
  const metric: Metric = chartMetric ?? (data && isMetric(data.metric) ? data.metric : "val_accuracy");
  const option = useMemo(
    () => (data ? parallelOption(data.trials, data.space, metric, data.best_version_id) : null),
    [data, metric],
  );

  if (!Number.isInteger(projectId) || !Number.isInteger(sweepId))
    return <ErrorState error={new Error("bad sweep address")} />;
  return (
    <div className="app">
      <TopBar>
        <Link className="crumb" to={`/projects/${projectId}/dashboard`}>
          {project.data?.name ?? `project ${projectId}`}
        </Link>
        <span className="crumb">{data?.name ?? `sweep ${sweepId}`}</span>
      </TopBar>
      <main className="sweep-page">
        {sweep.error ? (
          <ErrorState error={sweep.error} title="Cannot open this sweep" onRetry={() => void sweep.refetch()} />
        ) : !data || !option ? (
          <Loading />
        ) : (
          <>
            <header className="sweep-head">
              <h1>{data.name}</h1>
              <span className={`pill ${STATUS_CLASS[data.status] ?? "pill-muted"}`} data-testid="sweep-status">
                {data.status}
              </span>
              <span className="muted small">
                {data.architecture} · {data.strategy} · {data.counts.total} trials: {data.counts.trained} trained,{" "}
                {data.counts.training} training, {data.counts.queued} queued, {data.counts.failed} failed,{" "}
                {data.counts.cancelled} cancelled
                {data.counts.pruned ? `, ${data.counts.pruned} pruned` : ""}
                {data.strategy === "bayes" ? ` · ${data.trials.length} of ${data.budget ?? "?"} asked` : ""}
                {data.pruning ? ` · median pruning (min ${data.pruning.min_trials} completed trials)` : ""}
                {data.stopped ? ` · stopped: ${data.stopped}` : ""}
                {data.early_stopping
                  ? ` · early stop on ${data.early_stopping.metric} (patience ${data.early_stopping.patience})`
                  : ""}
              </span>
              <span className="grow" />
              {data.status === "running" && (
                <button
                  type="button"
                  className="btn btn-danger btn-small"
                  disabled={cancel.isPending}
                  onClick={() => cancel.mutate()}
                >
                  {cancel.isPending ? "Cancelling…" : "Cancel sweep"}
                </button>
              )}
            </header>
            {cancel.error && (
              <div className="form-error" role="alert">
                {errorMessage(cancel.error)}
              </div>
            )}
            <p className="muted small">
              Best by {METRIC_TITLES[isMetric(data.metric) ? data.metric : "val_accuracy"]}:{" "}
              {data.best_version_id === null
                ? "no trial has a result yet"
                : `${fmt(data.best_value, 4)} (version ${data.best_version_id})`}
              . Click a trial to open it as a version, with its map and analyses.
            </p>
            <section className="sweep-chart card">
              <div className="side-head">
                <h3>Hyperparameters against the metric</h3>
                <label className="field inline">
                  <span>Metric</span>
                  <select
                    value={metric}
                    onChange={(e) => setChartMetric(isMetric(e.target.value) ? e.target.value : null)}
                    aria-label="Chart metric"
                  >
                    {METRICS.map((m) => (
                      <option key={m} value={m}>
                        {METRIC_TITLES[m]}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              {data.trials.some((t) => t[metric] !== null && t[metric] !== undefined) ? (
                <Chart option={option} height={300} />
              ) : (
                <Empty>No trial has a {METRIC_TITLES[metric]} yet.</Empty>
              )}
            </section>
            <ResultsTable sweep={data} projectId={projectId} />
          </>
        )}
      </main>
    </div>
  );
}
