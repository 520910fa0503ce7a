import type { Trial } from "../api/sweeps";
import { DEFAULT_FORM, sweepRequest } from "../views/SweepDialog";
import type { ArchitectureSpec } from "../api/versions";
import {
  defaultSpaceInputs,
  logAllowed,
  rangeAllowed,
  spaceFromInputs,
  type DimInput,
  type SpaceInputs,
} from "./sweepSpace";
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
  /** The space form with these rows swept (every other row fixed). */
  const dims = (arch: ArchitectureSpec, rows: Record<string, Partial<DimInput>>): SpaceInputs => {
    const out = defaultSpaceInputs(arch.params);
    for (const k of Object.keys(out)) out[k] = { mode: "fixed", values: "", min: "", max: "", log: false };
    for (const [k, v] of Object.entries(rows)) out[k] = { ...(out[k] as DimInput), ...v };
    return out;
  };

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
    // The form's start: the learning rate on a log range, dropout from a list.
    expect(body.space).toEqual({ learning_rate: { min: 0.0001, max: 0.01, log: true }, dropout: [0.2, 0.5] });
    const grid = dims(cnn, { optimizer: { mode: "values", values: "adam, sgd" } });
    expect(sweepRequest({ ...DEFAULT_FORM, strategy: "grid", budget: "" }, cnn, {}, grid).budget).toBeNull();
    expect(sweepRequest(DEFAULT_FORM, cnn).early_stopping).toBeNull();
  });

  it("asks for median pruning with its warm-up and minimum of completed trials, or none", () => {
    const cnn = architecture("cnn");
    expect(sweepRequest(DEFAULT_FORM, cnn).pruning).toBeNull();
    const on = { ...DEFAULT_FORM, pruning: "median", pruneWarmup: "1", pruneMinTrials: "3" };
    expect(sweepRequest(on, cnn).pruning).toEqual({ warmup_epochs: 1, min_trials: 3 });
    expect(() => sweepRequest({ ...on, pruneMinTrials: "0" }, cnn)).toThrow(
      "completed trials before pruning must be a whole number from 1 to 100",
    );
    expect(() => sweepRequest({ ...on, pruneWarmup: "1.5" }, cnn)).toThrow("pruning warm-up epochs");
    // The fields of a pruning turned off are not checked: they are not sent.
    expect(sweepRequest({ ...on, pruning: "off", pruneMinTrials: "0" }, cnn).pruning).toBeNull();
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

  it("makes lists of each parameter's own type, ranges with the log option, and epochs", () => {
    const cnn = architecture("cnn");
    const space = spaceFromInputs(
      cnn.params,
      dims(cnn, {
        optimizer: { mode: "values", values: "adam, sgd" },
        kernel_sizes: { mode: "values", values: "3, 4, 5; 2,3" },
        num_filters: { mode: "range", min: "32", max: "128" },
        weight_decay: { mode: "range", min: "0.0001", max: "0.1", log: true },
        epochs: { mode: "values", values: "1, 3" },
      }),
    );
    expect(space).toEqual({
      weight_decay: { min: 0.0001, max: 0.1, log: true },
      optimizer: ["adam", "sgd"],
      num_filters: { min: 32, max: 128 },
      kernel_sizes: [
        [3, 4, 5],
        [2, 3],
      ],
      epochs: [1, 3],
    });
    const lstm = architecture("lstm");
    expect(
      spaceFromInputs(lstm.params, dims(lstm, { bidirectional: { mode: "values", values: "true, false" } })),
    ).toEqual({ bidirectional: [true, false] });
    // Ranges only for numbers; a log scale only where the range can stay above 0.
    const spec = (name: string) => cnn.params.find((p) => p.name === name) as ArchitectureSpec["params"][number];
    expect(rangeAllowed(spec("learning_rate"))).toBe(true);
    expect(rangeAllowed(spec("optimizer"))).toBe(false);
    expect(rangeAllowed(spec("kernel_sizes"))).toBe(false);
    expect(logAllowed(spec("learning_rate"))).toBe(true);
  });

  it("checks swept values and shared hyperparameters against the architecture's specs", () => {
    const cnn = architecture("cnn");
    const sweep = (rows: Record<string, Partial<DimInput>>, arch = cnn, strategy = "random") =>
      sweepRequest({ ...DEFAULT_FORM, strategy, budget: "4" }, arch, {}, dims(arch, rows));
    expect(() => sweep({ dropout: { mode: "values", values: "0.2, 1" } })).toThrow(
      "Dropout must be at least 0 and below 1",
    );
    expect(() => sweep({ dropout: { mode: "values", values: "0.2, lots" } })).toThrow("Dropout must be a number");
    expect(() => sweep({ hidden_size: { mode: "values", values: "8" } }, architecture("lstm"))).not.toThrow();
    expect(() => sweep({ optimizer: { mode: "values", values: "adam, rmsprop" } })).toThrow(
      "Optimiser must be one of adam, adamw, sgd",
    );
    expect(() => sweep({ learning_rate: { mode: "range", min: "0", max: "0.1", log: true } })).toThrow(
      "Learning rate must be above 0",
    );
    expect(() => sweep({ learning_rate: { mode: "range", min: "", max: "0.1" } })).toThrow(
      "Learning rate must be a number",
    );
    expect(() => sweep({ dense_units: { mode: "range", min: "64", max: "8" } })).toThrow("min must not exceed");
    expect(() => sweep({ epochs: { mode: "values", values: "0, 2" } })).toThrow("Epochs must be from 1 to 1000");
    expect(() => sweep({ dropout: { mode: "values", values: "" } })).toThrow("Dropout: list at least one value");
    expect(() => sweep({ num_filters: { mode: "range", min: "8", max: "64" } }, cnn, "grid")).toThrow(
      "Filters: a range needs random search",
    );
    expect(() => sweepRequest(DEFAULT_FORM, cnn, { num_filters: "0" })).toThrow("Filters must be from 1 to 2048");
  });

  it("says what to fix", () => {
    const cnn = architecture("cnn");
    expect(() => sweepRequest(DEFAULT_FORM, cnn, {}, dims(cnn, {}))).toThrow("sweeps no hyperparameter");
    expect(() => sweepRequest({ ...DEFAULT_FORM, epochs: "0" }, cnn)).toThrow("epochs must be a whole number ≥ 1");
    expect(() => sweepRequest({ ...DEFAULT_FORM, patience: "x" }, cnn)).toThrow("patience");
  });
});
