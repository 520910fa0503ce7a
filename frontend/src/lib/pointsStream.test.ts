/**
 * A large map's points are drawn while they load: the Arrow stream is read batch by batch, and each partial
 * set is placed where the whole map will put it (the payload's extent), so nothing jumps when the rest arrive.
 */
import { makeVector, Schema, Table, tableToIPC } from "apache-arrow";
import { normalizedXY, PayloadError, PROGRESSIVE_ROWS, readPointsStream, type PointSet } from "./points";

const BATCH = 65_536;

/** An IPC stream of `n` points in batches of BATCH rows, with the API's `rows` and `extent` metadata. */
function payload(n: number, sent = n): { bytes: Uint8Array; extent: number[] } {
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 40 + (i % 7));
  const y = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 1.3) * 9 - 3);
  // The extremes in the last batch: a reader that scaled the first batch by itself would move every point later.
  x[n - 1] = 120;
  y[n - 2] = -50;
  const whole = new Table({
    sample_id: makeVector(Int32Array.from({ length: n }, (_, i) => i + 1)),
    x: makeVector(x),
    y: makeVector(y),
    label: makeVector(Uint8Array.from({ length: n }, (_, i) => i % 2)),
  });
  const lo = (a: Float32Array) => a.reduce((m, v) => Math.min(m, v), Infinity);
  const hi = (a: Float32Array) => a.reduce((m, v) => Math.max(m, v), -Infinity);
  const extent = [lo(x), hi(x), lo(y), hi(y)];
  const schema = new Schema(whole.schema.fields, new Map([["lensboard", JSON.stringify({ rows: n, extent })]]));
  const one = whole.batches[0]!;
  const batches = [];
  for (let at = 0; at < sent; at += BATCH) batches.push(one.slice(at, Math.min(sent, at + BATCH)));
  return { bytes: tableToIPC(new Table(schema, batches), "stream"), extent };
}

/** The bytes as a network would deliver them: in pieces that cut across messages. */
function delivered(bytes: Uint8Array, piece = 50_000): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + piece));
      at += piece;
    },
  });
}

describe("reading a large map's points as they arrive", () => {
  it("hands over the first batches, placed where the whole map puts them, then every point", async () => {
    const n = 200_000;
    expect(n).toBeGreaterThanOrEqual(PROGRESSIVE_ROWS);
    const { bytes, extent } = payload(n);
    const partials: PointSet[] = [];
    const whole = await readPointsStream(
      delivered(bytes),
      ({ points, meta }) => {
        expect(meta.rows).toBe(n);
        partials.push(points);
      },
      0,
    );
    expect(partials.map((p) => p.n)).toEqual([BATCH, 2 * BATCH, 3 * BATCH]);
    expect(whole.points.n).toBe(n);
    expect(whole.meta.rows).toBe(n);
    expect(whole.points.extent).toEqual(extent);
    const final = normalizedXY(whole.points);
    for (const partial of partials) {
      expect(partial.extent).toEqual(extent);
      const early = normalizedXY(partial);
      for (const i of [0, 1, 12_345, partial.n - 1]) {
        expect(early.x[i]).toBe(final.x[i]);
        expect(early.y[i]).toBe(final.y[i]);
        expect(partial.sampleId[i]).toBe(i + 1);
      }
    }
  });

  it("draws a small map only once it is whole", async () => {
    const { bytes } = payload(70_000);
    const partials: number[] = [];
    const whole = await readPointsStream(delivered(bytes), ({ points }) => partials.push(points.n), 0);
    expect(partials).toEqual([]);
    expect(whole.points.n).toBe(70_000);
  });

  it("refuses a stream that ends before its last point", async () => {
    const { bytes } = payload(200_000);
    // Cut inside a batch's message.
    const cut = bytes.slice(0, Math.floor(bytes.length * 0.7));
    await expect(readPointsStream(delivered(cut), () => undefined, 0)).rejects.toThrow(/broke off after 131072 points/);
    // Whole messages, well-formed Arrow, but fewer points than the map has.
    const short = payload(200_000, 2 * BATCH).bytes;
    await expect(readPointsStream(delivered(short), () => undefined, 0)).rejects.toThrow(
      new PayloadError("the points payload ended after 131072 of its 200000 points"),
    );
  });
});
