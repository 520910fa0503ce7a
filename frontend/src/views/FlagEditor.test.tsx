import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { makeQueryClient } from "../App";
import type { Flag } from "../api/flags";
import { jsonResponse, stubFetch } from "../test/fetch";
import { FlagEditor } from "./FlagEditor";

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
});
