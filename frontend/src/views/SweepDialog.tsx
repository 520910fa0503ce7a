import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { errorMessage } from "../api/client";
import { useCreateSweep, type SweepCreate } from "../api/sweeps";
import { FormFooter, Modal } from "../components/Overlay";
import { METRIC_TITLES, RANK_METRICS, isRankMetric } from "../lib/sweeps";

export interface SweepForm {
  name: string;
  architecture: string;
  strategy: string;
  budget: string;
  epochs: string;
  seed: string;
  metric: string;
  patience: string;
  stopOn: string;
  base: string;
  space: string;
}

export const DEFAULT_FORM: SweepForm = {
  name: "",
  architecture: "cnn",
  strategy: "random",
  budget: "8",
  epochs: "2",
  seed: "0",
  metric: "val_accuracy",
  patience: "",
  stopOn: "val_loss",
  base: "{}",
  space: JSON.stringify({ learning_rate: { min: 1e-4, max: 1e-2, log: true }, dropout: [0.2, 0.5] }, null, 2),
};

function jsonObject(text: string, what: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.trim() || "{}");
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${errorMessage(e)}`, { cause: e });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw new Error(`${what} must be a JSON object`);
  return parsed as Record<string, unknown>;
}

function wholeNumber(text: string, what: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || text.trim() === "") throw new Error(`${what} must be a whole number ≥ ${min}`);
  return n;
}

/** The request body, or an Error saying what to fix. The API validates the rest (its 422 is shown). */
export function sweepRequest(form: SweepForm): SweepCreate {
  const space = jsonObject(form.space, "the search space");
  if (Object.keys(space).length === 0) throw new Error("the search space names no hyperparameter");
  if (form.strategy !== "grid" && form.strategy !== "random") throw new Error("strategy is grid or random");
  if (!isRankMetric(form.metric)) throw new Error(`unknown metric ${form.metric}`);
  const stopOn = form.stopOn === "val_accuracy" ? "val_accuracy" : "val_loss";
  return {
    name: form.name.trim() || null,
    architecture: form.architecture.trim() || "cnn",
    strategy: form.strategy,
    budget: form.budget.trim() === "" ? null : wholeNumber(form.budget, "budget", 1),
    epochs: wholeNumber(form.epochs, "epochs", 1),
    seed: wholeNumber(form.seed, "seed", 0),
    metric: form.metric,
    hyperparameters: jsonObject(form.base, "the shared hyperparameters"),
    space,
    early_stopping:
      form.patience.trim() === "" ? null : { metric: stopOn, patience: wholeNumber(form.patience, "patience", 1) },
  };
}

export function SweepDialog({ projectId, onClose }: { projectId: number; onClose: () => void }) {
  const create = useCreateSweep(projectId);
  const navigate = useNavigate();
  const [form, setForm] = useState<SweepForm>(DEFAULT_FORM);
  const [localError, setLocalError] = useState<string | null>(null);
  const set = (key: keyof SweepForm) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    let body: SweepCreate;
    try {
      body = sweepRequest(form);
    } catch (err) {
      setLocalError(errorMessage(err));
      return;
    }
    setLocalError(null);
    create.mutate(body, { onSuccess: (sweep) => void navigate(`/projects/${projectId}/sweeps/${sweep.id}`) });
  };

  return (
    <Modal title="New hyperparameter sweep" onClose={onClose}>
      <form onSubmit={submit} className="form-grid" aria-label="Sweep">
        <label className="field">
          <span>Name</span>
          <input name="name" value={form.name} onChange={set("name")} placeholder="sweep-N" />
        </label>
        <label className="field">
          <span>Architecture</span>
          <input name="architecture" value={form.architecture} onChange={set("architecture")} />
        </label>
        <label className="field">
          <span>Strategy</span>
          <select name="strategy" value={form.strategy} onChange={set("strategy")}>
            <option value="random">random</option>
            <option value="grid">grid</option>
          </select>
        </label>
        <label className="field">
          <span>Budget (trials)</span>
          <input
            name="budget"
            value={form.budget}
            onChange={set("budget")}
            inputMode="numeric"
            placeholder="grid: all"
          />
        </label>
        <label className="field">
          <span>Epochs per trial</span>
          <input name="epochs" value={form.epochs} onChange={set("epochs")} inputMode="numeric" />
        </label>
        <label className="field">
          <span>Seed</span>
          <input name="seed" value={form.seed} onChange={set("seed")} inputMode="numeric" />
        </label>
        <label className="field">
          <span>Rank trials by (validation)</span>
          <select name="metric" value={form.metric} onChange={set("metric")}>
            {RANK_METRICS.map((m) => (
              <option key={m} value={m}>
                {METRIC_TITLES[m]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Early stopping patience</span>
          <input
            name="patience"
            value={form.patience}
            onChange={set("patience")}
            inputMode="numeric"
            placeholder="off"
          />
        </label>
        {form.patience.trim() !== "" && (
          <label className="field">
            <span>Stop on</span>
            <select name="stop_on" value={form.stopOn} onChange={set("stopOn")}>
              <option value="val_loss">val loss</option>
              <option value="val_accuracy">val accuracy</option>
            </select>
          </label>
        )}
        <label className="field span-2">
          <span>
            Search space (JSON: a list of values, or {"{"}"min", "max", "log"{"}"} for random search; "epochs" may be
            swept)
          </span>
          <textarea name="space" rows={7} value={form.space} onChange={set("space")} spellCheck={false} />
        </label>
        <label className="field span-2">
          <span>Hyperparameters shared by every trial (JSON)</span>
          <textarea name="hyperparameters" rows={2} value={form.base} onChange={set("base")} spellCheck={false} />
        </label>
        <FormFooter
          error={localError ?? (create.error ? errorMessage(create.error) : null)}
          busy={create.isPending}
          label="Start sweep"
          busyLabel="Starting…"
          onCancel={onClose}
        />
      </form>
    </Modal>
  );
}
