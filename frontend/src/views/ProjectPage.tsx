import { lazy, Suspense, useEffect, useState } from "react";
import { Link, NavLink } from "react-router";
import type { Version } from "../api/client";
import { useDatasets } from "../api/datasets";
import { useProject } from "../api/projects";
import { useVersions } from "../api/versions";
import { useJobStream } from "../api/jobStream";
import { useSweeps } from "../api/sweeps";
import { JobsTray } from "../components/JobsTray";
import { Empty, ErrorState, Loading } from "../components/States";
import { TopBar } from "../components/TopBar";
import { compact, pct } from "../lib/format";
import { duplicateWarning, selectedLine } from "../lib/versionMetrics";
import { useRouteState, VIEWS, type View } from "../routeState";
import { ImportDialog, TrainDialog, UploadDialog } from "./dialogs";
import { SamplePanel } from "./SamplePanel";
import { SweepDialog } from "./SweepDialog";

// The views load on first use, each with its own libraries (charts, the layer graph, the WebGL map).
const DashboardView = lazy(() => import("./DashboardView").then((m) => ({ default: m.DashboardView })));
const NetworkView = lazy(() => import("./NetworkView").then((m) => ({ default: m.NetworkView })));
const MapView = lazy(() => import("./MapView").then((m) => ({ default: m.MapView })));
const FlagsView = lazy(() => import("./FlagsView").then((m) => ({ default: m.FlagsView })));

const VIEW_TITLES: Record<View, string> = {
  dashboard: "Dashboard",
  network: "Network",
  map: "Population",
  flags: "Flags & versions",
};

/** One empty list while the versions load, so effects that depend on the list do not rerun each render. */
const NO_VERSIONS: Version[] = [];

const STATUS_CLASS: Record<string, string> = {
  created: "pill-muted",
  queued: "pill-muted",
  training: "pill-info",
  trained: "pill-ok",
  ready: "pill-ok",
  failed: "pill-bad",
  cancelled: "pill-muted",
  running: "pill-info",
  done: "pill-ok",
};

/** The project's hyperparameter sweeps: each opens its results page. */
function SweepsSection({ projectId, ready }: { projectId: number; ready: boolean }) {
  const sweeps = useSweeps(projectId);
  const [creating, setCreating] = useState(false);
  return (
    <section className="side-section" data-testid="sweeps-section">
      <div className="side-head">
        <h3>Sweeps</h3>
        <button
          type="button"
          className="btn btn-small"
          disabled={!ready}
          title={ready ? "" : "Import a dataset first"}
          onClick={() => setCreating(true)}
        >
          Sweep…
        </button>
      </div>
      {sweeps.error ? (
        <ErrorState error={sweeps.error} />
      ) : sweeps.isPending ? (
        <Loading />
      ) : sweeps.data.length === 0 ? (
        <p className="muted small">No sweeps yet.</p>
      ) : (
        <ul className="sweep-list">
          {sweeps.data.map((s) => (
            <li key={s.id}>
              <Link className="sweep-item" to={`/projects/${projectId}/sweeps/${s.id}`} data-testid="sweep-item">
                <span>{s.name}</span>
                <span className="muted small">
                  {s.counts.trained}/{s.counts.total}
                  {s.best_value !== null ? ` · best ${pct(s.best_value)}` : ""}
                </span>
                <span className={`pill ${STATUS_CLASS[s.status] ?? "pill-muted"}`}>{s.status}</span>
              </Link>
            </li>
          ))}
        </ul>
      )}
      {creating && <SweepDialog projectId={projectId} onClose={() => setCreating(false)} />}
    </section>
  );
}

function VersionsPanel({
  projectId,
  versions,
  selected,
  epoch,
  onSelect,
  onTrain,
}: {
  projectId: number;
  versions: Version[];
  selected: Version | null;
  epoch: number | null;
  onSelect: (versionId: number, epoch: number | null) => void;
  onTrain: (version: Version | null) => void;
}) {
  const datasets = useDatasets(projectId);
  const [importing, setImporting] = useState(false);
  const [uploading, setUploading] = useState(false);
  const ready = datasets.data?.some((d) => d.status === "ready") ?? false;
  return (
    <aside className="sidebar">
      <section className="side-section">
        <div className="side-head">
          <h3>Dataset</h3>
          <span className="side-actions">
            <button type="button" className="btn btn-small" onClick={() => setUploading(true)}>
              Upload
            </button>
            <button type="button" className="btn btn-small" onClick={() => setImporting(true)}>
              Import
            </button>
          </span>
        </div>
        {datasets.error ? (
          <ErrorState error={datasets.error} />
        ) : datasets.isPending ? (
          <Loading />
        ) : datasets.data.length === 0 ? (
          <p className="muted small">No dataset yet. Import IMDB or upload your own to begin.</p>
        ) : (
          datasets.data.map((d) => (
            <div key={d.id} className="dataset-row" data-testid="dataset-row" data-status={d.status}>
              <span>{d.name}</span>
              <span className="muted small" title={d.classes.join(", ")}>
                {d.num_samples ? `${compact(d.num_samples)} samples` : ""}
                {d.classes.length > 2 ? ` · ${d.classes.length} classes` : ""}
              </span>
              <span
                className={`pill ${d.status === "ready" ? "pill-ok" : d.status === "failed" ? "pill-bad" : "pill-info"}`}
              >
                {d.status}
              </span>
              {d.error && <div className="job-error">{d.error}</div>}
              {duplicateWarning(d.stats) && (
                <div className="warning small" data-testid="dataset-duplicates">
                  {duplicateWarning(d.stats)}
                </div>
              )}
            </div>
          ))
        )}
      </section>
      <SweepsSection projectId={projectId} ready={ready} />
      <section className="side-section grow">
        <div className="side-head">
          <h3>Versions</h3>
          <button
            type="button"
            className="btn btn-small btn-primary"
            disabled={!ready}
            title={ready ? "" : "Import a dataset first"}
            onClick={() => onTrain(null)}
          >
            Train…
          </button>
        </div>
        {versions.length === 0 && <p className="muted small">No versions yet.</p>}
        <ul className="version-list">
          {versions.map((v) => (
            <li key={v.id}>
              <button
                type="button"
                className={`version-item ${selected?.id === v.id ? "active" : ""}`}
                onClick={() => onSelect(v.id, null)}
                data-testid="version-item"
              >
                <div className="version-top">
                  <span className="version-name">{v.name}</span>
                  <span className={`pill ${STATUS_CLASS[v.status] ?? "pill-muted"}`}>{v.status}</span>
                </div>
                <div className="muted small">
                  {v.architecture} · {v.epochs_done} epoch{v.epochs_done === 1 ? "" : "s"} · seed {v.seed}
                </div>
                <div className="muted small" data-testid="version-selected">
                  {selectedLine(v.selected ?? null)}
                </div>
              </button>
            </li>
          ))}
        </ul>
        {selected && (
          <div className="epoch-pick">
            <label className="field">
              <span>Epoch</span>
              <select
                value={epoch ?? ""}
                onChange={(e) => onSelect(selected.id, e.target.value ? Number(e.target.value) : null)}
                disabled={selected.epochs_done === 0}
                aria-label="Epoch"
              >
                <option value="">latest{selected.epochs_done ? ` (${selected.epochs_done})` : ""}</option>
                {Array.from({ length: selected.epochs_done }, (_, k) => k + 1).map((e) => (
                  <option key={e} value={e}>
                    epoch {e}
                  </option>
                ))}
              </select>
            </label>
            <button type="button" className="btn btn-small" onClick={() => onTrain(selected)}>
              Continue training…
            </button>
          </div>
        )}
      </section>
      {importing && <ImportDialog projectId={projectId} onClose={() => setImporting(false)} />}
      {uploading && <UploadDialog projectId={projectId} onClose={() => setUploading(false)} />}
    </aside>
  );
}

export function ProjectPage() {
  const [route, setRoute] = useRouteState();
  const project = useProject(route.projectId);
  const versions = useVersions(route.projectId);
  const stream = useJobStream(route.projectId);
  const [training, setTraining] = useState<{ version: Version | null } | null>(null);

  const list = versions.data ?? NO_VERSIONS;
  const selected = list.find((v) => v.id === route.versionId) ?? null;
  // With no version in the URL, pick the newest one so the views have something to show.
  useEffect(() => {
    const last = list[list.length - 1];
    if (route.versionId === null && last) setRoute({ versionId: last.id });
  }, [route.versionId, list, setRoute]);
  const epoch = route.epoch ?? (selected && selected.epochs_done > 0 ? selected.epochs_done : null);

  if (!Number.isInteger(route.projectId)) return <ErrorState error={new Error("bad project id in the URL")} />;
  return (
    <div className="app">
      <TopBar>
        <span className="crumb">{project.data?.name ?? (project.isPending ? "…" : `project ${route.projectId}`)}</span>
        <nav className="tabs" aria-label="Views">
          {VIEWS.map((v) => (
            <NavLink
              key={v}
              to={`/projects/${route.projectId}/${v}${window.location.search}`}
              className={() => `tab ${route.view === v ? "active" : ""}`}
            >
              {VIEW_TITLES[v]}
            </NavLink>
          ))}
        </nav>
        <span
          className={`live-dot ${stream.connected ? "on" : ""}`}
          title={stream.connected ? "live updates connected" : "live updates reconnecting"}
        />
      </TopBar>
      {project.error ? (
        <main className="page-center">
          <ErrorState error={project.error} title="Cannot open this project" onRetry={() => void project.refetch()} />
        </main>
      ) : (
        <div className="project-layout">
          {versions.error ? (
            <aside className="sidebar">
              <ErrorState error={versions.error} />
            </aside>
          ) : (
            <VersionsPanel
              projectId={route.projectId}
              versions={list}
              selected={selected}
              epoch={route.epoch}
              onSelect={(versionId, e) => setRoute({ versionId, epoch: e })}
              onTrain={(version) => setTraining({ version })}
            />
          )}
          <main className="view" data-view={route.view}>
            <Suspense fallback={<Loading />}>
              {project.isPending || versions.isPending ? (
                <Loading />
              ) : route.versionId !== null && selected === null && route.view !== "flags" ? (
                <Empty>
                  This project has no version {route.versionId} (it may have been deleted, or the link is mistyped).
                  Pick a version on the left.
                </Empty>
              ) : route.view === "dashboard" ? (
                <DashboardView
                  project={project.data}
                  version={selected}
                  epoch={epoch}
                  onOpenSample={(id) => setRoute({ sampleId: id })}
                  selectedSample={route.sampleId}
                />
              ) : route.view === "network" ? (
                <NetworkView version={selected} />
              ) : route.view === "map" ? (
                <MapView
                  version={selected}
                  epoch={epoch}
                  pinned={route.epoch !== null}
                  onEpoch={(e) => setRoute({ epoch: e })}
                  onOpenSample={(id) => setRoute({ sampleId: id })}
                />
              ) : (
                <FlagsView
                  projectId={route.projectId}
                  versions={list}
                  onOpenSample={(id) => setRoute({ sampleId: id })}
                  selectedSample={route.sampleId}
                />
              )}
            </Suspense>
          </main>
          {route.sampleId !== null && (
            <SamplePanel
              sampleId={route.sampleId}
              version={selected}
              epoch={epoch}
              onClose={() => setRoute({ sampleId: null })}
              onOpenSample={(id) => setRoute({ sampleId: id })}
            />
          )}
        </div>
      )}
      {training && (
        <TrainDialog
          projectId={route.projectId}
          version={training.version}
          onClose={() => setTraining(null)}
          onStarted={(versionId) => setRoute({ versionId, epoch: null })}
        />
      )}
      <JobsTray jobs={stream.jobs} connected={stream.connected} />
    </div>
  );
}
