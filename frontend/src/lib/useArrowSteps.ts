import { useEffect, useRef } from "react";

/**
 * +1 for ↓, -1 for ↑ (and for j / k where a list already used them: `letters`), null for any other key, for
 * a key held with a modifier (a browser or system shortcut) or for keys typed into a field (they move its
 * caret or type the letter).
 */
export function arrowStep(
  e: Pick<KeyboardEvent, "key" | "target" | "altKey" | "ctrlKey" | "metaKey">,
  letters = false,
): 1 | -1 | null {
  const down = e.key === "ArrowDown" || (letters && e.key === "j");
  const up = e.key === "ArrowUp" || (letters && e.key === "k");
  if (!down && !up) return null;
  if (e.altKey || e.ctrlKey || e.metaKey) return null;
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return null;
  return down ? 1 : -1;
}

/**
 * ↓ / ↑ open the next / previous sample of a list (the first one when none of it is open), unless the
 * keys are typing into a field. One list at a time listens: the view that shows it.
 */
export function useArrowSteps(ids: readonly number[], open: number | null, onOpen: (id: number) => void): void {
  // The sample a key steps from: the one last opened here, until `open` catches up (a second key pressed
  // before React re-rendered would otherwise step from the sample before the first key's).
  const current = useRef(open);
  useEffect(() => {
    current.current = open;
  }, [open]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const step = arrowStep(e);
      if (step === null || !ids.length) return;
      e.preventDefault();
      const k = current.current === null ? -1 : ids.indexOf(current.current);
      const next = k === -1 ? 0 : k + step;
      const id = ids[next];
      if (id !== undefined) {
        current.current = id;
        onOpen(id);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [ids, onOpen]);
}
