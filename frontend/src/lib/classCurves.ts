/** The chart of per-class ROC and PR curves (one class against the rest) that the API computes. */
import type { EChartsOption } from "echarts";
import type { Schemas } from "../api/client";
import { fmt } from "./format";
import { categoryColor } from "./palette";

export type Curves = Schemas["CurvesOut"];

export const MACRO = "macro average";

/** A class's colour in the curves and their table. */
export const classColor = categoryColor;

/**
 * The two panes of every ROC / PR chart: ROC (TPR against FPR) on the left (axis index 0), precision against
 * recall on the right (axis index 1), each titled, with `bottom` pixels left below them.
 */
export function rocPrPanes(
  rocTitle: string,
  prTitle: string,
  bottom: number,
): Pick<EChartsOption, "title" | "grid" | "xAxis" | "yAxis"> {
  const title = (text: string, left: string) => ({ text, left, textStyle: { fontSize: 12, color: "#cbd5e1" } });
  return {
    title: [title(rocTitle, "5%"), title(prTitle, "55%")],
    grid: [
      { left: "7%", width: "40%", top: 30, bottom },
      { left: "57%", width: "40%", top: 30, bottom },
    ],
    xAxis: [
      { gridIndex: 0, min: 0, max: 1, name: "FPR", nameLocation: "middle", nameGap: 22 },
      { gridIndex: 1, min: 0, max: 1, name: "recall", nameLocation: "middle", nameGap: 22 },
    ],
    yAxis: [
      { gridIndex: 0, min: 0, max: 1, name: "TPR" },
      { gridIndex: 1, min: 0, max: 1, name: "precision" },
    ],
  };
}

const points = (c: Schemas["CurvePoints"]) => c.x.map((x, k) => [x, c.y[k] ?? 0]);

/**
 * ROC on the left, precision-recall on the right, a line per class (named by class, in the legend) and the
 * macro-average ROC dashed. Class names come from uploaded data: legend and tooltip are drawn on the
 * canvas (richText), never parsed as HTML.
 */
export function classCurvesOption(curves: Curves): EChartsOption {
  const names = curves.curves.map((c) => c.class_name);
  return {
    tooltip: { trigger: "item", renderMode: "richText" },
    legend: {
      type: "scroll",
      bottom: 0,
      data: [...names, ...(curves.macro ? [MACRO] : [])],
      textStyle: { color: "#cbd5e1" },
    },
    // Room below the panes for the legend.
    ...rocPrPanes(
      `ROC · macro AUC ${fmt(curves.macro?.roc_auc)}`,
      `PR · macro AP ${fmt(curves.macro?.average_precision)}`,
      60,
    ),
    series: [
      ...curves.curves.flatMap((c, k) => [
        {
          type: "line" as const,
          name: c.class_name,
          xAxisIndex: 0,
          yAxisIndex: 0,
          showSymbol: false,
          data: points(c.roc),
          color: classColor(k),
        },
        {
          type: "line" as const,
          name: c.class_name,
          xAxisIndex: 1,
          yAxisIndex: 1,
          showSymbol: false,
          step: "end" as const,
          data: points(c.pr),
          color: classColor(k),
        },
      ]),
      ...(curves.macro
        ? [
            {
              type: "line" as const,
              name: MACRO,
              xAxisIndex: 0,
              yAxisIndex: 0,
              showSymbol: false,
              data: points(curves.macro.roc),
              color: "#e2e8f0",
              lineStyle: { type: "dashed" as const, width: 2 },
            },
          ]
        : []),
      {
        type: "line",
        xAxisIndex: 0,
        yAxisIndex: 0,
        showSymbol: false,
        silent: true,
        data: [
          [0, 0],
          [1, 1],
        ],
        lineStyle: { type: "dashed", color: "#475569" },
      },
    ],
  };
}
