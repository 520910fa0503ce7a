/** A version's figures as the version list shows them, and what a dataset's stats warn about. */
import type { Version } from "../api/client";
import { pct } from "./format";

/** Every split at one epoch: the one validation picks (or the last), and it says which; never the best test
 * accuracy over epochs, which would be a figure chosen by looking at test. */
export function selectedLine(selected: Version["selected"] | null): string {
  if (!selected) return "no metrics yet";
  const how = selected.selected_by === "val_accuracy" ? "picked by val" : "last";
  const figures = ["train", "val", "test"]
    .filter((s) => selected.accuracy[s] !== undefined)
    .map((s) => `${s} ${pct(selected.accuracy[s] ?? 0)}`)
    .join(" · ");
  return `epoch ${selected.epoch} (${how}): ${figures}`;
}

/** Exact copies of a text in more than one split (the import counts them): a copy in train of a test review
 * makes test optimistic. Null when there are none (or the dataset predates the count). */
export function duplicateWarning(stats: Record<string, unknown>): string | null {
  const dup = stats.duplicates as { cross_split_groups?: number; cross_split_samples?: number } | undefined;
  if (!dup?.cross_split_groups) return null;
  return (
    `${dup.cross_split_groups} groups of identical texts (${dup.cross_split_samples ?? 0} samples) span splits: ` +
    "their test or val figures are partly memorised"
  );
}
