import { useEffect, useRef, useState } from "react";
import ReactGridLayout, { useContainerWidth, verticalCompactor, type Layout } from "react-grid-layout";
import "react-grid-layout/css/styles.css";
import "react-resizable/css/styles.css";
import type { Project, Version } from "../api/client";
import { useDatasets } from "../api/datasets";
import { useUpdateProject } from "../api/projects";
import { Empty } from "../components/States";
import { VersionActions } from "../components/VersionDownloads";
import { errorMessage } from "../api/client";
import {
  addDashlet,
  applyPositions,
  COLS,
  DASHLET_TYPES,
  parseLayout,
  removeDashlet,
  sameLayout,
  setDashletSettings,
  type DashletItem,
  type DashletSettings,
  type DashletType,
} from "../lib/dashletLayout";
import { BatchCurves } from "./dashlets/BatchCurves";
import { Suspects } from "./dashlets/Suspects";
import { EpochMetrics } from "./dashlets/EpochMetrics";
import { LossSamples } from "./dashlets/LossSamples";
import { FieldScatter } from "./dashlets/FieldScatter";
import { Confusion, RocPr } from "./dashlets/ResultFigures";

interface Ctx {
  version: Version | null;
  epoch: number | null;
  classes: string[];
  selectedSample: number | null;
  onOpenSample: (id: number) => void;
}

export function DashletBody({
  type,
  ctx,
  settings,
  onSettings,
}: {
  type: DashletType;
  ctx: Ctx;
  settings?: DashletSettings;
  onSettings?: (settings: DashletSettings) => void;
}) {
  const { version, epoch } = ctx;
  if (!version) return <Empty>No version yet: train one with “Train…” on the left.</Empty>;
  switch (type) {
    case "batchCurves":
      return <BatchCurves versionId={version.id} />;
    case "epochMetrics":
      return <EpochMetrics versionId={version.id} />;
    case "suspects":
      return <Suspects versionId={version.id} projectId={version.project_id} onOpen={ctx.onOpenSample} />;
    case "lossSamples":
    case "scoreVsLoss":
    case "confusion":
    case "rocPr":
      // These read one epoch's per-sample results.
      return epoch === null ? (
        <Empty>No evaluated epoch yet.</Empty>
      ) : (
        <EpochDashlet
          type={type}
          ctx={ctx}
          version={version}
          epoch={epoch}
          settings={settings}
          onSettings={onSettings}
        />
      );
  }
}

function EpochDashlet({
  type,
  ctx,
  version,
  epoch,
  settings,
  onSettings,
}: {
  type: "lossSamples" | "scoreVsLoss" | "confusion" | "rocPr";
  ctx: Ctx;
  version: Version;
  epoch: number;
  settings?: DashletSettings;
  onSettings?: (settings: DashletSettings) => void;
}) {
  switch (type) {
    case "lossSamples":
      return (
        <LossSamples
          versionId={version.id}
          projectId={version.project_id}
          classes={ctx.classes}
          epoch={epoch}
          selected={ctx.selectedSample}
          onOpen={ctx.onOpenSample}
        />
      );
    case "scoreVsLoss":
      return <FieldScatter versionId={version.id} epoch={epoch} settings={settings} onSettings={onSettings} />;
    case "confusion":
      return <Confusion versionId={version.id} epoch={epoch} classes={ctx.classes} />;
    case "rocPr":
      return <RocPr versionId={version.id} epoch={epoch} classes={ctx.classes} />;
  }
}

/** The grid of dashlets. Layout changes are saved to the project (ui_state.dashboard.layout) after a short pause. */
export function DashletGrid({
  layout,
  onChange,
  ctx,
}: {
  layout: DashletItem[];
  onChange: (l: DashletItem[]) => void;
  ctx: Ctx;
}) {
  const { width, containerRef, mounted } = useContainerWidth();
  const gridLayout: Layout = layout.map(({ i, x, y, w, h }) => ({ i, x, y, w, h, minW: 3, minH: 5 }));
  return (
    <div ref={containerRef} className="dashlet-grid" data-testid="dashlet-grid">
      {mounted && (
        <ReactGridLayout
          width={width}
          layout={gridLayout}
          gridConfig={{ cols: COLS, rowHeight: 30, margin: [12, 12] }}
          dragConfig={{ enabled: true, handle: ".dashlet-handle" }}
          compactor={verticalCompactor}
          onLayoutChange={(l) => {
            const next = applyPositions(layout, l);
            if (!sameLayout(next, layout)) onChange(next);
          }}
        >
          {layout.map((d) => (
            <div key={d.i} className="dashlet" data-testid={`dashlet-${d.type}`}>
              <header className="dashlet-header">
                <span className="dashlet-handle" title="Drag to move">
                  ⠿ {DASHLET_TYPES[d.type].title}
                </span>
                <button
                  type="button"
                  className="icon-btn"
                  aria-label={`Remove ${DASHLET_TYPES[d.type].title}`}
                  onClick={() => onChange(removeDashlet(layout, d.i))}
                >
                  ×
                </button>
              </header>
              <div className="dashlet-body">
                <DashletBody
                  type={d.type}
                  ctx={ctx}
                  settings={d.settings}
                  onSettings={(s) => onChange(setDashletSettings(layout, d.i, s))}
                />
              </div>
            </div>
          ))}
        </ReactGridLayout>
      )}
    </div>
  );
}

export function DashboardView({
  project,
  version,
  epoch,
  selectedSample,
  onOpenSample,
}: {
  project: Project;
  version: Version | null;
  epoch: number | null;
  selectedSample: number | null;
  onOpenSample: (id: number) => void;
}) {
  const update = useUpdateProject(project.id);
  const datasets = useDatasets(project.id);
  const [layout, setLayout] = useState<DashletItem[]>(() => parseLayout(project.ui_state));
  const saveTimer = useRef<number | undefined>(undefined);
  const classes = datasets.data?.find((d) => d.id === version?.dataset_id)?.classes ?? ["neg", "pos"];

  useEffect(() => () => window.clearTimeout(saveTimer.current), []);
  const change = (next: DashletItem[]) => {
    setLayout(next);
    window.clearTimeout(saveTimer.current);
    saveTimer.current = window.setTimeout(() => {
      update.mutate({ ui_state: { ...project.ui_state, dashboard: { layout: next } } });
    }, 600);
  };

  return (
    <div className="dashboard">
      <div className="view-toolbar">
        <h2>{version ? `${version.name}${epoch ? ` · epoch ${epoch}` : ""}` : "Dashboard"}</h2>
        {version && <VersionActions version={version} epoch={epoch} />}
        <span className="spacer" />
        {update.error && (
          <span className="form-error small" role="alert">
            layout not saved: {errorMessage(update.error)}
          </span>
        )}
        {update.isPending && <span className="muted small">saving layout…</span>}
        <select
          aria-label="Add dashlet"
          value=""
          onChange={(e) => e.target.value && change(addDashlet(layout, e.target.value as DashletType))}
        >
          <option value="">+ Add dashlet</option>
          {(Object.keys(DASHLET_TYPES) as DashletType[]).map((t) => (
            <option key={t} value={t}>
              {DASHLET_TYPES[t].title}
            </option>
          ))}
        </select>
      </div>
      {layout.length === 0 ? (
        <Empty>The dashboard is empty: add a dashlet.</Empty>
      ) : (
        <DashletGrid
          layout={layout}
          onChange={change}
          ctx={{ version, epoch, classes, selectedSample, onOpenSample }}
        />
      )}
    </div>
  );
}
