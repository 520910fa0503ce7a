import { duplicateWarning, selectedLine } from "./versionMetrics";

describe("version figures", () => {
  it("reads every split at one epoch and says how it was picked", () => {
    const line = selectedLine({
      epoch: 2,
      selected_by: "val_accuracy",
      accuracy: { test: 0.7, train: 0.8, val: 0.75 },
      loss: { test: 0.3, train: 0.2, val: 0.25 },
    });
    expect(line).toBe("epoch 2 (picked by val): train 80.0% · val 75.0% · test 70.0%");
    expect(selectedLine(null)).toBe("no metrics yet");
    expect(selectedLine({ epoch: 3, selected_by: "last_epoch", accuracy: { train: 0.9 }, loss: { train: 0.1 } })).toBe(
      "epoch 3 (last): train 90.0%",
    );
  });
});

describe("dataset duplicates", () => {
  it("warns only about copies that span splits", () => {
    expect(duplicateWarning({})).toBeNull();
    expect(duplicateWarning({ duplicates: { groups: 4, cross_split_groups: 0 } })).toBeNull();
    expect(duplicateWarning({ duplicates: { cross_split_groups: 154, cross_split_samples: 310 } })).toContain(
      "154 groups of identical texts (310 samples) span splits",
    );
  });
});
