import { render } from "@testing-library/react";
import { createElement } from "react";
import { ReviewText } from "../components/ReviewText";
import { heatColor, heatScale, maxAbs, MIN_ALPHA, spanMapper, tokenMarks, topWords, type ApiToken } from "./heatmap";

const scale = (positive: number, negative: number) => ({ positive, negative });

describe("heatmap colouring", () => {
  it("paints positive attributions green and negative red, each scaled to its own strongest token", () => {
    expect(heatColor(1, scale(1, 1))).toBe("rgba(34, 160, 90, 0.85)");
    expect(heatColor(-1, scale(1, 1))).toBe("rgba(220, 60, 60, 0.85)");
    expect(heatColor(0.5, scale(1, 1))).toBe("rgba(34, 160, 90, 0.535)");
    // The strongest negative word is fully red even when the positive ones score twenty times more.
    expect(heatColor(-0.05, scale(1, 0.05))).toBe("rgba(220, 60, 60, 0.85)");
    expect(heatScale([0.2, -0.9, null, 0.4, -0.1])).toEqual({ positive: 0.4, negative: 0.9 });
  });

  it("keeps a visible minimum opacity, and leaves noise, unscored tokens and zero scores unpainted", () => {
    // 5 % of the strongest: just above the minimum opacity, never the near-invisible 0.04 of a linear scale.
    expect(MIN_ALPHA).toBeGreaterThanOrEqual(0.2);
    expect(heatColor(0.05, scale(1, 1))).toBe("rgba(34, 160, 90, 0.252)");
    expect(heatColor(0.01, scale(1, 1))).toBeNull();
    expect(heatColor(null, scale(1, 1))).toBeNull();
    expect(heatColor(0.3, scale(0, 1))).toBeNull();
    expect(heatColor(Number.NaN, scale(1, 1))).toBeNull();
    expect(heatColor(0, scale(1, 1))).toBeNull();
    expect(heatColor(5, scale(1, 1))).toBe("rgba(34, 160, 90, 0.85)");
  });

  it("lists the top words each way, each word once at its strongest, never past the max length", () => {
    const text = "great film, great cast, awful end later";
    const mark = (start: number, end: number, score: number, beyond = false) => ({
      start,
      end,
      oov: false,
      beyond,
      score,
    });
    const top = topWords(
      text,
      [
        mark(0, 5, 0.5),
        mark(6, 10, 0.1),
        mark(12, 17, 0.7),
        mark(18, 22, 0.2),
        mark(24, 29, -0.6),
        mark(30, 33, -0.05),
        mark(34, 39, 0.9, true),
      ],
      2,
    );
    expect(top.positive).toEqual([
      { word: "great", score: 0.7 },
      { word: "cast", score: 0.2 },
    ]);
    expect(top.negative).toEqual([
      { word: "awful", score: -0.6 },
      { word: "end", score: -0.05 },
    ]);
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
    // The only negative word is the strongest of its direction.
    expect(toks[1]?.style.backgroundColor).toBe("rgba(220, 60, 60, 0.85)");
    expect(toks[2]?.style.backgroundColor).toBe("");
  });
});

/** Tokens as the API sends them: spans in code points of the original text (Python's str indices). */
function apiTokens(
  text: string,
  words: { w: string; a?: [number, number]; oov?: boolean; beyond?: boolean }[],
): ApiToken[] {
  let from = 0;
  return words.map(({ w, a, oov, beyond }) => {
    const unit = text.indexOf(w, from);
    if (unit < 0) throw new Error(`${w} not in text`);
    from = unit + w.length;
    const start = Array.from(text.slice(0, unit)).length;
    return {
      start,
      end: start + Array.from(w).length,
      is_oov: !!oov,
      beyond_max_length: !!beyond,
      attribution: beyond ? null : (a ?? [0, 0]),
    };
  });
}

describe("span-based painting of the original text", () => {
  const text = "Das Café war „großartig“!<br /><br />Naïve 😀 plot, 最高 ending 🎬 twist";
  const tokens = apiTokens(text, [
    { w: "Das", a: [0.1, -0.1] },
    { w: "Café", a: [-0.2, 0.2] },
    { w: "großartig", a: [-0.9, 0.9] },
    { w: "Naïve", a: [0.3, -0.3], oov: true },
    { w: "😀", a: [0, 0], oov: true },
    { w: "plot", a: [0.45, -0.45] },
    { w: "最高", a: [-0.6, 0.6] },
    { w: "ending", beyond: true },
    { w: "twist", beyond: true },
  ]);

  it("maps code-point spans onto UTF-16 strings (astral characters count once in the API)", () => {
    const map = spanMapper("a😀b");
    expect([map(0), map(1), map(2), map(3)]).toEqual([0, 1, 3, 4]);
    expect(spanMapper("plain é").call(null, 6)).toBe(6);
  });

  it("paints exactly each token's characters, keeps <br /> as line breaks and non-ASCII intact", () => {
    const { container } = render(createElement(ReviewText, { text, tokens: tokenMarks(text, tokens) }));
    const toks = [...container.querySelectorAll<HTMLElement>(".tok")].map((t) => t.textContent);
    expect(toks).toEqual(["Das", "Café", "großartig", "Naïve", "😀", "plot", "最高", "ending", "twist"]);
    expect(container.querySelectorAll("br")).toHaveLength(2);
    // The whole review is there, character for character, with the markup turned into breaks.
    const review = container.querySelector('[data-testid="review-text"]');
    expect(review?.textContent?.replace("✂ max length", "")).toBe(text.replace(/<br \/>/g, ""));
    expect(container.querySelectorAll(".tok-oov")).toHaveLength(2);
    expect(container.querySelector(".truncation-mark")?.nextElementSibling?.textContent).toBe("ending");
    const bg = (w: string) =>
      [...container.querySelectorAll<HTMLElement>(".tok")].find((t) => t.textContent === w)?.style.backgroundColor;
    expect(bg("großartig")).toBe("rgba(34, 160, 90, 0.85)"); // strongest: full green
    expect(bg("最高")).toBe("rgba(34, 160, 90, 0.64)");
    expect(bg("plot")).toBe("rgba(220, 60, 60, 0.85)"); // the strongest negative word: full red
    expect(bg("ending")).toBe("");
  });

  it("positive ↑ paints only words that raise p(positive); negative ↑ only those that raise p(negative)", () => {
    const pos = tokenMarks(text, tokens, "positive");
    const neg = tokenMarks(text, tokens, "negative");
    const score = (marks: typeof pos, i: number) => marks[i]?.score;
    expect(score(pos, 2)).toBeCloseTo(0.9);
    expect(score(pos, 5)).toBe(0); // "plot" pushes negative: unpainted in positive ↑
    expect(score(neg, 5)).toBeCloseTo(-0.45); // ...and red in negative ↑
    expect(score(neg, 2)).toBe(0);
    expect(score(pos, 7)).toBeNull(); // beyond max length: never scored
  });

  it("without attributions the marks still carry OOV and the truncation point", () => {
    const bare = tokens.map((t) => ({ ...t, attribution: null }));
    const marks = tokenMarks(text, bare);
    expect(marks.every((m) => m.score === null)).toBe(true);
    expect(marks.filter((m) => m.oov)).toHaveLength(2);
    expect(marks.filter((m) => m.beyond)).toHaveLength(2);
  });
});
