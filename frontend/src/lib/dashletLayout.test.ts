import {
  addDashlet,
  applyPositions,
  DEFAULT_LAYOUT,
  parseLayout,
  removeDashlet,
  sameLayout,
  setDashletSettings,
} from "./dashletLayout";

describe("dashlet layout", () => {
  it("starts from the default layout when the project saved none", () => {
    expect(parseLayout({})).toEqual(DEFAULT_LAYOUT);
    expect(parseLayout(undefined).map((d) => d.type)).toContain("lossSamples");
  });

  it("adds below everything with a fresh id, and removes by id", () => {
    const one = addDashlet(DEFAULT_LAYOUT, "confusion");
    const added = one[one.length - 1];
    expect(added).toMatchObject({ i: "confusion-2", type: "confusion", x: 0 });
    expect(added?.y).toBe(Math.max(...DEFAULT_LAYOUT.map((d) => d.y + d.h)));
    const two = addDashlet(one, "confusion");
    expect(two[two.length - 1]?.i).toBe("confusion-3");
    expect(removeDashlet(two, "confusion-2").map((d) => d.i)).not.toContain("confusion-2");
  });

  it("keeps types when the grid reports new positions", () => {
    const moved = applyPositions(DEFAULT_LAYOUT, [{ i: "rocPr-1", x: 2, y: 40, w: 10, h: 5 }]);
    expect(moved.find((d) => d.i === "rocPr-1")).toEqual({ i: "rocPr-1", type: "rocPr", x: 2, y: 40, w: 10, h: 5 });
  });

  it("drops malformed or unknown saved dashlets and clamps sizes", () => {
    const saved = {
      dashboard: {
        layout: [
          { i: "a", type: "confusion", x: 20, y: 1, w: 40, h: 2 },
          { i: "b", type: "nonsense", x: 0, y: 0, w: 2, h: 2 },
          { i: "a", type: "rocPr", x: 0, y: 0, w: 4, h: 4 },
          null,
        ],
      },
    };
    expect(parseLayout(saved)).toEqual([{ i: "a", type: "confusion", x: 0, y: 1, w: 12, h: 3 }]);
    // A saved empty layout is respected: the user removed everything.
    expect(parseLayout({ dashboard: { layout: [] } })).toEqual([]);
  });

  it("keeps a dashlet's saved settings (strings only) through parsing, moves and updates", () => {
    const saved = {
      dashboard: {
        layout: [
          { i: "s", type: "scoreVsLoss", x: 0, y: 0, w: 6, h: 9, settings: { x: "meta:length", y: "loss", bad: 3 } },
          { i: "t", type: "confusion", x: 0, y: 9, w: 4, h: 9, settings: "nonsense" },
        ],
      },
    };
    const layout = parseLayout(saved);
    expect(layout[0]?.settings).toEqual({ x: "meta:length", y: "loss" });
    expect(layout[1]).not.toHaveProperty("settings");
    const moved = applyPositions(layout, [{ i: "s", x: 6, y: 0, w: 6, h: 9 }]);
    expect(moved[0]?.settings).toEqual({ x: "meta:length", y: "loss" });
    const changed = setDashletSettings(moved, "s", { x: "score", y: "loss" });
    expect(changed[0]?.settings).toEqual({ x: "score", y: "loss" });
    expect(sameLayout(changed, moved)).toBe(false);
    expect(sameLayout(moved, applyPositions(layout, [{ i: "s", x: 6, y: 0, w: 6, h: 9 }]))).toBe(true);
  });
});
