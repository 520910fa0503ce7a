import { act, render, screen } from "@testing-library/react";
import type { Job } from "../api/client";
import { JobToasts, progressText, SUCCESS_TOAST_MS } from "./JobToasts";

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

describe("job notifications", () => {
  it("shows the training task's progress fields", () => {
    const d = { epoch: 2, epochs: 3, batch: 120, batches: 390, loss: 0.41234, accuracy: 0.8125 };
    expect(progressText(job({ detail: d }))).toBe("epoch 2/3 · batch 120/390 · loss 0.412 · acc 81.3%");
    expect(progressText(job({ detail: { epoch: 1, epochs: 1, stage: "evaluating" } }))).toBe("epoch 1/1 · evaluating");
    expect(progressText(job({ detail: {} }))).toBe("");
  });

  it("lets a success go after a while and keeps a failure with its reason", () => {
    vi.useFakeTimers();
    try {
      const jobs = [
        job({ id: 2, state: "SUCCESS", kind: "map" }),
        job({ id: 3, state: "FAILURE", kind: "analyze", error: "UMAP failed: boom" }),
      ];
      render(<JobToasts jobs={jobs} connected />);
      expect(screen.getAllByTestId("job-card")).toHaveLength(2);
      act(() => {
        vi.advanceTimersByTime(SUCCESS_TOAST_MS + 10);
      });
      const left = screen.getAllByTestId("job-card");
      expect(left).toHaveLength(1);
      expect(left[0]?.dataset.state).toBe("FAILURE");
      expect(screen.getByText("UMAP failed: boom")).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });
});
