import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, within } from "@testing-library/react";
import { makeQueryClient } from "../../App";
import { FieldScatter } from "./FieldScatter";
import { jsonOr404, stubFetch } from "../../test/fetch";
import { stubChartCanvas } from "../../test/chart";

const HOSTILE = "<img src=x onerror=alert(1)>";

const builtin = [
  { name: "loss", title: "Loss", kind: "number", source: "result" },
  { name: "p_positive", title: "p(science)", kind: "number", source: "result" },
  { name: "token_count", title: "Length (tokens)", kind: "number", source: "sample" },
  {
    name: "label",
    title: "Label",
    kind: "category",
    source: "sample",
    categories: ["politics", "science", "sports"],
    distinct: 3,
  },
];
const customFields = [
  ...builtin,
  { name: "meta:length", title: "length", kind: "number", source: "meta" },
  {
    name: "meta:source",
    title: "source",
    kind: "category",
    source: "meta",
    categories: ["wire", HOSTILE],
    distinct: 2,
  },
  { name: `meta:${HOSTILE}`, title: HOSTILE, kind: "number", source: "meta" },
];
const imdbFields = [
  ...builtin.slice(0, 2),
  { name: "score", title: "User score", kind: "number", source: "sample" },
  ...builtin.slice(2),
];

function sampleRow(id: number, loss: number, score: number | null, meta: Record<string, unknown>) {
  return {
    id,
    index: id,
    key: `k${id}`,
    split: "test",
    label: id % 3,
    score,
    movie_id: null,
    word_count: 5,
    token_count: 6,
    oov_count: 0,
    truncated: false,
    preview: "",
    meta,
    result: { epoch: 2, loss, p_positive: 0.3, p_label: 0.4, prediction: 0, correct: id % 3 === 0 },
  };
}

const rows = [
  sampleRow(1, 1.0, 2, { length: 10.5, source: "wire", [HOSTILE]: 1 }),
  sampleRow(2, 0.2, 9, { length: 22.25, source: HOSTILE, [HOSTILE]: 2 }),
  sampleRow(3, 0.6, 9, { length: null, source: "wire", [HOSTILE]: 3 }),
  sampleRow(4, 0.4, null, { length: 3.75, source: null, [HOSTILE]: null }),
];

function serve(fields: unknown[]) {
  stubFetch((req: Request) => {
    const path = new URL(req.url).pathname;
    const body =
      path === "/api/versions/7/fields"
        ? { version_id: 7, dataset_id: 2, fields }
        : path === "/api/versions/7/samples"
          ? { items: rows, total: rows.length, offset: 0, limit: 1000 }
          : null;
    return jsonOr404(body);
  });
}

function renderScatter(props: Partial<Parameters<typeof FieldScatter>[0]> = {}) {
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <FieldScatter versionId={7} epoch={2} {...props} />
    </QueryClientProvider>,
  );
}

const caption = () => screen.getByTestId("field-scatter-caption");

describe("FieldScatter", () => {
  beforeEach(() => {
    stubChartCanvas();
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it("defaults to the user score against the loss, as means per score", async () => {
    serve(imdbFields);
    renderScatter();
    expect(await screen.findByText("mean Loss per User score · 3 samples")).toBeInTheDocument();
    expect(screen.getByLabelText("x axis")).toHaveValue("score");
    expect(screen.getByLabelText("y axis")).toHaveValue("loss");
    // y takes numbers only; x takes categories too.
    expect(within(screen.getByLabelText("y axis")).queryByText("Label")).toBeNull();
    expect(within(screen.getByLabelText("x axis")).getByText("Label")).toBeInTheDocument();
  });

  it("offers a custom dataset's metadata columns on both axes, names as text", async () => {
    serve(customFields);
    renderScatter();
    // No score: the first metadata number is x; its values are not whole, so every sample is drawn.
    expect(await screen.findByText("3 samples")).toBeInTheDocument();
    const x = screen.getByLabelText("x axis");
    expect(x).toHaveValue("meta:length");
    const group = x.querySelector("optgroup");
    expect(group).toHaveAttribute("label", "Dataset metadata");
    expect([...(group?.querySelectorAll("option") ?? [])].map((o) => o.textContent)).toEqual([
      "length",
      "source",
      HOSTILE,
    ]);
    expect(within(screen.getByLabelText("y axis")).getByText("length")).toBeInTheDocument();
    expect(within(screen.getByLabelText("y axis")).queryByText("source")).toBeNull();

    fireEvent.change(x, { target: { value: "meta:source" } });
    expect(caption()).toHaveTextContent("mean Loss per source · 3 samples");
    fireEvent.change(screen.getByLabelText("y axis"), { target: { value: `meta:${HOSTILE}` } });
    expect(caption()).toHaveTextContent(`mean ${HOSTILE} per source · 3 samples`);
    // Uploaded text never becomes markup.
    expect(document.querySelector("img")).toBeNull();
  });

  it("saves the choice through onSettings and falls back from a field this version lacks", async () => {
    serve(customFields);
    const onSettings = vi.fn();
    renderScatter({ settings: { x: "score", y: "meta:length" }, onSettings });
    // "score" is not a field of this dataset: x falls back; the saved y is kept.
    expect(await screen.findByText("3 samples")).toBeInTheDocument();
    expect(screen.getByLabelText("x axis")).toHaveValue("meta:length");
    expect(screen.getByLabelText("y axis")).toHaveValue("meta:length");
    fireEvent.change(screen.getByLabelText("x axis"), { target: { value: "label" } });
    expect(onSettings).toHaveBeenCalledWith({ x: "label", y: "meta:length" });
  });
});
