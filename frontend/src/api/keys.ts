/**
 * Every query key of the dashboard, in one place: the hooks read with these, and the job stream and
 * mutations invalidate with them. A key is a prefix of the keys below it (["maps", v] covers every map
 * query of version v), which is what lets one invalidation reach a whole family.
 */
import type { AnalysisRequest } from "./analyses";
import type { CurveSplit } from "./metrics";
import type { FlagQuery } from "./flags";
import type { SampleQuery } from "./samples";

export const keys = {
  me: ["auth", "me"] as const,
  projects: ["projects"] as const,
  project: (id: number) => ["project", id] as const,
  datasets: (projectId: number) => ["datasets", projectId] as const,
  versions: (projectId: number) => ["versions", projectId] as const,
  version: (versionId: number) => ["version", versionId] as const,
  comparisons: ["compare"] as const,
  compare: (a: number, b: number) => ["compare", a, b] as const,
  graph: (versionId: number) => ["graph", versionId] as const,
  batchMetrics: (versionId: number) => ["batchMetrics", versionId] as const,
  epochMetrics: (versionId: number) => ["epochMetrics", versionId] as const,
  curves: (versionId: number, epoch: number, split: CurveSplit) => ["curves", versionId, epoch, split] as const,
  fields: (versionId: number) => ["fields", versionId] as const,
  samples: (versionId: number) => ["samples", versionId] as const,
  sampleList: (versionId: number, query: SampleQuery) => ["samples", versionId, query] as const,
  allResults: (versionId: number) => ["allResults", versionId] as const,
  allResultsAt: (versionId: number, epoch: number) => ["allResults", versionId, epoch] as const,
  sample: (sampleId: number, versionId: number | null) => ["sample", sampleId, versionId] as const,
  tokens: (sampleId: number, versionId: number | null) => ["tokens", sampleId, versionId] as const,
  job: (jobId: number) => ["job", jobId] as const,
  maps: (versionId: number) => ["maps", versionId] as const,
  map: (versionId: number, epoch: number) => ["maps", versionId, epoch] as const,
  insights: (versionId: number, epoch: number) => ["maps", versionId, epoch, "insights"] as const,
  clusters: (versionId: number, epoch: number) => ["maps", versionId, epoch, "clusters"] as const,
  neighbors: (versionId: number, epoch: number, sampleId: number, k: number) =>
    ["maps", versionId, epoch, "neighbors", sampleId, k] as const,
  points: (versionId: number, epoch: number) => ["points", versionId, epoch] as const,
  analysisMethods: ["analysisMethods"] as const,
  architectures: ["architectures"] as const,
  analysis: (versionId: number, body: AnalysisRequest) => ["analyze", versionId, body] as const,
  flags: (projectId: number) => ["flags", projectId] as const,
  flagList: (projectId: number, query: FlagQuery) => ["flags", projectId, "list", query] as const,
  flag: (projectId: number, sampleId: number) => ["flags", projectId, "sample", sampleId] as const,
  suspects: (versionId: number, split: string, limit: number) => ["suspects", versionId, split, limit] as const,
  sweeps: (projectId: number) => ["sweeps", projectId] as const,
  sweep: (sweepId: number) => ["sweep", sweepId] as const,
};
