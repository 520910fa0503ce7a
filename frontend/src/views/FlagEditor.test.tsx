import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { makeQueryClient } from "../App";
import type { Flag } from "../api/flags";
import { useState } from "react";
import { jsonResponse, stubFetch } from "../test/fetch";
import { FlagEditor } from "./FlagEditor";
import { Suspects } from "./dashlets/Suspects";

describe("FlagEditor", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("starts its form from the saved flag after each change", async () => {
    let saved: Flag | null = null;
    const sent: string[] = [];
    stubFetch(async (req: Request) => {
      sent.push(req.method);
      // The lookup answers "none" for an unflagged sample (no 404).
      if (req.method === "GET") {
        expect(new URL(req.url).pathname).toBe("/api/projects/3/flags/9/lookup");
        return jsonResponse(200, { flag: saved });
      }
      if (req.method === "DELETE") {
        saved = null;
        return new Response(null, { status: 204 });
      }
      const body = (await req.json()) as Pick<Flag, "state" | "note" | "corrected_label" | "source">;
      // The server trims the note: the form shows what was stored, not what was typed.
      saved = {
        ...body,
        note: body.note.trim(),
        id: 1,
        project_id: 3,
        sample_id: 9,
        actor: "admin",
        revision: (saved?.revision ?? 0) + 1,
        created_at: "2026-01-01T00:00:00Z",
        updated_at: `2026-01-01T00:00:0${sent.length}Z`,
      };
      return jsonResponse(200, saved);
    });
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <FlagEditor projectId={3} sampleId={9} classes={["neg", "pos"]} label={0} />
      </QueryClientProvider>,
    );
    expect(await screen.findByText("Not flagged.")).toBeInTheDocument();

    fireEvent.change(screen.getByLabelText("flag note"), { target: { value: "  sarcasm  " } });
    fireEvent.change(screen.getByLabelText("corrected label"), { target: { value: "1" } });
    fireEvent.click(screen.getByRole("button", { name: "Confirm mislabel" }));
    await waitFor(() => expect(screen.getByTestId("flag-editor")).toHaveAttribute("data-state", "confirmed"));
    expect(screen.getByLabelText("flag note")).toHaveValue("sarcasm");
    expect(screen.getByLabelText("corrected label")).toHaveValue("1");
    expect(screen.getByText(/revision 1/)).toBeInTheDocument();

    fireEvent.click(screen.getByRole("button", { name: "Unflag" }));
    await waitFor(() => expect(screen.getByTestId("flag-editor")).toHaveAttribute("data-state", "none"));
    expect(screen.getByLabelText("flag note")).toHaveValue("");
    expect(screen.getByLabelText("corrected label")).toHaveValue("");
    expect(sent.filter((m) => m !== "GET")).toEqual(["PUT", "DELETE"]);
  });

  it("saves source ranking when opened from the suspects list, manual when opened elsewhere", async () => {
    const puts: { path: string; source: unknown }[] = [];
    const ranking = {
      id: 1,
      version_id: 7,
      job_id: 3,
      epoch: 2,
      folds: 3,
      splits: ["train"],
      status: "done",
      method: {},
      created_at: "2026-01-01T00:00:00Z",
      finished_at: "2026-01-01T00:01:00Z",
    };
    const item = {
      rank: 1,
      sample_id: 9,
      key: "k9",
      split: "train",
      label: 0,
      label_name: "neg",
      suggested_label: 1,
      suggested_name: "pos",
      p_suggested: 0.9,
      score: 0.99,
      reason: "r",
      p_positive: 0.9,
      loss: 2.3,
      label_issue: true,
      fold: 0,
      signals: {},
      flag_state: null,
      flag_source: null,
    };
    stubFetch(async (req: Request) => {
      const url = new URL(req.url);
      if (req.method === "PUT") {
        const body = (await req.json()) as Flag;
        puts.push({ path: url.pathname, source: body.source });
        return jsonResponse(200, {
          ...body,
          id: 1,
          project_id: 3,
          sample_id: 9,
          actor: "admin",
          revision: 1,
          created_at: "2026-01-01T00:00:00Z",
          updated_at: `2026-01-01T00:00:0${puts.length}Z`,
        });
      }
      if (url.pathname.endsWith("/lookup")) return jsonResponse(200, { flag: null });
      if (url.pathname.endsWith("/suspects/summary"))
        return jsonResponse(200, {
          ranking,
          split: "train",
          threshold: 0.9,
          total: 1,
          passing: 1,
          reviewed: { confirmed: 0, dismissed: 0, precision: null },
          reviewed_passing: { confirmed: 0, dismissed: 0, precision: null },
          estimate: null,
        });
      if (url.pathname.endsWith("/suspects/status"))
        return jsonResponse(200, { status: "done", ranking, job_id: null });
      return jsonResponse(200, { ranking, items: [item], total: 1, offset: 0, limit: 200 });
    });
    // The project page in small: the suspects list opens the sample panel's flag editor; so can another view.
    function Page() {
      const [open, setOpen] = useState<number | null>(null);
      return (
        <>
          <Suspects versionId={7} projectId={3} onOpen={setOpen} />
          <button type="button" onClick={() => setOpen(open === null ? 9 : null)}>
            toggle from the map
          </button>
          {open !== null && <FlagEditor projectId={3} sampleId={open} classes={["neg", "pos"]} label={0} />}
        </>
      );
    }
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <Page />
      </QueryClientProvider>,
    );
    fireEvent.click(within(await screen.findByTestId("suspects-table")).getByText("9"));
    expect(await screen.findByTestId("flag-source-hint")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Confirm mislabel" }));
    await waitFor(() => expect(puts).toEqual([{ path: "/api/projects/3/flags/9", source: "ranking" }]));

    // Closed, then opened from elsewhere: a manual flag again.
    fireEvent.click(screen.getByRole("button", { name: "toggle from the map" }));
    await waitFor(() => expect(screen.queryByTestId("flag-editor")).not.toBeInTheDocument());
    fireEvent.click(screen.getByRole("button", { name: "toggle from the map" }));
    fireEvent.click(await screen.findByRole("button", { name: "Flag as suspect" }));
    await waitFor(() => expect(puts).toHaveLength(2));
    expect(puts[1]?.source).toBe("manual");
    expect(screen.queryByTestId("flag-source-hint")).not.toBeInTheDocument();
  });
});
