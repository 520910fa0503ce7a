import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { makeQueryClient } from "../App";
import { ARCHITECTURES } from "../test/architectures";
import { jsonResponse, stubFetch } from "../test/fetch";
import { SweepDialog } from "./SweepDialog";

function renderSweep() {
  const created: Record<string, unknown>[] = [];
  stubFetch(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/architectures") return jsonResponse(200, ARCHITECTURES);
    if (req.method === "POST" && path === "/api/projects/3/sweeps") {
      created.push((await req.json()) as Record<string, unknown>);
      return jsonResponse(201, { id: 9 });
    }
    return jsonResponse(404, { detail: `unexpected ${req.method} ${path}` });
  });
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <MemoryRouter>
        <SweepDialog projectId={3} onClose={() => undefined} />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return created;
}

const spaceTable = () => screen.getByRole("table", { name: "search space" });
const row = (name: string) => spaceTable().querySelector(`tr[data-param="${name}"]`) as HTMLElement;
const json = () => JSON.parse(screen.getByTestId("space-json").textContent ?? "{}") as Record<string, unknown>;

// Rendering a dialog with every field takes a few seconds on a busy, shared machine: not a timed test.
const SLOW = 30_000;

describe("the Sweep dialog's search space form", () => {
  afterEach(() => vi.unstubAllGlobals());

  for (const arch of ARCHITECTURES) {
    it(
      `${arch.title}: a row per hyperparameter and epochs, a range only for numbers`,
      async () => {
        renderSweep();
        const select = await waitFor(() => {
          const s = screen.getByRole<HTMLSelectElement>("combobox", { name: "Architecture" });
          expect(s.options).toHaveLength(ARCHITECTURES.length);
          return s;
        });
        fireEvent.change(select, { target: { value: arch.name } });
        const names = [...spaceTable().querySelectorAll("tr")].map((tr) => tr.getAttribute("data-param"));
        expect(names).toEqual([...arch.params.map((p) => p.name), "epochs"]);
        for (const spec of arch.params) {
          const how = within(row(spec.name)).getByRole("combobox", { name: `${spec.title}: how to sweep` });
          const modes = [...(how as HTMLSelectElement).options].map((o) => o.value);
          const numeric = spec.type === "integer" || spec.type === "number";
          expect(modes).toEqual(numeric ? ["fixed", "values", "range"] : ["fixed", "values"]);
        }
      },
      SLOW,
    );
  }

  it(
    "builds the space from the rows, shows its JSON, checks it with the specs' words and sends it",
    async () => {
      const created = renderSweep();
      await waitFor(() => expect(row("learning_rate")).toBeTruthy());
      // The start: learning rate on a log range, dropout from a list.
      expect(json()).toEqual({ learning_rate: { min: 0.0001, max: 0.01, log: true }, dropout: [0.2, 0.5] });
      fireEvent.change(within(row("optimizer")).getByRole("combobox"), { target: { value: "values" } });
      fireEvent.change(screen.getByLabelText("optimiser values"), { target: { value: "adam, rmsprop" } });
      fireEvent.change(within(row("dropout")).getByRole("combobox"), { target: { value: "fixed" } });
      fireEvent.click(within(row("learning_rate")).getByRole("checkbox"));
      expect(json()).toEqual({ learning_rate: { min: 0.0001, max: 0.01 }, optimizer: ["adam", "rmsprop"] });

      fireEvent.click(screen.getByRole("button", { name: "Start sweep" }));
      expect(await screen.findByRole("alert")).toHaveTextContent("Optimiser must be one of adam, adamw, sgd, adagrad");
      expect(within(row("optimizer")).getByText(/must be one of/)).toBeInTheDocument();
      fireEvent.change(screen.getByLabelText("optimiser values"), { target: { value: "adam, sgd" } });

      // Grid search takes no range: the option is off and a range already chosen is named.
      fireEvent.change(screen.getByRole("combobox", { name: "Strategy" }), { target: { value: "grid" } });
      fireEvent.click(screen.getByRole("button", { name: "Start sweep" }));
      expect(await screen.findByRole("alert")).toHaveTextContent("Learning rate: a range needs random search");
      fireEvent.change(within(row("learning_rate")).getByRole("combobox"), { target: { value: "values" } });
      fireEvent.change(screen.getByLabelText("learning rate values"), { target: { value: "0.001, 0.003" } });
      fireEvent.change(within(row("epochs")).getByRole("combobox"), { target: { value: "values" } });
      fireEvent.change(screen.getByLabelText("epochs values"), { target: { value: "1, 2" } });
      fireEvent.click(screen.getByRole("button", { name: "Start sweep" }));
      await waitFor(() => expect(created).toHaveLength(1));
      expect(created[0]).toMatchObject({
        architecture: "cnn",
        strategy: "grid",
        space: { learning_rate: [0.001, 0.003], optimizer: ["adam", "sgd"], epochs: [1, 2] },
      });
    },
    SLOW,
  );

  it(
    "sends median pruning when it is chosen, with its two fields",
    async () => {
      const created = renderSweep();
      await waitFor(() => expect(row("learning_rate")).toBeTruthy());
      expect(screen.queryByRole("textbox", { name: "Epochs before a trial may be stopped" })).toBeNull();
      fireEvent.change(screen.getByRole("combobox", { name: "Stop trials that fall behind" }), {
        target: { value: "median" },
      });
      fireEvent.change(screen.getByRole("textbox", { name: "Epochs before a trial may be stopped" }), {
        target: { value: "1" },
      });
      fireEvent.change(screen.getByRole("textbox", { name: "Completed trials before any is stopped" }), {
        target: { value: "3" },
      });
      fireEvent.click(screen.getByRole("button", { name: "Start sweep" }));
      await waitFor(() => expect(created).toHaveLength(1));
      expect(created[0]).toMatchObject({ pruning: { warmup_epochs: 1, min_trials: 3 } });
    },
    SLOW,
  );
});
