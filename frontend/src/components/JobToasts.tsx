import { jobKindTitle } from "../lib/jobKinds";
import { useEffect, useState } from "react";
import type { Job } from "../api/client";
import { FINISHED } from "../api/jobs";

const STATE_CLASS: Record<string, string> = {
  PENDING: "pill-muted",
  STARTED: "pill-info",
  PROGRESS: "pill-info",
  SUCCESS: "pill-ok",
  FAILURE: "pill-bad",
  REVOKED: "pill-muted",
};

/** "epoch 1/3 · batch 120/390 · loss 0.412 · acc 81.2%" from the progress detail the worker reports
 * (training: epoch, epochs, batch, batches, loss, accuracy, stage; analysis: done/total in the message). */
export function progressText(job: Job): string {
  const d = job.detail as Record<string, unknown>;
  const parts: string[] = [];
  const num = (k: string) => (typeof d[k] === "number" ? d[k] : null);
  if (num("epoch") !== null) parts.push(`epoch ${num("epoch")}${num("epochs") !== null ? `/${num("epochs")}` : ""}`);
  if (num("batch") !== null) parts.push(`batch ${num("batch")}${num("batches") !== null ? `/${num("batches")}` : ""}`);
  if (typeof d.stage === "string") parts.push(d.stage);
  if (num("loss") !== null) parts.push(`loss ${(num("loss") as number).toFixed(3)}`);
  if (num("accuracy") !== null) parts.push(`acc ${((num("accuracy") as number) * 100).toFixed(1)}%`);
  return parts.join(" · ");
}

export function JobCard({ job }: { job: Job }) {
  const finished = FINISHED.has(job.state);
  const progress = progressText(job);
  return (
    <div
      className={`job-card job-${job.state.toLowerCase()}`}
      data-testid="job-card"
      data-job-id={job.id}
      data-state={job.state}
    >
      <div className="job-head">
        <span className="job-kind" data-kind={job.kind}>
          {jobKindTitle(job.kind)}
        </span>
        <span className="job-id">#{job.id}</span>
        <span className={`pill ${STATE_CLASS[job.state] ?? ""}`}>{job.state}</span>
      </div>
      {!finished && (
        <div className="progress" aria-label="progress">
          <div className="progress-fill" style={{ width: `${Math.round(job.progress * 100)}%` }} />
        </div>
      )}
      <div className="job-msg">
        {progress && <span className="job-progress">{progress}</span>}
        {job.message && <span>{job.message}</span>}
      </div>
      {job.state === "FAILURE" && job.error && <div className="job-error">{job.error}</div>}
    </div>
  );
}

/** Successful jobs leave the screen after this long; failures stay until dismissed. */
export const SUCCESS_TOAST_MS = 8000;

export function JobToasts({ jobs, connected }: { jobs: readonly Job[]; connected: boolean }) {
  const [dismissed, setDismissed] = useState<Set<number>>(new Set());
  const succeeded = jobs
    .filter((j) => j.state === "SUCCESS" && !dismissed.has(j.id))
    .map((j) => j.id)
    .join(",");
  useEffect(() => {
    if (!succeeded) return;
    const ids = succeeded.split(",").map(Number);
    const t = window.setTimeout(() => setDismissed((s) => new Set([...s, ...ids])), SUCCESS_TOAST_MS);
    return () => window.clearTimeout(t);
  }, [succeeded]);
  const visible = jobs.filter((j) => !dismissed.has(j.id)).slice(0, 4);
  return (
    <div className="toasts" aria-live="polite" data-testid="job-toasts" data-connected={connected}>
      {visible.map((job) => (
        <div className="toast" key={job.id}>
          <JobCard job={job} />
          {FINISHED.has(job.state) && (
            <button
              type="button"
              className="icon-btn toast-close"
              aria-label="Dismiss"
              onClick={() => setDismissed((s) => new Set(s).add(job.id))}
            >
              ×
            </button>
          )}
        </div>
      ))}
    </div>
  );
}
