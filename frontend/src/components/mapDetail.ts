/**
 * Level of detail for very large maps: while the view moves (a drag pans, the wheel zooms), a map of
 * LOD_MIN_POINTS or more draws an even sample of about LOD_POINTS of its points, plus whatever is
 * highlighted; once the view rests for SETTLE_MS, every point again. Software WebGL draws a million points at
 * about 3 frames a second, a tenth of them ten times as often, and at the zoom where a million points overlap
 * the sample shows the same shapes. Smaller maps are always drawn whole. A shift-drag (the lasso) does not move
 * the view, but the scatterplot redraws every point on each of its moves to show the lasso's line: it draws the
 * sample too, and every point comes back on the release, before the lasso selects, so it selects among all.
 */

export const LOD_MIN_POINTS = 200_000;
export const LOD_POINTS = 100_000;
export const SETTLE_MS = 200;

/** Every ⌈n / target⌉-th row and the rows to keep (sorted, unique): an even sample in the payload's order. */
export function sampleRows(n: number, keep: readonly number[] = [], target = LOD_POINTS): number[] {
  const step = Math.max(1, Math.ceil(n / target));
  const rows = new Uint8Array(n);
  for (let i = 0; i < n; i += step) rows[i] = 1;
  for (const i of keep) if (i >= 0 && i < n) rows[i] = 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (rows[i]) out.push(i);
  return out;
}

/** What the controller needs of regl-scatterplot (its filter draws only the given points). */
export interface Filterable {
  filter(rows: number[], options: { preventEvent: boolean }): Promise<void>;
  unfilter(options: { preventEvent: boolean }): Promise<void>;
  select(rows: number[], options: { preventEvent: boolean }): void;
}

/** A press moves the view once the pointer has gone this far (a click's jitter does not). */
const DRAG_PX = 3;

/**
 * Wires the level of detail to a scatterplot and its canvas; returns the function that undoes it.
 * `points()` is the number of points drawn now, `keep()` the highlighted rows (filtering would drop a
 * selection outside the sample, so they stay in it, and the selection is shown again at rest).
 *
 * The sample is asked for on the input event itself (a drag's first move, a wheel turn), before the
 * scatterplot draws the moved view: waiting for its "view" event would draw one frame of every point first,
 * about a second in software WebGL at a million points. Only a person moving the view samples: a
 * programmatic fit or an epoch's animation keeps every point.
 */
export function attachLevelOfDetail(
  sp: Filterable,
  canvas: HTMLElement,
  points: () => number,
  keep: () => readonly number[],
): () => void {
  let pressed: { x: number; y: number } | null = null; // where a press (not a lasso) began
  let lasso: { x: number; y: number } | null = null; // where a lasso began
  let wheeling: ReturnType<typeof setTimeout> | undefined;
  let settling: ReturnType<typeof setTimeout> | undefined;
  let sampled = false;

  const sample = () => {
    clearTimeout(settling);
    if (sampled || points() < LOD_MIN_POINTS) return;
    sampled = true;
    void sp.filter(sampleRows(points(), keep()), { preventEvent: true });
  };
  const settle = () => {
    clearTimeout(settling);
    settling = setTimeout(() => {
      if (!sampled || pressed !== null || wheeling !== undefined) return;
      sampled = false;
      void sp.unfilter({ preventEvent: true }).then(() => {
        const rows = keep();
        if (rows.length) sp.select([...rows], { preventEvent: true });
      });
    }, SETTLE_MS);
  };
  const onDown = (e: PointerEvent) => {
    pressed = e.shiftKey ? null : { x: e.clientX, y: e.clientY };
    lasso = e.shiftKey ? { x: e.clientX, y: e.clientY } : null;
  };
  const onMove = (e: PointerEvent) => {
    const from = pressed ?? lasso;
    if (from && Math.hypot(e.clientX - from.x, e.clientY - from.y) >= DRAG_PX) sample();
  };
  const onUp = () => {
    if (lasso !== null) {
      lasso = null;
      if (!sampled) return;
      // The pointerup comes before the mouseup that ends the lasso: the filter is lifted (synchronously, the
      // redraw follows) and the highlighted rows selected again, so the lasso selects among every point and a
      // merging lasso adds to the whole selection, not to its sampled part.
      clearTimeout(settling);
      sampled = false;
      void sp.unfilter({ preventEvent: true });
      const rows = keep();
      if (rows.length) sp.select([...rows], { preventEvent: true });
      return;
    }
    if (pressed === null) return;
    pressed = null;
    settle();
  };
  const onWheel = () => {
    sample();
    clearTimeout(wheeling);
    wheeling = setTimeout(() => {
      wheeling = undefined;
      settle();
    }, SETTLE_MS);
  };
  canvas.addEventListener("pointerdown", onDown);
  window.addEventListener("pointermove", onMove);
  window.addEventListener("pointerup", onUp);
  canvas.addEventListener("wheel", onWheel, { passive: true });
  return () => {
    clearTimeout(wheeling);
    clearTimeout(settling);
    canvas.removeEventListener("pointerdown", onDown);
    window.removeEventListener("pointermove", onMove);
    window.removeEventListener("pointerup", onUp);
    canvas.removeEventListener("wheel", onWheel);
  };
}
