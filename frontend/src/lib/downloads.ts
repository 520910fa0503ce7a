/** Where a version's downloads live (GET endpoints answering with an attachment), for plain <a download> links. */

export type MetricsKind = "epoch" | "batch";

/** The checkpoint (.pt) of an epoch; null: the latest one. */
export function checkpointUrl(versionId: number, epoch: number | null = null): string {
  return `/api/versions/${versionId}/checkpoint${epoch === null ? "" : `?epoch=${epoch}`}`;
}

export function metricsCsvUrl(versionId: number, kind: MetricsKind = "epoch"): string {
  return `/api/versions/${versionId}/metrics.csv?kind=${kind}`;
}

/** The version's metrics and hyperparameters as a TensorBoard run (unpack, then `tensorboard --logdir .`). */
export function tensorboardUrl(versionId: number): string {
  return `/api/versions/${versionId}/tensorboard.tar.gz`;
}

/** Per-sample results (Parquet) at an epoch, at every epoch ("all"), or at the latest (null). */
export function resultsParquetUrl(versionId: number, epoch: number | "all" | null = null): string {
  return `/api/versions/${versionId}/results.parquet${epoch === null ? "" : `?epoch=${epoch}`}`;
}

/** The printable per-version report page. */
export function reportPath(projectId: number, versionId: number, epoch: number | null = null): string {
  return `/projects/${projectId}/versions/${versionId}/report${epoch === null ? "" : `?epoch=${epoch}`}`;
}
