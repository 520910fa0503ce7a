import type { Dataset, Version } from "../api/client";
import { layoutGraph, nodeHeight, NODE_H, type ModelGraph } from "./graphLayout";
import { datasetFacts, trainingFacts, withDataset } from "./networkDetails";

const graph: ModelGraph = {
  architecture: "cnn",
  nodes: [
    { id: "input", kind: "input", label: "token ids", shape: ["B", "T"], params: 0 },
    {
      id: "conv",
      kind: "conv1d",
      label: "Conv1d k=3,4,5, 128 filters each + ReLU + global max pool",
      shape: [],
      params: 9,
    },
    { id: "loss", kind: "loss", label: "cross-entropy", shape: [], params: 0 },
    { id: "optimizer", kind: "optimizer", label: "adam lr=0.001", shape: [], params: 0 },
  ],
  edges: [
    { source: "input", target: "conv" },
    { source: "conv", target: "loss" },
    { source: "loss", target: "optimizer" },
  ],
};

const dataset = {
  id: 2,
  name: "IMDB",
  kind: "imdb",
  source: "aclImdb_v1.tar.gz",
  classes: ["neg", "pos"],
  num_samples: 1000,
  config: { val_size: 0.2, seed: 0, tokenizer: { vocab_size: 30000, max_length: 800, lowercase: true } },
  stats: {
    counts: {
      train: { neg: 200, pos: 200, total: 400 },
      val: { neg: 50, pos: 50, total: 100 },
      test: { neg: 250, pos: 250, total: 500 },
    },
    truncated_fraction: 0.05,
    oov_rate: 0.012,
  },
} as unknown as Dataset;

const version = {
  id: 7,
  epochs_done: 3,
  seed: 4,
  hyperparameters: { embedding_dim: 32, learning_rate: 0.001, optimizer: "adam", batch_size: 64, kernel_sizes: [3, 4] },
} as unknown as Version;

describe("the network view's graph", () => {
  it("adds the dataset as the node that feeds the input, not the loss or optimizer", () => {
    const g = withDataset(graph, dataset);
    expect(g.nodes[0]).toMatchObject({ id: "dataset", kind: "dataset", label: "IMDB · 1,000 samples" });
    expect(g.edges.filter((e) => e.source === "dataset")).toEqual([{ source: "dataset", target: "input" }]);
    expect(withDataset(g, dataset).nodes).toHaveLength(5); // once
    expect(withDataset(graph, null)).toBe(graph);
  });

  it("makes every node tall enough for its whole label, and lays it out at that height", () => {
    expect(nodeHeight({ label: "token ids" })).toBe(NODE_H);
    const long = graph.nodes[1]!;
    expect(nodeHeight(long)).toBeGreaterThan(NODE_H);
    // 26 characters a line at most: every line of the label has room.
    expect(nodeHeight(long)).toBeGreaterThanOrEqual(42 + 16 * Math.ceil(long.label.length / 26));
    const pos = layoutGraph(graph);
    const conv = pos.get("conv")!;
    const loss = pos.get("loss")!;
    expect(loss.y).toBeGreaterThanOrEqual(conv.y + nodeHeight(long)); // the next rank starts below it
  });
});

describe("the network view's details", () => {
  it("says the dataset's source, splits with their counts and the tokenizer", () => {
    const facts = Object.fromEntries(datasetFacts(dataset));
    expect(facts.Source).toBe("aclImdb_v1.tar.gz (imdb)");
    expect(facts["train split"]).toBe("400 samples (neg 200 · pos 200)");
    expect(facts["val split"]).toBe("100 samples (neg 50 · pos 50)");
    expect(facts["test split"]).toBe("500 samples (neg 250 · pos 250)");
    expect(facts.Validation).toBe("0.2 of train carved from train (seed 0)");
    expect(facts.Vocabulary).toBe("30,000 words");
    expect(facts["Max length"]).toBe("800 tokens");
    expect(facts.Lowercase).toBe("yes");
    expect(facts.Truncated).toBe("5.0 % of samples");
  });

  it("says the loss function, optimizer, learning rate and the other hyperparameters", () => {
    const facts = trainingFacts(version, "cross-entropy");
    expect(facts.slice(0, 4)).toEqual([
      ["Loss function", "cross-entropy"],
      ["Optimizer", "adam"],
      ["Learning rate", "0.001"],
      ["Batch size", "64"],
    ]);
    const all = Object.fromEntries(facts);
    expect(all["Epochs trained"]).toBe("3");
    expect(all.Seed).toBe("4");
    expect(all["Embedding dim"]).toBe("32");
    expect(all["Kernel sizes"]).toBe("3, 4");
  });
});
