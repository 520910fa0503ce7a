/**
 * The "Analyze" flow: POST /versions/{id}/analyses answers 200 with a cached result, or 202 with a
 * job. The job stream pushes the job's end into the query cache (useJobStream); this waits for it,
 * then reads the result (a stored analysis by id, or an unstored what-if inline in the job's result).
 * Each request is one query, so switching back to a method already run shows its result at once.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { ApiError, api, unwrap, type Job, type Schemas } from "./client";
import { waitForJob } from "./jobs";
import { keys } from "./keys";

export type Analysis = Schemas["AnalysisOut"];
export type AnalysisRequest = Schemas["AnalysisRequest"];
export type Method = NonNullable<AnalysisRequest["method"]>;

export type AnalysisMethod = Schemas["AnalysisMethodSpec"];
export type ParamSpec = Schemas["ParamSpec"];

/** The attribution methods with their titles and parameters (GET /api/analysis-methods): fixed while the server runs. */
export function useAnalysisMethods() {
  return useQuery({
    queryKey: keys.analysisMethods,
    staleTime: Infinity,
    gcTime: Infinity,
    queryFn: () => unwrap(api.GET("/api/analysis-methods")),
  });
}

/** A method's title, or its name while the list loads (or for a method this server no longer offers). */
export function methodTitle(methods: readonly AnalysisMethod[] | undefined, name: string): string {
  return methods?.find((m) => m.name === name)?.title ?? name;
}

/** The analysis a finished analyze job produced for this request. */
async function resultOf(job: Job, body: AnalysisRequest): Promise<Analysis> {
  if (job.state !== "SUCCESS") throw new ApiError(0, job.error || `the analysis job ended ${job.state}`);
  const r = job.result as {
    analysis_ids?: Record<string, number>;
    errors?: Record<string, string>;
    text?: { analysis?: Analysis; analysis_id?: number };
  };
  let id: number | undefined;
  if (body.text !== undefined && body.text !== null) {
    if (r.text?.analysis) return r.text.analysis;
    id = r.text?.analysis_id;
  } else {
    const key = String(body.sample_id);
    if (r.errors?.[key]) throw new ApiError(0, r.errors[key]);
    id = r.analysis_ids?.[key];
  }
  if (id === undefined) throw new ApiError(0, "the analysis job finished without a result");
  return unwrap(api.GET("/api/analyses/{analysis_id}", { params: { path: { analysis_id: id } } }));
}

/** POST, then (on 202) wait for the job and fetch its result. */
export async function runAnalysis(
  qc: QueryClient,
  versionId: number,
  body: AnalysisRequest,
  signal?: AbortSignal,
  onJob?: (job: Job) => void,
): Promise<Analysis> {
  let res: { data?: unknown; error?: unknown; response: Response };
  try {
    res = await api.POST("/api/versions/{version_id}/analyses", {
      params: { path: { version_id: versionId } },
      body,
      signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0, `cannot reach the API (${e instanceof Error ? e.message : String(e)})`);
  }
  const data = await unwrap(Promise.resolve(res));
  if (res.response.status === 200) return data as Analysis;
  const { job } = data as Schemas["AnalysisQueued"];
  qc.setQueryData(keys.job(job.id), job);
  onJob?.(job);
  const done = await waitForJob(qc, job.id, signal, onJob);
  return resultOf(done, body);
}

/** An analysis as a query: runs when `body` is set; its job (while queued/running) is in `job`. */
export function useAnalysis(versionId: number | null, body: AnalysisRequest | null, onJob?: (job: Job) => void) {
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.analysis(versionId ?? -1, body ?? {}),
    enabled: versionId !== null && body !== null,
    staleTime: Infinity,
    retry: false,
    // No abort signal: a job keeps running when the panel closes, and its result lands in the cache.
    queryFn: () => runAnalysis(qc, versionId ?? -1, body as AnalysisRequest, undefined, onJob),
  });
}

/** Analyze many samples with one method (a map selection): cached ones answer at once, the rest run as one job. */
export function useAnalyzeBatch(versionId: number) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["BatchAnalysisRequest"]) =>
      unwrap(
        api.POST("/api/versions/{version_id}/analyses/batch", { params: { path: { version_id: versionId } }, body }),
      ),
    onSuccess: (out) => {
      if (out.job) qc.setQueryData(keys.job(out.job.id), out.job);
    },
  });
}
