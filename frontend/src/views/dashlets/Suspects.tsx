import { useState } from "react";
import { ApiError, errorMessage } from "../../api/client";
import { FINISHED, useJob } from "../../api/jobs";
import { useRankSuspects, useSuspects } from "../../api/suspects";
import { JobCard } from "../../components/JobsTray";
import { ErrorState, Loading } from "../../components/States";
import { fmt } from "../../lib/format";

/** The version's mislabel-suspect ranking (out-of-sample signals combined); rank it when absent. */
export function Suspects({ versionId, onOpen }: { versionId: number; onOpen: (id: number) => void }) {
  const [split, setSplit] = useState<"train" | "val" | "test">("train");
  const q = useSuspects(versionId, split);
  const rank = useRankSuspects(versionId);
  const job = useJob(rank.data?.id ?? null);
  const missing = q.error instanceof ApiError && (q.error.status === 404 || q.error.status === 409);
  return (
    <div className="dashlet-fill">
      <div className="toolbar">
        <select aria-label="suspect split" value={split} onChange={(e) => setSplit(e.target.value as typeof split)}>
          <option value="train">train</option>
          <option value="val">val</option>
          <option value="test">test</option>
        </select>
        <span className="spacer" />
        <a className="btn btn-small" href={`/api/versions/${versionId}/suspects/export?split=${split}`} download>
          CSV
        </a>
        <button
          type="button"
          className="btn btn-small"
          disabled={rank.isPending || (job.data !== undefined && !FINISHED.has(job.data.state))}
          onClick={() => rank.mutate(undefined, { onSuccess: () => void q.refetch() })}
          title="K-fold out-of-sample ranking on the workers"
        >
          {missing ? "Rank suspects" : "Re-rank"}
        </button>
      </div>
      {job.data && job.data.state !== "SUCCESS" && <JobCard job={job.data} />}
      {rank.error && <div className="form-error">{errorMessage(rank.error)}</div>}
      {missing ? (
        <p className="muted small">{errorMessage(q.error)}</p>
      ) : q.error ? (
        <ErrorState error={q.error} onRetry={() => void q.refetch()} />
      ) : !q.data ? (
        <Loading />
      ) : (
        <div className="table-scroll">
          <table className="table compact" data-testid="suspects-table">
            <thead>
              <tr>
                <th>#</th>
                <th>sample</th>
                <th>label</th>
                <th>score</th>
                <th>loss</th>
                <th>reason</th>
              </tr>
            </thead>
            <tbody>
              {q.data.items.map((r) => (
                <tr key={r.sample_id} className="clickable" onClick={() => onOpen(r.sample_id)}>
                  <td>{r.rank}</td>
                  <td>{r.sample_id}</td>
                  <td>{r.label}</td>
                  <td>{fmt(r.score)}</td>
                  <td>{fmt(r.loss)}</td>
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
