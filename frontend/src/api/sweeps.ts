/** Hyperparameter sweeps: list, detail (polled while trials are queued or training), create, cancel. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";
import { keys } from "./keys";

export type Sweep = Schemas["SweepOut"];
export type SweepDetail = Schemas["SweepDetail"];
export type SweepCreate = Schemas["SweepCreate"];
export type Trial = Schemas["TrialOut"];

const POLL_MS = 2000;

export function useSweeps(projectId: number) {
  return useQuery({
    queryKey: keys.sweeps(projectId),
    queryFn: () =>
      unwrap(api.GET("/api/projects/{project_id}/sweeps", { params: { path: { project_id: projectId } } })),
    refetchInterval: (q) => (q.state.data?.some((s) => s.status === "running") ? POLL_MS : false),
  });
}

/** The trials come in index order; the page sorts them itself, by any column. */
export function useSweep(sweepId: number) {
  return useQuery({
    queryKey: keys.sweep(sweepId),
    queryFn: () =>
      unwrap(api.GET("/api/sweeps/{sweep_id}", { params: { path: { sweep_id: sweepId }, query: { sort: "trial" } } })),
    refetchInterval: (q) => (q.state.data?.status === "running" ? POLL_MS : false),
  });
}

export function useCreateSweep(projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: SweepCreate) =>
      unwrap(api.POST("/api/projects/{project_id}/sweeps", { params: { path: { project_id: projectId } }, body })),
    onSuccess: (sweep) => {
      qc.setQueryData(keys.sweep(sweep.id), sweep);
      void qc.invalidateQueries({ queryKey: keys.sweeps(projectId) });
      void qc.invalidateQueries({ queryKey: keys.versions(projectId) });
    },
  });
}

export function useCancelSweep(sweepId: number, projectId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/sweeps/{sweep_id}/cancel", { params: { path: { sweep_id: sweepId } } })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.sweep(sweepId) });
      void qc.invalidateQueries({ queryKey: keys.sweeps(projectId) });
      void qc.invalidateQueries({ queryKey: keys.versions(projectId) });
    },
  });
}
