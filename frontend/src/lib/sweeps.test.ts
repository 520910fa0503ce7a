import type { Trial } from "../api/sweeps";
import { DEFAULT_FORM, sweepRequest } from "../views/SweepDialog";
import { ARCHITECTURES, architecture } from "../test/architectures";
import { defaultSort, epochsNote, parallelOption, sortTrials } from "./sweeps";

function trial(i: number, params: Record<string, unknown>, test: number | null, valLoss: number | null): Trial {
  return {
    trial_index: i,
    version_id: 100 + i,
    name: `s-t${i}`,
    status: test === null ? "queued" : "trained",
    params,
    epochs: 2,
    epochs_done: test === null ? 0 : 2,
    stopped_early: false,
    pruned: false,
    pruned_at_epoch: null,
    proposed_by: "random",
    job_id: i,
    error: null,
    selected_epoch: test === null ? null : 2,
    selected_by: test === null ? null : "val_accuracy",
    test_accuracy: test,
    val_accuracy: test,
    test_loss: valLoss,
    val_loss: valLoss,
    best_val_accuracy: test,
    best_val_loss: valLoss,
  };
}

const TRIALS = [
  trial(0, { learning_rate: 0.001, optimizer: "adam" }, 0.8, 0.45),
  trial(1, { learning_rate: 0.01, optimizer: "sgd" }, null, null),
  trial(2, { learning_rate: 0.0001, optimizer: "adam" }, 0.9, 0.3),
  trial(3, { learning_rate: 0.003, optimizer: "sgd" }, 0.7, 0.6),
];
const order = (ts: Trial[]) => ts.map((t) => t.trial_index);

describe("sweep results", () => {
  it("sorts metrics best first and keeps trials without a value last", () => {
    const byAcc = defaultSort({ kind: "metric", metric: "test_accuracy" });
    expect(byAcc.descending).toBe(true);
    expect(order(sortTrials(TRIALS, byAcc))).toEqual([2, 0, 3, 1]);
    expect(order(sortTrials(TRIALS, { ...byAcc, descending: false }))).toEqual([3, 0, 2, 1]);
    const byLoss = defaultSort({ kind: "metric", metric: "val_loss" });
    expect(byLoss.descending).toBe(false);
    expect(order(sortTrials(TRIALS, byLoss))).toEqual([2, 0, 3, 1]);
  });

  it("sorts by a hyperparameter, numbers as numbers and strings as text", () => {
    expect(order(sortTrials(TRIALS, defaultSort({ kind: "param", name: "learning_rate" })))).toEqual([2, 0, 3, 1]);
    expect(order(sortTrials(TRIALS, defaultSort({ kind: "param", name: "optimizer" })))).toEqual([0, 2, 1, 3]);
    expect(order(sortTrials(TRIALS, { key: { kind: "trial" }, descending: true }))).toEqual([3, 2, 1, 0]);
  });

  it("draws one axis per hyperparameter plus the metric, and the best trial on its own", () => {
    const space = { learning_rate: { min: 1e-4, max: 1e-2, log: true }, optimizer: ["adam", "sgd"] };
    const option = parallelOption(TRIALS, space, "val_accuracy", 102);
    const axes = option.parallelAxis as { name: string; type: string; data?: string[] }[];
    expect(axes.map((a) => [a.name, a.type])).toEqual([
      ["learning_rate", "log"],
      ["optimizer", "category"],
      ["val acc", "value"],
    ]);
    expect(axes[1]?.data).toEqual(["adam", "sgd"]);
    const [rest, best] = option.series as { data: unknown[][] }[];
    expect(best?.data).toEqual([[0.0001, "adam", 0.9]]);
    expect(rest?.data).toEqual([
      [0.001, "adam", 0.8],
      [0.003, "sgd", 0.7],
    ]); // the queued trial has no line
  });
});

describe("a trial's epochs", () => {
  it("says when the sweep pruned it, and at which epoch", () => {
    const base = trial(0, {}, 0.6, 0.7);
    expect(epochsNote(base)).toBe("");
    expect(epochsNote({ ...base, stopped_early: true })).toBe(" (early stop)");
    expect(epochsNote({ ...base, status: "pruned", pruned: true, pruned_at_epoch: 1, epochs_done: 1 })).toBe(
      " (pruned at epoch 1)",
    );
  });
});

describe("the sweep form", () => {
  it("builds the request from the form", () => {
    const cnn = architecture("cnn");
    const body = sweepRequest({ ...DEFAULT_FORM, budget: "4", patience: "2" }, cnn, { num_filters: "8" });
    expect(body).toMatchObject({
      strategy: "random",
      budget: 4,
      epochs: 2,
      seed: 0,
      metric: "val_accuracy", // sweeps rank on validation; test stays the held-out estimate
      architecture: "cnn",
      name: null,
      hyperparameters: { num_filters: 8 },
      early_stopping: { metric: "val_loss", patience: 2 },
    });
    expect(Object.keys(body.space)).toEqual(["learning_rate", "dropout"]);
    expect(sweepRequest({ ...DEFAULT_FORM, strategy: "grid", budget: "" }, cnn).budget).toBeNull();
    expect(sweepRequest(DEFAULT_FORM, cnn).early_stopping).toBeNull();
  });

  it("offers Bayesian search", () => {
    const body = sweepRequest({ ...DEFAULT_FORM, strategy: "bayes", budget: "8" }, architecture("cnn"));
    expect(body).toMatchObject({ strategy: "bayes", budget: 8 });
    expect(() => sweepRequest({ ...DEFAULT_FORM, strategy: "hyperband" }, architecture("cnn"))).toThrow(
      "strategy is grid, random or bayes",
    );
  });

  it("accepts the default space for every architecture, and sends that architecture", () => {
    for (const arch of ARCHITECTURES) expect(sweepRequest(DEFAULT_FORM, arch).architecture).toBe(arch.name);
  });

  it("checks swept values and shared hyperparameters against the architecture's specs", () => {
    const cnn = architecture("cnn");
    const space = (s: unknown) => ({ ...DEFAULT_FORM, space: JSON.stringify(s) });
    expect(() => sweepRequest(space({ dropout: [0.2, 1] }), cnn)).toThrow("Dropout must be at least 0 and below 1");
    expect(() => sweepRequest(space({ hidden_size: [8] }), cnn)).toThrow('"hidden_size" is not a hyperparameter');
    expect(() => sweepRequest(space({ hidden_size: [8] }), architecture("lstm"))).not.toThrow();
    expect(() => sweepRequest(space({ optimizer: ["adam", "rmsprop"] }), cnn)).toThrow(
      "Optimiser must be one of adam, adamw, sgd",
    );
    expect(() => sweepRequest(space({ learning_rate: { min: 0, max: 0.1, log: true } }), cnn)).toThrow(
      "Learning rate must be above 0",
    );
    expect(() => sweepRequest(space({ dense_units: { min: 64, max: 8 } }), cnn)).toThrow("min must not exceed");
    expect(() => sweepRequest(space({ optimizer: { min: 1, max: 2 } }), cnn)).toThrow("cannot take a range");
    expect(() => sweepRequest(space({ epochs: [0, 2] }), cnn)).toThrow("Epochs must be from 1 to 1000");
    expect(() => sweepRequest(DEFAULT_FORM, cnn, { num_filters: "0" })).toThrow("Filters must be from 1 to 2048");
  });

  it("says what to fix", () => {
    const cnn = architecture("cnn");
    expect(() => sweepRequest({ ...DEFAULT_FORM, space: "{oops" }, cnn)).toThrow("the search space is not valid JSON");
    expect(() => sweepRequest({ ...DEFAULT_FORM, space: "[1]" }, cnn)).toThrow("must be a JSON object");
    expect(() => sweepRequest({ ...DEFAULT_FORM, space: "{}" }, cnn)).toThrow("names no hyperparameter");
    expect(() => sweepRequest({ ...DEFAULT_FORM, epochs: "0" }, cnn)).toThrow("epochs must be a whole number ≥ 1");
    expect(() => sweepRequest({ ...DEFAULT_FORM, patience: "x" }, cnn)).toThrow("patience");
  });
});
