import { useEffect, useState } from "react";
import { errorMessage } from "../api/client";
import { useFlag, useSetFlag, useUndoFlag, type Flag, type FlagState } from "../api/flags";
import { ErrorState, Loading } from "../components/States";
import { markOpenedFromRanking, currentOpenedFromRanking, useOpenedFromRanking } from "../lib/flagOrigin";
import { relativeTime } from "../lib/format";

const STATE_PILL: Record<FlagState, string> = {
  suspected: "pill-info",
  confirmed: "pill-bad",
  dismissed: "pill-muted",
};

/** Flag / confirm / dismiss / relabel one sample, with a note; project-level, with undo. */
export function FlagEditor({
  projectId,
  sampleId,
  classes,
  label,
}: {
  projectId: number;
  sampleId: number;
  classes: readonly string[];
  label: number;
}) {
  const flag = useFlag(projectId, sampleId);
  const fromRanking = useOpenedFromRanking(sampleId);
  useEffect(() => {
    if (!fromRanking) return;
    // Re-asserted on (re)mount: StrictMode's extra cleanup in development would otherwise clear it.
    markOpenedFromRanking(sampleId);
    return () => {
      if (currentOpenedFromRanking() === sampleId) markOpenedFromRanking(null);
    };
  }, [sampleId, fromRanking]);
  if (flag.error) return <ErrorState error={flag.error} onRetry={() => void flag.refetch()} />;
  if (flag.isPending) return <Loading />;
  const f = flag.data;
  // The form starts from the saved flag: each saved change (a new revision, an undo, unflagging) starts it afresh.
  return (
    <FlagForm
      key={f ? `${f.id}:${f.revision}:${f.updated_at}` : "none"}
      projectId={projectId}
      sampleId={sampleId}
      classes={classes}
      label={label}
      flag={f}
      fromRanking={fromRanking}
      onUndone={() => void flag.refetch()}
    />
  );
}

function FlagForm({
  projectId,
  sampleId,
  classes,
  label,
  flag: f,
  fromRanking,
  onUndone,
}: {
  projectId: number;
  sampleId: number;
  classes: readonly string[];
  label: number;
  flag: Flag | null;
  /** Opened from the suspects list: the flag is saved with source `ranking`. */
  fromRanking: boolean;
  onUndone: () => void;
}) {
  const set = useSetFlag(projectId, sampleId);
  const undo = useUndoFlag(projectId, sampleId);
  const [note, setNote] = useState(f?.note ?? "");
  const [corrected, setCorrected] = useState<number | null>(f?.corrected_label ?? null);
  const source = fromRanking ? "ranking" : (f?.source ?? "manual");
  const save = (state: FlagState) => set.mutate({ state, note, corrected_label: corrected, source });
  const busy = set.isPending || undo.isPending;
  return (
    <div className="flag-editor" data-testid="flag-editor" data-state={f?.state ?? "none"}>
      <div className="small">
        {f ? (
          <>
            <span className={`pill ${STATE_PILL[f.state]}`}>{f.state}</span>{" "}
            {f.corrected_label !== null && f.corrected_label !== undefined ? (
              <>
                → <b>{classes[f.corrected_label] ?? f.corrected_label}</b>{" "}
              </>
            ) : null}
            <span className="muted">
              {f.source} · revision {f.revision} · {relativeTime(f.updated_at)}
            </span>
          </>
        ) : (
          <span className="muted">Not flagged.</span>
        )}
        {fromRanking && (
          <span className="muted" data-testid="flag-source-hint">
            {" "}
            · opened from the suspects list: saved as source ranking
          </span>
        )}
      </div>
      <div className="toolbar">
        <label className="inline-field small">
          corrected label
          <select
            aria-label="corrected label"
            value={corrected ?? ""}
            onChange={(e) => setCorrected(e.target.value === "" ? null : Number(e.target.value))}
          >
            <option value="">none (remove if confirmed)</option>
            {classes.map((c, i) =>
              i === label ? null : (
                <option key={c} value={i}>
                  {c}
                </option>
              ),
            )}
          </select>
        </label>
      </div>
      <textarea
        aria-label="flag note"
        rows={2}
        placeholder="Note: why is this label wrong?"
        value={note}
        onChange={(e) => setNote(e.target.value)}
      />
      <div className="toolbar">
        <button type="button" className="btn btn-small" disabled={busy} onClick={() => save("suspected")}>
          Flag as suspect
        </button>
        <button type="button" className="btn btn-small btn-danger" disabled={busy} onClick={() => save("confirmed")}>
          Confirm mislabel
        </button>
        <button type="button" className="btn btn-small" disabled={busy || !f} onClick={() => save("dismissed")}>
          Dismiss
        </button>
        <button type="button" className="btn btn-small" disabled={busy || !f} onClick={() => set.mutate(null)}>
          Unflag
        </button>
        <button
          type="button"
          className="btn btn-small"
          disabled={busy}
          title="Revert the last change of this flag"
          onClick={() => undo.mutate(undefined, { onSuccess: onUndone })}
        >
          Undo
        </button>
      </div>
      {(set.error ?? undo.error) && <div className="form-error">{errorMessage(set.error ?? undo.error)}</div>}
    </div>
  );
}
