/** TanStack Query hooks: server state lives here, components never fetch by hand. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import type { Schemas } from "./client";
import type { operations } from "./schema.gen";

export const keys = {
  projects: ["projects"] as const,
  project: (id: number) => ["project", id] as const,
  datasets: (projectId: number) => ["datasets", projectId] as const,
  versions: (projectId: number) => ["versions", projectId] as const,
  jobs: (projectId: number) => ["jobs", projectId] as const,
  graph: (versionId: number) => ["graph", versionId] as const,
  batchMetrics: (versionId: number) => ["batchMetrics", versionId] as const,
  epochMetrics: (versionId: number) => ["epochMetrics", versionId] as const,
  samples: (versionId: number) => ["samples", versionId] as const,
  sample: (sampleId: number, versionId: number | null) => ["sample", sampleId, versionId] as const,
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

export function useVersions(projectId: number) {
  return useQuery({
    queryKey: keys.versions(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/versions", { params: { path: { project_id: projectId } } })),
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
