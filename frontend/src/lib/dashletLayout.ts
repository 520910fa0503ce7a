/** The dashboard's dashlets: the catalogue, the default arrangement, and the layout saved in project.ui_state. */
export const DASHLET_TYPES = {
  batchCurves: { title: "Loss & accuracy vs batch", w: 6, h: 9 },
  epochMetrics: { title: "Per-epoch loss & accuracy", w: 6, h: 9 },
  lossSamples: { title: "Samples by loss", w: 6, h: 11 },
  // The key predates the axis pickers (saved layouts name it): x and y are any two fields, score vs loss by default.
  scoreVsLoss: { title: "Field vs field", w: 6, h: 9 },
  confusion: { title: "Confusion matrix", w: 4, h: 9 },
  rocPr: { title: "ROC & PR curves", w: 8, h: 9 },
  suspects: { title: "Mislabel suspects", w: 6, h: 9 },
} as const;
export type DashletType = keyof typeof DASHLET_TYPES;

export interface DashletItem {
  /** Unique per dashboard, e.g. "confusion-2". */
  i: string;
  type: DashletType;
  x: number;
  y: number;
  w: number;
  h: number;
  /** The dashlet's own choices (e.g. a scatter's x and y fields), saved with the layout. */
  settings?: DashletSettings;
}

export type DashletSettings = Record<string, string>;

export const COLS = 12;

export const DEFAULT_LAYOUT: DashletItem[] = [
  { i: "batchCurves-1", type: "batchCurves", x: 0, y: 0, w: 6, h: 9 },
  { i: "epochMetrics-1", type: "epochMetrics", x: 6, y: 0, w: 6, h: 9 },
  { i: "lossSamples-1", type: "lossSamples", x: 0, y: 9, w: 6, h: 11 },
  { i: "scoreVsLoss-1", type: "scoreVsLoss", x: 6, y: 9, w: 6, h: 11 },
  { i: "confusion-1", type: "confusion", x: 0, y: 20, w: 4, h: 9 },
  { i: "rocPr-1", type: "rocPr", x: 4, y: 20, w: 8, h: 9 },
  { i: "suspects-1", type: "suspects", x: 0, y: 29, w: 12, h: 9 },
];

function isType(t: unknown): t is DashletType {
  return typeof t === "string" && Object.prototype.hasOwnProperty.call(DASHLET_TYPES, t);
}

function int(v: unknown, lo: number, hi: number, fallback: number): number {
  return typeof v === "number" && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : fallback;
}

/** Saved settings: string values only, a few of them, of a sane length; anything else is dropped. */
function parseSettings(raw: unknown): DashletSettings | undefined {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const entries = Object.entries(raw as Record<string, unknown>)
    .filter((e): e is [string, string] => typeof e[1] === "string" && e[0].length <= 40 && e[1].length <= 300)
    .slice(0, 8);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

/** Read a layout from ui_state. Anything malformed is dropped; an absent layout gives the default. */
export function parseLayout(uiState: Record<string, unknown> | undefined): DashletItem[] {
  const raw = (uiState?.dashboard as { layout?: unknown } | undefined)?.layout;
  if (!Array.isArray(raw)) return DEFAULT_LAYOUT.map((d) => ({ ...d }));
  const seen = new Set<string>();
  const out: DashletItem[] = [];
  for (const item of raw as Record<string, unknown>[]) {
    if (!item || !isType(item.type) || typeof item.i !== "string" || seen.has(item.i)) continue;
    seen.add(item.i);
    const w = int(item.w, 2, COLS, DASHLET_TYPES[item.type].w);
    const settings = parseSettings(item.settings);
    out.push({
      i: item.i,
      type: item.type,
      w,
      x: int(item.x, 0, COLS - w, 0),
      y: int(item.y, 0, 10_000, 0),
      h: int(item.h, 3, 60, DASHLET_TYPES[item.type].h),
      ...(settings ? { settings } : {}),
    });
  }
  return out;
}

/** Add a dashlet of a type below everything else, with a fresh id. */
export function addDashlet(layout: readonly DashletItem[], type: DashletType): DashletItem[] {
  let n = 1;
  while (layout.some((d) => d.i === `${type}-${n}`)) n++;
  const bottom = layout.reduce((m, d) => Math.max(m, d.y + d.h), 0);
  const { w, h } = DASHLET_TYPES[type];
  return [...layout, { i: `${type}-${n}`, type, x: 0, y: bottom, w, h }];
}

/** The same layout with one dashlet's settings replaced. */
export function setDashletSettings(
  layout: readonly DashletItem[],
  id: string,
  settings: DashletSettings,
): DashletItem[] {
  return layout.map((d) => (d.i === id ? { ...d, settings } : d));
}

export function removeDashlet(layout: readonly DashletItem[], id: string): DashletItem[] {
  return layout.filter((d) => d.i !== id);
}

/** Apply positions reported by the grid (by id) to our items, keeping their types. */
export function applyPositions(
  layout: readonly DashletItem[],
  positions: readonly { i: string; x: number; y: number; w: number; h: number }[],
): DashletItem[] {
  const byId = new Map(positions.map((p) => [p.i, p]));
  return layout.map((d) => {
    const p = byId.get(d.i);
    return p ? { ...d, x: p.x, y: p.y, w: p.w, h: p.h } : d;
  });
}

export function sameLayout(a: readonly DashletItem[], b: readonly DashletItem[]): boolean {
  return (
    a.length === b.length &&
    a.every((d, k) => {
      const e = b[k];
      return (
        !!e &&
        d.i === e.i &&
        d.type === e.type &&
        d.x === e.x &&
        d.y === e.y &&
        d.w === e.w &&
        d.h === e.h &&
        JSON.stringify(d.settings ?? {}) === JSON.stringify(e.settings ?? {})
      );
    })
  );
}
