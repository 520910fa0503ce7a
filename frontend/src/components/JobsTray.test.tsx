import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen } from "@testing-library/react";
import type { Job } from "../api/client";
import { JobsTray, laneText, ordinal, progressText } from "./JobsTray";

function job(patch: Partial<Job>): Job {
  return {
    id: 1,
    kind: "train",
    state: "PROGRESS",
    progress: 0.4,
    message: "",
    error: null,
    project_id: 1,
    version_id: 1,
    dataset_id: 1,
    celery_task_id: null,
    params: {},
    detail: {},
    result: {},
    attempts: 1,
    created_at: "2026-01-01T00:00:00",
    started_at: null,
    finished_at: null,
    updated_at: "2026-01-01T00:00:00",
    ...patch,
  };
}

describe("the jobs tray", () => {
  it("shows the training task's progress fields", () => {
    const d = { epoch: 2, epochs: 3, batch: 120, batches: 390, loss: 0.41234, accuracy: 0.8125 };
    expect(progressText(job({ detail: d }))).toBe("epoch 2/3 · batch 120/390 · loss 0.412 · acc 81.3%");
    expect(progressText(job({ detail: { epoch: 1, epochs: 1, stage: "evaluating" } }))).toBe("epoch 1/1 · evaluating");
    expect(progressText(job({ detail: {} }))).toBe("");
  });

  it("names jobs as a person would, with their lane and place in it", () => {
    const queued = job({ state: "PENDING", title: "Mislabel ranking: fold 2 of 5", lane: "bulk", position: 3 });
    expect(laneText(queued)).toBe("3rd in the bulk lane");
    expect(laneText(job({ lane: "interactive" }))).toBe("interactive lane");
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map(ordinal)).toEqual([
      "1st",
      "2nd",
      "3rd",
      "4th",
      "11th",
      "12th",
      "13th",
      "21st",
      "22nd",
      "101st",
    ]);
    renderTray([queued]);
    expect(screen.getByText("Mislabel ranking: fold 2 of 5")).toBeInTheDocument();
    expect(screen.getByText("3rd in the bulk lane")).toBeInTheDocument();
  });

  it("lists running, then waiting by position, then finished; collapses; dismisses finished ones", () => {
    const jobs = [
      job({ id: 5, state: "PENDING", lane: "interactive", position: 2 }),
      job({ id: 4, state: "PENDING", lane: "interactive", position: 1 }),
      job({ id: 3, state: "FAILURE", kind: "analyze", error: "UMAP failed: boom" }),
      job({ id: 2, state: "SUCCESS", kind: "map" }),
      job({ id: 1, state: "PROGRESS", kind: "train" }),
    ];
    renderTray(jobs);
    const order = () => screen.getAllByTestId("job-card").map((c) => Number(c.dataset.jobId));
    expect(order()).toEqual([1, 4, 5, 3, 2]);
    expect(screen.getByText("UMAP failed: boom")).toBeInTheDocument();
    // Only unfinished jobs can be cancelled.
    expect(screen.getAllByRole("button", { name: "Cancel" })).toHaveLength(3);
    const toggle = screen.getByRole("button", { name: /Jobs · 1 running · 2 waiting · 2 finished/ });
    fireEvent.click(toggle);
    expect(screen.queryAllByTestId("job-card")).toHaveLength(0);
    fireEvent.click(toggle);
    fireEvent.click(screen.getAllByRole("button", { name: "Dismiss" })[0] as HTMLElement);
    expect(order()).toEqual([1, 4, 5, 2]);
    fireEvent.click(screen.getByRole("button", { name: "Dismiss finished" }));
    expect(order()).toEqual([1, 4, 5]);
  });
});

function renderTray(jobs: Job[]) {
  const qc = new QueryClient();
  return render(
    <QueryClientProvider client={qc}>
      <JobsTray jobs={jobs} connected />
    </QueryClientProvider>,
  );
}
