import { render, screen } from "@testing-library/react";
import { fromColumns } from "../lib/points";
import { LegendView } from "./PointMap";

describe("map legend", () => {
  it("lists a text metadata column's categories as text, with their counts", () => {
    const hostile = "<img src=x onerror=alert(1)>";
    const points = fromColumns(
      4,
      { sample_id: [1, 2, 3, 4], x: [0, 1, 2, 3], y: [0, 1, 2, 3] },
      {},
      { source: { codes: Int16Array.from([0, 1, 1, -1]), values: ["wire", hostile, "unused"], other: true } },
    );
    render(<LegendView points={points} colorBy="meta:source" />);
    const items = screen.getAllByRole("listitem").map((li) => li.textContent);
    // Categories no point has are left out; the missing (and rarer) values come first.
    expect(items).toEqual(["(other or none) 1", "wire 1", `${hostile} 2`]);
    expect(document.querySelector("img")).toBeNull();
  });
});
