import { confusionMatrix, prCurve, rocCurve } from "./curves";
import { smooth } from "./smoothing";

describe("client-side figures", () => {
  it("counts the confusion matrix rows by label, columns by prediction", () => {
    expect(confusionMatrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], 2)).toEqual([
      [1, 1],
      [1, 2],
    ]);
  });
  it("gives AUC 1 for a perfect ranking and 0.5 for ties", () => {
    expect(rocCurve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]).area).toBeCloseTo(1);
    expect(rocCurve([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]).area).toBeCloseTo(0.5);
    expect(rocCurve([0, 1, 1, 0], [0.1, 0.4, 0.35, 0.8]).area).toBeCloseTo(0.5);
  });
  it("computes average precision as sklearn does", () => {
    // sklearn.metrics.average_precision_score([0,0,1,1],[0.1,0.4,0.35,0.8]) = 0.8333...
    expect(prCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]).area).toBeCloseTo(0.8333, 3);
  });
  it("smooths with bias correction so the first value is kept", () => {
    const s = smooth([1, 1, 1], 0.9);
    expect(s[0]).toBeCloseTo(1);
    expect(s[2]).toBeCloseTo(1);
    expect(smooth([0, 10], 0)).toEqual([0, 10]);
  });
});
