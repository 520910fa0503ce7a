import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { useState } from "react";
import { makeQueryClient } from "../App";
import type { Version } from "../api/client";
import type { VersionComparison } from "../api/compare";
import { FlagsView } from "./FlagsView";
import { jsonResponse, stubFetch } from "../test/fetch";

const version = (id: number, name: string) =>
  ({
    id,
    project_id: 1,
    dataset_id: 2,
    name,
    architecture: "cnn",
    seed: 1,
    status: "trained",
    epochs_done: 3,
  }) as unknown as Version;
const outcome = (prediction: number, loss: number) => ({ prediction, loss, p_positive: prediction ? 0.9 : 0.1 });

const comparison: VersionComparison = {
  a: 4,
  b: 5,
  epoch_a: 3,
  epoch_b: 2,
  classes: ["neg", "pos"],
  splits: [
    {
      split: "train",
      a: { accuracy: 0.9, loss: 0.25, count: 10 },
      b: { accuracy: 0.95, loss: 0.2, count: 10 },
      changed: 1,
      fixed: 1,
      broken: 0,
    },
    {
      split: "test",
      a: { accuracy: 0.8, loss: 0.5, count: 5 },
      b: { accuracy: 0.7, loss: 0.6, count: 5 },
      changed: 2,
      fixed: 0,
      broken: 1,
    },
  ],
  changed_total: 302,
  changed: [
    { sample_id: 11, split: "train", label: 1, label_name: "pos", a: outcome(0, 1.5), b: outcome(1, 0.1) },
    { sample_id: 12, split: "test", label: 1, label_name: "pos", a: outcome(1, 0.2), b: outcome(0, 1.2) },
  ],
  flagged_summary: { count: 0, agree_a: 0, agree_b: 0, mean_loss_a: null, mean_loss_b: null },
  flagged: [],
};

describe("FlagsView's version comparison", () => {
  const requested: string[] = [];
  beforeEach(() => {
    requested.length = 0;
    stubFetch((req: Request) => {
      const url = new URL(req.url);
      requested.push(url.pathname + url.search);
      const body =
        url.pathname === "/api/versions/compare" ? comparison : { items: [], total: 0, offset: 0, limit: 50 };
      return jsonResponse(200, body);
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows what GET /versions/compare answers, and opens a changed sample", async () => {
    const onOpen = vi.fn();
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <FlagsView projectId={1} versions={[version(4, "base"), version(5, "retrained")]} onOpenSample={onOpen} />
      </QueryClientProvider>,
    );
    const figures = await screen.findByRole("table", { name: "version comparison" });
    const rows = [...figures.querySelectorAll("tbody tr")].map((tr) => tr.textContent);
    expect(rows).toEqual(["train90.0%95.0%+5.0 pt0.2500.200", "test80.0%70.0%-10.0 pt0.5000.600"]);
    expect(requested).toContain("/api/versions/compare?a=4&b=5&limit=300");
    // Only the comparison is read: no full download of either version's results.
    expect(requested.some((r) => r.includes("/samples"))).toBe(false);
    expect(screen.getByText("epoch 3 of base vs epoch 2 of retrained")).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Samples whose prediction changed (302)" })).toBeInTheDocument();
    expect(screen.getByText("The first 2 are listed.")).toBeInTheDocument();

    const changed = screen.getByRole("table", { name: "changed predictions" });
    const fixedRow = within(changed).getByText("11").closest("tr") as HTMLElement;
    // Class names, not 0/1: labelled pos, predicted neg by A and pos by B.
    expect(fixedRow.textContent).toBe("11posnegpos1.500 → 0.100");
    fireEvent.click(fixedRow);
    expect(onOpen).toHaveBeenCalledWith(11);
  });
});

const flag = (id: number, sampleId: number) => ({
  id,
  project_id: 1,
  sample_id: sampleId,
  sample_key: `train/neg/${sampleId}_1`,
  split: "train",
  label: 0,
  label_name: "neg",
  state: "suspected",
  corrected_label: null,
  corrected_name: null,
  source: "manual",
  note: "",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
});

describe("FlagsView's flag list", () => {
  beforeEach(() => {
    stubFetch((req: Request) => {
      const url = new URL(req.url);
      if (url.pathname === "/api/projects/1/flags" && url.searchParams.get("state") !== "suspected")
        return jsonResponse(200, { items: [flag(1, 31), flag(2, 32), flag(3, 33)], total: 3, offset: 0, limit: 50 });
      return jsonResponse(200, { items: [], total: 0, offset: 0, limit: 1 });
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("steps through the flagged samples with ↓ / ↑, opening each, as the drawer's route would", async () => {
    const opened: number[] = [];
    function WithDrawer() {
      const [open, setOpen] = useState<number | null>(null);
      return (
        <FlagsView
          projectId={1}
          versions={[]}
          selectedSample={open}
          onOpenSample={(id) => {
            opened.push(id);
            setOpen(id);
          }}
        />
      );
    }
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <WithDrawer />
      </QueryClientProvider>,
    );
    const table = await screen.findByTestId("flag-table");
    fireEvent.keyDown(document.body, { key: "ArrowDown" }); // none open: the first
    fireEvent.keyDown(document.body, { key: "ArrowDown" });
    fireEvent.keyDown(document.body, { key: "ArrowDown" });
    fireEvent.keyDown(document.body, { key: "ArrowDown" }); // past the end: stays
    fireEvent.keyDown(document.body, { key: "ArrowUp" });
    expect(opened).toEqual([31, 32, 33, 32]);
    expect(table.querySelector("tr.selected")?.getAttribute("data-sample-id")).toBe("32");
    // Keys typed into the filters are not steps.
    fireEvent.keyDown(screen.getByLabelText("flag state"), { key: "ArrowDown" });
    expect(opened).toHaveLength(4);
  });
});
