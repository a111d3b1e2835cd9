// /studio/jobs: the processing queue with live stage and percent, and one job's progress.
import { useEffect, useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/Status";
import { errorText, useAsync } from "../../components/async";
import { studio } from "./studioApi";
import type { JobRead } from "./studioApi";
import { StateBadge, StudioPage, useAction } from "./StudioNav";

const POLL_MS = 1000;
const FINAL = new Set(["succeeded", "dead"]);

/** Poll a job until it ends; the page shows each stage as the worker reports it. */
function useJob(jobId: string): { job: JobRead | null; error: string | null; refresh(): void } {
  const [job, setJob] = useState<JobRead | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    let timer = 0;
    const poll = async () => {
      try {
        const next = await studio.job(jobId);
        if (!live) return;
        setJob(next);
        setError(null);
        if (FINAL.has(next.state)) return;
      } catch (err) {
        if (live) setError(errorText(err));
      }
      if (live) timer = window.setTimeout(poll, POLL_MS);
    };
    void poll();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [jobId, tick]);
  return { job, error, refresh: () => setTick((n) => n + 1) };
}

function titleIdOf(job: JobRead): string | null {
  const id = job.payload.title_id;
  return typeof id === "string" ? id : null;
}

export function JobProgress({ jobId }: { jobId: string }) {
  const { job, error, refresh } = useJob(jobId);
  const action = useAction();
  if (!job) return error ? <ErrorNote message={error} /> : <Loading label="Loading job" />;
  const titleId = titleIdOf(job);
  const percent = job.state === "succeeded" ? 100 : Math.floor(job.percent);
  return (
    <section class="panel job-progress" aria-labelledby={`job-${job.id}`} data-state={job.state}>
      <h2 id={`job-${job.id}`}>
        Processing <StateBadge state={job.state} />
      </h2>
      <label class="progress-label" for={`job-bar-${job.id}`}>
        {job.state === "succeeded" ? "Ready to play" : `Stage: ${job.stage || "waiting for a worker"}`} · {percent}%
      </label>
      <progress id={`job-bar-${job.id}`} max={100} value={percent} />
      <p class="hint" aria-live="polite">
        Attempt {job.attempts} of {job.max_attempts}
      </p>
      {job.last_error && <p class="error-note">{job.last_error}</p>}
      <div class="btn-row">
        {job.state === "succeeded" && titleId && (
          <a class="btn btn-accent" href={`/watch/${titleId}`}>
            Watch it
          </a>
        )}
        {titleId && (
          <a class="btn btn-ghost" href={`/studio/titles/${titleId}`}>
            Open title
          </a>
        )}
        {(job.state === "dead" || job.state === "failed") && (
          <button class="btn" type="button" disabled={action.busy} onClick={() => action.run(() => studio.retryJob(job.id)).then(refresh)}>
            Retry
          </button>
        )}
      </div>
      <ErrorNote message={action.error ?? error} />
    </section>
  );
}

export default function JobsPage() {
  const [state, setState] = useState("");
  const [tick, setTick] = useState(0);
  const jobs = useAsync(() => studio.jobs({ state }), [state, tick]);
  const busy = (jobs.data?.items ?? []).some((j) => j.state === "queued" || j.state === "running");
  useEffect(() => {
    if (!busy) return;
    const timer = window.setTimeout(() => setTick((n) => n + 1), 2000);
    return () => window.clearTimeout(timer);
  }, [busy, jobs.data]);
  return (
    <StudioPage heading="Processing jobs">
      <div class="filters">
        <div class="field">
          <label for="jobs-state">State</label>
          <select id="jobs-state" value={state} onChange={(e) => setState(e.currentTarget.value)}>
            <option value="">Any</option>
            {["queued", "running", "failed", "succeeded", "dead"].map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNote message={jobs.error} />
      {!jobs.data ? (
        <Loading />
      ) : (
        <table class="table studio-table">
          <caption class="sr-only">Jobs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Kind</th>
              <th scope="col">State</th>
              <th scope="col">Stage</th>
              <th scope="col">Progress</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {jobs.data.items.map((j) => (
              <tr key={j.id}>
                <td>
                  <a href={`/studio/jobs/${j.id}`}>{j.kind}</a>
                </td>
                <td>
                  <StateBadge state={j.state} />
                </td>
                <td>{j.stage || "—"}</td>
                <td>
                  <progress max={100} value={j.state === "succeeded" ? 100 : j.percent} aria-label={`${j.kind} progress`} />
                </td>
                <td>{new Date(j.created_at).toLocaleString()}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </StudioPage>
  );
}
