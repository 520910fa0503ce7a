/** Two versions of one dataset side by side (GET /versions/compare): per-split figures and changed predictions. */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";
import { keys } from "./keys";

export type VersionComparison = Schemas["VersionComparison"];

/** How many changed samples the comparison lists (it counts them all). */
export const CHANGED_LISTED = 300;

/** Each version at its latest evaluated epoch; disabled until two different versions are chosen. */
export function useCompare(a: number | null, b: number | null) {
  return useQuery({
    queryKey: keys.compare(a ?? -1, b ?? -1),
    enabled: a !== null && b !== null && a !== b,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/compare", { params: { query: { a: a ?? -1, b: b ?? -1, limit: CHANGED_LISTED } } }),
      ),
  });
}
