/**
 * The population map's points as typed arrays (one column per field, row i = point i).
 *
 * The API serves them as one Apache Arrow IPC stream (GET /api/versions/{id}/maps/{epoch}/points; the
 * columns and types are in that route's OpenAPI description): float16 coordinates and scores, uint8
 * labels, a dictionary-encoded split, a bit-packed `truncated`. Buffers are zstd-compressed by default;
 * `registerZstd()` gives arrow-js a decoder for them. Each column is converted once into the typed array
 * the WebGL map draws from.
 */
import {
  compressionRegistry,
  RecordBatchReader,
  Table,
  tableFromIPC,
  Type,
  type Data,
  type DataType,
  type RecordBatch,
} from "apache-arrow";
import { decompress } from "fzstd";

export const SPLITS = ["train", "val", "test"] as const;
/** Flag state codes of the `flag` column (0 = no flag). */
export const FLAG_STATES = ["none", "suspected", "confirmed", "dismissed"] as const;

export interface PointSet {
  n: number;
  sampleId: Int32Array;
  x: Float32Array;
  y: Float32Array;
  /** Index into SPLITS. */
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
  /** A custom dataset's numeric metadata columns by name (the payload's `meta:<name>` columns); NaN where absent. */
  metadata: Record<string, Float32Array>;
  /** Its text metadata columns (dictionary-encoded `meta:<name>` columns) as categories. */
  categories: Record<string, CategoryColumn>;
  /**
   * The whole map's [min x, max x, min y, max y], when the payload says it: the first points of a map
   * still loading are then drawn where the whole map puts them, and nothing jumps when the rest arrive.
   */
  extent?: readonly [number, number, number, number];
}

export interface CategoryColumn {
  /** Index into `values`, -1 where the sample has no value (or, with `other`, a rarer one). */
  codes: Int16Array;
  values: string[];
  /** The column has more distinct values than the payload names: -1 also stands for the rest. */
  other: boolean;
}

/** Payload columns `meta:<name>` carry numeric metadata of custom datasets. */
export const META_PREFIX = "meta:";

/** What the payload's schema metadata (`lensboard` key) says about the map. */
export interface PointsMeta {
  versionId: number | null;
  epoch: number | null;
  mapId: number | null;
  classes: string[] | null;
  /** How many points the whole map has (the payload's `rows`); more than `points.n` while it loads. */
  rows: number | null;
}

const COLUMN_FOR: Record<keyof Omit<PointSet, "n" | "metadata" | "categories" | "extent">, string> = {
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

// Arrow's IPC CompressionType enum: 0 = LZ4_FRAME, 1 = ZSTD.
const ZSTD = 1;
let zstdRegistered = false;

/** Let arrow-js read zstd-compressed buffers (the API's default encoding). Idempotent. */
export function registerZstd(): void {
  if (zstdRegistered) return;
  compressionRegistry.set(ZSTD, { decode: (data: Uint8Array) => decompress(data) });
  zstdRegistered = true;
}

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
export function fromColumns(
  n: number,
  columns: Record<string, ArrayLike<number> | undefined>,
  metadata: Record<string, ArrayLike<number>> = {},
  categories: Record<string, CategoryColumn> = {},
): PointSet {
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
    metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, column(Float32Array, v, n)])),
    categories: Object.fromEntries(
      Object.entries(categories).map(([k, c]) => {
        if (c.codes.length !== n)
          throw new PayloadError(`column meta:${k} has ${c.codes.length} values, expected ${n}`);
        return [k, c];
      }),
    ),
  };
}

let halfTable: Float32Array | null = null;

/** IEEE-754 half → single for every one of the 65,536 bit patterns, built once (a lookup per value after). */
function halfToFloat(): Float32Array {
  if (halfTable) return halfTable;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const frac = h & 0x3ff;
    t[h] =
      exp === 0
        ? sign * 2 ** -14 * (frac / 1024)
        : exp === 31
          ? frac
            ? Number.NaN
            : sign * Infinity
          : sign * 2 ** (exp - 15) * (1 + frac / 1024);
  }
  halfTable = t;
  return t;
}

/** One Arrow column, all record batches, as plain numbers (dictionary → code into `categories`). */
function numericColumn(
  table: Table,
  name: string,
  categories?: readonly string[],
): Float64Array | Float32Array | undefined {
  const vector = table.getChild(name);
  if (!vector) return undefined;
  const out = new Float64Array(vector.length);
  let at = 0;
  for (const chunk of vector.data as Data[]) {
    const { length, offset } = chunk;
    const typeId = chunk.type.typeId;
    if (chunk.nullCount > 0) throw new PayloadError(`column ${name} has nulls`);
    if (typeId === Type.Bool) {
      const bits = chunk.values as Uint8Array;
      for (let i = 0; i < length; i++) {
        const b = offset + i;
        out[at + i] = ((bits[b >> 3] as number) >> (b & 7)) & 1;
      }
    } else if (typeId === Type.Dictionary) {
      const codes = chunk.values as ArrayLike<number>;
      const dict = chunk.dictionary;
      if (!dict) throw new PayloadError(`column ${name} has no dictionary`);
      const remap = Array.from({ length: dict.length }, (_, k) => {
        const word = String(dict.get(k));
        const idx = categories ? categories.indexOf(word) : k;
        if (idx < 0) throw new PayloadError(`column ${name} has unknown value ${word}`);
        return idx;
      });
      for (let i = 0; i < length; i++) out[at + i] = remap[codes[i] as number] as number;
    } else if (typeId === Type.Float && (chunk.type as { precision?: number }).precision === 0) {
      const bits = chunk.values as Uint16Array;
      const half = halfToFloat();
      for (let i = 0; i < length; i++) out[at + i] = half[bits[i] as number] as number;
    } else if (typeId === Type.Int || typeId === Type.Float) {
      const values = chunk.values as ArrayLike<number> & { subarray?: unknown };
      if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
        for (let i = 0; i < length; i++) out[at + i] = Number(values[i]);
      } else {
        out.set((chunk.values as Float64Array).subarray(0, length), at);
      }
    } else {
      throw new PayloadError(`column ${name} has unsupported type ${Type[typeId]}`);
    }
    at += length;
  }
  return out;
}

/** A dictionary-encoded text column: codes into one list of values across every record batch, -1 for null. */
function categoryColumn(table: Table, name: string): { codes: Int16Array; values: string[] } {
  const vector = table.getChild(name);
  const codes = new Int16Array(vector?.length ?? 0);
  const values: string[] = [];
  const position = new Map<string, number>();
  let at = 0;
  for (const chunk of (vector?.data ?? []) as Data[]) {
    const dict = chunk.dictionary;
    if (!dict) throw new PayloadError(`column ${name} has no dictionary`);
    const remap = Array.from({ length: dict.length }, (_, k) => {
      const word = String(dict.get(k));
      let p = position.get(word);
      if (p === undefined) {
        p = values.length;
        values.push(word);
        position.set(word, p);
      }
      return p;
    });
    const raw = chunk.values as ArrayLike<number>;
    const valid = chunk.nullBitmap;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk.offset + i;
      const isNull =
        chunk.nullCount > 0 &&
        valid !== undefined &&
        valid.length > 0 &&
        (((valid[b >> 3] as number) >> (b & 7)) & 1) === 0;
      codes[at + i] = isNull ? -1 : (remap[raw[i] as number] as number);
    }
    at += chunk.length;
  }
  return { codes, values };
}

/** A decoded Arrow table → PointSet (+ the map's metadata). */
export function pointsFromTable(table: Table): { points: PointSet; meta: PointsMeta } {
  const columns: Record<string, ArrayLike<number> | undefined> = {};
  for (const name of Object.values(COLUMN_FOR)) {
    columns[name] = numericColumn(table, name, name === "split" ? SPLITS : undefined);
  }
  let meta: PointsMeta = { versionId: null, epoch: null, mapId: null, classes: null, rows: null };
  let distinct: Record<string, number> = {};
  let extent: PointSet["extent"];
  const raw = table.schema.metadata.get("lensboard");
  if (raw) {
    try {
      const m = JSON.parse(raw) as {
        version_id?: number;
        epoch?: number;
        map_id?: number;
        classes?: string[];
        categorical_columns?: Record<string, number>;
        rows?: number;
        extent?: number[];
      };
      meta = {
        versionId: m.version_id ?? null,
        epoch: m.epoch ?? null,
        mapId: m.map_id ?? null,
        classes: m.classes ?? null,
        rows: m.rows ?? null,
      };
      distinct = m.categorical_columns ?? {};
      const e = m.extent;
      if (e?.length === 4 && e.every(Number.isFinite))
        extent = [e[0], e[1], e[2], e[3]] as [number, number, number, number];
    } catch {
      /* metadata is informative only */
    }
  }
  const metadata: Record<string, ArrayLike<number>> = {};
  const categories: Record<string, CategoryColumn> = {};
  for (const field of table.schema.fields) {
    if (!field.name.startsWith(META_PREFIX)) continue;
    const name = field.name.slice(META_PREFIX.length);
    if ((field.type as DataType).typeId === Type.Dictionary) {
      const c = categoryColumn(table, field.name);
      categories[name] = { ...c, other: (distinct[name] ?? 0) > c.values.length };
      continue;
    }
    const values = numericColumn(table, field.name);
    if (values) metadata[name] = values;
  }
  const points = fromColumns(table.numRows, columns, metadata, categories);
  return { points: extent ? { ...points, extent } : points, meta };
}

/** Decode the points endpoint's body (an Arrow IPC stream, compressed or not). */
export function decodePoints(buffer: ArrayBuffer | Uint8Array): { points: PointSet; meta: PointsMeta } {
  registerZstd();
  let table: Table;
  try {
    table = tableFromIPC(buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer));
  } catch (e) {
    throw new PayloadError(`not an Arrow IPC stream of points (${e instanceof Error ? e.message : String(e)})`);
  }
  return pointsFromTable(table);
}

/** Maps of at least this many points are drawn while they load (the API sends 65,536 points a batch). */
export const PROGRESSIVE_ROWS = 150_000;

/**
 * Reads the points endpoint's Arrow stream batch by batch. A map of PROGRESSIVE_ROWS or more points is
 * handed to `onPartial` as it arrives (the first batch at once, then at most every `everyMs`), so its first
 * points are drawn while the rest are on their way; the promise gives the whole map. Each partial set is
 * decoded from all the batches so far, a cost bounded by the few times it is done.
 */
export async function readPointsStream(
  body: ReadableStream<Uint8Array>,
  onPartial?: (partial: { points: PointSet; meta: PointsMeta }) => void,
  everyMs = 400,
): Promise<{ points: PointSet; meta: PointsMeta }> {
  registerZstd();
  let reader: Awaited<ReturnType<typeof RecordBatchReader.from>>;
  try {
    reader = await RecordBatchReader.from(body);
    await reader.open();
  } catch (e) {
    throw new PayloadError(`not an Arrow IPC stream of points (${e instanceof Error ? e.message : String(e)})`);
  }
  const schema = reader.schema;
  let rows: number | null = null;
  try {
    rows = (JSON.parse(schema.metadata.get("lensboard") ?? "{}") as { rows?: number }).rows ?? null;
  } catch {
    /* informative only: without it, nothing is drawn early */
  }
  const progressive = onPartial !== undefined && rows !== null && rows >= PROGRESSIVE_ROWS;
  const batches: RecordBatch[] = [];
  let loaded = 0,
    shownAt = -Infinity;
  try {
    for await (const batch of reader) {
      batches.push(batch);
      loaded += batch.numRows;
      const now = performance.now();
      if (progressive && loaded < (rows ?? 0) && now - shownAt >= everyMs) {
        onPartial(pointsFromTable(new Table(schema, batches)));
        shownAt = performance.now();
      }
    }
  } catch (e) {
    if (e instanceof PayloadError) throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new PayloadError(`the points payload broke off after ${loaded} points (${why})`);
  }
  if (rows !== null && loaded !== rows)
    throw new PayloadError(`the points payload ended after ${loaded} of its ${rows} points`);
  return pointsFromTable(new Table(schema, batches));
}

/** Map coordinates scaled into [-1, 1] (what WebGL draws), keeping the aspect ratio. */
export function normalizedXY(points: PointSet): { x: Float32Array; y: Float32Array } {
  let minX = Infinity,
    maxX = -Infinity,
    minY = Infinity,
    maxY = -Infinity;
  if (points.extent) [minX, maxX, minY, maxY] = points.extent;
  else
    for (let i = 0; i < points.n; i++) {
      const x = points.x[i] as number,
        y = points.y[i] as number;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  const cx = (minX + maxX) / 2,
    cy = (minY + maxY) / 2;
  const half = Math.max(maxX - minX, maxY - minY, 1e-9) / 2 / 0.95;
  const x = new Float32Array(points.n),
    y = new Float32Array(points.n);
  for (let i = 0; i < points.n; i++) {
    x[i] = ((points.x[i] as number) - cx) / half;
    y[i] = ((points.y[i] as number) - cy) / half;
  }
  return { x, y };
}

/** Sample id → row of the point set (for insights and selections that name samples). */
export function rowsOf(points: PointSet, sampleIds: readonly number[]): number[] {
  const at = new Map<number, number>();
  for (let i = 0; i < points.n; i++) at.set(points.sampleId[i] as number, i);
  const out: number[] = [];
  for (const id of sampleIds) {
    const r = at.get(id);
    if (r !== undefined) out.push(r);
  }
  return out;
}
