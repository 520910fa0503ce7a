import { colorFields, encodeColor, encodeSize, fieldTitle, RAMP, sizeFields } from "./pointColors";
import { fromColumns, normalizedXY } from "./points";

const pts = fromColumns(4, {
  sample_id: [10, 11, 12, 13],
  x: [0, 1, 2, 3],
  y: [0, 2, 4, 6],
  label: [0, 1, 1, 0],
  prediction: [0, 0, 1, 1],
  loss: [0.1, 2.0, 0.2, 1.0],
  score: [1, 10, 8, 3],
  token_count: [10, 20, 30, 40],
  truncated: [0, 1, 0, 0],
  flag: [0, 2, 0, 1],
  cluster: [-1, 0, 1, 1],
});

describe("point colour encoding", () => {
  it("encodes label and prediction as class categories", () => {
    const e = encodeColor(pts, "label");
    expect(e.categorical).toBe(true);
    expect([...e.values]).toEqual([0, 1, 1, 0]);
    expect(e.legend).toMatchObject({
      kind: "categorical",
      entries: [
        { label: "neg", count: 2 },
        { label: "pos", count: 2 },
      ],
    });
    expect([...encodeColor(pts, "prediction").values]).toEqual([0, 0, 1, 1]);
  });

  it("gives every class its own colour when there are more than two", () => {
    const e = encodeColor(pts, "label", ["awful", "good", "great", "poor"]);
    const colors = e.legend.kind === "categorical" ? e.legend.entries.map((x) => x.color) : [];
    expect(new Set(colors).size).toBe(4);
    expect(encodeColor(pts, "label").palette).toEqual(["#e15759", "#59a14f"]);
  });

  it("encodes correctness, truncation, flag state and clusters (no cluster first)", () => {
    expect([...encodeColor(pts, "correct").values]).toEqual([0, 1, 0, 1]);
    expect([...encodeColor(pts, "truncated").values]).toEqual([0, 1, 0, 0]);
    expect([...encodeColor(pts, "flag").values]).toEqual([0, 2, 0, 1]);
    const c = encodeColor(pts, "cluster");
    expect([...c.values]).toEqual([0, 1, 2, 2]);
    expect(c.palette).toHaveLength(3);
  });

  it("maps continuous fields into [0, 1] over a ramp", () => {
    const s = encodeColor(pts, "score");
    expect(s.categorical).toBe(false);
    expect(s.palette).toBe(RAMP);
    expect(s.values[0]).toBeCloseTo(0);
    expect(s.values[1]).toBeCloseTo(1);
    expect(s.values[2]).toBeCloseTo(7 / 9);
    const l = encodeColor(pts, "loss");
    for (const v of l.values) expect(v >= 0 && v <= 1).toBe(true);
    expect(l.values[1]).toBe(1);
  });

  it("sizes points by loss", () => {
    const size = encodeSize(pts);
    expect(size[1]).toBe(1);
    expect(size[0]).toBeLessThan(size[3] as number);
  });

  it("normalises coordinates to [-1, 1] keeping the aspect ratio", () => {
    const p = fromColumns(2, { sample_id: [5, 6], x: [1, 3], y: [2, 2] });
    const { x, y } = normalizedXY(p);
    expect(Math.max(...x)).toBeLessThanOrEqual(1);
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1);
    expect(y[0]).toBeCloseTo(0);
  });

  it("offers numeric metadata columns for colour and size", () => {
    const withMeta = fromColumns(
      4,
      { sample_id: [1, 2, 3, 4], x: [0, 1, 2, 3], y: [0, 1, 2, 3] },
      { length: [10, 20, Number.NaN, 40] },
    );
    expect(colorFields(withMeta).slice(-1)).toEqual(["meta:length"]);
    expect(sizeFields(withMeta)).toEqual(["none", "loss", "meta:length"]);
    expect(fieldTitle("meta:length")).toBe("length");
    const e = encodeColor(withMeta, "meta:length");
    expect(e.categorical).toBe(false);
    expect(e.values[0]).toBe(0);
    expect(e.values[3]).toBe(1);
    expect(e.values[2]).toBe(0); // no value: the bottom of the ramp
    const size = encodeSize(withMeta, "meta:length");
    expect(size[0]).toBe(0);
    expect(size[3]).toBe(1);
    expect(size[2]).toBe(0);
    expect(colorFields(pts)).not.toContain("meta:length");
  });

  it("colours by a text metadata column as categories, the missing ones first; size ignores it", () => {
    const withText = fromColumns(
      5,
      { sample_id: [1, 2, 3, 4, 5], x: [0, 1, 2, 3, 4], y: [0, 1, 2, 3, 4] },
      { length: [1, 2, 3, 4, 5] },
      {
        source: {
          codes: Int16Array.from([0, -1, 1, 0, 0]),
          values: ["wire", "<img src=x onerror=alert(1)>"],
          other: false,
        },
      },
    );
    expect(colorFields(withText).slice(-2)).toEqual(["meta:length", "meta:source"]);
    expect(sizeFields(withText)).toEqual(["none", "loss", "meta:length"]);
    const e = encodeColor(withText, "meta:source");
    expect(e.categorical).toBe(true);
    expect([...e.values]).toEqual([1, 0, 2, 1, 1]);
    expect(e.palette).toHaveLength(3);
    expect(e.legend).toEqual({
      kind: "categorical",
      entries: [
        { label: "(none)", color: e.palette[0], count: 1 },
        { label: "wire", color: e.palette[1], count: 3 },
        { label: "<img src=x onerror=alert(1)>", color: e.palette[2], count: 1 },
      ],
    });
    const capped = fromColumns(
      1,
      { sample_id: [1], x: [0], y: [0] },
      {},
      { source: { codes: Int16Array.from([-1]), values: [], other: true } },
    );
    expect(encodeColor(capped, "meta:source").legend).toMatchObject({
      entries: [{ label: "(other or none)", count: 1 }],
    });
  });
});
