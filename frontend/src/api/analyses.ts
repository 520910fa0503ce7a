/**
 * The "Analyze" flow: POST /versions/{id}/analyses answers 200 with a cached result, or 202 with a
 * job. The job stream pushes the job's end into the query cache (useJobStream); this waits for it,
 * then reads the result (a stored analysis by id, or an unstored what-if inline in the job's result).
 * Each request is one query, so switching back to a method already run shows its result at once.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import spec from "../../openapi.json";
import { ApiError, api, unwrap, type Job, type Schemas } from "./client";
import { waitForJob } from "./jobs";
import { keys } from "./keys";

export type Analysis = Schemas["AnalysisOut"];
export type AnalysisRequest = Schemas["AnalysisRequest"];
export type Method = NonNullable<AnalysisRequest["method"]>;

/** The attribution methods, as the API's schema lists them (the default first). */
export const METHODS: readonly Method[] = (() => {
  const m = (
    spec as unknown as {
      components: { schemas: Record<string, { properties: Record<string, { enum?: string[]; default?: string }> }> };
    }
  ).components.schemas.AnalysisRequest?.properties.method;
  const all = (m?.enum ?? ["integrated_gradients"]) as Method[];
  const first = (m?.default ?? all[0]) as Method;
  return [first, ...all.filter((x) => x !== first)];
})();

export const METHOD_TITLES: Record<string, string> = {
  integrated_gradients: "Integrated Gradients",
  gradient_x_input: "Gradient × input",
  saliency: "Saliency",
  deeplift: "DeepLift",
  gradient_shap: "GradientShap",
  occlusion: "Occlusion",
  lime: "LIME",
  kernel_shap: "KernelSHAP",
  counterfactual: "Word removal (counterfactual)",
};

/**
 * The main knob of each method. The API's schema types `params` as a free object, so the names,
 * defaults and ranges are mirrored from backend/core/specs/analysis_methods.py; the API validates (422).
 */
export interface ParamSpec {
  name: string;
  label: string;
  kind: "int" | "float" | "text";
  min?: number;
  max?: number;
  default: number | string | null;
}
export const METHOD_PARAMS: Record<string, ParamSpec[]> = {
  integrated_gradients: [{ name: "n_steps", label: "steps", kind: "int", min: 2, max: 1000, default: 50 }],
  gradient_shap: [{ name: "n_samples", label: "samples", kind: "int", min: 1, max: 500, default: 25 }],
  occlusion: [{ name: "window", label: "window (words)", kind: "int", min: 1, max: 20, default: 1 }],
  lime: [{ name: "n_samples", label: "samples", kind: "int", min: 10, max: 5000, default: 300 }],
  kernel_shap: [{ name: "n_samples", label: "samples", kind: "int", min: 10, max: 5000, default: 300 }],
  counterfactual: [{ name: "replace_with", label: "replace with (empty: remove)", kind: "text", default: null }],
};

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
