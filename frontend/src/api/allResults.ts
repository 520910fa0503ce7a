/** Every sample's result at one epoch, paged from GET /versions/{id}/samples (for client-side figures). */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type SampleRow } from "./client";
import { keys } from "./keys";

export type MetaValue = number | string | null;

export interface ResultColumns {
  n: number;
  sampleId: Int32Array;
  split: string[];
  label: Uint8Array;
  prediction: Uint8Array;
  pPositive: Float32Array;
  pLabel: Float32Array;
  loss: Float32Array;
  score: Uint8Array;
  tokenCount: Int32Array;
  wordCount: Int32Array;
  /** Each metadata key of the rows (a custom dataset's columns) → its value per row; null where a row has none. */
  meta: Record<string, MetaValue[]>;
}

function metaValue(v: unknown): MetaValue {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  return typeof v === "string" ? v : null;
}

export function toColumns(rows: readonly SampleRow[]): ResultColumns {
  const n = rows.length;
  const out: ResultColumns = {
    n,
    sampleId: new Int32Array(n),
    split: [],
    label: new Uint8Array(n),
    prediction: new Uint8Array(n),
    pPositive: new Float32Array(n),
    pLabel: new Float32Array(n),
    loss: new Float32Array(n),
    score: new Uint8Array(n),
    tokenCount: new Int32Array(n),
    wordCount: new Int32Array(n),
    meta: {},
  };
  rows.forEach((r, i) => {
    out.sampleId[i] = r.id;
    out.split.push(r.split);
    out.label[i] = r.label;
    out.prediction[i] = r.result?.prediction ?? 0;
    out.pPositive[i] = r.result?.p_positive ?? Number.NaN;
    out.pLabel[i] = r.result?.p_label ?? Number.NaN;
    out.loss[i] = r.result?.loss ?? Number.NaN;
    out.score[i] = r.score ?? 0;
    out.tokenCount[i] = r.token_count;
    out.wordCount[i] = r.word_count;
    for (const [key, value] of Object.entries(r.meta ?? {})) {
      const column = (out.meta[key] ??= new Array<MetaValue>(n).fill(null));
      column[i] = metaValue(value);
    }
  });
  return out;
}

const PAGE = 1000;

export function useAllResults(versionId: number | null, epoch: number | null) {
  return useQuery({
    queryKey: keys.allResultsAt(versionId ?? -1, epoch ?? -1),
    enabled: versionId !== null && epoch !== null,
    staleTime: Infinity,
    queryFn: async () => {
      const rows: SampleRow[] = [];
      for (let offset = 0; ; offset += PAGE) {
        const page = await unwrap(
          api.GET("/api/versions/{version_id}/samples", {
            params: {
              path: { version_id: versionId ?? -1 },
              query: { epoch: epoch ?? undefined, sort: "index", order: "asc", offset, limit: PAGE },
            },
          }),
        );
        rows.push(...page.items);
        if (rows.length >= page.total || page.items.length === 0) break;
      }
      return toColumns(rows);
    },
  });
}

/** The rows of one split, or of every split with "all". */
export function subsetBySplit(c: ResultColumns, split: string): number[] {
  const idx: number[] = [];
  for (let i = 0; i < c.n; i++) if (split === "all" || c.split[i] === split) idx.push(i);
  return idx;
}
