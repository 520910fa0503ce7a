/** A version's mislabel-suspect ranking (out-of-sample signals combined), and ranking it on the workers. */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, unwrap, type Schemas } from "./client";
import { keys } from "./keys";

/**
 * A page of the latest finished ranking of `split`; `feedback` orders it by a model of the reviewers' decisions
 * so far. The list is asked for only once the ranking status says one exists; before that the query fails with
 * the same 409 the list would give (its job, if one runs), without the request, so the console shows only real
 * errors.
 */
export function useSuspects(
  versionId: number | null,
  split: "train" | "val" | "test" | undefined,
  limit = 50,
  feedback = false,
) {
  return useQuery({
    queryKey: [...keys.suspects(versionId ?? -1, split ?? "", limit), feedback],
    enabled: versionId !== null,
    queryFn: async () => {
      const path = { version_id: versionId ?? -1 };
      const status = await unwrap(
        api.GET("/api/versions/{version_id}/suspects/status", { params: { path, query: { split } } }),
      );
      if (status.status !== "done")
        throw new ApiError(
          409,
          status.status === "running"
            ? "The suspects are being ranked; the list appears when the ranking finishes."
            : "No suspect ranking yet: rank this version's suspects to list the likely mislabels.",
          { status: status.status, job_id: status.job_id },
        );
      return unwrap(
        api.GET("/api/versions/{version_id}/suspects", { params: { path, query: { split, limit, feedback } } }),
      );
    },
  });
}

export type Suspect = Schemas["SuspectOut"];
export type SuspectSummary = Schemas["SuspectSummary"];

/**
 * How many of the split's suspects pass `threshold`, the estimated precision/recall there, and precision so far
 * among the reviewed. Asked for only once the list exists (`enabled`); flag changes refresh it (its key starts
 * with "suspects", which every flag view invalidation covers). The previous answer stays while a new threshold
 * is being counted, so the line does not flicker as the reviewer types.
 */
export function useSuspectSummary(
  versionId: number,
  split: "train" | "val" | "test",
  threshold: number,
  enabled: boolean,
) {
  return useQuery({
    queryKey: ["suspects", versionId, split, "summary", threshold],
    enabled: enabled && Number.isFinite(threshold) && threshold >= 0 && threshold <= 1,
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/suspects/summary", {
          params: { path: { version_id: versionId }, query: { split, threshold } },
        }),
      ),
  });
}
type Split = "train" | "val" | "test";

/** Rank the given splits: only train trains fold models, so ranking val or test alone is quick. */
export function useRankSuspects(versionId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (splits: Split[]) =>
      unwrap(
        api.POST("/api/versions/{version_id}/suspects", {
          params: { path: { version_id: versionId } },
          body: { splits },
        }),
      ),
    onSuccess: (job) => {
      qc.setQueryData(keys.job(job.id), job);
    },
  });
}
