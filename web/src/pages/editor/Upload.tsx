// /studio/upload: resumable tus uploads of masters and sidecars, then the ingest job's progress.
import { useEffect, useRef, useState } from "preact/hooks";
import { Upload } from "tus-js-client";
import type { PreviousUpload } from "tus-js-client";
import { accessToken } from "../../api";
import { ErrorNote } from "../../components/Status";
import { useAsync } from "../../components/async";
import type { PageProps } from "../../router";
import { JobProgress } from "./Jobs";
import { studio } from "./studioApi";
import { StudioPage } from "./StudioNav";

const ENDPOINT = "/api/v1/admin/uploads/";
const CHUNK_BYTES = 8 * 1024 * 1024;

type Phase = "idle" | "uploading" | "paused" | "done" | "failed";

interface Unfinished {
  filename: string;
  size: number;
  created: string;
}

/** Uploads tus-js-client remembers in this browser that never finished: shown after a reload. */
function unfinishedUploads(): Unfinished[] {
  const found: Unfinished[] = [];
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i) ?? "";
    if (!key.startsWith("tus::")) continue;
    try {
      const entry = JSON.parse(localStorage.getItem(key) ?? "{}") as {
        size?: number;
        metadata?: Record<string, string>;
        creationTime?: string;
      };
      found.push({ filename: entry.metadata?.filename ?? "file", size: entry.size ?? 0, created: entry.creationTime ?? "" });
    } catch {
      // Someone else's entry; not ours to read.
    }
  }
  return found;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function metadataFor(file: File, form: Record<string, string>): Record<string, string> {
  const meta: Record<string, string> = { filename: file.name, filetype: file.type || "application/octet-stream" };
  meta.title_id = form.title_id;
  if (form.episode_id) meta.episode_id = form.episode_id;
  meta.kind = form.kind;
  if (form.kind !== "master" && form.language) meta.language = form.language;
  return meta;
}

function useTusUpload() {
  const upload = useRef<Upload | null>(null);
  const [phase, setPhase] = useState<Phase>("idle");
  const [sent, setSent] = useState(0);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [resumedFrom, setResumedFrom] = useState<PreviousUpload | null>(null);

  const start = async (file: File, metadata: Record<string, string>) => {
    setError(null);
    setJobId(null);
    const tus = new Upload(file, {
      endpoint: ENDPOINT,
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      // Tokens rotate during a long upload; every request takes the current one.
      onBeforeRequest: (req) => req.setHeader("Authorization", `Bearer ${accessToken() ?? ""}`),
      onProgress: (bytes, bytesTotal) => {
        setSent(bytes);
        setTotal(bytesTotal);
      },
      onError: (err) => {
        setError(err.message.split("\n")[0]);
        setPhase("failed");
      },
      onSuccess: () => {
        setPhase("done");
        if (tus.url) studio.upload(tus.url).then((status) => setJobId(status.job_id), (err: Error) => setError(err.message));
      },
    });
    upload.current = tus;
    const previous = await tus.findPreviousUploads();
    if (previous.length > 0) {
      tus.resumeFromPreviousUpload(previous[0]);
      setResumedFrom(previous[0]);
    }
    setTotal(file.size);
    setPhase("uploading");
    tus.start();
  };
  const pause = () => {
    void upload.current?.abort();
    setPhase("paused");
  };
  const resume = () => {
    upload.current?.start();
    setPhase("uploading");
  };
  return { phase, sent, total, error, jobId, resumedFrom, start, pause, resume };
}

export default function UploadPage({ query }: PageProps) {
  const titles = useAsync(() => studio.titles({ limit: 100 }), []);
  const [kind, setKind] = useState("master");
  const [file, setFile] = useState<File | null>(null);
  const tus = useTusUpload();
  const unfinished = useRef(unfinishedUploads()).current;
  const percent = tus.total > 0 ? Math.floor((tus.sent / tus.total) * 100) : 0;
  const active = tus.phase === "uploading" || tus.phase === "paused";

  useEffect(() => {
    const warn = (e: BeforeUnloadEvent) => tus.phase === "uploading" && e.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [tus.phase]);

  const submit = (event: Event) => {
    event.preventDefault();
    if (!file) return;
    const form = Object.fromEntries(new FormData(event.currentTarget as HTMLFormElement)) as Record<string, string>;
    void tus.start(file, metadataFor(file, form));
  };

  return (
    <StudioPage heading="Upload media">
      {unfinished.length > 0 && tus.phase === "idle" && (
        <div class="panel" role="status">
          <p>Unfinished uploads in this browser — choose the same file again to continue where it stopped:</p>
          <ul>
            {unfinished.map((u) => (
              <li key={u.created + u.filename}>
                {u.filename} ({megabytes(u.size)})
              </li>
            ))}
          </ul>
        </div>
      )}
      <form class="panel studio-form" onSubmit={submit} aria-label="Upload a file">
        <div class="studio-grid">
          <div class="field">
            <label for="up-title">Title</label>
            <select id="up-title" name="title_id" required disabled={active}>
              {(titles.data?.items ?? []).map((t) => (
                <option key={t.id} value={t.id} selected={t.id === query.get("title")}>
                  {t.name} ({t.state})
                </option>
              ))}
            </select>
          </div>
          <input type="hidden" name="episode_id" value={query.get("episode") ?? ""} />
          <div class="field">
            <label for="up-kind">What is it?</label>
            <select id="up-kind" name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)} disabled={active}>
              <option value="master">Video master</option>
              <option value="subtitle">Subtitles (SRT or WebVTT)</option>
              <option value="audio">Audio track</option>
            </select>
          </div>
          {kind !== "master" && (
            <div class="field">
              <label for="up-lang">Language</label>
              <input id="up-lang" name="language" required pattern="[a-z]{2,3}(-[A-Z]{2})?" placeholder="en" disabled={active} />
            </div>
          )}
        </div>
        {query.get("episode") && <p class="hint">For one episode of this series.</p>}
        <div class="field">
          <label for="up-file">File</label>
          <input id="up-file" name="file" type="file" required disabled={active} onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        </div>
        <div class="btn-row">
          {!active && tus.phase !== "done" && (
            <button class="btn btn-accent" type="submit" disabled={!file}>
              Start upload
            </button>
          )}
          {tus.phase === "uploading" && (
            <button class="btn" type="button" onClick={tus.pause}>
              Pause
            </button>
          )}
          {tus.phase === "paused" && (
            <button class="btn btn-primary" type="button" onClick={tus.resume}>
              Resume
            </button>
          )}
        </div>
      </form>
      {tus.phase !== "idle" && (
        <section class="panel" aria-labelledby="up-progress-heading">
          <h2 id="up-progress-heading">{file?.name ?? "Upload"}</h2>
          {tus.resumedFrom && <p class="hint">Continuing an upload started {new Date(tus.resumedFrom.creationTime).toLocaleString()}.</p>}
          <label class="progress-label" for="up-progress">
            {tus.phase === "done" ? "Uploaded" : tus.phase === "paused" ? "Paused" : "Uploading"} · {percent}% ({megabytes(tus.sent)} of {megabytes(tus.total)})
          </label>
          <progress id="up-progress" max={100} value={percent} />
        </section>
      )}
      <ErrorNote message={tus.error} />
      {tus.jobId && <JobProgress jobId={tus.jobId} />}
    </StudioPage>
  );
}
