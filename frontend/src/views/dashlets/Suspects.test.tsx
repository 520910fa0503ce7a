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
  const summaries: number[] = [];
  beforeEach(() => {
    puts.length = 0;
    summaries.length = 0;
    stubFetch(async (req: Request) => {
      const url = new URL(req.url);
      if (req.method === "PUT") {
        puts.push({ path: url.pathname, body: (await req.json()) as Record<string, unknown> });
        return jsonResponse(200, {});
      }
      // The dashlet asks whether a ranking exists before it asks for the list.
      if (url.pathname.endsWith("/suspects/status"))
        return jsonResponse(200, { status: "done", ranking: page.ranking, job_id: null });
      if (url.pathname.endsWith("/suspects/summary")) {
        // The server counts the whole split; here the split is the page.
        const threshold = Number(url.searchParams.get("threshold"));
        summaries.push(threshold);
        return jsonResponse(200, {
          ranking: page.ranking,
          split: "train",
          threshold,
          total: 3,
          passing: page.items.filter((r) => r.score >= threshold).length,
          reviewed: { confirmed: 1, dismissed: 1, precision: 0.5 },
          reviewed_passing: { confirmed: 1, dismissed: 0, precision: 1 },
          estimate: {
            precision: 0.42,
            precision_source: "benchmark",
            recall: 0.8,
            recall_source: "benchmark",
            benchmark: "IMDB train, 5% flipped",
          },
        });
      }
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
    // Two of three pass the default 0.9 threshold, counted by the server; the estimate names its source, and
    // precision so far among the reviewed is confirmed / (confirmed + rejected).
    await waitFor(() => expect(screen.getByTestId("suspects-threshold").textContent).toBe("2 of 3 pass"));
    expect(screen.getByTestId("suspects-estimate").textContent).toContain(
      "est. precision 42%, recall 80% (from the synthetic benchmark)",
    );
    expect(screen.getByTestId("suspects-precision").textContent).toContain(
      "precision so far among reviewed 50% (1/2; above the threshold 1/1)",
    );
    fireEvent.change(screen.getByLabelText("score threshold"), { target: { value: "0.4" } });
    await waitFor(() => expect(screen.getByTestId("suspects-threshold").textContent).toBe("3 of 3 pass"));
    expect(summaries).toEqual([0.9, 0.4]);

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
