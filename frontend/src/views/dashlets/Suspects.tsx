import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useRef, useState } from "react";
import { ApiError, api, errorMessage, unwrap } from "../../api/client";
import { invalidateFlagViews } from "../../api/flags";
import { FINISHED, useJob } from "../../api/jobs";
import { useRankSuspects, useSuspectSummary, useSuspects, type Suspect, type SuspectSummary } from "../../api/suspects";
import { JobCard } from "../../components/JobsTray";
import { ErrorState, Loading } from "../../components/States";
import { markOpenedFromRanking } from "../../lib/flagOrigin";
import { fmt } from "../../lib/format";
import { arrowStep } from "../../lib/useArrowSteps";

type Split = "train" | "val" | "test";
type Decision = "confirmed" | "dismissed" | "suspected";

const PAGE = 200;

/**
 * The version's mislabel-suspect ranking with review in place: each row's flag state, one-key decisions
 * (↓/↑ or j/k step through them opening each, c confirm with the suggested label, r reject, s suspect), flags saved with source
 * `ranking`, and how many suspects pass a score threshold so a reviewer can size the work.
 */
export function Suspects({
  versionId,
  projectId,
  onOpen,
}: {
  versionId: number;
  projectId: number;
  onOpen: (id: number) => void;
}) {
  const [split, setSplit] = useState<Split>("train");
  const [threshold, setThreshold] = useState(0.9);
  const [cursor, setCursor] = useState(0);
  const [feedback, setFeedback] = useState(false);
  const q = useSuspects(versionId, split, PAGE, feedback);
  const rank = useRankSuspects(versionId);
  const job = useJob(rank.data?.id ?? null);
  const qc = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const tableRef = useRef<HTMLTableElement>(null);
  const missing = q.error instanceof ApiError && (q.error.status === 404 || q.error.status === 409);
  const items = useMemo(() => q.data?.items ?? [], [q.data]);
  const summary = useSuspectSummary(versionId, split, threshold, q.data !== undefined && q.data.total > 0);

  useEffect(() => {
    if (job.data?.state === "SUCCESS") void q.refetch();
    // Refetch once when the ranking job ends, not on every poll of it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [job.data?.state]);

  const decide = async (r: Suspect, state: Decision) => {
    setError(null);
    try {
      await unwrap(
        api.PUT("/api/projects/{project_id}/flags/{sample_id}", {
          params: { path: { project_id: projectId, sample_id: r.sample_id } },
          body: {
            state,
            // Confirming takes the ranking's suggestion (the most likely other class) as the correction.
            corrected_label: state === "confirmed" ? r.suggested_label : null,
            note: "",
            source: "ranking",
          },
        }),
      );
      invalidateFlagViews(qc, projectId);
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  // The sample panel's flag editor then saves with source `ranking`, as the ✓/✗ buttons here do.
  const open = (sampleId: number) => {
    markOpenedFromRanking(sampleId);
    onOpen(sampleId);
  };

  const onKey = (e: React.KeyboardEvent) => {
    const r = items[cursor];
    const step = arrowStep(e.nativeEvent, true);
    if (step !== null) {
      // ↓/↑ and j/k step through the suspects opening each, as in "Samples by loss"; the list keeps the
      // keys (the samples table, which listens on the window, does not step too).
      e.stopPropagation();
      const next = Math.min(Math.max(cursor + step, 0), items.length - 1);
      const row = items[next];
      setCursor(next);
      if (row) onOpen(row.sample_id);
    } else if (r && e.key === "c") void decide(r, "confirmed").then(() => setCursor((c) => c + 1));
    else if (r && e.key === "r") void decide(r, "dismissed").then(() => setCursor((c) => c + 1));
    else if (r && e.key === "s") void decide(r, "suspected");
    else if (r && e.key === "Enter") open(r.sample_id);
    else return;
    e.preventDefault();
  };

  useEffect(() => {
    // Keep the reviewed row in view (jsdom, in tests, has no scrolling: hence the optional call).
    const row = tableRef.current?.querySelector(`[data-row="${cursor}"]`) as {
      scrollIntoView?: (o: ScrollIntoViewOptions) => void;
    } | null;
    row?.scrollIntoView?.({ block: "nearest" });
  }, [cursor]);

  return (
    <div className="dashlet-fill">
      <div className="toolbar">
        <select
          aria-label="suspect split"
          value={split}
          onChange={(e) => {
            setSplit(e.target.value as Split);
            setCursor(0);
          }}
        >
          <option value="train">train</option>
          <option value="val">val</option>
          <option value="test">test</option>
        </select>
        <label className="small" title="Suspects at or above this combined score">
          score ≥{" "}
          <input
            aria-label="score threshold"
            type="number"
            min={0}
            max={1}
            step={0.01}
            value={threshold}
            onChange={(e) => setThreshold(Number(e.target.value))}
            style={{ width: "4.5em" }}
          />
        </label>
        {summary.data && <ThresholdLine summary={summary.data} />}
        <label
          className="small"
          title="Re-rank by a model of your decisions so far (from 3 confirmed and 3 rejected suspects)"
        >
          <input type="checkbox" checked={feedback} onChange={(e) => setFeedback(e.target.checked)} /> learn from my
          reviews
        </label>
        {feedback && q.data && (
          <span className="small muted" data-testid="suspects-feedback">
            {q.data.feedback
              ? `ordered by ${q.data.feedback.confirmed} confirmed / ${q.data.feedback.dismissed} rejected`
              : "review 3 of each first"}
          </span>
        )}
        <span className="spacer" />
        <a className="btn btn-small" href={`/api/versions/${versionId}/suspects/export?split=${split}`} download>
          CSV
        </a>
        <button
          type="button"
          className="btn btn-small"
          disabled={rank.isPending || (job.data !== undefined && !FINISHED.has(job.data.state))}
          onClick={() => rank.mutate([split])}
          title={
            split === "train"
              ? "K-fold out-of-sample ranking of train on the workers (K fold models)"
              : `Rank ${split} with the version itself (it never trained on ${split}): no fold models`
          }
        >
          {missing ? `Rank ${split}` : `Re-rank ${split}`}
        </button>
      </div>
      {job.data && job.data.state !== "SUCCESS" && <JobCard job={job.data} />}
      {rank.error && <div className="form-error">{errorMessage(rank.error)}</div>}
      {error && <div className="form-error">{error}</div>}
      {missing ? (
        <p className="muted small">
          No ranking of {split} yet: press “Rank {split}”, or run{" "}
          <code>
            lensboard suspects rank {versionId} --splits {split} --wait
          </code>
          .
        </p>
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading />
      ) : q.data.total === 0 ? (
        <p className="muted small">
          The latest ranking covers {q.data.ranking.splits.join(", ")}; press “Rank {split}” to rank {split}.
        </p>
      ) : (
        <div
          className="table-scroll"
          tabIndex={0}
          onKeyDown={onKey}
          aria-label="suspects; ↓/↑ or j/k step, c confirm, r reject"
        >
          <p className="muted small">
            Keys: ↓/↑ or j/k step (click the list first) · c confirm (relabel to the suggestion) · r reject · s suspect
            · Enter open
          </p>
          <table className="table compact" data-testid="suspects-table" ref={tableRef}>
            <thead>
              <tr>
                <th>#</th>
                <th>sample</th>
                <th>label</th>
                <th>suggested</th>
                <th>score</th>
                <th>flag</th>
                <th>reason</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r, i) => (
                <tr
                  key={r.sample_id}
                  data-row={i}
                  data-flag={r.flag_state ?? "none"}
                  className={`clickable ${i === cursor ? "selected" : ""} ${r.score >= threshold ? "" : "muted"}`}
                  onClick={() => {
                    setCursor(i);
                    open(r.sample_id);
                  }}
                >
                  <td>{r.rank}</td>
                  <td>{r.sample_id}</td>
                  <td>{r.label_name}</td>
                  <td>
                    {r.suggested_name ?? "–"}
                    {r.p_suggested != null && <span className="muted"> ({fmt(r.p_suggested)})</span>}
                  </td>
                  <td>{fmt(r.score)}</td>
                  <td onClick={(e) => e.stopPropagation()}>
                    {r.flag_state && (
                      <span className="pill" title={`source: ${r.flag_source ?? "?"}`}>
                        {r.flag_state}
                      </span>
                    )}{" "}
                    <button
                      type="button"
                      className="btn btn-small"
                      title={`Confirm: a mislabel${r.suggested_name ? `, relabel to ${r.suggested_name}` : ""} (c)`}
                      onClick={() => void decide(r, "confirmed")}
                    >
                      ✓
                    </button>
                    <button
                      type="button"
                      className="btn btn-small"
                      title="Reject: the label is right (r)"
                      onClick={() => void decide(r, "dismissed")}
                    >
                      ✗
                    </button>
                  </td>
                  <td className="preview">{r.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

function sourceText(e: NonNullable<SuspectSummary["estimate"]>): string {
  if (e.precision_source === "reviews" && e.recall_source === "reviews") return "from your reviews";
  if (e.precision_source === "reviews") return "precision from your reviews, recall from the synthetic benchmark";
  return "from the synthetic benchmark";
}

/**
 * The work a threshold leaves (how many pass), how good that list should be (estimated precision and recall,
 * each named by its source: the reviewers' decisions once there are enough, else the synthetic benchmark), and
 * how good it has proved (precision so far among the reviewed: confirmed / (confirmed + rejected)).
 */
function ThresholdLine({ summary }: { summary: SuspectSummary }) {
  const e = summary.estimate;
  const r = summary.reviewed;
  const above = summary.reviewed_passing;
  return (
    <span className="small muted">
      <span data-testid="suspects-threshold">
        {summary.passing.toLocaleString()} of {summary.total.toLocaleString()} pass
      </span>
      {e && (
        <span
          data-testid="suspects-estimate"
          title={`Estimated at this threshold ${sourceText(e)}. Benchmark: ${e.benchmark}; it transfers roughly (a dataset with more errors has a higher precision at the same depth). Reviews count once 5 decisions lie above the threshold (and 5 below, for recall); the top is reviewed first, so they lean high.`}
        >
          {" "}
          · est. precision {percent(e.precision)}, recall {percent(e.recall)} ({sourceText(e)})
        </span>
      )}
      <span data-testid="suspects-precision" title="confirmed / (confirmed + rejected) among this split's suspects">
        {" "}
        ·{" "}
        {r.precision === null
          ? "no reviews yet"
          : `precision so far among reviewed ${percent(r.precision)} (${r.confirmed}/${r.confirmed + r.dismissed}${
              above.precision !== null && above.confirmed + above.dismissed < r.confirmed + r.dismissed
                ? `; above the threshold ${above.confirmed}/${above.confirmed + above.dismissed}`
                : ""
            })`}
      </span>
    </span>
  );
}
