/**
 * Which optional APIs the backend has. The answer comes from the OpenAPI document the client is
 * generated from, so a view lights up as soon as its API lands (and `npm run check-client` is rerun).
 */
import spec from "../../openapi.json";

const PATHS = new Set(Object.keys((spec as { paths: Record<string, unknown> }).paths));

/** The endpoints each not-yet-merged feature needs (issue numbers in brackets). */
export const FEATURE_PATHS = {
  map: ["/api/versions/{version_id}/maps/{epoch}", "/api/versions/{version_id}/maps/{epoch}/points"], // [3]
  insights: ["/api/versions/{version_id}/maps/{epoch}/insights"], // [3]
  similar: ["/api/versions/{version_id}/maps/{epoch}/neighbors/{sample_id}"], // [3]
  analyze: ["/api/versions/{version_id}/analyses", "/api/analyses/{analysis_id}"], // [4]
  whatIf: ["/api/versions/{version_id}/analyses"], // [4]
  flags: ["/api/projects/{project_id}/flags"], // [5]
  suspects: ["/api/versions/{version_id}/suspects"], // [5]
} as const;
export type Feature = keyof typeof FEATURE_PATHS;

export const FEATURE_ISSUE: Record<Feature, number> = {
  map: 3, insights: 3, similar: 3, analyze: 4, whatIf: 4, flags: 5, suspects: 5,
};

export function hasFeature(feature: Feature, paths: ReadonlySet<string> = PATHS): boolean {
  return FEATURE_PATHS[feature].every((p) => paths.has(p));
}
