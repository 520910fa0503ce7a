/** A version's mislabel-suspect ranking (out-of-sample signals combined), and ranking it on the workers. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ApiError, api, unwrap } from "./client";
import { keys } from "./keys";

/**
 * The latest finished ranking's page. The list is asked for only once the ranking status says one exists;
 * before that the query fails with the same 409 the list would give (its job, if one runs), without the
 * request, so the console shows only real errors.
 */
export function useSuspects(versionId: number | null, split: "train" | "val" | "test" | undefined, limit = 50) {
  return useQuery({
    queryKey: keys.suspects(versionId ?? -1, split ?? "", limit),
    enabled: versionId !== null,
    queryFn: async () => {
      const path = { version_id: versionId ?? -1 };
      const status = await unwrap(api.GET("/api/versions/{version_id}/suspects/status", { params: { path } }));
      if (status.status !== "done")
        throw new ApiError(
          409,
          status.status === "running"
            ? "The suspects are being ranked; the list appears when the ranking finishes."
            : "No suspect ranking yet: rank this version's suspects to list the likely mislabels.",
          { status: status.status, job_id: status.job_id },
        );
      return unwrap(api.GET("/api/versions/{version_id}/suspects", { params: { path, query: { split, limit } } }));
    },
  });
}

export function useRankSuspects(versionId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/versions/{version_id}/suspects", { params: { path: { version_id: versionId } }, body: {} }),
      ),
    onSuccess: (job) => {
      qc.setQueryData(keys.job(job.id), job);
    },
  });
}
