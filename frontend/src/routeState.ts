/** Everything a shareable URL carries: /projects/:projectId/:view?version=&epoch=&sample= */
import { useCallback } from "react";
import { useNavigate, useParams, useSearchParams } from "react-router";

export const VIEWS = ["dashboard", "network", "map", "flags"] as const;
export type View = (typeof VIEWS)[number];

export interface RouteState {
  projectId: number;
  view: View;
  versionId: number | null;
  epoch: number | null;
  sampleId: number | null;
}

function intOrNull(v: string | null): number | null {
  if (v === null || v === "") return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export function useRouteState(): [RouteState, (patch: Partial<Omit<RouteState, "projectId">>) => void] {
  const params = useParams();
  const [search] = useSearchParams();
  const navigate = useNavigate();
  const view = (VIEWS as readonly string[]).includes(params.view ?? "") ? (params.view as View) : "dashboard";
  const state: RouteState = {
    projectId: Number(params.projectId),
    view,
    versionId: intOrNull(search.get("version")),
    epoch: intOrNull(search.get("epoch")),
    sampleId: intOrNull(search.get("sample")),
  };
  const { projectId, versionId, epoch, sampleId } = state;
  const update = useCallback(
    (patch: Partial<Omit<RouteState, "projectId">>) => {
      const next = { view, versionId, epoch, sampleId, ...patch };
      // Other parameters (a view's colour, size, open insight) stay; an insight belongs to one epoch's map.
      const q = new URLSearchParams(window.location.search);
      if (next.versionId !== versionId || next.epoch !== epoch) q.delete("insight");
      for (const [key, value] of [
        ["version", next.versionId],
        ["epoch", next.epoch],
        ["sample", next.sampleId],
      ] as const) {
        if (value !== null) q.set(key, String(value));
        else q.delete(key);
      }
      const qs = q.toString();
      void navigate(`/projects/${projectId}/${next.view}${qs ? `?${qs}` : ""}`, { replace: patch.view === undefined });
    },
    [projectId, view, versionId, epoch, sampleId, navigate],
  );
  return [state, update];
}
