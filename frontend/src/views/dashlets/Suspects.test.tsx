import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { makeQueryClient } from "../../App";
import type { Schemas } from "../../api/client";
import { jsonResponse, stubFetch } from "../../test/fetch";
import { Suspects } from "./Suspects";

const suspect = (rank: number, sampleId: number, score: number, flag: string | null): Schemas["SuspectOut"] => ({
  rank,
  sample_id: sampleId,
  key: `k${sampleId}`,
  split: "train",
  label: 0,
  label_name: "world",
  suggested_label: 2,
  suggested_name: "sports",
  p_suggested: 0.8,
  score,
  reason: "labelled world but the out-of-sample model says sports (p=0.80)",
  p_positive: 0.1,
  loss: 2.3,
  label_issue: true,
  fold: 0,
  signals: {},
  flag_state: flag,
  flag_source: flag ? "ranking" : null,
});

const page = {
  ranking: {
    id: 1,
    version_id: 7,
    job_id: 3,
    epoch: 2,
    folds: 5,
    splits: ["train", "val", "test"],
    status: "done",
    method: {},
    created_at: "2026-01-01T00:00:00Z",
    finished_at: "2026-01-01T00:01:00Z",
  },
  items: [suspect(1, 41, 0.99, null), suspect(2, 42, 0.95, "confirmed"), suspect(3, 43, 0.5, null)],
  total: 3,
  offset: 0,
  limit: 200,
};

describe("the suspects dashlet", () => {
  const puts: { path: string; body: Record<string, unknown> }[] = [];
  beforeEach(() => {
    puts.length = 0;
    stubFetch(async (req: Request) => {
      const url = new URL(req.url);
      if (req.method === "PUT") {
        puts.push({ path: url.pathname, body: (await req.json()) as Record<string, unknown> });
        return jsonResponse(200, {});
      }
      // The dashlet asks whether a ranking exists before it asks for the list.
      if (url.pathname.endsWith("/suspects/status"))
        return jsonResponse(200, { status: "done", ranking: page.ranking, job_id: null });
      return jsonResponse(200, page);
    });
  });
  afterEach(() => vi.unstubAllGlobals());

  it("shows class names, flag states and the threshold count; keys review with ranking-sourced flags", async () => {
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <Suspects versionId={7} projectId={1} onOpen={vi.fn()} />
      </QueryClientProvider>,
    );
    const table = await screen.findByTestId("suspects-table");
    const first = within(table).getByText("41").closest("tr") as HTMLElement;
    expect(first.textContent).toContain("world");
    expect(first.textContent).toContain("sports");
    expect(within(table).getByText("42").closest("tr")?.getAttribute("data-flag")).toBe("confirmed");
    // Two of three pass the default 0.9 threshold.
    expect(screen.getByTestId("suspects-threshold").textContent).toContain("2 of 3 pass");
    fireEvent.change(screen.getByLabelText("score threshold"), { target: { value: "0.4" } });
    expect(screen.getByTestId("suspects-threshold").textContent).toContain("3 of 3 pass");

    // j moves to the second row, k back to the first; c confirms it with the suggested label.
    const scroller = table.parentElement as HTMLElement;
    fireEvent.keyDown(scroller, { key: "j" });
    fireEvent.keyDown(scroller, { key: "k" });
    fireEvent.keyDown(scroller, { key: "c" });
    await waitFor(() => expect(puts).toHaveLength(1));
    expect(puts[0]).toEqual({
      path: "/api/projects/1/flags/41",
      body: { state: "confirmed", corrected_label: 2, note: "", source: "ranking" },
    });
    // r rejects the next one (the cursor moved on after the decision).
    fireEvent.keyDown(scroller, { key: "r" });
    await waitFor(() => expect(puts).toHaveLength(2));
    expect(puts[1]?.path).toBe("/api/projects/1/flags/42");
    expect(puts[1]?.body.state).toBe("dismissed");
  });

  it("steps through the suspects with ↓/↑ and j/k, opening each, and keeps the keys from the samples table", async () => {
    const onOpen = vi.fn();
    const windowKeys = vi.fn();
    window.addEventListener("keydown", windowKeys);
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <Suspects versionId={7} projectId={1} onOpen={onOpen} />
      </QueryClientProvider>,
    );
    const table = await screen.findByTestId("suspects-table");
    const scroller = table.parentElement as HTMLElement;
    const selected = () => table.querySelector("tr.selected")?.getAttribute("data-row");
    fireEvent.keyDown(scroller, { key: "ArrowDown" });
    expect(onOpen).toHaveBeenLastCalledWith(42);
    expect(selected()).toBe("1");
    fireEvent.keyDown(scroller, { key: "j" });
    expect(onOpen).toHaveBeenLastCalledWith(43);
    // The last row stays the last.
    fireEvent.keyDown(scroller, { key: "ArrowDown" });
    expect(onOpen).toHaveBeenLastCalledWith(43);
    fireEvent.keyDown(scroller, { key: "ArrowUp" });
    expect(onOpen).toHaveBeenLastCalledWith(42);
    fireEvent.keyDown(scroller, { key: "k" });
    expect(onOpen).toHaveBeenLastCalledWith(41);
    expect(selected()).toBe("0");
    // Typing a threshold is not a step.
    fireEvent.keyDown(screen.getByLabelText("score threshold"), { key: "ArrowDown" });
    expect(onOpen).toHaveBeenCalledTimes(5);
    expect(windowKeys.mock.calls.filter(([e]) => (e as KeyboardEvent).key.startsWith("Arrow"))).toHaveLength(1);
    window.removeEventListener("keydown", windowKeys);
  });
});
