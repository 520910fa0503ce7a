/** Mislabel flags (project-level): one sample's flag with undo, the filtered list, bulk changes. */
import { keepPreviousData, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";
import { keys } from "./keys";
import type { operations } from "./schema.gen";

export type Flag = Schemas["FlagOut"];
export type FlagState = Flag["state"];
export type FlagQuery = NonNullable<operations["listFlags"]["parameters"]["query"]>;

/** A sample's flag, or null when it has none (the lookup answers "none": no 404 for an unflagged sample). */
export function useFlag(projectId: number, sampleId: number) {
  return useQuery({
    queryKey: keys.flag(projectId, sampleId),
    queryFn: async () =>
      (
        await unwrap(
          api.GET("/api/projects/{project_id}/flags/{sample_id}/lookup", {
            params: { path: { project_id: projectId, sample_id: sampleId } },
          }),
        )
      ).flag,
  });
}

/**
 * Everything that shows flag state: the project's flag lists, the map's points (their flag column is
 * joined at read time, so a refetch shows the change), the suspects lists and the samples tables.
 */
export function invalidateFlagViews(qc: QueryClient, projectId: number) {
  void qc.invalidateQueries({ queryKey: keys.flags(projectId) });
  void qc.invalidateQueries({ queryKey: ["points"] });
  void qc.invalidateQueries({ queryKey: ["suspects"] });
  void qc.invalidateQueries({ queryKey: ["samples"] });
}

/** Set a sample's flag, or remove it (null). */
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
      qc.setQueryData(keys.flag(projectId, sampleId), flag);
      invalidateFlagViews(qc, projectId);
    },
  });
}

export function useUndoFlag(projectId: number, sampleId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/projects/{project_id}/flags/{sample_id}/undo", {
          params: { path: { project_id: projectId, sample_id: sampleId } },
        }),
      ),
    onSuccess: () => invalidateFlagViews(qc, projectId),
  });
}

export function useFlags(projectId: number, query: FlagQuery) {
  return useQuery({
    queryKey: keys.flagList(projectId, query),
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/flags", { params: { path: { project_id: projectId }, query } })),
  });
}

export function useBulkFlags(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["BulkFlagRequest"]) =>
      unwrap(api.POST("/api/projects/{project_id}/flags/bulk", { params: { path: { project_id: projectId } }, body })),
    onSuccess: () => invalidateFlagViews(qc, projectId),
  });
}

/** Revert one bulk operation (every change it made), by the batch id its result carried. */
export function useUndoBulkFlags(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (batchId: string) =>
      unwrap(
        api.POST("/api/projects/{project_id}/flags/bulk/{batch_id}/undo", {
          params: { path: { project_id: projectId, batch_id: batchId } },
        }),
      ),
    onSuccess: () => invalidateFlagViews(qc, projectId),
  });
}
