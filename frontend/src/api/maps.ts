/**
 * Population maps: each epoch's status, building one, and a finished map's insights, clusters and nearest
 * neighbours in the latent space. The points themselves are in points.ts.
 */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Job, type Schemas } from "./client";
import { keys } from "./keys";

export type MapInfo = Schemas["MapOut"];
export type MapState = {
  status: "absent" | "pending" | "running" | "done" | "failed";
  map: MapInfo | null;
  job: Job | null;
  message: string;
};

/** A map's status, with its row once there is one and the job building it (never a 409: asked before it exists). */
export function useMapStatus(versionId: number | null, epoch: number | null) {
  return useQuery({
    queryKey: keys.map(versionId ?? -1, epoch ?? -1),
    enabled: versionId !== null && epoch !== null,
    queryFn: async (): Promise<MapState> => {
      const state = await unwrap(
        api.GET("/api/versions/{version_id}/maps/{epoch}/state", {
          params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1 } },
        }),
      );
      return { status: state.status, map: state.map, job: state.job, message: state.map?.error ?? "" };
    },
  });
}

export function useMaps(versionId: number | null) {
  return useQuery({
    queryKey: keys.maps(versionId ?? -1),
    enabled: versionId !== null,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/maps", { params: { path: { version_id: versionId ?? -1 } } })),
  });
}

export function useBuildMap(versionId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (epoch: number) =>
      unwrap(
        api.POST("/api/versions/{version_id}/maps/{epoch}", {
          params: { path: { version_id: versionId, epoch } },
          body: null,
        }),
      ),
    onSuccess: (job, epoch) => {
      qc.setQueryData(keys.job(job.id), job);
      void qc.invalidateQueries({ queryKey: keys.map(versionId, epoch) });
    },
  });
}

export function useInsights(versionId: number | null, epoch: number | null, enabled = true) {
  return useQuery({
    queryKey: keys.insights(versionId ?? -1, epoch ?? -1),
    enabled: enabled && versionId !== null && epoch !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/maps/{epoch}/insights", {
          params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1 } },
        }),
      ),
  });
}

export function useClusters(versionId: number | null, epoch: number | null, enabled = true) {
  return useQuery({
    queryKey: keys.clusters(versionId ?? -1, epoch ?? -1),
    enabled: enabled && versionId !== null && epoch !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/maps/{epoch}/clusters", {
          params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1 } },
        }),
      ),
  });
}

export function useNeighbors(versionId: number | null, epoch: number | null, sampleId: number, k = 8) {
  return useQuery({
    queryKey: keys.neighbors(versionId ?? -1, epoch ?? -1, sampleId, k),
    enabled: versionId !== null && epoch !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/maps/{epoch}/neighbors/{sample_id}", {
          params: { path: { version_id: versionId ?? -1, epoch: epoch ?? -1, sample_id: sampleId }, query: { k } },
        }),
      ),
  });
}
