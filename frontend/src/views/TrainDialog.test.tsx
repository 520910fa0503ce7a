import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { makeQueryClient } from "../App";
import type { ParamSpec } from "../api/analyses";
import { ARCHITECTURES } from "../test/architectures";
import { jsonResponse, stubFetch } from "../test/fetch";
import { TrainDialog } from "./dialogs";

/** A value just outside the spec's range (or of the wrong kind), to see the spec's own message. */
function badValue(spec: ParamSpec): string | null {
  if (spec.type === "integer" || spec.type === "number") {
    if (spec.maximum !== null) return String(spec.maximum + (spec.exclusive_maximum ? 0 : 1));
    if (spec.minimum !== null) return String(spec.minimum - (spec.exclusive_minimum ? 0 : 1));
    return "x";
  }
  if (spec.type === "integer_list") return "3, x";
  return null;
}

function renderTrain() {
  const created: unknown[] = [];
  stubFetch(async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/architectures") return jsonResponse(200, ARCHITECTURES);
    if (req.method === "POST" && path === "/api/projects/3/versions") {
      created.push(await req.json());
      return jsonResponse(201, { id: 11 });
    }
    if (req.method === "POST" && path === "/api/versions/11/train")
      return jsonResponse(202, { id: 5, kind: "train", state: "PENDING" });
    return jsonResponse(404, { detail: `unexpected ${req.method} ${path}` });
  });
  const onStarted = vi.fn();
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <TrainDialog projectId={3} version={null} onClose={() => undefined} onStarted={onStarted} />
    </QueryClientProvider>,
  );
  return { created, onStarted };
}

const form = () => screen.getByRole("form", { name: "Train" });
const field = (name: string) => form().querySelector<HTMLInputElement | HTMLSelectElement>(`[name="${name}"]`);

describe("the Train dialog, built from the architecture specs", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("offers every architecture the API serves", async () => {
    renderTrain();
    const select = await waitFor(() => screen.getByRole("combobox", { name: "Architecture" }));
    expect([...(select as HTMLSelectElement).options].map((o) => o.value)).toEqual(ARCHITECTURES.map((a) => a.name));
    expect((select as HTMLSelectElement).value).toBe(ARCHITECTURES.find((a) => a.default)?.name);
  });

  for (const arch of ARCHITECTURES) {
    it(`${arch.title}: renders each field with its default and help, and validates it with the spec's words`, async () => {
      const { created, onStarted } = renderTrain();
      const select = await waitFor(() => screen.getByRole("combobox", { name: "Architecture" }));
      fireEvent.change(select, { target: { value: arch.name } });
      expect(within(form()).getByText(arch.description)).toBeInTheDocument();

      for (const spec of arch.params) {
        const input = field(spec.name);
        expect(input, spec.name).not.toBeNull();
        if (spec.type === "boolean") expect((input as HTMLInputElement).checked).toBe(spec.default === true);
        else if (spec.default !== null)
          expect(input!.value).toBe(Array.isArray(spec.default) ? spec.default.join(", ") : String(spec.default));
        if (spec.help)
          expect(
            within(form()).getAllByText(new RegExp(spec.help.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
              .length,
          ).toBeGreaterThan(0);
      }

      // Every bounded field, one at a time: out of range is refused with a message that names the field.
      for (const spec of arch.params) {
        const bad = badValue(spec);
        if (bad === null) continue;
        const input = field(spec.name)!;
        const good = input.value;
        fireEvent.change(input, { target: { value: bad } });
        fireEvent.click(screen.getByRole("button", { name: "Start training" }));
        const alert = await screen.findByRole("alert");
        expect(alert.textContent).toContain(spec.title.charAt(0).toUpperCase() + spec.title.slice(1));
        expect(input.getAttribute("aria-invalid")).toBe("true");
        fireEvent.change(input, { target: { value: good } });
      }
      expect(created).toEqual([]);

      fireEvent.click(screen.getByRole("button", { name: "Start training" }));
      await waitFor(() => expect(onStarted).toHaveBeenCalledWith(11));
      const body = created[0] as { architecture: string; hyperparameters: Record<string, unknown> };
      expect(body.architecture).toBe(arch.name);
      // The defaults were sent as shown (a nullable field left empty is left out: the server's null applies).
      for (const spec of arch.params) expect(body.hyperparameters[spec.name] ?? null).toEqual(spec.default);
    });
  }
});
