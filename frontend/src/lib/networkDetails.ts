/**
 * What the network view adds to the model's layer graph: a dataset node feeding the input (source, splits
 * with their counts, tokenizer settings) and the training facts behind the loss and optimizer nodes (loss
 * function, optimizer, learning rate and the other hyperparameters), all from responses the dashboard
 * already has (GET /datasets, GET /versions/{id}).
 */
import type { Dataset, Version } from "../api/client";
import type { GraphNode, ModelGraph } from "./graphLayout";

export const DATASET_NODE = "dataset";

/** A fact shown in the details panel: its name and its value as text. */
export type Fact = readonly [string, string];

const SPLITS = ["train", "val", "test"] as const;

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function text(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? v.toLocaleString("en-US") : String(v);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (Array.isArray(v)) return v.map(text).join(", ");
  if (v === null || v === undefined || v === "") return "–";
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The graph with the dataset as its first node, feeding every node nothing feeds (the input). */
export function withDataset(graph: ModelGraph, dataset: Dataset | null): ModelGraph {
  if (!dataset || graph.nodes.some((n) => n.id === DATASET_NODE)) return graph;
  const fed = new Set(graph.edges.map((e) => e.target));
  const roots = graph.nodes.filter((n) => !fed.has(n.id) && n.kind !== "loss" && n.kind !== "optimizer");
  const node: GraphNode = {
    id: DATASET_NODE,
    kind: "dataset",
    label: `${dataset.name} · ${dataset.num_samples.toLocaleString("en-US")} samples`,
    shape: [],
    params: 0,
  };
  return {
    ...graph,
    nodes: [node, ...graph.nodes],
    edges: [...roots.map((r) => ({ source: DATASET_NODE, target: r.id })), ...graph.edges],
  };
}

/** Source, each split with its count (and per class), the tokenizer and how validation was carved. */
export function datasetFacts(dataset: Dataset): Fact[] {
  const config = record(dataset.config);
  const stats = record(dataset.stats);
  const counts = record(stats.counts);
  const tokenizer = { ...record(config.tokenizer) };
  const facts: Fact[] = [
    ["Dataset", dataset.name],
    ["Source", `${dataset.source}${dataset.kind ? ` (${dataset.kind})` : ""}`],
    ["Classes", dataset.classes.join(", ") || "–"],
  ];
  for (const split of SPLITS) {
    const row = record(counts[split]);
    if (row.total === undefined) continue;
    const perClass = dataset.classes
      .filter((c) => row[c] !== undefined)
      .map((c) => `${c} ${text(row[c])}`)
      .join(" · ");
    facts.push([`${split} split`, `${text(row.total)} samples${perClass ? ` (${perClass})` : ""}`]);
  }
  if (config.val_size !== undefined)
    facts.push([
      "Validation",
      `${text(config.val_size)} ${Number(config.val_size) < 1 ? "of train" : "samples"} carved from train (seed ${text(config.seed)})`,
    ]);
  facts.push(["Vocabulary", `${text(tokenizer.vocab_size ?? stats.vocab_size)} words`]);
  facts.push(["Max length", `${text(tokenizer.max_length ?? stats.max_length)} tokens`]);
  if (tokenizer.lowercase !== undefined) facts.push(["Lowercase", text(tokenizer.lowercase)]);
  if (typeof stats.truncated_fraction === "number")
    facts.push(["Truncated", `${(stats.truncated_fraction * 100).toFixed(1)} % of samples`]);
  if (typeof stats.oov_rate === "number")
    facts.push(["Out-of-vocabulary", `${(stats.oov_rate * 100).toFixed(1)} % of tokens`]);
  return facts;
}

/** The hyperparameters that belong to training (not to the layers), in the order a reader looks for them. */
const TRAINING = [
  "optimizer",
  "learning_rate",
  "lr_decay",
  "weight_decay",
  "batch_size",
  "grad_clip",
  "dropout",
] as const;

/** Loss function, optimizer and learning rate first, then the training knobs, epochs and seed, then the rest. */
export function trainingFacts(version: Version, lossLabel: string | null): Fact[] {
  const hp = record(version.hyperparameters);
  const title = (k: string) => k.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());
  const facts: Fact[] = [["Loss function", lossLabel ?? text(hp.loss ?? "cross-entropy")]];
  for (const k of TRAINING) if (hp[k] !== undefined) facts.push([title(k), text(hp[k])]);
  facts.push(["Epochs trained", text(version.epochs_done)], ["Seed", text(version.seed)]);
  for (const [k, v] of Object.entries(hp))
    if (!(TRAINING as readonly string[]).includes(k) && k !== "loss") facts.push([title(k), text(v)]);
  return facts;
}
