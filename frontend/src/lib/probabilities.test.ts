import { resultProbabilities } from "./probabilities";

describe("class probabilities of a stored result", () => {
  it("is the whole distribution with two classes", () => {
    expect(resultProbabilities(2, { p_positive: 0.25, p_label: 0.75 }, 0)).toEqual([0.75, 0.25]);
  });

  it("takes every class's probability from a sample's detail", () => {
    const result = { p_positive: 0.2, p_label: 0.7, probabilities: [0.1, 0.2, 0.7] };
    expect(resultProbabilities(3, result, 2)).toEqual([0.1, 0.2, 0.7]);
  });

  it("knows only class 1 and the label's class for an epoch that kept no per-class probabilities", () => {
    const p = resultProbabilities(3, { p_positive: 0.2, p_label: 0.7 }, 2);
    expect(p[1]).toBe(0.2);
    expect(p[2]).toBe(0.7);
    expect(Number.isNaN(p[0])).toBe(true);
  });
});
