import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { makeQueryClient } from "../App";
import type { AnalysisMethod } from "../api/analyses";
import type { Version } from "../api/client";
import { jsonResponse, stubFetch } from "../test/fetch";
import { paramSpec } from "../test/specs";
import { SamplePanel } from "./SamplePanel";

// As GET /api/analysis-methods describes them: the default need not come first.
const METHODS: AnalysisMethod[] = [
  {
    name: "saliency",
    title: "Saliency",
    default: false,
    params: [paramSpec("abs", { type: "boolean", advanced: true })],
  },
  {
    name: "occlusion",
    title: "Occlusion",
    default: true,
    params: [
      paramSpec("window", { title: "window (words)", help: "words hidden at a time", minimum: 1, maximum: 20 }),
      paramSpec("stride", { advanced: true }),
    ],
  },
];

const version = { id: 5, project_id: 3, epochs_done: 1, name: "v" } as unknown as Version;
const sample = {
  id: 9,
  index: 0,
  key: "k9",
  split: "test",
  label: 1,
  label_name: "pos",
  score: 8,
  movie_id: null,
  word_count: 2,
  token_count: 2,
  oov_count: 0,
  truncated: false,
  text: "great film",
  meta: {},
  dataset_id: 2,
  classes: ["neg", "pos"],
  results: [{ epoch: 1, loss: 0.1, p_positive: 0.9, p_label: 0.9, prediction: 1, correct: true }],
};

describe("SamplePanel's analysis methods", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("lists the API's methods and their main parameters, and sends what was picked", async () => {
    const posted: unknown[] = [];
    stubFetch(async (req: Request) => {
      const path = new URL(req.url).pathname;
      if (path === "/api/analysis-methods") return jsonResponse(200, METHODS);
      if (path === "/api/samples/9") return jsonResponse(200, sample);
      if (path === "/api/versions/5/analyses") {
        posted.push(await req.json());
        return jsonResponse(503, { detail: "no worker" });
      }
      return jsonResponse(404, { detail: "not found" });
    });
    render(
      <QueryClientProvider client={makeQueryClient()}>
        <SamplePanel sampleId={9} version={version} epoch={1} onClose={() => {}} onOpenSample={() => {}} />
      </QueryClientProvider>,
    );
    const picker = await screen.findByLabelText("attribution method");
    expect([...within(picker).getAllByRole("option")].map((o) => o.textContent)).toEqual(["Saliency", "Occlusion"]);
    expect(picker).toHaveValue("occlusion");
    // Only the main parameter shows, labelled and bounded as described; advanced ones keep their defaults.
    const window = screen.getByLabelText("window (words)");
    expect(window).toHaveAttribute("min", "1");
    expect(window).toHaveAttribute("max", "20");
    expect(window).toHaveAttribute("placeholder", "1");
    expect(screen.queryByLabelText("stride")).toBeNull();
    fireEvent.change(window, { target: { value: "3" } });
    fireEvent.click(screen.getByRole("button", { name: "Analyze" }));
    await waitFor(() => expect(posted).toHaveLength(1));
    expect(posted[0]).toEqual({ sample_id: 9, method: "occlusion", params: { window: 3 }, epoch: 1 });

    fireEvent.change(picker, { target: { value: "saliency" } });
    expect(screen.queryByLabelText("window (words)")).toBeNull();
    expect(screen.getByText("Saliency · nothing is stored")).toBeInTheDocument();
  });
});
