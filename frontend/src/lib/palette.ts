/** The categorical colours the charts and the map share (Tableau 10), so category k looks the same everywhere. */
const CATEGORY_COLORS = [
  "#4e79a7",
  "#f28e2b",
  "#59a14f",
  "#e15759",
  "#b07aa1",
  "#76b7b2",
  "#edc948",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
] as const;

/** The colour of category `index`, the palette repeating past its ten colours. */
export function categoryColor(index: number): string {
  return CATEGORY_COLORS[index % CATEGORY_COLORS.length] as string;
}
