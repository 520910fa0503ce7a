/**
 * The search space of a sweep as a form: one row per hyperparameter of the architecture (and epochs), each
 * fixed, a list of values or a range (numbers only; log where the spec's range allows; random search only),
 * with the spec's own help and problems, and the JSON the API receives shown beneath.
 */
import type { ParamSpec } from "../api/analyses";
import { spaceEntryProblem } from "../lib/sweeps";
import {
  logAllowed,
  rangeAllowed,
  spaceFromInputs,
  spaceSpecs,
  valuesHint,
  type DimInput,
  type DimMode,
  type SpaceInputs,
} from "../lib/sweepSpace";

const FIXED: DimInput = { mode: "fixed", values: "", min: "", max: "", log: false };

function SpaceRow({
  spec,
  dim,
  grid,
  entry,
  onChange,
  showProblem,
}: {
  spec: ParamSpec;
  dim: DimInput;
  grid: boolean;
  entry: unknown;
  onChange: (dim: DimInput) => void;
  showProblem: boolean;
}) {
  const problem =
    showProblem && dim.mode !== "fixed"
      ? grid && dim.mode === "range"
        ? "a range needs random search"
        : spaceEntryProblem(spec, entry)
      : null;
  const set = (patch: Partial<DimInput>) => onChange({ ...dim, ...patch });
  return (
    <tr data-param={spec.name} data-mode={dim.mode}>
      <th scope="row" title={spec.help}>
        {spec.title}
      </th>
      <td>
        <select
          aria-label={`${spec.title}: how to sweep`}
          value={dim.mode}
          onChange={(e) => set({ mode: e.target.value as DimMode })}
        >
          <option value="fixed">fixed</option>
          <option value="values">list of values</option>
          {rangeAllowed(spec) && (
            <option value="range" disabled={grid}>
              range{grid ? " (random search)" : ""}
            </option>
          )}
        </select>
      </td>
      <td>
        {dim.mode === "fixed" ? (
          <span className="muted small">
            {spec.name === "epochs" ? "epochs per trial, above" : "shared value below (empty: the default)"}
          </span>
        ) : dim.mode === "values" ? (
          <input
            aria-label={`${spec.title} values`}
            value={dim.values}
            placeholder={valuesHint(spec)}
            aria-invalid={problem ? true : undefined}
            onChange={(e) => set({ values: e.target.value })}
          />
        ) : (
          <span className="space-range">
            <input
              aria-label={`${spec.title} from`}
              value={dim.min}
              inputMode="decimal"
              placeholder="from"
              aria-invalid={problem ? true : undefined}
              onChange={(e) => set({ min: e.target.value })}
            />
            <input
              aria-label={`${spec.title} to`}
              value={dim.max}
              inputMode="decimal"
              placeholder="to"
              aria-invalid={problem ? true : undefined}
              onChange={(e) => set({ max: e.target.value })}
            />
            {logAllowed(spec) && (
              <label className="small">
                <input type="checkbox" checked={dim.log} onChange={(e) => set({ log: e.target.checked })} /> log scale
              </label>
            )}
          </span>
        )}
        {problem && <small className="field-problem">{problem}</small>}
        {dim.mode === "values" && <small className="field-hint">{valuesHint(spec)}</small>}
      </td>
    </tr>
  );
}

export function SpaceFields({
  specs,
  inputs,
  strategy,
  onChange,
  showProblems,
}: {
  specs: readonly ParamSpec[];
  inputs: SpaceInputs;
  strategy: string;
  onChange: (inputs: SpaceInputs) => void;
  showProblems: boolean;
}) {
  const space = spaceFromInputs(specs, inputs);
  return (
    <fieldset className="span-2 space-fields">
      <legend>Search space: what each trial varies</legend>
      <div className="table-scroll">
        <table className="table compact" aria-label="search space">
          <tbody>
            {spaceSpecs(specs).map((spec) => (
              <SpaceRow
                key={spec.name}
                spec={spec}
                dim={inputs[spec.name] ?? FIXED}
                grid={strategy === "grid"}
                entry={space[spec.name]}
                onChange={(dim) => onChange({ ...inputs, [spec.name]: dim })}
                showProblem={showProblems}
              />
            ))}
          </tbody>
        </table>
      </div>
      <details className="param-advanced">
        <summary>Search space as JSON (what the API receives)</summary>
        <pre className="space-json" data-testid="space-json">
          {JSON.stringify(space, null, 2)}
        </pre>
      </details>
    </fieldset>
  );
}
