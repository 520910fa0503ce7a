import { render, screen } from "@testing-library/react";
import type { Dataset, Version } from "../api/client";
import { VersionReport } from "./ReportPage";

const version = {
  id: 7, project_id: 1, dataset_id: 2, parent_id: 3, name: "cnn-v7", architecture: "cnn", seed: 42, status: "created",
  epochs_done: 0, device: null, data_fixes: { relabel: { "10": 1 }, exclude: [4, 5] },
  hyperparameters: { kernel_sizes: [3, 4, 5], dropout: 0.5 }, graph: {}, best: {},
  created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
} as unknown as Version;
const dataset = { id: 2, name: "imdb", num_samples: 50000, classes: ["neg", "pos"] } as unknown as Dataset;

function renderReport(sweep: Parameters<typeof VersionReport>[0]["sweep"]) {
  return render(
    <VersionReport version={version} projectName="imdb" dataset={dataset} epoch={0} split="test" sweep={sweep}
      onEpoch={() => {}} onSplit={() => {}} />,
  );
}

describe("VersionReport", () => {
  it("shows the configuration and waits for a first epoch before any figure", () => {
    renderReport(null);
    expect(screen.getByText("No finished epoch yet: the report fills in after the first one.")).toBeInTheDocument();
    const table = screen.getByRole("table", { name: "hyperparameters" });
    expect(table).toHaveTextContent("kernel_sizes[3, 4, 5]");
    expect(table).toHaveTextContent("dropout0.5");
    expect(table).toHaveTextContent("data fixes1 relabelled, 2 excluded");
    expect(table).toHaveTextContent("imdb (50000 samples, classes neg / pos)");
    expect(screen.getByTestId("sweep-context")).not.toBeVisible();
  });
  it("fills the sweep slot when the version is a sweep trial", () => {
    renderReport({ sweepId: 1, sweepName: "lr-grid", trial: 3 });
    expect(screen.getByTestId("sweep-context")).toHaveTextContent("part of sweep lr-grid, trial 3");
    expect(screen.getByTestId("sweep-context")).toBeVisible();
  });
});
