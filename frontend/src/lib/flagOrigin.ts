import { useSyncExternalStore } from "react";

/**
 * Which sample the reviewer opened from the suspects list, so the flag editor in the sample panel saves its
 * flag with source `ranking` (ranking-driven flags stay distinguishable from manual ones). A module-level mark
 * rather than a route parameter: the panel is opened by many views, and only the suspects list knows the
 * ranking led there. The editor clears the mark when it closes or moves to another sample.
 */
let openedFromRanking: number | null = null;
const listeners = new Set<() => void>();

export function markOpenedFromRanking(sampleId: number | null): void {
  if (openedFromRanking === sampleId) return;
  openedFromRanking = sampleId;
  listeners.forEach((l) => l());
}

export function currentOpenedFromRanking(): number | null {
  return openedFromRanking;
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Whether `sampleId` was opened from the suspects list (re-renders when that changes). */
export function useOpenedFromRanking(sampleId: number): boolean {
  return useSyncExternalStore(subscribe, () => openedFromRanking === sampleId);
}
