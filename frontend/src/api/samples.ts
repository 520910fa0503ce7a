/** Samples: the paged table, one sample with its results, its tokens, and the fields a chart can plot. */
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { keys } from "./keys";
import type { operations } from "./schema.gen";

export type SampleQuery = NonNullable<operations["listSamples"]["parameters"]["query"]>;

export function useSamples(versionId: number | null, query: SampleQuery) {
  return useQuery({
    queryKey: keys.sampleList(versionId ?? -1, query),
    enabled: versionId !== null,
    placeholderData: keepPreviousData,
    queryFn: () =>
      unwrap(
        api.GET("/api/versions/{version_id}/samples", { params: { path: { version_id: versionId ?? -1 }, query } }),
      ),
  });
}

export function useSample(sampleId: number | null, versionId: number | null) {
  return useQuery({
    queryKey: keys.sample(sampleId ?? -1, versionId),
    enabled: sampleId !== null,
    queryFn: () =>
      unwrap(
        api.GET("/api/samples/{sample_id}", {
          params: { path: { sample_id: sampleId ?? -1 }, query: versionId === null ? {} : { version_id: versionId } },
        }),
      ),
  });
}

/** The sample's tokens with spans, OOV and past-max-length marks (no model needed). */
export function useSampleTokens(sampleId: number, versionId: number | null) {
  return useQuery({
    queryKey: keys.tokens(sampleId, versionId),
    staleTime: Infinity,
    queryFn: () =>
      unwrap(
        api.GET("/api/samples/{sample_id}/tokens", {
          params: { path: { sample_id: sampleId }, query: versionId === null ? {} : { version_id: versionId } },
        }),
      ),
  });
}

/** The per-sample fields a chart can plot: built-in ones and the dataset's metadata columns. */
export function useVersionFields(versionId: number | null) {
  return useQuery({
    queryKey: keys.fields(versionId ?? -1),
    enabled: versionId !== null,
    staleTime: Infinity,
    queryFn: () =>
      unwrap(api.GET("/api/versions/{version_id}/fields", { params: { path: { version_id: versionId ?? -1 } } })),
  });
}
