import { useState } from "react";
import type { Job } from "../api/client";
import { FINISHED, useCancelJob } from "../api/jobs";

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

/** "3rd" */
export function ordinal(n: number): string {
  const teen = n % 100 >= 10 && n % 100 <= 20;
  const suffix = teen ? "th" : (({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th");
  return `${n}${suffix}`;
}

/** Where the job runs from: "interactive lane", and for a queued one its place in it. */
export function laneText(job: Job): string {
  if (!job.lane) return "";
  if (job.state === "PENDING" && typeof job.position === "number")
    return `${ordinal(job.position)} in the ${job.lane} lane`;
  return `${job.lane} lane`;
}

export function JobCard({ job, onCancel }: { job: Job; onCancel?: (jobId: number) => void }) {
  const finished = FINISHED.has(job.state);
  const progress = progressText(job);
  const lane = laneText(job);
  // A queued job's status text says its place in the lane, which `lane` already shows.
  const message = job.state === "PENDING" && typeof job.position === "number" ? "" : job.message;
  return (
    <div
      className={`job-card job-${job.state.toLowerCase()}`}
      data-testid="job-card"
      data-job-id={job.id}
      data-kind={job.kind}
      data-state={job.state}
    >
      <div className="job-head">
        <span className="job-kind">{job.title || job.kind}</span>
        <span className="job-id">#{job.id}</span>
        <span className={`pill ${STATE_CLASS[job.state] ?? ""}`}>{job.state}</span>
      </div>
      {!finished && (
        <div className="progress" aria-label="progress">
          <div className="progress-fill" style={{ width: `${Math.round(job.progress * 100)}%` }} />
        </div>
      )}
      <div className="job-msg">
        {lane && <span className="job-lane">{lane}</span>}
        {progress && <span className="job-progress">{progress}</span>}
        {message && <span>{message}</span>}
      </div>
      {job.state === "FAILURE" && job.error && <div className="job-error">{job.error}</div>}
      {!finished && onCancel && (
        <div className="job-actions">
          <button type="button" className="btn btn-small" onClick={() => onCancel(job.id)}>
            Cancel
          </button>
        </div>
      )}
    </div>
  );
}

/** Finished jobs the tray keeps listed (newest first) until dismissed. */
export const RECENT_FINISHED = 8;

/**
 * The jobs tray: running and queued jobs (with their lane and place in it) first, then recent finished
 * ones; collapsible, finished ones dismissable, any unfinished one cancellable.
 */
export function JobsTray({ jobs, connected }: { jobs: readonly Job[]; connected: boolean }) {
  const [open, setOpen] = useState(true);
  const [dismissed, setDismissed] = useState<ReadonlySet<number>>(new Set());
  const cancel = useCancelJob();
  const shown = jobs.filter((j) => !dismissed.has(j.id));
  const running = shown.filter((j) => j.state === "STARTED" || j.state === "PROGRESS");
  const waiting = shown
    .filter((j) => j.state === "PENDING")
    .sort((a, b) => (a.position ?? Infinity) - (b.position ?? Infinity) || a.id - b.id);
  const finished = shown.filter((j) => FINISHED.has(j.state)).slice(0, RECENT_FINISHED);
  const listed = [...running, ...waiting, ...finished];
  const dismiss = (ids: number[]) => setDismissed((s) => new Set([...s, ...ids]));
  const summary = [
    running.length ? `${running.length} running` : "",
    waiting.length ? `${waiting.length} waiting` : "",
    finished.length ? `${finished.length} finished` : "",
  ].filter(Boolean);
  return (
    <section
      className="jobs-tray"
      aria-label="Jobs"
      data-testid="jobs-tray"
      data-connected={connected}
      hidden={!listed.length}
    >
      <div className="jobs-tray-head">
        <button type="button" className="jobs-tray-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
          {open ? "▾" : "▸"} Jobs{summary.length ? ` · ${summary.join(" · ")}` : ""}
        </button>
        {finished.length > 0 && (
          <button type="button" className="btn btn-small" onClick={() => dismiss(finished.map((j) => j.id))}>
            Dismiss finished
          </button>
        )}
      </div>
      {cancel.error && <div className="job-error">{cancel.error.message}</div>}
      {open && (
        <div className="jobs-tray-list" aria-live="polite">
          {listed.map((job) => (
            <div className="jobs-tray-item" key={job.id}>
              <JobCard job={job} onCancel={(id) => cancel.mutate(id)} />
              {FINISHED.has(job.state) && (
                <button
                  type="button"
                  className="icon-btn jobs-tray-close"
                  aria-label="Dismiss"
                  onClick={() => dismiss([job.id])}
                >
                  ×
                </button>
              )}
            </div>
          ))}
        </div>
      )}
    </section>
  );
}
