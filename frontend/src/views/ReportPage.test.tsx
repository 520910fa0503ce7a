import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { createMemoryRouter, MemoryRouter, RouterProvider } from "react-router";
import { makeQueryClient } from "../App";
import type { Dataset, Version } from "../api/client";
import { ReportPage, VersionReport } from "./ReportPage";
import { jsonOr404, stubFetch } from "../test/fetch";
import { stubChartCanvas } from "../test/chart";

const version = {
  id: 7,
  project_id: 1,
  dataset_id: 2,
  parent_id: 3,
  name: "cnn-v7",
  architecture: "cnn",
  seed: 42,
  status: "created",
  epochs_done: 0,
  device: null,
  data_fixes: { relabel: { "10": 1 }, exclude: [4, 5] },
  hyperparameters: { kernel_sizes: [3, 4, 5], dropout: 0.5 },
  graph: {},
  best: {},
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
} as unknown as Version;
const dataset = { id: 2, name: "imdb", num_samples: 50000, classes: ["neg", "pos"] } as unknown as Dataset;

function renderReport(sweep: Parameters<typeof VersionReport>[0]["sweep"]) {
  return render(
    <MemoryRouter>
      <VersionReport
        version={version}
        projectName="imdb"
        dataset={dataset}
        epoch={0}
        split="test"
        sweep={sweep}
        onEpoch={() => {}}
        onSplit={() => {}}
      />
    </MemoryRouter>,
  );
}

/** The report page at `url`, as the router shows it. */
function renderReportAt(url: string) {
  const router = createMemoryRouter(
    [{ path: "/projects/:projectId/versions/:versionId/report", element: <ReportPage /> }],
    { initialEntries: [url] },
  );
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
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
    renderReport({ sweepId: 1, trial: 3 });
    expect(screen.getByTestId("sweep-context")).toHaveTextContent("part of sweep #1, trial 3");
    expect(within(screen.getByTestId("sweep-context")).getByRole("link")).toHaveAttribute(
      "href",
      "/projects/1/sweeps/1",
    );
    expect(screen.getByTestId("sweep-context")).toBeVisible();
  });
});

describe("ReportPage", () => {
  // test: 2 right, 1 wrong; val: 1 right. Labels alternate 0/1 by id.
  const rows = [
    { id: 1, split: "test", label: 0, p: 0.2 },
    { id: 2, split: "test", label: 1, p: 0.9 },
    { id: 3, split: "test", label: 0, p: 0.7 },
    { id: 4, split: "val", label: 1, p: 0.8 },
  ].map((r) => ({
    id: r.id,
    index: r.id,
    key: `k${r.id}`,
    split: r.split,
    label: r.label,
    score: 5,
    movie_id: null,
    word_count: 3,
    token_count: 3,
    oov_count: 0,
    truncated: false,
    preview: "",
    result: {
      epoch: 2,
      loss: 0.1,
      p_positive: r.p,
      p_label: 0.5,
      prediction: r.p >= 0.5 ? 1 : 0,
      correct: (r.p >= 0.5 ? 1 : 0) === r.label,
    },
  }));
  const answers: Record<string, unknown> = {
    "/api/versions/7": { ...version, epochs_done: 2, status: "trained" },
    "/api/projects/1": { id: 1, name: "imdb", description: "", ui_state: {} },
    "/api/projects/1/datasets": [dataset],
    "/api/versions/7/samples": { items: rows, total: rows.length, offset: 0, limit: 1000 },
    "/api/versions/7/metrics/epochs": {
      version_id: 7,
      items: [
        { epoch: 1, split: "test", loss: 0.7, accuracy: 0.5, count: 3, seconds: 1 },
        { epoch: 2, split: "test", loss: 0.4, accuracy: 0.667, count: 3, seconds: 1 },
      ],
    },
  };
  let requested: string[] = [];
  beforeEach(() => {
    requested = [];
    stubChartCanvas();
    stubFetch((req: Request) => {
      const url = new URL(req.url);
      requested.push(url.pathname + url.search);
      const body = answers[url.pathname];
      return jsonOr404(body);
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it("reports the chosen epoch and split from the version's results", async () => {
    renderReportAt("/projects/1/versions/7/report?epoch=2&split=test");
    const summary = await screen.findByRole("table", { name: "summary per split" });
    const cells = (split: string) => within(summary).getByText(split).closest("tr")?.textContent;
    expect(cells("test")).toBe("test366.7%1.0001.000");
    expect(cells("val")).toBe("val1100.0%–1.000"); // no negative: no ROC AUC; AP is defined
    const confusion = screen.getByRole("table", { name: "confusion matrix" });
    expect([...confusion.querySelectorAll("tbody td")].map((td) => td.textContent)).toEqual(["1", "1", "0", "1"]);
    expect(screen.getByRole("table", { name: "metrics per epoch" })).toHaveTextContent("20.40066.7%");
    expect(screen.getByRole("link", { name: /Checkpoint/ })).toHaveAttribute(
      "href",
      "/api/versions/7/checkpoint?epoch=2",
    );
    expect(requested.some((u) => u.startsWith("/api/versions/7/samples?") && u.includes("epoch=2"))).toBe(true);
  });
});

describe("ReportPage with three classes", () => {
  const HOSTILE = "<img src=x onerror=alert(1)>";
  const classes = ["politics", "science", HOSTILE];
  const v3 = { ...version, id: 8, dataset_id: 3, epochs_done: 1, status: "trained" };
  const dataset3 = { id: 3, name: "news", num_samples: 4, classes } as unknown as Dataset;
  const rows = [0, 1, 2, 0].map((label, k) => ({
    id: k + 1,
    index: k,
    key: `k${k}`,
    split: k < 3 ? "test" : "val",
    label,
    score: null,
    movie_id: null,
    word_count: 3,
    token_count: 3,
    oov_count: 0,
    truncated: false,
    preview: "",
    meta: {},
    result: { epoch: 1, loss: 0.3, p_positive: 0.2, p_label: 0.6, prediction: label, correct: true },
  }));
  const curve = (k: number, auc: number | null, ap: number | null, positives: number) => ({
    class_index: k,
    class_name: classes[k],
    positives,
    negatives: 4 - positives,
    roc_auc: auc,
    average_precision: ap,
    roc: { x: [0, 0.5, 1], y: [0, 0.9, 1] },
    pr: { x: [0, 1], y: [1, 0.5] },
  });
  const curves = (split: string, macroAuc: number, macroAp: number) => ({
    version_id: 8,
    epoch: 1,
    split,
    count: split === "val" ? 1 : 3,
    averaging: "one_vs_rest",
    classes,
    curves: [curve(0, 0.75, 0.5, 1), curve(1, 1, 1, 1), curve(2, 0.5, 0.25, 1)],
    macro: { roc_auc: macroAuc, average_precision: macroAp, classes_averaged: 3, roc: { x: [0, 1], y: [0, 1] } },
  });
  const requested: string[] = [];
  beforeEach(() => {
    requested.length = 0;
    stubChartCanvas();
    stubFetch((req: Request) => {
      const url = new URL(req.url);
      requested.push(url.pathname + url.search);
      const split = url.searchParams.get("split") ?? "";
      const body: unknown = {
        "/api/versions/8": v3,
        "/api/projects/1": { id: 1, name: "news", description: "", ui_state: {} },
        "/api/projects/1/datasets": [dataset3],
        "/api/versions/8/samples": { items: rows, total: rows.length, offset: 0, limit: 1000 },
        "/api/versions/8/metrics/epochs": { version_id: 8, items: [] },
        "/api/versions/8/metrics/curves":
          split === "train"
            ? null
            : curves(
                split,
                { test: 0.75, val: 0.5, all: 0.8 }[split] ?? 0,
                { test: 0.6, val: 0.4, all: 0.7 }[split] ?? 0,
              ),
      }[url.pathname];
      return jsonOr404(body);
    });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it("reports macro AUC and AP per split and one-vs-rest curves per class, class names as text", async () => {
    renderReportAt("/projects/1/versions/8/report?epoch=1&split=test");
    const summary = await screen.findByRole("table", { name: "summary per split" });
    expect(within(summary).getByText("ROC AUC (macro)")).toBeInTheDocument();
    const cells = (split: string) => within(summary).getByText(split).closest("tr")?.textContent;
    await within(summary).findByText("0.800");
    expect(cells("test")).toBe("test3100.0%0.7500.600");
    expect(cells("val")).toBe("val1100.0%0.5000.400");
    expect(cells("all")).toBe("all4100.0%0.8000.700");

    const perClass = await screen.findByRole("table", { name: "curves per class" });
    const body = [...perClass.querySelectorAll("tbody tr")].map((tr) => tr.textContent);
    expect(body).toEqual(["politics10.7500.500", "science11.0001.000", `${HOSTILE}10.5000.250`, "macro30.7500.600"]);
    expect(document.querySelector("img")).toBeNull();
    expect(screen.getByTestId("class-curves")).toHaveTextContent("one class against the rest");
    expect(requested).toContain("/api/versions/8/metrics/curves?epoch=1&split=test");
    // The confusion matrix has a row and a column per class.
    const confusion = screen.getByRole("table", { name: "confusion matrix" });
    expect(confusion.querySelectorAll("tbody tr")).toHaveLength(3);
  });
});
