/** A printable report of one version: /projects/:projectId/versions/:versionId/report?epoch=&split= */
import { Link, useParams, useSearchParams } from "react-router";
import { subsetBySplit, useAllResults } from "../api/allResults";
import { errorMessage, type Dataset, type EpochMetric, type Version } from "../api/client";
import { useDatasets } from "../api/datasets";
import { useCurves, useEpochMetrics } from "../api/metrics";
import { useProject } from "../api/projects";
import { useVersion } from "../api/versions";
import { Empty, ErrorState, QueryView } from "../components/States";
import { DownloadLinks } from "../components/VersionDownloads";
import { TopBar } from "../components/TopBar";
import { fmt, pct } from "../lib/format";
import { formatParam, summarize, sweepContextOf, sweepLabel, type SweepContext } from "../lib/report";
import { EpochMetrics } from "./dashlets/EpochMetrics";
import { Confusion, pick, RocPr, SplitPicker, type Split } from "./dashlets/ResultFigures";

const SPLITS = ["train", "val", "test"] as const;

function positiveInt(v: string | null): number | null {
  const n = Number(v);
  return v && Number.isInteger(n) && n > 0 ? n : null;
}

export function ReportPage() {
  const params = useParams();
  const [search, setSearch] = useSearchParams();
  const projectId = Number(params.projectId);
  const versionId = Number(params.versionId);
  const version = useVersion(versionId);
  const project = useProject(projectId);
  const datasets = useDatasets(projectId);
  const split = (["train", "val", "test", "all"] as const).find((s) => s === search.get("split")) ?? "test";
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(search);
    if (value === null) next.delete(key);
    else next.set(key, value);
    setSearch(next, { replace: true });
  };

  if (!Number.isInteger(projectId) || !Number.isInteger(versionId))
    return <ErrorState error={new Error("bad project or version id in the URL")} />;
  return (
    <div className="app">
      <TopBar>
        <Link className="crumb" to={`/projects/${projectId}/dashboard?version=${versionId}`}>
          ← {project.data?.name ?? `project ${projectId}`} dashboard
        </Link>
      </TopBar>
      <main className="report-page">
        <QueryView query={version} loading="Loading the version…">
          {(v) =>
            v.project_id !== projectId ? (
              <ErrorState error={new Error(`version ${v.id} is not in project ${projectId}`)} />
            ) : (
              <VersionReport
                version={v}
                projectName={project.data?.name ?? `project ${projectId}`}
                dataset={datasets.data?.find((d) => d.id === v.dataset_id) ?? null}
                epoch={Math.min(positiveInt(search.get("epoch")) ?? v.epochs_done, v.epochs_done)}
                split={split}
                sweep={sweepContextOf(v)}
                onEpoch={(e) => set("epoch", String(e))}
                onSplit={(s) => set("split", s)}
              />
            )
          }
        </QueryView>
      </main>
    </div>
  );
}

export function VersionReport({
  version,
  projectName,
  dataset,
  epoch,
  split,
  sweep,
  onEpoch,
  onSplit,
}: {
  version: Version;
  projectName: string;
  dataset: Dataset | null;
  /** 0 while the version has no finished epoch. */
  epoch: number;
  split: Split;
  /** Slot for the sweep this version is a trial of (sweeps are another feature; null when none). */
  sweep: SweepContext | null;
  onEpoch: (epoch: number) => void;
  onSplit: (split: Split) => void;
}) {
  const classes = dataset?.classes ?? ["neg", "pos"];
  return (
    <article className="report" data-testid="version-report">
      <header className="report-head">
        <div>
          <h1>{version.name}</h1>
          <p className="muted">
            {projectName} · version {version.id} · {version.architecture} · {version.status} · {version.epochs_done}{" "}
            epoch{version.epochs_done === 1 ? "" : "s"}
            {epoch > 0 && (
              <>
                {" "}
                · report at epoch {epoch}, {split === "all" ? "all splits" : `${split} split`}
              </>
            )}
          </p>
          <p className="sweep-context" data-testid="sweep-context" hidden={sweep === null}>
            {sweep && <Link to={`/projects/${version.project_id}/sweeps/${sweep.sweepId}`}>{sweepLabel(sweep)}</Link>}
          </p>
        </div>
        {epoch > 0 && (
          <div className="report-controls no-print">
            <label className="inline-field">
              epoch
              <select value={epoch} onChange={(e) => onEpoch(Number(e.target.value))} aria-label="Report epoch">
                {Array.from({ length: version.epochs_done }, (_, k) => k + 1).map((e) => (
                  <option key={e} value={e}>
                    {e}
                  </option>
                ))}
              </select>
            </label>
            <label className="inline-field">
              split <SplitPicker value={split} onChange={onSplit} />
            </label>
            <button type="button" className="btn btn-small" onClick={() => window.print()}>
              Print
            </button>
          </div>
        )}
      </header>

      {epoch === 0 ? (
        <Empty>No finished epoch yet: the report fills in after the first one.</Empty>
      ) : (
        <>
          <section className="report-section">
            <h2>Summary at epoch {epoch}</h2>
            <SummaryTable versionId={version.id} epoch={epoch} classes={classes} />
          </section>
          <div className="report-grid">
            <section className="report-section report-figure">
              <h2>Confusion matrix · {split}</h2>
              <Confusion versionId={version.id} epoch={epoch} classes={classes} split={split} />
            </section>
            <section className="report-section report-figure">
              <h2>ROC and precision-recall · {split}</h2>
              <div className="report-chart">
                <RocPr versionId={version.id} epoch={epoch} classes={classes} split={split} />
              </div>
            </section>
          </div>
          <section className="report-section report-figure">
            <h2>Loss and accuracy per epoch</h2>
            <div className="report-chart">
              <EpochMetrics versionId={version.id} />
            </div>
            <EpochTable versionId={version.id} />
          </section>
        </>
      )}

      <section className="report-section">
        <h2>Configuration</h2>
        <HyperparameterTable version={version} dataset={dataset} />
      </section>
      {epoch > 0 && (
        <section className="report-section no-print">
          <h2>Downloads</h2>
          <DownloadLinks version={version} epoch={epoch} />
        </section>
      )}
      <footer className="muted small">Generated {new Date().toLocaleString()} from Lensboard.</footer>
    </article>
  );
}

/** Two classes: ROC AUC and average precision of p(positive). More: their macro averages, one class against the rest (API). */
function SummaryTable({ versionId, epoch, classes }: { versionId: number; epoch: number; classes: readonly string[] }) {
  const q = useAllResults(versionId, epoch);
  const multi = classes.length > 2;
  return (
    <QueryView query={q} loading="Loading results…">
      {(c) => (
        <table className="table report-table" aria-label="summary per split">
          <thead>
            <tr>
              <th>split</th>
              <th className="num">samples</th>
              <th className="num">accuracy</th>
              <th className="num">{multi ? "ROC AUC (macro)" : "ROC AUC"}</th>
              <th className="num">{multi ? "average precision (macro)" : "average precision"}</th>
            </tr>
          </thead>
          <tbody>
            {[...SPLITS, "all" as const].map((s) => {
              const idx = subsetBySplit(c, s);
              if (idx.length === 0) return null;
              const { labels, preds, scores } = pick(c, idx);
              const sum = summarize(labels, preds, scores);
              return (
                <tr key={s}>
                  <td>{s}</td>
                  <td className="num">{sum.n}</td>
                  <td className="num">{pct(sum.accuracy)}</td>
                  {multi ? (
                    <MacroCells versionId={versionId} epoch={epoch} split={s} />
                  ) : (
                    <>
                      <td className="num">{fmt(sum.rocAuc)}</td>
                      <td className="num">{fmt(sum.averagePrecision)}</td>
                    </>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </QueryView>
  );
}

function MacroCells({ versionId, epoch, split }: { versionId: number; epoch: number; split: Split }) {
  const q = useCurves(versionId, epoch, split);
  if (q.error)
    return (
      <td className="num bad" colSpan={2} title={errorMessage(q.error)}>
        unavailable
      </td>
    );
  return (
    <>
      <td className="num">{fmt(q.data?.macro?.roc_auc)}</td>
      <td className="num">{fmt(q.data?.macro?.average_precision)}</td>
    </>
  );
}

function EpochTable({ versionId }: { versionId: number }) {
  const q = useEpochMetrics(versionId);
  return (
    <QueryView query={q}>
      {(data) => {
        const epochs = [...new Set(data.items.map((i) => i.epoch))].sort((a, b) => a - b);
        const splits = SPLITS.filter((s) => data.items.some((i) => i.split === s));
        const at = new Map<string, EpochMetric>(data.items.map((i) => [`${i.epoch}/${i.split}`, i]));
        return (
          <table className="table compact report-table" aria-label="metrics per epoch">
            <thead>
              <tr>
                <th>epoch</th>
                {splits.map((s) => (
                  <th key={s} className="num" colSpan={2}>
                    {s} loss · accuracy
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {epochs.map((e) => (
                <tr key={e}>
                  <td>{e}</td>
                  {splits.flatMap((s) => {
                    const m = at.get(`${e}/${s}`);
                    return [
                      <td key={`${s}-l`} className="num">
                        {fmt(m?.loss)}
                      </td>,
                      <td key={`${s}-a`} className="num">
                        {pct(m?.accuracy)}
                      </td>,
                    ];
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </QueryView>
  );
}

function HyperparameterTable({ version, dataset }: { version: Version; dataset: Dataset | null }) {
  const fixes = version.data_fixes as { relabel?: Record<string, number>; exclude?: number[] };
  const relabelled = Object.keys(fixes.relabel ?? {}).length;
  const excluded = (fixes.exclude ?? []).length;
  const rows: [string, string][] = [
    ["architecture", version.architecture],
    ["seed", String(version.seed)],
    [
      "dataset",
      dataset
        ? `${dataset.name} (${dataset.num_samples} samples, classes ${dataset.classes.join(" / ")})`
        : `dataset ${version.dataset_id}`,
    ],
    ["parent version", version.parent_id === null ? "–" : String(version.parent_id)],
    ["data fixes", relabelled || excluded ? `${relabelled} relabelled, ${excluded} excluded` : "none"],
    ["device", version.device ?? "–"],
    ...Object.keys(version.hyperparameters)
      .sort()
      .map((k): [string, string] => [k, formatParam(version.hyperparameters[k])]),
  ];
  return (
    <table className="table compact report-table" aria-label="hyperparameters">
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
