/** What each kind of job is called on screen (the API's `kind` is an identifier, not words). */
const TITLES: Record<string, string> = {
  import: "Import",
  train: "Training",
  analyze: "Analysis",
  map: "Population map",
  suspects: "Suspect ranking",
  suspects_fold: "Suspect ranking (one fold)",
  eval_shard: "Evaluation (one part)",
};

export function jobKindTitle(kind: string): string {
  return TITLES[kind] ?? kind.replace(/_/g, " ");
}
