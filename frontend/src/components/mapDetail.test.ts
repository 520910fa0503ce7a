/**
 * The level of detail of very large maps: which points are drawn while the view moves, and when every point
 * comes back. The scatterplot here records what it is asked to draw (WebGL is not in jsdom); the browser
 * benchmark (bench-ui at 1M points) measures the effect on real drawing.
 */
import { attachLevelOfDetail, LOD_MIN_POINTS, sampleRows, SETTLE_MS, type Filterable } from "./mapDetail";

function recordingPlot() {
  const calls: string[] = [];
  const sp: Filterable = {
    filter: (rows) => {
      calls.push(`filter ${rows.length}`);
      return Promise.resolve();
    },
    unfilter: () => {
      calls.push("unfilter");
      return Promise.resolve();
    },
    select: (rows) => void calls.push(`select ${rows.join(",")}`),
  };
  return { sp, calls };
}

/** A canvas with level of detail attached to a recording scatterplot of `size()` points, on fake timers. */
function attached(size: () => number, selection: readonly number[]) {
  vi.useFakeTimers();
  const canvas = document.createElement("canvas");
  const { sp, calls } = recordingPlot();
  const detach = attachLevelOfDetail(sp, canvas, size, () => selection);
  return { canvas, calls, detach };
}

const at = (x: number, y: number, extra: MouseEventInit = {}) => ({ clientX: x, clientY: y, bubbles: true, ...extra });

describe("level of detail of a very large map", () => {
  afterEach(() => vi.useRealTimers());

  it("samples every k-th row evenly and keeps the highlighted ones", () => {
    expect(sampleRows(10, [], 5)).toEqual([0, 2, 4, 6, 8]);
    expect(sampleRows(10, [3, 9, 42, -1], 5)).toEqual([0, 2, 3, 4, 6, 8, 9]);
    expect(sampleRows(1_000_000)).toHaveLength(100_000);
    expect(sampleRows(4, [], 100)).toEqual([0, 1, 2, 3]);
  });

  it("draws the sample while a drag pans, and every point (and the selection) once the view rests", async () => {
    const { canvas, calls, detach } = attached(() => 1_000_000, [7, 11]);
    // A click, with a pixel of jitter: nothing changes.
    canvas.dispatchEvent(new MouseEvent("pointerdown", at(100, 100)));
    window.dispatchEvent(new MouseEvent("pointermove", at(101, 100)));
    window.dispatchEvent(new MouseEvent("pointerup", at(101, 100)));
    await vi.advanceTimersByTimeAsync(3 * SETTLE_MS);
    expect(calls).toEqual([]);
    // A drag.
    canvas.dispatchEvent(new MouseEvent("pointerdown", at(100, 100)));
    window.dispatchEvent(new MouseEvent("pointermove", at(110, 100)));
    window.dispatchEvent(new MouseEvent("pointermove", at(150, 120)));
    // Once per movement: every 10th row and the two selected ones (not multiples of 10).
    expect(calls).toEqual(["filter 100002"]);
    window.dispatchEvent(new MouseEvent("pointerup", at(150, 120)));
    await vi.advanceTimersByTimeAsync(SETTLE_MS + 1);
    expect(calls).toEqual(["filter 100002", "unfilter", "select 7,11"]);
    detach();
  });

  it("draws the sample while a lasso is drawn, and every point again on the release, before it selects", async () => {
    const { canvas, calls, detach } = attached(() => 1_000_000, [7, 11]);
    // A shift-click: nothing changes.
    canvas.dispatchEvent(new MouseEvent("pointerdown", at(0, 0, { shiftKey: true })));
    window.dispatchEvent(new MouseEvent("pointerup", at(0, 0, { shiftKey: true })));
    await vi.advanceTimersByTimeAsync(3 * SETTLE_MS);
    expect(calls).toEqual([]);
    canvas.dispatchEvent(new MouseEvent("pointerdown", at(0, 0, { shiftKey: true })));
    window.dispatchEvent(new MouseEvent("pointermove", at(40, 0, { shiftKey: true })));
    window.dispatchEvent(new MouseEvent("pointermove", at(80, 80, { shiftKey: true })));
    expect(calls).toEqual(["filter 100002"]);
    // At once on the release (the scatterplot's mouseup, which selects, comes after it), no waiting to settle.
    window.dispatchEvent(new MouseEvent("pointerup", at(80, 80)));
    expect(calls).toEqual(["filter 100002", "unfilter", "select 7,11"]);
    await vi.advanceTimersByTimeAsync(3 * SETTLE_MS);
    expect(calls).toHaveLength(3);
    detach();
  });

  it("keeps the sample while the wheel keeps zooming, and never samples a smaller map", async () => {
    let n = 1_000_000;
    const { canvas, calls, detach } = attached(() => n, []);
    canvas.dispatchEvent(new WheelEvent("wheel"));
    await vi.advanceTimersByTimeAsync(SETTLE_MS / 2);
    canvas.dispatchEvent(new WheelEvent("wheel"));
    await vi.advanceTimersByTimeAsync(SETTLE_MS / 2 + 10);
    expect(calls).toEqual(["filter 100000"]); // still zooming
    await vi.advanceTimersByTimeAsync(2 * SETTLE_MS + 10);
    expect(calls).toEqual(["filter 100000", "unfilter"]);

    calls.length = 0;
    n = LOD_MIN_POINTS - 1;
    canvas.dispatchEvent(new MouseEvent("pointerdown", at(0, 0, { shiftKey: true }))); // the lasso
    window.dispatchEvent(new MouseEvent("pointermove", at(80, 80, { shiftKey: true })));
    window.dispatchEvent(new MouseEvent("pointerup", at(80, 80)));
    canvas.dispatchEvent(new MouseEvent("pointerdown", at(0, 0)));
    window.dispatchEvent(new MouseEvent("pointermove", at(80, 80)));
    window.dispatchEvent(new MouseEvent("pointerup", at(80, 80)));
    canvas.dispatchEvent(new WheelEvent("wheel"));
    await vi.advanceTimersByTimeAsync(3 * SETTLE_MS);
    expect(calls).toEqual([]);
    detach();
  });
});
