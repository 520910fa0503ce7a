/**
 * Jobs: one job's state, and waiting for a job to finish. The job stream (jobStream.ts) writes each
 * update into the job's query, so whoever reads or waits on a job sees it move without polling.
 */
import { hashKey, useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, unwrap, type Job } from "./client";
import { keys } from "./keys";

/** The states a job does not leave. */
export const FINISHED: ReadonlySet<string> = new Set(["SUCCESS", "FAILURE", "REVOKED"]);

/** The job as the API has it, unless the stream delivered a newer state while the request was in flight. */
export async function fetchJob(qc: QueryClient, jobId: number): Promise<Job> {
  const fetched = await unwrap(api.GET("/api/jobs/{job_id}", { params: { path: { job_id: jobId } } }));
  const pushed = qc.getQueryData<Job>(keys.job(jobId));
  return pushed && pushed.updated_at > fetched.updated_at ? pushed : fetched;
}

/** One job: its first state is fetched, every later one comes from the job stream. */
export function useJob(jobId: number | null) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.job(jobId ?? -1),
    enabled: jobId !== null,
    staleTime: Infinity,
    queryFn: () => fetchJob(qc, jobId ?? -1),
  });
}

/**
 * Resolves when the job has finished. Updates come from the job stream through the query cache;
 * one read at the start covers a job that finished before we looked, and a slow re-read covers a
 * stream that is reconnecting.
 */
export function waitForJob(
  qc: QueryClient,
  jobId: number,
  signal?: AbortSignal,
  onUpdate?: (job: Job) => void,
): Promise<Job> {
  return new Promise((resolve, reject) => {
    const key = keys.job(jobId);
    const hash = hashKey(key);
    let timer = 0;
    const finish = (fn: () => void) => {
      unsubscribe();
      window.clearInterval(timer);
      fn();
    };
    const check = () => {
      const job = qc.getQueryData<Job>(key);
      if (!job) return;
      onUpdate?.(job);
      if (FINISHED.has(job.state)) finish(() => resolve(job));
    };
    const unsubscribe = qc.getQueryCache().subscribe((event) => {
      if (event.type === "updated" && event.query.queryHash === hash) check();
    });
    const reread = () =>
      void fetchJob(qc, jobId).then(
        (job) => qc.setQueryData(key, job),
        () => undefined,
      );
    reread();
    timer = window.setInterval(reread, 15_000);
    signal?.addEventListener("abort", () => finish(() => reject(new DOMException("aborted", "AbortError"))));
  });
}

/** Cancel a queued or running job (POST /api/jobs/{id}/cancel); the stream then shows it REVOKED. */
export function useCancelJob() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (jobId: number) =>
      unwrap(api.POST("/api/jobs/{job_id}/cancel", { params: { path: { job_id: jobId } } })),
    onSuccess: (job) => qc.setQueryData(keys.job(job.id), job),
  });
}
