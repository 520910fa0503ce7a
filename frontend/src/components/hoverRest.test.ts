/**
 * Hover on very large maps: which mousemoves reach the scatterplot (its listeners are on window, as here) and
 * when. Real DOM events in jsdom; the browser benchmark (bench-ui at 1M points) measures the effect on drawing.
 */
import { attachHoverRest, HOVER_REST_MS } from "./hoverRest";
import { LOD_MIN_POINTS } from "./mapDetail";

function setup(n: number) {
  const canvas = document.createElement("canvas");
  document.body.append(canvas);
  const seen: string[] = [];
  // Where the scatterplot and its camera listen.
  const onWindow = (e: MouseEvent) => void seen.push(`${e.type} ${e.clientX},${e.clientY}`);
  window.addEventListener("mousemove", onWindow);
  window.addEventListener("mousedown", onWindow);
  // The map's own cursor tracking, on the canvas.
  const onCanvas: string[] = [];
  canvas.addEventListener("mousemove", (e) => void onCanvas.push(`${e.clientX},${e.clientY}`));
  let points = n;
  const detach = attachHoverRest(canvas, () => points);
  const move = (x: number, y: number, extra: MouseEventInit = {}) =>
    canvas.dispatchEvent(new MouseEvent("mousemove", { clientX: x, clientY: y, bubbles: true, ...extra }));
  return {
    canvas,
    seen,
    onCanvas,
    move,
    setPoints: (k: number) => void (points = k),
    detach,
    done: () => {
      detach();
      window.removeEventListener("mousemove", onWindow);
      window.removeEventListener("mousedown", onWindow);
      canvas.remove();
    },
  };
}

describe("hover on a very large map", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("passes every move of a smaller map at once, as before", () => {
    const m = setup(LOD_MIN_POINTS - 1);
    m.move(1, 1);
    m.move(2, 2);
    expect(m.seen).toEqual(["mousemove 1,1", "mousemove 2,2"]);
    vi.advanceTimersByTime(1000);
    expect(m.seen).toHaveLength(2);
    m.done();
  });

  it("holds a travelling cursor's moves and hands on the last once it rests", () => {
    const m = setup(LOD_MIN_POINTS);
    m.move(1, 1);
    vi.advanceTimersByTime(HOVER_REST_MS - 10);
    m.move(2, 2);
    vi.advanceTimersByTime(HOVER_REST_MS - 10);
    m.move(3, 4, { shiftKey: true });
    expect(m.seen).toEqual([]);
    // The map's own listener still sees each move (the hover card is placed where the cursor is).
    expect(m.onCanvas).toEqual(["1,1", "2,2", "3,4"]);
    vi.advanceTimersByTime(HOVER_REST_MS);
    expect(m.seen).toEqual(["mousemove 3,4"]);
    vi.advanceTimersByTime(1000);
    expect(m.seen).toHaveLength(1);
    m.done();
  });

  it("hands on the move it holds before a press, and passes a drag's moves at once", () => {
    const m = setup(1_000_000);
    const order: string[] = [];
    m.canvas.addEventListener("mousedown", () => void order.push(`down after ${m.seen.length} moves`));
    m.move(5, 6);
    m.canvas.dispatchEvent(new MouseEvent("mousedown", { clientX: 5, clientY: 6, buttons: 1, bubbles: true }));
    expect(order).toEqual(["down after 1 moves"]);
    m.move(9, 9, { buttons: 1 });
    m.move(12, 9, { buttons: 1, shiftKey: true });
    expect(m.seen).toEqual(["mousemove 5,6", "mousedown 5,6", "mousemove 9,9", "mousemove 12,9"]);
    vi.advanceTimersByTime(1000);
    expect(m.seen).toHaveLength(4);
    m.done();
  });

  it("forgets a held move when the cursor leaves the map, and stops when detached", () => {
    const m = setup(1_000_000);
    m.move(5, 6);
    m.canvas.dispatchEvent(new MouseEvent("mouseleave"));
    vi.advanceTimersByTime(1000);
    expect(m.seen).toEqual([]);
    // Unmounted with a move held: nothing is handed on later, and later moves pass untouched.
    m.move(7, 7);
    m.detach();
    vi.advanceTimersByTime(1000);
    expect(m.seen).toEqual([]);
    m.move(8, 8);
    expect(m.seen).toEqual(["mousemove 8,8"]);
    m.done();
  });

  it("follows the map's size as its points arrive", () => {
    const m = setup(1000);
    m.move(1, 1);
    m.setPoints(1_000_000);
    m.move(2, 2);
    expect(m.seen).toEqual(["mousemove 1,1"]);
    vi.advanceTimersByTime(HOVER_REST_MS);
    expect(m.seen).toEqual(["mousemove 1,1", "mousemove 2,2"]);
    m.done();
  });
});
