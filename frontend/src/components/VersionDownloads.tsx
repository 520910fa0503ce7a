import { Link } from "react-router";
import type { Version } from "../api/client";
import { checkpointUrl, metricsCsvUrl, reportPath, resultsParquetUrl, tensorboardUrl } from "../lib/downloads";

/** Plain links to the version's download endpoints: the browser saves what the API sends as an attachment. */
export function DownloadLinks({ version, epoch }: { version: Version; epoch: number | null }) {
  const at = epoch === null ? "latest epoch" : `epoch ${epoch}`;
  return (
    <ul className="download-links">
      <li>
        <a href={checkpointUrl(version.id, epoch)} download>
          Checkpoint (.pt, {at})
        </a>
      </li>
      <li>
        <a href={resultsParquetUrl(version.id, epoch)} download>
          Per-sample results (Parquet, {at})
        </a>
      </li>
      <li>
        <a href={resultsParquetUrl(version.id, "all")} download>
          Per-sample results (Parquet, every epoch)
        </a>
      </li>
      <li>
        <a href={metricsCsvUrl(version.id, "epoch")} download>
          Epoch metrics (CSV)
        </a>
      </li>
      <li>
        <a href={metricsCsvUrl(version.id, "batch")} download>
          Batch metrics (CSV)
        </a>
      </li>
      <li>
        <a href={tensorboardUrl(version.id)} download>
          TensorBoard run (.tar.gz)
        </a>
      </li>
    </ul>
  );
}

/** The dashboard toolbar's "Download" menu and the link to the version's report. */
export function VersionActions({ version, epoch }: { version: Version; epoch: number | null }) {
  if (version.epochs_done === 0) return <span className="muted small">downloads and report after the first epoch</span>;
  return (
    <>
      <details className="menu" data-testid="downloads-menu">
        <summary className="btn btn-small">Download ▾</summary>
        {/* A chosen link starts its download and closes the menu. */}
        <div className="menu-items" onClick={(e) => e.currentTarget.closest("details")?.removeAttribute("open")}>
          <DownloadLinks version={version} epoch={epoch} />
        </div>
      </details>
      <Link className="btn btn-small" to={reportPath(version.project_id, version.id, epoch)}>
        Report
      </Link>
    </>
  );
}
