/** Live job updates from the server's SSE stream (GET /api/jobs-stream, event `job`, data JobOut). */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { Job } from "./client";
import { FINISHED } from "./jobs";
import { keys } from "./keys";

export interface StreamState {
  jobs: Job[];
  connected: boolean;
}

/** Newest first; a job's latest update replaces the earlier one. */
export function mergeJob(jobs: readonly Job[], job: Job): Job[] {
  const rest = jobs.filter((j) => j.id !== job.id);
  return [job, ...rest].sort((a, b) => b.id - a.id).slice(0, 30);
}

export function useJobStream(projectId: number): StreamState {
  const qc = useQueryClient();
  const [state, setState] = useState<StreamState>({ jobs: [], connected: false });
  useEffect(() => {
    // EventSource reconnects by itself after a drop; no polling anywhere.
    const source = new EventSource(`/api/jobs-stream?project_id=${projectId}`);
    source.onopen = () => setState((s) => ({ ...s, connected: true }));
    source.onerror = () => setState((s) => ({ ...s, connected: false }));
    source.addEventListener("job", (event) => {
      const job = JSON.parse((event as MessageEvent<string>).data) as Job;
      setState((s) => ({ connected: true, jobs: mergeJob(s.jobs, job) }));
      // Components waiting on this job (an analysis, a map build) read it from here.
      qc.setQueryData(keys.job(job.id), job);
      if (job.kind === "map" && job.version_id !== null) {
        // Status moves with every update; the map's data only changes when the job ends.
        const epoch = typeof job.params.epoch === "number" ? job.params.epoch : null;
        if (epoch !== null) void qc.invalidateQueries({ queryKey: keys.map(job.version_id, epoch), exact: true });
        if (FINISHED.has(job.state)) {
          void qc.invalidateQueries({ queryKey: keys.maps(job.version_id) });
          if (epoch !== null) void qc.invalidateQueries({ queryKey: keys.points(job.version_id, epoch) });
        }
      }
      // Progress moves the version's metrics; the end of a job changes everything it touched.
      void qc.invalidateQueries({ queryKey: keys.versions(projectId) });
      if (job.version_id !== null && (job.kind === "train" || FINISHED.has(job.state))) {
        void qc.invalidateQueries({ queryKey: keys.batchMetrics(job.version_id) });
        void qc.invalidateQueries({ queryKey: keys.epochMetrics(job.version_id) });
      }
      if (FINISHED.has(job.state)) {
        void qc.invalidateQueries({ queryKey: keys.datasets(projectId) });
        void qc.invalidateQueries({ queryKey: keys.project(projectId) });
        void qc.invalidateQueries({ queryKey: keys.projects });
        if (job.version_id !== null) {
          void qc.invalidateQueries({ queryKey: keys.samples(job.version_id) });
          void qc.invalidateQueries({ queryKey: keys.graph(job.version_id) });
          void qc.invalidateQueries({ queryKey: keys.allResults(job.version_id) });
          void qc.invalidateQueries({ queryKey: keys.comparisons });
        }
      }
    });
    return () => source.close();
  }, [projectId, qc]);
  return state;
}
