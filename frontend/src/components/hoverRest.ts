/**
 * Hover on very large maps: regl-scatterplot redraws every point on each mousemove over a point, even the
 * same point (a hover marks the frame dirty), and in software WebGL a frame of a million points costs hundreds
 * of milliseconds, so a cursor crossing the map queues frame after frame and the page stops answering. On a map
 * of LOD_MIN_POINTS or more, a mousemove with no button held is kept from the scatterplot while the cursor
 * travels, and the last one is handed on once it has rested HOVER_REST_MS: one hover, one frame, where the
 * cursor stopped. Moves with a button held (a pan, a lasso) pass at once, and a press first hands on the move it
 * follows, so the camera pans from where the cursor really is. Smaller maps see every move, as before.
 */
import { LOD_MIN_POINTS } from "./mapDetail";

/** Long enough to span the gaps between the moves of a travelling cursor, short enough to feel immediate. */
export const HOVER_REST_MS = 50;

/**
 * Holds the canvas's buttonless mousemoves back from the scatterplot (whose listeners are on window) while
 * `points()` is LOD_MIN_POINTS or more; returns the function that undoes it. Listeners on the canvas itself
 * still see every move (the map's own cursor tracking), only the bubbling to window waits.
 */
export function attachHoverRest(canvas: HTMLElement, points: () => number, restMs = HOVER_REST_MS): () => void {
  let held: MouseEvent | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The copies handed on: they must pass this listener on their way through.
  const replayed = new WeakSet<Event>();

  const drop = () => {
    clearTimeout(timer);
    timer = undefined;
    held = null;
  };
  const release = () => {
    const e = held;
    drop();
    if (!e) return;
    const copy = new MouseEvent("mousemove", {
      bubbles: true,
      cancelable: true,
      view: e.view,
      clientX: e.clientX,
      clientY: e.clientY,
      screenX: e.screenX,
      screenY: e.screenY,
      shiftKey: e.shiftKey,
      ctrlKey: e.ctrlKey,
      altKey: e.altKey,
      metaKey: e.metaKey,
      buttons: 0,
    });
    replayed.add(copy);
    canvas.dispatchEvent(copy);
  };
  const onMove = (e: MouseEvent) => {
    if (replayed.has(e)) return;
    if (e.buttons !== 0 || points() < LOD_MIN_POINTS) {
      // This move tells the scatterplot where the cursor is; an older held one would only take it back.
      drop();
      return;
    }
    e.stopPropagation();
    held = e;
    clearTimeout(timer);
    timer = setTimeout(release, restMs);
  };
  // Before a press reaches the scatterplot and its camera: a drag pans by the cursor's travel since the last move
  // they saw, and a held move would make the first step of the pan jump.
  const onDown = () => release();
  // Off the map the scatterplot un-hovers on its own; a held move from inside would hover again.
  const onLeave = () => drop();

  // Not in the capture phase: stopping it there would also keep the move from the canvas's other listeners.
  canvas.addEventListener("mousemove", onMove);
  canvas.addEventListener("mouseleave", onLeave);
  window.addEventListener("mousedown", onDown, { capture: true });
  return () => {
    drop();
    canvas.removeEventListener("mousemove", onMove);
    canvas.removeEventListener("mouseleave", onLeave);
    window.removeEventListener("mousedown", onDown, { capture: true });
  };
}
