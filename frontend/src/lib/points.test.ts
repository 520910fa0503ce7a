/**
 * The Arrow points payload → PointSet. Fixtures come from the backend's own encoder
 * (scripts/make_points_fixture.py): zstd and uncompressed IPC streams in two record batches.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { makeTable, Table, tableToIPC, vectorFromArray } from "apache-arrow";
import { decodePoints, PayloadError, pointsFromTable, rowsOf, SPLITS, type PointSet } from "./points";

const FIX = join(__dirname, "../test/fixtures");
const expected = JSON.parse(readFileSync(join(FIX, "points-expected.json"), "utf-8")) as Record<string, number[]> & {
  meta: { version_id: number; epoch: number; map_id: number; classes: string[] };
};

const FIELDS: [keyof PointSet, string][] = [
  ["sampleId", "sample_id"],
  ["x", "x"],
  ["y", "y"],
  ["split", "split"],
  ["label", "label"],
  ["prediction", "prediction"],
  ["pPositive", "p_positive"],
  ["loss", "loss"],
  ["score", "score"],
  ["tokenCount", "token_count"],
  ["truncated", "truncated"],
  ["flag", "flag"],
  ["cluster", "cluster"],
];

function bytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIX, name)));
}

describe("Arrow points payload → PointSet", () => {
  for (const file of ["points-zstd.arrow", "points-none.arrow", "points-api-zstd.arrow"]) {
    it(`decodes every column of ${file}`, () => {
      const { points, meta } = decodePoints(bytes(file));
      expect(points.n).toBe(37);
      for (const [key, column] of FIELDS) {
        const got = Array.from(points[key] as ArrayLike<number>);
        // float16 values were written exactly; the decoder must reproduce them bit for bit.
        expect(got, column).toEqual(expected[column]);
      }
      const api = file === "points-api-zstd.arrow";
      // The API's encoder also says how many points the map has and where it lies.
      expect(meta).toEqual({ versionId: 3, epoch: 2, mapId: 9, classes: ["neg", "pos"], rows: api ? 37 : null });
      const xs = expected.x as number[],
        ys = expected.y as number[];
      expect(points.extent).toEqual(
        api ? [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)] : undefined,
      );
    });
  }

  it("gives each column the typed array the map draws from", () => {
    const { points } = decodePoints(bytes("points-zstd.arrow"));
    expect(points.x).toBeInstanceOf(Float32Array);
    expect(points.sampleId).toBeInstanceOf(Int32Array);
    expect(points.cluster).toBeInstanceOf(Int16Array);
    expect(points.truncated).toBeInstanceOf(Uint8Array);
    expect(new Set(points.split)).toEqual(new Set([0, 1, 2]));
  });

  it("maps a dictionary split by its words, whatever the dictionary order", () => {
    // Dictionary in order of first appearance: test, train, val (not the API's train, val, test).
    const table = new Table({
      sample_id: vectorFromArray(new Int32Array([1, 2, 3, 4])),
      x: vectorFromArray(new Float32Array(4)),
      y: vectorFromArray(new Float32Array(4)),
      split: vectorFromArray(["test", "train", "val", "test"]),
    });
    const { points } = pointsFromTable(table);
    expect([...points.split].map((s) => SPLITS[s])).toEqual(["test", "train", "val", "test"]);
    const bad = new Table({
      sample_id: vectorFromArray(new Int32Array([1])),
      x: vectorFromArray(new Float32Array(1)),
      y: vectorFromArray(new Float32Array(1)),
      split: vectorFromArray(["dev"]),
    });
    expect(() => pointsFromTable(bad)).toThrow(/unknown value dev/);
  });

  it("fills optional columns with defaults (cluster -1) and rejects a payload that is not Arrow", () => {
    const table = makeTable({
      sample_id: new Int32Array([7, 8]),
      x: new Float32Array([0, 1]),
      y: new Float32Array([1, 0]),
    });
    const { points } = decodePoints(tableToIPC(table, "stream"));
    expect([...points.cluster]).toEqual([-1, -1]);
    expect([...points.loss]).toEqual([0, 0]);
    expect(() => decodePoints(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(PayloadError);
    const noX = makeTable({ sample_id: new Int32Array([1]), y: new Float32Array([0]) });
    expect(() => decodePoints(tableToIPC(noX, "stream"))).toThrow(/lacks column x/);
  });

  it("reads meta:<name> columns as numeric metadata (NaN kept for samples without a value)", () => {
    const table = makeTable({
      sample_id: new Int32Array([7, 8]),
      x: new Float32Array([0, 1]),
      y: new Float32Array([1, 0]),
      "meta:length": new Float32Array([12, Number.NaN]),
      "meta:weight": new Float32Array([0.5, 2]),
    });
    const { points } = decodePoints(tableToIPC(table, "stream"));
    expect(Object.keys(points.metadata)).toEqual(["length", "weight"]);
    expect([...(points.metadata.length as Float32Array)]).toEqual([12, Number.NaN]);
    expect(points.metadata.weight).toBeInstanceOf(Float32Array);
    const { points: plain } = decodePoints(bytes("points-none.arrow"));
    expect(plain.metadata).toEqual({});
  });

  it("finds the rows of named samples", () => {
    const { points } = decodePoints(bytes("points-none.arrow"));
    expect(rowsOf(points, [100, 136, 999, 101])).toEqual([0, 36, 1]);
  });

  it("reads dictionary meta:<name> columns written by pyarrow as categories, nulls as -1", () => {
    // scripts/make_meta_points_fixture.py: the backend's column types and encoder (zstd).
    const { points, meta } = decodePoints(bytes("points-meta.arrow"));
    expect(points.n).toBe(6);
    expect(meta.classes).toEqual(["a", "b", "c"]);
    expect(Object.keys(points.metadata)).toEqual(["length"]);
    expect([...(points.metadata.length as Float32Array)]).toEqual([12, Number.NaN, 7, 3, 5, 9]);
    const source = points.categories.source;
    expect(source?.values).toEqual(["wire", "blog", "<b>zine</b>"]);
    expect([...(source?.codes ?? [])]).toEqual([0, -1, 1, 0, -1, 2]);
    expect(source?.other).toBe(true); // 30 distinct values in the column, 3 named
    expect(decodePoints(bytes("points-none.arrow")).points.categories).toEqual({});
  });
});
