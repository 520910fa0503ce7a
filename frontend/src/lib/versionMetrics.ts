/** A version's figures as the version list shows them. */
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
