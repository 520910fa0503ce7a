/**
 * jsdom has no layout and no canvas: stub what ECharts needs so a chart "draws" into a 2D context that
 * ignores every call (restore with vi.unstubAllGlobals and vi.restoreAllMocks).
 */
export function stubChartCanvas(): void {
  vi.stubGlobal(
    "ResizeObserver",
    class {
      observe() {}
      disconnect() {}
    },
  );
  const stored: Record<string | symbol, unknown> = {};
  const ctx = new Proxy(stored, {
    get: (t, k) => (k in t ? t[k] : () => ({ width: 0 })),
    set: (t, k, v) => {
      t[k] = v;
      return true;
    },
  });
  vi.spyOn(HTMLCanvasElement.prototype, "getContext").mockImplementation(
    () => ctx as unknown as CanvasRenderingContext2D,
  );
}
