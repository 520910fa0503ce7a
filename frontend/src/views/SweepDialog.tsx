import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { errorMessage } from "../api/client";
import { useCreateSweep, type SweepCreate } from "../api/sweeps";
import { useArchitectures, type ArchitectureSpec } from "../api/versions";
import { FormFooter, Modal } from "../components/Overlay";
import { initialInputs, ParamFields } from "../components/ParamFields";
import { ErrorState } from "../components/States";
import { inputsProblem, paramsFromInputs, type ParamInputs } from "../lib/params";
import { METRIC_TITLES, RANK_METRICS, isRankMetric, spaceProblem } from "../lib/sweeps";
import { defaultSpaceInputs, spaceFromInputs, strategyProblem, type SpaceInputs } from "../lib/sweepSpace";
import { SpaceFields } from "../components/SpaceFields";

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
  /** "off" or "median": stop a trial whose validation metric falls behind the completed trials' median. */
  pruning: string;
  pruneWarmup: string;
  pruneMinTrials: string;
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
  pruning: "off",
  pruneWarmup: "0",
  pruneMinTrials: "2",
};

function wholeNumber(text: string, what: string, min: number, max?: number): number {
  const n = Number(text);
  const range = max === undefined ? `≥ ${min}` : `from ${min} to ${max}`;
  if (!Number.isInteger(n) || n < min || (max !== undefined && n > max) || text.trim() === "")
    throw new Error(`${what} must be a whole number ${range}`);
  return n;
}

/**
 * The request body, or an Error saying what to fix: the shared hyperparameters and every swept value (the
 * space form's lists and ranges) are checked against the architecture's specs (GET /api/architectures).
 * The API validates the rest (its 422).
 */
export function sweepRequest(
  form: SweepForm,
  arch: ArchitectureSpec,
  base: ParamInputs = {},
  spaceInputs: SpaceInputs = defaultSpaceInputs(arch.params),
): SweepCreate {
  const space = spaceFromInputs(arch.params, spaceInputs);
  if (Object.keys(space).length === 0)
    throw new Error("the search space sweeps no hyperparameter: give one a list of values or a range");
  const problem =
    spaceProblem(arch.params, space) ??
    strategyProblem(arch.params, spaceInputs, form.strategy) ??
    inputsProblem(arch.params, base);
  if (problem) throw new Error(problem);
  if (form.strategy !== "grid" && form.strategy !== "random" && form.strategy !== "bayes")
    throw new Error("strategy is grid, random or bayes");
  if (!isRankMetric(form.metric)) throw new Error(`unknown metric ${form.metric}`);
  const stopOn = form.stopOn === "val_accuracy" ? "val_accuracy" : "val_loss";
  return {
    name: form.name.trim() || null,
    architecture: arch.name,
    strategy: form.strategy,
    budget: form.budget.trim() === "" ? null : wholeNumber(form.budget, "budget", 1),
    epochs: wholeNumber(form.epochs, "epochs", 1),
    seed: wholeNumber(form.seed, "seed", 0),
    metric: form.metric,
    hyperparameters: paramsFromInputs(arch.params, base),
    space,
    early_stopping:
      form.patience.trim() === "" ? null : { metric: stopOn, patience: wholeNumber(form.patience, "patience", 1) },
    // The API's bounds (schemas/sweeps.py Pruning), so the message names the field before the request.
    pruning:
      form.pruning === "median"
        ? {
            warmup_epochs: wholeNumber(form.pruneWarmup, "pruning warm-up epochs", 0, 1000),
            min_trials: wholeNumber(form.pruneMinTrials, "completed trials before pruning", 1, 100),
          }
        : null,
  };
}

export function SweepDialog({ projectId, onClose }: { projectId: number; onClose: () => void }) {
  const create = useCreateSweep(projectId);
  const navigate = useNavigate();
  const archs = useArchitectures();
  const [form, setForm] = useState<SweepForm>(DEFAULT_FORM);
  // Empty fields: the architecture's defaults apply to every trial.
  const [baseByArch, setBaseByArch] = useState<Record<string, ParamInputs>>({});
  const [tried, setTried] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);
  const arch =
    archs.data?.find((a) => a.name === form.architecture) ?? archs.data?.find((a) => a.default) ?? archs.data?.[0];
  const base = arch ? (baseByArch[arch.name] ?? initialInputs(arch.params, false)) : {};
  // The space form per architecture too (their hyperparameters differ): switching back keeps what was typed.
  const [spaceByArch, setSpaceByArch] = useState<Record<string, SpaceInputs>>({});
  const spaceInputs = arch ? (spaceByArch[arch.name] ?? defaultSpaceInputs(arch.params)) : {};
  const set = (key: keyof SweepForm) => (e: { target: { value: string } }) =>
    setForm({ ...form, [key]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTried(true);
    if (!arch) {
      setLocalError("The architectures have not loaded yet");
      return;
    }
    let body: SweepCreate;
    try {
      body = sweepRequest(form, arch, base, spaceInputs);
    } catch (err) {
      setLocalError(errorMessage(err));
      return;
    }
    setLocalError(null);
    create.mutate(body, { onSuccess: (sweep) => void navigate(`/projects/${projectId}/sweeps/${sweep.id}`) });
  };

  return (
    <Modal title="New hyperparameter sweep" onClose={onClose}>
      <form onSubmit={submit} className="form-grid" aria-label="Sweep" noValidate>
        <label className="field">
          <span>Name</span>
          <input name="name" value={form.name} onChange={set("name")} placeholder="sweep-N" />
        </label>
        <label className="field">
          <span>Architecture</span>
          <select name="architecture" value={arch?.name ?? form.architecture} onChange={set("architecture")}>
            {(archs.data ?? []).map((a) => (
              <option key={a.name} value={a.name}>
                {a.title}
              </option>
            ))}
          </select>
        </label>
        {archs.isError && (
          <div className="span-2">
            <ErrorState error={archs.error} onRetry={() => void archs.refetch()} />
          </div>
        )}
        <label className="field">
          <span>Strategy</span>
          <select name="strategy" value={form.strategy} onChange={set("strategy")}>
            <option value="random">random</option>
            <option value="grid">grid</option>
            <option value="bayes">bayes (TPE)</option>
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
        <label className="field">
          <span>Stop trials that fall behind</span>
          <select name="pruning" value={form.pruning} onChange={set("pruning")}>
            <option value="off">no: every trial trains all its epochs</option>
            <option value="median">median pruning</option>
          </select>
        </label>
        {form.pruning === "median" && (
          <>
            <label className="field">
              <span>Epochs before a trial may be stopped</span>
              <input name="prune_warmup" value={form.pruneWarmup} onChange={set("pruneWarmup")} inputMode="numeric" />
            </label>
            <label className="field">
              <span>Completed trials before any is stopped</span>
              <input
                name="prune_min_trials"
                value={form.pruneMinTrials}
                onChange={set("pruneMinTrials")}
                inputMode="numeric"
              />
            </label>
            <p className="span-2 muted small">
              After each epoch, a trial whose best validation score so far is worse than the median of the completed
              trials at that epoch stops; its epochs are kept and shown as pruned.
            </p>
          </>
        )}
        {arch && (
          <SpaceFields
            specs={arch.params}
            inputs={spaceInputs}
            strategy={form.strategy}
            onChange={(next) => setSpaceByArch({ ...spaceByArch, [arch.name]: next })}
            showProblems={tried}
          />
        )}
        {arch && (
          <details className="span-2 param-advanced">
            <summary>Hyperparameters shared by every trial (empty: the default)</summary>
            <div className="form-grid">
              <ParamFields
                specs={arch.params}
                inputs={base}
                onChange={(next) => setBaseByArch({ ...baseByArch, [arch.name]: next })}
                showProblems={tried}
              />
            </div>
          </details>
        )}
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
