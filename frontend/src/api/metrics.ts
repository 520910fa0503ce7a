/** Training metrics: per batch, per epoch and split, and the ROC / PR curves at an epoch. */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";

export function useBatchMetrics(versionId: number | null) {
  return useQuery({
    queryKey: keys.batchMetrics(versionId ?? -1),
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/metrics/batches", { params: { path: { version_id: versionId ?? -1 } } }),
      ),
  });
}

export function useEpochMetrics(versionId: number | null) {
  return useQuery({
    queryKey: keys.epochMetrics(versionId ?? -1),
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/metrics/epochs", { params: { path: { version_id: versionId ?? -1 } } }),
      ),
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
      unwrap(
        api.GET("/api/versions/{version_id}/metrics/curves", {
          params: { path: { version_id: versionId ?? -1 }, query: { epoch: epoch ?? undefined, split } },
        }),
      ),
  });
}
