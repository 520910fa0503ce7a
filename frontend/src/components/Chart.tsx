import { BarChart, LineChart, ParallelChart, ScatterChart } from "echarts/charts";
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
} from "echarts/components";
import * as echarts from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import type { EChartsOption } from "echarts";
import { useEffect, useLayoutEffect, useRef, useSyncExternalStore } from "react";

// Only what the dashboard draws (a fraction of the full ECharts build): add a series type or component
// here before an option uses it, or ECharts leaves that part out with a console warning.
echarts.use([
  BarChart,
  LineChart,
  ParallelChart,
  ScatterChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ParallelComponent,
  TitleComponent,
  TooltipComponent,
  CanvasRenderer,
]);

export type ChartOption = EChartsOption;

const PRINT = typeof window !== "undefined" && window.matchMedia ? window.matchMedia("print") : null;
function subscribePrint(onChange: () => void): () => void {
  // Both: window.print() fires beforeprint/afterprint; print emulation (a PDF export) changes the media query.
  PRINT?.addEventListener("change", onChange);
  window.addEventListener("beforeprint", onChange);
  window.addEventListener("afterprint", onChange);
  return () => {
    PRINT?.removeEventListener("change", onChange);
    window.removeEventListener("beforeprint", onChange);
    window.removeEventListener("afterprint", onChange);
  };
}
let printingNow = false;
if (typeof window !== "undefined") {
  window.addEventListener("beforeprint", () => (printingNow = true));
  window.addEventListener("afterprint", () => (printingNow = false));
}
/** Whether the page is being printed: the charts then draw in the light theme, for paper. */
export function usePrinting(): boolean {
  return useSyncExternalStore(subscribePrint, () => printingNow || (PRINT?.matches ?? false));
}

// The light text colours options use on the dark page; on paper they become dark grey.
const PAPER_TEXT: Record<string, string> = { "#cbd5e1": "#1f2937", "#e2e8f0": "#111827", "#94a3b8": "#374151" };

/** The option with its light-on-dark text colours made dark, for printing. */
export function forPaper<T>(option: T): T {
  if (typeof option === "string") return (PAPER_TEXT[option.toLowerCase()] ?? option) as T;
  if (Array.isArray(option)) return option.map(forPaper) as T;
  if (option !== null && typeof option === "object" && Object.getPrototypeOf(option) === Object.prototype)
    return Object.fromEntries(Object.entries(option).map(([k, v]) => [k, forPaper(v)])) as T;
  return option;
}

/** A thin ECharts wrapper: one instance per mount, resized with its container, light on paper. */
export function Chart({
  option,
  height = "100%",
  onClick,
}: {
  option: ChartOption;
  height?: string | number;
  onClick?: (p: unknown) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const printing = usePrinting();
  const latest = useRef(option);
  // A layout effect, so that a chart switching theme for printing is redrawn before the page is printed.
  useLayoutEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, printing ? undefined : "dark", { renderer: "canvas" });
    chart.current = c;
    c.setOption({ backgroundColor: "transparent", ...(printing ? forPaper(latest.current) : latest.current) }, true);
    const ro = new ResizeObserver(() => c.resize());
    ro.observe(ref.current);
    return () => {
      ro.disconnect();
      c.dispose();
      chart.current = null;
    };
  }, [printing]);
  useEffect(() => {
    latest.current = option;
    chart.current?.setOption({ backgroundColor: "transparent", ...(printing ? forPaper(option) : option) }, true);
  }, [option, printing]);
  useEffect(() => {
    const c = chart.current;
    if (!c || !onClick) return;
    c.on("click", onClick);
    return () => {
      c.off("click", onClick);
    };
  }, [onClick]);
  return <div ref={ref} className="chart" style={{ height, width: "100%" }} />;
}
