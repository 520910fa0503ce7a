/** A version's mislabel-suspect ranking (out-of-sample signals combined), and ranking it on the workers. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";
import { keys } from "./keys";

/** A page of the ranking; `feedback` orders it by a model of the reviewers' decisions so far. */
export function useSuspects(
  versionId: number | null,
  split: "train" | "val" | "test" | undefined,
  limit = 50,
  feedback = false,
) {
  return useQuery({
    queryKey: [...keys.suspects(versionId ?? -1, split ?? "", limit), feedback],
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/suspects", {
          params: { path: { version_id: versionId ?? -1 }, query: { split, limit, feedback } },
        }),
      ),
  });
}

export type Suspect = Schemas["SuspectOut"];
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
