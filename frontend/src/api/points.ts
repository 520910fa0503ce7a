/**
 * A finished map's points, decoded from the API's Arrow stream. Apart from maps.ts so that apache-arrow
 * and the zstd decoder load with the map view only, not with every view that asks a map for neighbours.
 */
import { keepPreviousData, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { decodePoints, readPointsStream, type PointSet, type PointsMeta } from "../lib/points";
import { fetchOk } from "./client";
import { keys } from "./keys";

type Points = { points: PointSet; meta: PointsMeta };

/**
 * An epoch's points. With `qc`, a large map (lib/points PROGRESSIVE_ROWS) is put in the cache batch by
 * batch as it arrives, so the map draws its first points while the rest load; the query stays fetching
 * until the last batch.
 */
async function fetchPoints(versionId: number, epoch: number, qc?: QueryClient): Promise<Points> {
  const response = await fetchOk(`/api/versions/${versionId}/maps/${epoch}/points`);
  if (!qc || !response.body) return decodePoints(await response.arrayBuffer());
  const key = keys.points(versionId, epoch);
  return readPointsStream(response.body, (partial) => qc.setQueryData<Points>(key, partial));
}

/** Fills the cache with an epoch's points ahead of time (the epoch slider animates without a wait). */
export function prefetchPoints(qc: QueryClient, versionId: number, epoch: number) {
  return qc.prefetchQuery({
    queryKey: keys.points(versionId, epoch),
    staleTime: Infinity,
    queryFn: () => fetchPoints(versionId, epoch),
  });
}

/**
 * Every point of a finished map, decoded from the Arrow stream (zstd, the API's default). While
 * another epoch loads, the previous epoch's points stay (placeholder), so the map can animate.
 */
export function usePoints(versionId: number | null, epoch: number | null, enabled = true) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.points(versionId ?? -1, epoch ?? -1),
    enabled: enabled && versionId !== null && epoch !== null,
    staleTime: Infinity,
    placeholderData: keepPreviousData,
    queryFn: () => fetchPoints(versionId ?? -1, epoch ?? -1, qc),
  });
}

/** True while a large map's first batches are shown and the rest are still arriving. */
export function stillLoading(data: Points | undefined): boolean {
  return data !== undefined && data.meta.rows !== null && data.points.n < data.meta.rows;
}
