/**
 * A finished map's points, decoded from the API's Arrow stream. Apart from maps.ts so that apache-arrow
 * and the zstd decoder load with the map view only, not with every view that asks a map for neighbours.
 */
import { keepPreviousData, useQuery, type QueryClient } from "@tanstack/react-query";
import { decodePoints } from "../lib/points";
import { fetchBinary } from "./client";
import { keys } from "./keys";

async function fetchPoints(versionId: number, epoch: number) {
  return decodePoints(await fetchBinary(`/api/versions/${versionId}/maps/${epoch}/points`));
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
  return useQuery({
    queryKey: keys.points(versionId ?? -1, epoch ?? -1),
    enabled: enabled && versionId !== null && epoch !== null,
    staleTime: Infinity,
    placeholderData: keepPreviousData,
    queryFn: () => fetchPoints(versionId ?? -1, epoch ?? -1),
  });
}
