/** TanStack Query hooks: server state lives here, components never fetch by hand. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, fetchBinary, unwrap } from "./client";
import type { Job, Schemas } from "./client";
import { decodePoints } from "../lib/points";
import type { operations } from "./schema.gen";

export const keys = {
  projects: ["projects"] as const,
  project: (id: number) => ["project", id] as const,
  datasets: (projectId: number) => ["datasets", projectId] as const,
  versions: (projectId: number) => ["versions", projectId] as const,
  version: (versionId: number) => ["version", versionId] as const,
  jobs: (projectId: number) => ["jobs", projectId] as const,
  graph: (versionId: number) => ["graph", versionId] as const,
  batchMetrics: (versionId: number) => ["batchMetrics", versionId] as const,
  epochMetrics: (versionId: number) => ["epochMetrics", versionId] as const,
  curves: (versionId: number, epoch: number, split: string) => ["curves", versionId, epoch, split] as const,
  fields: (versionId: number) => ["fields", versionId] as const,
  samples: (versionId: number) => ["samples", versionId] as const,
  sample: (sampleId: number, versionId: number | null) => ["sample", sampleId, versionId] as const,
  job: (jobId: number) => ["job", jobId] as const,
  maps: (versionId: number) => ["maps", versionId] as const,
  map: (versionId: number, epoch: number) => ["maps", versionId, epoch] as const,
  points: (versionId: number, epoch: number) => ["points", versionId, epoch] as const,
  insights: (versionId: number, epoch: number) => ["maps", versionId, epoch, "insights"] as const,
  clusters: (versionId: number, epoch: number) => ["maps", versionId, epoch, "clusters"] as const,
  neighbors: (versionId: number, epoch: number, sampleId: number) => ["maps", versionId, epoch, "neighbors", sampleId] as const,
  tokens: (sampleId: number, versionId: number | null) => ["tokens", sampleId, versionId] as const,
  analysis: (analysisId: number) => ["analysis", analysisId] as const,
};

export function useProjects() {
  return useQuery({ queryKey: keys.projects, queryFn: () => unwrap(api.GET("/api/projects")) });
}

export function useProject(id: number) {
  return useQuery({
    queryKey: keys.project(id),
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}", { params: { path: { project_id: id } } })),
  });
}

export function useCreateProject() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ProjectCreate"]) => unwrap(api.POST("/api/projects", { body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.projects }),
  });
}

export function useUpdateProject(id: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ProjectUpdate"]) =>
      unwrap(api.PATCH("/api/projects/{project_id}", { params: { path: { project_id: id } }, body })),
    onSuccess: (project) => qc.setQueryData(keys.project(id), project),
  });
}

export function useDatasets(projectId: number) {
  return useQuery({
    queryKey: keys.datasets(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/datasets", { params: { path: { project_id: projectId } } })),
  });
}

export function useImportImdb(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["ImdbImportRequest"]) =>
      unwrap(api.POST("/api/projects/{project_id}/datasets/imdb", { params: { path: { project_id: projectId } }, body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.datasets(projectId) }),
  });
}

/** A multipart body: the file, then every field that has a value. */
function uploadForm(file: File, fields: Record<string, unknown>): FormData {
  const form = new FormData();
  form.append("file", file, file.name);
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) form.append(k, String(v));
  return form;
}

/** Form fields of the upload besides the file (the API's multipart body, Body_uploadDataset). */
export type DatasetUploadFields = Omit<Schemas["Body_uploadDataset"], "file">;

export function useUploadDataset(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ file, fields }: { file: File; fields: DatasetUploadFields }) => {
      // A FormData body goes out as multipart (openapi-fetch leaves its Content-Type to the browser).
      const body = uploadForm(file, fields) as unknown as Schemas["Body_uploadDataset"];
      return unwrap(api.POST("/api/projects/{project_id}/datasets/upload", { params: { path: { project_id: projectId } }, body }));
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.datasets(projectId) }),
  });
}

/** Form fields of the IMDB archive's upload besides the file (Body_uploadImdb). */
export type ImdbUploadFields = Omit<Schemas["Body_uploadImdb"], "file">;

export function useUploadImdb(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ file, fields }: { file: File; fields: ImdbUploadFields }) => {
      const body = uploadForm(file, fields) as unknown as Schemas["Body_uploadImdb"];
      return unwrap(api.POST("/api/projects/{project_id}/datasets/imdb/upload", { params: { path: { project_id: projectId } }, body }));
    },
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.datasets(projectId) }),
  });
}

export function useVersions(projectId: number) {
  return useQuery({
    queryKey: keys.versions(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/versions", { params: { path: { project_id: projectId } } })),
  });
}

export function useVersion(versionId: number) {
  return useQuery({
    queryKey: keys.version(versionId),
    queryFn: () => unwrap(api.GET("/api/versions/{version_id}", { params: { path: { version_id: versionId } } })),
  });
}

export function useCreateVersion(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["VersionCreate"]) =>
      unwrap(api.POST("/api/projects/{project_id}/versions", { params: { path: { project_id: projectId } }, body })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.versions(projectId) }),
  });
}

export function useTrainVersion(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ versionId, epochs }: { versionId: number; epochs: number }) =>
      unwrap(api.POST("/api/versions/{version_id}/train", { params: { path: { version_id: versionId } }, body: { epochs } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.versions(projectId) }),
  });
}

export function useRecentJobs(projectId: number) {
  return useQuery({
    queryKey: keys.jobs(projectId),
    queryFn: () => unwrap(api.GET("/api/jobs", { params: { query: { project_id: projectId, limit: 20 } } })),
  });
}

export function useVersionGraph(versionId: number | null) {
  return useQuery({
    queryKey: keys.graph(versionId ?? -1),
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/graph", { params: { path: { version_id: versionId ?? -1 } } })),
  });
}

export function useBatchMetrics(versionId: number | null) {
  return useQuery({
    queryKey: keys.batchMetrics(versionId ?? -1),
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/metrics/batches", { params: { path: { version_id: versionId ?? -1 } } })),
  });
}

export function useEpochMetrics(versionId: number | null) {
  return useQuery({
    queryKey: keys.epochMetrics(versionId ?? -1),
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/metrics/epochs", { params: { path: { version_id: versionId ?? -1 } } })),
  });
}

export type CurveSplit = "train" | "val" | "test" | "all";

/** ROC and PR curves per class (one-vs-rest with three or more classes) at an epoch and split. */
export function useCurves(versionId: number | null, epoch: number | null, split: CurveSplit, enabled = true) {
  return useQuery({
    queryKey: keys.curves(versionId ?? -1, epoch ?? -1, split),
    enabled: enabled && versionId !== null && epoch !== null,
    staleTime: Infinity,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/metrics/curves", {
        params: { path: { version_id: versionId ?? -1 }, query: { epoch: epoch ?? undefined, split } },
      })),
  });
}

/** The per-sample fields a chart can plot: built-in ones and the dataset's metadata columns. */
export function useVersionFields(versionId: number | null) {
  return useQuery({
    queryKey: keys.fields(versionId ?? -1),
    enabled: versionId !== null,
    staleTime: Infinity,
    queryFn: () => unwrap(api.GET("/api/versions/{version_id}/fields", { params: { path: { version_id: versionId ?? -1 } } })),
  });
}

export type SampleQuery = NonNullable<operations["listSamples"]["parameters"]["query"]>;

export function useSamples(versionId: number | null, query: SampleQuery) {
  return useQuery({
    queryKey: [...keys.samples(versionId ?? -1), query],
    enabled: versionId !== null,
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/samples", { params: { path: { version_id: versionId ?? -1 }, query } }),
      ),
  });
}

export function useSample(sampleId: number | null, versionId: number | null) {
  return useQuery({
    queryKey: keys.sample(sampleId ?? -1, versionId),
    enabled: sampleId !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/samples/{sample_id}", {
          params: { path: { sample_id: sampleId ?? -1 }, query: versionId === null ? {} : { version_id: versionId } },
        }),
      ),
  });
}

/**
 * One job. Its first state is fetched; after that the job stream (useJobStream) writes each update
 * into this query's cache, so a component sees the job finish without polling.
 */
export function useJob(jobId: number | null) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.job(jobId ?? -1),
    enabled: jobId !== null,
    staleTime: Infinity,
    queryFn: async () => {
      const fetched = await unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: jobId ?? -1 } } }));
      // The stream may have delivered a newer state while this request was in flight: keep the newest.
      const pushed = qc.getQueryData<Job>(keys.job(jobId ?? -1));
      return pushed && pushed.updated_at > fetched.updated_at ? pushed : fetched;
    },
  });
}

// -- population maps (issue 3) ---------------------------------------------------------------------

export type MapInfo = Schemas["MapOut"];
export type MapState = { status: "absent" | "pending" | "running" | "done" | "failed"; map: MapInfo | null; job: Job | null; message: string };

/** A map's status: the map row when there is one, or the 409's `status` and `job` when there is not. */
export function useMapStatus(versionId: number | null, epoch: number | null) {
  return useQuery({
    queryKey: keys.map(versionId ?? -1, epoch ?? -1),
    enabled: versionId !== null && epoch !== null,
    queryFn: async (): Promise<MapState> => {
      try {
        const map = await unwrap(
          api.GET("/api/versions/{version_id}/maps/{epoch}", { params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1 } } }),
        );
        return { status: map.status, map, job: map.job ?? null, message: map.error ?? "" };
      } catch (e) {
        if (e instanceof ApiError && e.status === 409) {
          const body = (e.body ?? {}) as { status?: MapState["status"]; job?: Job | null };
          return { status: body.status ?? "absent", map: null, job: body.job ?? null, message: e.message };
        }
        throw e;
      }
    },
  });
}

export function useMaps(versionId: number | null) {
  return useQuery({
    queryKey: keys.maps(versionId ?? -1),
    enabled: versionId !== null,
    queryFn: () => unwrap(api.GET("/api/versions/{version_id}/maps", { params: { path: { version_id: versionId ?? -1 } } })),
  });
}

export function useBuildMap(versionId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (epoch: number) =>
      unwrap(api.POST("/api/versions/{version_id}/maps/{epoch}", { params: { path: { version_id: versionId, epoch } }, body: null })),
    onSuccess: (job, epoch) => {
      qc.setQueryData(keys.job(job.id), job);
      void qc.invalidateQueries({ queryKey: keys.map(versionId, epoch) });
    },
  });
}

export async function fetchPoints(versionId: number, epoch: number) {
  return decodePoints(await fetchBinary(`/api/versions/${versionId}/maps/${epoch}/points`));
}

/**
 * Every point of a finished map, decoded from the Arrow stream (zstd, the API's default). While
 * another epoch loads, the previous epoch's points stay (placeholder), so the map can animate.
 */
export function usePoints(versionId: number | null, epoch: number | null, enabled = true) {
  return useQuery({
    queryKey: keys.points(versionId ?? -1, epoch ?? -1),
    enabled: enabled && versionId !== null && epoch !== null,
    staleTime: Infinity,
    placeholderData: keepPreviousData,
    queryFn: () => fetchPoints(versionId ?? -1, epoch ?? -1),
  });
}

export function useInsights(versionId: number | null, epoch: number | null, enabled = true) {
  return useQuery({
    queryKey: keys.insights(versionId ?? -1, epoch ?? -1),
    enabled: enabled && versionId !== null && epoch !== null,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/maps/{epoch}/insights", { params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1 } } })),
  });
}

export function useClusters(versionId: number | null, epoch: number | null, enabled = true) {
  return useQuery({
    queryKey: keys.clusters(versionId ?? -1, epoch ?? -1),
    enabled: enabled && versionId !== null && epoch !== null,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/maps/{epoch}/clusters", { params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1 } } })),
  });
}

export function useNeighbors(versionId: number | null, epoch: number | null, sampleId: number, k = 8) {
  return useQuery({
    queryKey: [...keys.neighbors(versionId ?? -1, epoch ?? -1, sampleId), k],
    enabled: versionId !== null && epoch !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/maps/{epoch}/neighbors/{sample_id}", {
          params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1, sample_id: sampleId }, query: { k } },
        }),
      ),
  });
}

// -- analyses (issue 4) ----------------------------------------------------------------------------

/** The sample's tokens with spans, OOV and past-max-length marks (no model needed). */
export function useSampleTokens(sampleId: number, versionId: number | null) {
  return useQuery({
    queryKey: keys.tokens(sampleId, versionId),
    staleTime: Infinity,
    queryFn: () =>
      unwrap(
        api.GET("/api/samples/{sample_id}/tokens", {
          params: { path: { sample_id: sampleId }, query: versionId === null ? {} : { version_id: versionId } },
        }),
      ),
  });
}

export function useAnalysisResult(analysisId: number | null) {
  return useQuery({
    queryKey: keys.analysis(analysisId ?? -1),
    enabled: analysisId !== null,
    staleTime: Infinity,
    queryFn: () => unwrap(api.GET("/api/analyses/{analysis_id}", { params: { path: { analysis_id: analysisId ?? -1 } } })),
  });
}

export function useAnalyzeBatch(versionId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["BatchAnalysisRequest"]) =>
      unwrap(api.POST("/api/versions/{version_id}/analyses/batch", { params: { path: { version_id: versionId } }, body })),
    onSuccess: (out) => {
      if (out.job) qc.setQueryData(keys.job(out.job.id), out.job);
    },
  });
}

// -- flags, suspects, retrain, compare (issue 5) ---------------------------------------------------

export type Flag = Schemas["FlagOut"];
export type FlagState = Flag["state"];
export const flagKeys = {
  all: (projectId: number) => ["flags", projectId] as const,
  one: (projectId: number, sampleId: number) => ["flags", projectId, "sample", sampleId] as const,
};

/** A sample's flag, or null when it has none (404). */
export function useFlag(projectId: number, sampleId: number) {
  return useQuery({
    queryKey: flagKeys.one(projectId, sampleId),
    queryFn: async () => {
      try {
        return await unwrap(api.GET("/api/projects/{project_id}/flags/{sample_id}", { params: { path: { project_id: projectId, sample_id: sampleId } } }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
  });
}

export function useSetFlag(projectId: number, sampleId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: Schemas["FlagPut"] | null) => {
      const path = { project_id: projectId, sample_id: sampleId };
      if (body === null) {
        await unwrap(api.DELETE("/api/projects/{project_id}/flags/{sample_id}", { params: { path } }));
        return null;
      }
      return unwrap(api.PUT("/api/projects/{project_id}/flags/{sample_id}", { params: { path }, body }));
    },
    onSuccess: (flag) => {
      qc.setQueryData(flagKeys.one(projectId, sampleId), flag);
      void qc.invalidateQueries({ queryKey: flagKeys.all(projectId) });
    },
  });
}

export function useUndoFlag(projectId: number, sampleId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/projects/{project_id}/flags/{sample_id}/undo", { params: { path: { project_id: projectId, sample_id: sampleId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: flagKeys.all(projectId) }),
  });
}

export type FlagQuery = NonNullable<operations["listFlags"]["parameters"]["query"]>;

export function useFlags(projectId: number, query: FlagQuery) {
  return useQuery({
    queryKey: [...flagKeys.all(projectId), "list", query],
    placeholderData: keepPreviousData,
    queryFn: () => unwrap(api.GET("/api/projects/{project_id}/flags", { params: { path: { project_id: projectId }, query } })),
  });
}

export function useBulkFlags(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["BulkFlagRequest"]) =>
      unwrap(api.POST("/api/projects/{project_id}/flags/bulk", { params: { path: { project_id: projectId } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: flagKeys.all(projectId) }),
  });
}

export function useSuspects(versionId: number | null, split: "train" | "val" | "test" | undefined, limit = 50) {
  return useQuery({
    queryKey: ["suspects", versionId ?? -1, split ?? "", limit],
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/suspects", { params: { path: { version_id: versionId ?? -1 }, query: { split, limit } } })),
  });
}

export function useRankSuspects(versionId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/versions/{version_id}/suspects", { params: { path: { version_id: versionId } }, body: {} })),
    onSuccess: (job) => {
      qc.setQueryData(keys.job(job.id), job);
    },
  });
}

export function useRetrain(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ versionId, body }: { versionId: number; body: Schemas["RetrainRequest"] }) =>
      unwrap(api.POST("/api/versions/{version_id}/retrain", { params: { path: { version_id: versionId } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.versions(projectId) }),
  });
}

export function useCompare(a: number | null, b: number | null) {
  return useQuery({
    queryKey: ["compare", a, b],
    enabled: a !== null && b !== null && a !== b,
    queryFn: () => unwrap(api.GET("/api/versions/compare", { params: { query: { a: a ?? -1, b: b ?? -1, limit: 300 } } })),
  });
}
