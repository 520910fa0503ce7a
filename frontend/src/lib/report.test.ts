import { checkpointUrl, metricsCsvUrl, reportPath, resultsParquetUrl } from "./downloads";
import { formatParam, summarize, sweepContextOf, sweepLabel } from "./report";

describe("version report", () => {
  it("summarizes a split from labels, predictions and p(positive)", () => {
    const s = summarize([0, 0, 1, 1], [0, 1, 1, 1], [0.1, 0.6, 0.7, 0.9]);
    expect(s.n).toBe(4);
    expect(s.accuracy).toBeCloseTo(0.75);
    expect(s.rocAuc).toBeCloseTo(1);
    expect(s.averagePrecision).toBeCloseTo(1);
    const flipped = summarize([1, 1, 0, 0], [0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]);
    expect(flipped.accuracy).toBe(0);
    expect(flipped.rocAuc).toBeCloseTo(0);
  });
  it("leaves undefined figures as NaN", () => {
    const one = summarize([1, 1], [1, 1], [0.7, 0.8]);
    expect(Number.isNaN(one.rocAuc)).toBe(true);
    expect(Number.isNaN(summarize([], [], []).accuracy)).toBe(true);
  });
  it("formats hyperparameters", () => {
    expect(formatParam([3, 4, 5])).toBe("[3, 4, 5]");
    expect(formatParam(0.5)).toBe("0.5");
    expect(formatParam(true)).toBe("true");
    expect(formatParam({ a: 1 })).toBe('{"a":1}');
    expect(formatParam(null)).toBe("–");
  });
  it("reads the sweep context only when the version carries one", () => {
    expect(sweepContextOf({ sweep_id: null, trial_index: null })).toBeNull();
    const ctx = sweepContextOf({ sweep_id: 2, trial_index: 4 });
    expect(ctx).toEqual({ sweepId: 2, trial: 4 });
    expect(sweepLabel(ctx!)).toBe("part of sweep #2, trial 4");
  });
  it("builds the download links", () => {
    expect(checkpointUrl(7)).toBe("/api/versions/7/checkpoint");
    expect(checkpointUrl(7, 2)).toBe("/api/versions/7/checkpoint?epoch=2");
    expect(metricsCsvUrl(7, "batch")).toBe("/api/versions/7/metrics.csv?kind=batch");
    expect(resultsParquetUrl(7)).toBe("/api/versions/7/results.parquet");
    expect(resultsParquetUrl(7, "all")).toBe("/api/versions/7/results.parquet?epoch=all");
    expect(reportPath(1, 7, 3)).toBe("/projects/1/versions/7/report?epoch=3");
  });
});
