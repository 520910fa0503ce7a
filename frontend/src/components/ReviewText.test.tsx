import { render, screen } from "@testing-library/react";
import { ReviewText } from "./ReviewText";
import { segmentReview } from "../lib/reviewText";

describe("ReviewText", () => {
  it("shows markup in a review as text and runs nothing", () => {
    const hostile = 'Great film <script>window.__pwned = 1</script><br /><img src=x onerror="window.__pwned = 2"> end';
    const { container } = render(<ReviewText text={hostile} />);
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelectorAll("br")).toHaveLength(1);
    expect(screen.getByTestId("review-text").textContent).toContain("<script>window.__pwned = 1</script>");
    expect(screen.getByTestId("review-text").textContent).toContain('<img src=x onerror="window.__pwned = 2">');
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("turns every <br /> variant into a line break", () => {
    const segs = segmentReview("a<br />b<br/>c<BR>d");
    expect(segs.filter((s) => s.kind === "br")).toHaveLength(3);
    expect(segs.filter((s) => s.kind === "text").map((s) => (s as { text: string }).text)).toEqual([
      "a",
      "b",
      "c",
      "d",
    ]);
  });

  it("marks OOV tokens, greys tokens beyond max length after one truncation marker", () => {
    const text = "zorblax movie was bad";
    const tokens = [
      { start: 0, end: 7, oov: true, beyond: false, score: 0.1 },
      { start: 8, end: 13, oov: false, beyond: false, score: -0.5 },
      { start: 14, end: 17, oov: false, beyond: true, score: null },
      { start: 18, end: 21, oov: false, beyond: true, score: null },
    ];
    const { container } = render(<ReviewText text={text} tokens={tokens} />);
    expect(container.querySelectorAll(".tok-oov")).toHaveLength(1);
    expect(container.querySelector(".tok-oov")?.textContent).toBe("zorblax");
    expect(container.querySelectorAll(".tok-beyond")).toHaveLength(2);
    expect(container.querySelectorAll(".truncation-mark")).toHaveLength(1);
    // The marker sits right before the first unseen token.
    expect(container.querySelector(".truncation-mark")?.nextElementSibling?.textContent).toBe("was");
    expect(screen.getByTestId("review-text").textContent).toContain("zorblax movie");
  });
});
