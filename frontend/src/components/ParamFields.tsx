/**
 * Form fields built from parameter specs (ParamSpec: an architecture's hyperparameters, an analysis method's
 * parameters), so the form offers exactly what the API accepts: a select for choices, a checkbox for on/off,
 * a number field with the spec's range, and the help and default under each field. Advanced knobs are tucked
 * into a collapsed group.
 */
import type { ParamSpec } from "../api/analyses";
import { describeParam, inputFor, paramFromInput, paramProblem, type ParamInputs } from "../lib/params";

/** The fields' starting text: each default (prefill), or empty so the server's default applies. */
export function initialInputs(specs: readonly ParamSpec[], prefill: boolean): ParamInputs {
  const out: ParamInputs = {};
  for (const s of specs) {
    // A checkbox and a select always show a value: start them on the default either way.
    const always = s.type === "boolean" || s.choices !== null;
    if ((prefill || always) && s.default !== null)
      out[s.name] = Array.isArray(s.default) ? s.default.join(", ") : String(s.default);
    else out[s.name] = "";
  }
  return out;
}

function ParamField({
  spec,
  value,
  onChange,
  showProblem,
}: {
  spec: ParamSpec;
  value: string;
  onChange: (value: string) => void;
  showProblem: boolean;
}) {
  const problem = showProblem ? paramProblem(spec, paramFromInput(spec, value)) : null;
  const hintId = `param-hint-${spec.name}`;
  const hint = (
    <small id={hintId} className="field-hint">
      {spec.help}
      {spec.help && describeParam(spec) ? " · " : ""}
      {describeParam(spec)}
    </small>
  );
  if (spec.type === "boolean")
    return (
      <div className="field param-field">
        <label className="field inline">
          <input
            type="checkbox"
            name={spec.name}
            checked={value === "true"}
            aria-describedby={hintId}
            onChange={(e) => onChange(e.target.checked ? "true" : "false")}
          />
          <span>{spec.title}</span>
        </label>
        {hint}
      </div>
    );
  const attrs = inputFor(spec);
  const id = `param-${spec.name}`;
  // The label names the field alone; the hint and the problem describe it (aria-describedby).
  return (
    <div className="field param-field">
      <label htmlFor={id}>
        <span>{spec.title}</span>
      </label>
      {spec.choices ? (
        <select
          id={id}
          name={spec.name}
          value={value}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.target.value)}
        >
          {spec.choices.map((c) => (
            <option key={c} value={c}>
              {c}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          name={spec.name}
          value={value}
          // A text input: the browser's own number checks would hide the spec's messages.
          type="text"
          inputMode={attrs.type === "number" ? (attrs.step === 1 ? "numeric" : "decimal") : undefined}
          placeholder={spec.nullable && spec.default === null ? "none" : attrs.placeholder}
          aria-invalid={problem ? true : undefined}
          aria-describedby={hintId}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {problem && <small className="field-problem">{problem}</small>}
      {hint}
    </div>
  );
}

/** Every spec's field; the advanced ones in a collapsed group. `showProblems` marks each invalid field. */
export function ParamFields({
  specs,
  inputs,
  onChange,
  showProblems,
}: {
  specs: readonly ParamSpec[];
  inputs: ParamInputs;
  onChange: (inputs: ParamInputs) => void;
  showProblems: boolean;
}) {
  const field = (s: ParamSpec) => (
    <ParamField
      key={s.name}
      spec={s}
      value={inputs[s.name] ?? ""}
      onChange={(v) => onChange({ ...inputs, [s.name]: v })}
      showProblem={showProblems}
    />
  );
  const main = specs.filter((s) => !s.advanced);
  const advanced = specs.filter((s) => s.advanced);
  // An invalid advanced field must not hide in a closed group.
  const advancedProblem =
    showProblems && advanced.some((s) => paramProblem(s, paramFromInput(s, inputs[s.name] ?? "")) !== null);
  return (
    <>
      {main.map(field)}
      {advanced.length > 0 && (
        <details className="span-2 param-advanced" open={advancedProblem || undefined}>
          <summary>Advanced ({advanced.length})</summary>
          <div className="form-grid">{advanced.map(field)}</div>
        </details>
      )}
    </>
  );
}
