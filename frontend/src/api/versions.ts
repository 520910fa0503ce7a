/** Model versions: the project's list, one version, creating, training and retraining, its layer graph. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";
import { keys } from "./keys";

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
      unwrap(
        api.POST("/api/versions/{version_id}/train", { params: { path: { version_id: versionId } }, body: { epochs } }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: keys.versions(projectId) }),
  });
}

/** A new version with the same hyperparameters and seed, trained without the confirmed mislabels. */
export function useRetrain(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ versionId, body }: { versionId: number; body: Schemas["RetrainRequest"] }) =>
      unwrap(api.POST("/api/versions/{version_id}/retrain", { params: { path: { version_id: versionId } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: keys.versions(projectId) }),
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

export type ArchitectureSpec = Schemas["ArchitectureSpec"];

/** The architectures with their hyperparameters (GET /api/architectures): fixed while the server runs. */
export function useArchitectures() {
  return useQuery({
    queryKey: keys.architectures,
    staleTime: Infinity,
    gcTime: Infinity,
    queryFn: () => unwrap(api.GET("/api/architectures")),
  });
}
