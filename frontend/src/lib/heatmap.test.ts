import { render } from "@testing-library/react";
import { createElement } from "react";
import { ReviewText } from "../components/ReviewText";
import { heatColor, maxAbs } from "./heatmap";

describe("heatmap colouring", () => {
  it("paints positive attributions green and negative red, scaled to the strongest token", () => {
    expect(heatColor(1, 1)).toBe("rgba(34, 160, 90, 0.85)");
    expect(heatColor(-1, 1)).toBe("rgba(220, 60, 60, 0.85)");
    expect(heatColor(0.5, 1)).toBe("rgba(34, 160, 90, 0.425)");
    expect(heatColor(-0.25, 0.5)).toBe("rgba(220, 60, 60, 0.425)");
  });

  it("leaves unscored tokens unpainted and clamps over-range scores", () => {
    expect(heatColor(null, 1)).toBeNull();
    expect(heatColor(0.3, 0)).toBeNull();
    expect(heatColor(Number.NaN, 1)).toBeNull();
    expect(heatColor(5, 1)).toBe("rgba(34, 160, 90, 0.85)");
  });

  it("scales by the largest absolute score, ignoring unscored tokens", () => {
    expect(maxAbs([0.2, -0.9, null, 0.4])).toBe(0.9);
    expect(maxAbs([null])).toBe(0);
  });

  it("colours the rendered tokens, and never the ones beyond max length", () => {
    const { container } = render(
      createElement(ReviewText, {
        text: "good bad later",
        tokens: [
          { start: 0, end: 4, oov: false, beyond: false, score: 0.8 },
          { start: 5, end: 8, oov: false, beyond: false, score: -0.4 },
          { start: 9, end: 14, oov: false, beyond: true, score: 0.9 },
        ],
      }),
    );
    const toks = [...container.querySelectorAll<HTMLElement>(".tok")];
    expect(toks[0]?.style.backgroundColor).toBe("rgba(34, 160, 90, 0.85)");
    expect(toks[1]?.style.backgroundColor).toBe("rgba(220, 60, 60, 0.425)");
    expect(toks[2]?.style.backgroundColor).toBe("");
  });
});
