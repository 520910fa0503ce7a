/**
 * The population map's points as typed arrays (one column per field, row i = point i).
 *
 * Binary payload ("LBP1"), little-endian, column-oriented so the browser can view each column
 * without copying:
 *   bytes 0..3  ASCII "LBP1"
 *   bytes 4..7  uint32 length H of the JSON header
 *   bytes 8..8+H  JSON {"n": N, "columns": [{"name", "dtype", "offset"}]}   (offset from the payload start,
 *                 8-byte aligned; dtype one of float32, int32, int16, uint16, uint8)
 */
export const SPLITS = ["train", "val", "test"] as const;
export const FLAG_STATES = ["none", "suspected", "confirmed", "dismissed"] as const;

export interface PointSet {
  n: number;
  sampleId: Int32Array;
  x: Float32Array;
  y: Float32Array;
  split: Uint8Array;
  label: Uint8Array;
  prediction: Uint8Array;
  pPositive: Float32Array;
  loss: Float32Array;
  /** Reviewer's score 1..10, 0 when unknown. */
  score: Uint8Array;
  tokenCount: Int32Array;
  truncated: Uint8Array;
  /** Index into FLAG_STATES. */
  flag: Uint8Array;
  /** Cluster id, -1 for none. */
  cluster: Int16Array;
}

type Dtype = "float32" | "int32" | "int16" | "uint16" | "uint8";
const CTORS = {
  float32: Float32Array,
  int32: Int32Array,
  int16: Int16Array,
  uint16: Uint16Array,
  uint8: Uint8Array,
} as const;

interface Header {
  n: number;
  columns: { name: string; dtype: Dtype; offset: number }[];
}

const COLUMN_FOR: Record<keyof Omit<PointSet, "n">, string> = {
  sampleId: "sample_id",
  x: "x",
  y: "y",
  split: "split",
  label: "label",
  prediction: "prediction",
  pPositive: "p_positive",
  loss: "loss",
  score: "score",
  tokenCount: "token_count",
  truncated: "truncated",
  flag: "flag",
  cluster: "cluster",
};

export class PayloadError extends Error {}

function column<T extends Float32Array | Int32Array | Int16Array | Uint8Array>(
  ctor: { new (n: number): T; from(a: ArrayLike<number>): T },
  source: ArrayLike<number> | undefined,
  n: number,
  fill = 0,
): T {
  if (source === undefined) {
    const out = new ctor(n);
    if (fill !== 0) out.fill(fill);
    return out;
  }
  if (source.length !== n) throw new PayloadError(`column has ${source.length} values, expected ${n}`);
  return source instanceof ctor ? source : ctor.from(source);
}

/** Build a PointSet from named columns, converting each to its typed array. x, y and sample_id are required. */
export function fromColumns(n: number, columns: Record<string, ArrayLike<number> | undefined>): PointSet {
  for (const required of ["x", "y", "sample_id"]) {
    if (!columns[required]) throw new PayloadError(`points payload lacks column ${required}`);
  }
  const c = (k: keyof typeof COLUMN_FOR) => columns[COLUMN_FOR[k]];
  return {
    n,
    sampleId: column(Int32Array, c("sampleId"), n),
    x: column(Float32Array, c("x"), n),
    y: column(Float32Array, c("y"), n),
    split: column(Uint8Array, c("split"), n),
    label: column(Uint8Array, c("label"), n),
    prediction: column(Uint8Array, c("prediction"), n),
    pPositive: column(Float32Array, c("pPositive"), n),
    loss: column(Float32Array, c("loss"), n),
    score: column(Uint8Array, c("score"), n),
    tokenCount: column(Int32Array, c("tokenCount"), n),
    truncated: column(Uint8Array, c("truncated"), n),
    flag: column(Uint8Array, c("flag"), n),
    cluster: column(Int16Array, c("cluster"), n, -1),
  };
}

export function decodePoints(buffer: ArrayBuffer): PointSet {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || String.fromCharCode(...bytes.subarray(0, 4)) !== "LBP1") {
    throw new PayloadError("not a Lensboard points payload (LBP1)");
  }
  const headerLength = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Header;
  const columns: Record<string, ArrayLike<number>> = {};
  for (const col of header.columns) {
    const ctor = CTORS[col.dtype];
    if (!ctor) throw new PayloadError(`unknown dtype ${col.dtype}`);
    if (col.offset % ctor.BYTES_PER_ELEMENT !== 0 || col.offset + header.n * ctor.BYTES_PER_ELEMENT > buffer.byteLength) {
      throw new PayloadError(`column ${col.name} lies outside the payload`);
    }
    columns[col.name] = new ctor(buffer, col.offset, header.n);
  }
  return fromColumns(header.n, columns);
}

/** The inverse of decodePoints (used by tests and the UI benchmark's synthetic server). */
export function encodePoints(columns: Record<string, Float32Array | Int32Array | Int16Array | Uint16Array | Uint8Array>, n: number): ArrayBuffer {
  const dtypeOf = (a: ArrayBufferView): Dtype =>
    a instanceof Float32Array ? "float32" : a instanceof Int32Array ? "int32" : a instanceof Int16Array ? "int16" : a instanceof Uint16Array ? "uint16" : "uint8";
  const entries = Object.entries(columns);
  // Offsets depend on the header length, which depends on the offsets: reserve generously, then pad.
  let headerLength = 64 + entries.length * 64;
  let offset = 8 + headerLength;
  const cols = entries.map(([name, arr]) => {
    offset = Math.ceil(offset / 8) * 8;
    const c = { name, dtype: dtypeOf(arr), offset };
    offset += arr.byteLength;
    return c;
  });
  const headerBytes = new TextEncoder().encode(JSON.stringify({ n, columns: cols }));
  if (headerBytes.length > headerLength) throw new Error("header reservation too small");
  headerLength = headerBytes.length;
  const out = new Uint8Array(offset);
  out.set(new TextEncoder().encode("LBP1"), 0);
  new DataView(out.buffer).setUint32(4, headerLength, true);
  out.set(headerBytes, 8);
  entries.forEach(([, arr], i) => out.set(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), (cols[i] as { offset: number }).offset));
  return out.buffer;
}

/** Map coordinates scaled into [-1, 1] (what WebGL draws), keeping the aspect ratio. */
export function normalizedXY(points: PointSet): { x: Float32Array; y: Float32Array } {
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < points.n; i++) {
    const x = points.x[i] as number, y = points.y[i] as number;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
  const half = Math.max(maxX - minX, maxY - minY, 1e-9) / 2 / 0.95;
  const x = new Float32Array(points.n), y = new Float32Array(points.n);
  for (let i = 0; i < points.n; i++) {
    x[i] = ((points.x[i] as number) - cx) / half;
    y[i] = ((points.y[i] as number) - cy) / half;
  }
  return { x, y };
}
