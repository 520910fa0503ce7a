import { render, screen, within } from "@testing-library/react";
import { editableText, reviewText } from "../lib/reviewText";
import { AttributedReview } from "./Attributions";
import { ReviewText } from "./ReviewText";

describe("attributions beside the review", () => {
  const text = 'fine <img src=x onerror="window.__x=1"> awful awful';
  const marks = [
    { start: 0, end: 4, oov: false, beyond: false, score: 0.9 },
    { start: 5, end: 39, oov: false, beyond: false, score: 0.1 },
    { start: 40, end: 45, oov: false, beyond: false, score: -0.02 },
    { start: 46, end: 51, oov: false, beyond: false, score: -0.03 },
  ];

  it("shows a legend with each direction's strongest score and the top words as bars, as text", () => {
    const { container } = render(
      <AttributedReview text={text} marks={marks} positive="pos" negative="neg">
        <ReviewText text={text} tokens={marks} />
      </AttributedReview>,
    );
    expect(screen.getByTestId("heat-legend")).toHaveTextContent("strongest −0.030 / +0.90");
    const toward = (name: string) =>
      within(screen.getByRole("list", { name: `words toward ${name}` }))
        .getAllByRole("listitem")
        .map((li) => li.querySelector(".word-bar-word")?.textContent);
    expect(toward("pos")).toEqual(["fine", '<img src=x onerror="window.__x=1">']);
    expect(toward("neg")).toEqual(["awful"]); // once, at its strongest
    expect(container.querySelector("img")).toBeNull();
    // The weak negative word is still painted visibly: red scaled to the negative side alone.
    const awful = [...container.querySelectorAll<HTMLElement>(".tok")].filter((t) => t.textContent === "awful");
    expect(awful[1]?.style.backgroundColor).toBe("rgba(220, 60, 60, 0.85)");
  });

  it("edits `<br />` as line breaks and sends them back as the review's own markup", () => {
    expect(editableText("one<br /><br />two<br>three")).toBe("one\n\ntwo\nthree");
    expect(reviewText("one\n\ntwo\r\nthree")).toBe("one<br /><br />two<br />three");
  });
});
