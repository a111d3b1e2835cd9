// /studio/titles/<id>: a title's metadata, publishing, media versions, seasons, credits and windows.
import { ErrorNote, Loading } from "../../components/Status";
import { useAsync } from "../../components/async";
import type { PageProps } from "../../router";
import { navigate } from "../../state";
import { AvailabilitySection } from "./Availability";
import { CreditsSection } from "./Credits";
import { SeasonsSection } from "./Seasons";
import { studio } from "./studioApi";
import type { AdminTitle, LadderDecision } from "./studioApi";
import { formValues, StateBadge, StudioPage, useAction } from "./StudioNav";
import { RATINGS } from "./Titles";

function MetadataForm({ title, onSaved }: { title: AdminTitle; onSaved(t: AdminTitle): void }) {
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    const v = formValues(event.currentTarget as HTMLFormElement);
    void action.run(async () =>
      onSaved(
        await studio.updateTitle(title.id, {
          name: v.name,
          synopsis: v.synopsis,
          maturity_rating: v.maturity_rating,
          release_year: v.release_year ? Number(v.release_year) : null,
          runtime_minutes: v.runtime_minutes ? Number(v.runtime_minutes) : null,
          poster: v.poster || null,
        }),
      ),
    );
  };
  return (
    <form class="panel studio-form" onSubmit={submit} aria-labelledby="meta-heading">
      <h2 id="meta-heading">Details</h2>
      <div class="studio-grid">
        <div class="field">
          <label for="te-name">Name</label>
          <input id="te-name" name="name" required maxLength={300} defaultValue={title.name} />
        </div>
        <div class="field">
          <label for="te-rating">Maturity rating</label>
          <select id="te-rating" name="maturity_rating">
            {RATINGS.map((r) => (
              <option key={r} value={r} selected={r === title.maturity_rating}>
                {r}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="te-year">Release year</label>
          <input id="te-year" name="release_year" type="number" min={1870} max={2100} defaultValue={title.release_year ?? ""} />
        </div>
        <div class="field">
          <label for="te-runtime">Runtime (minutes)</label>
          <input id="te-runtime" name="runtime_minutes" type="number" min={1} max={10000} defaultValue={title.runtime_minutes ?? ""} />
        </div>
      </div>
      <div class="field">
        <label for="te-poster">Poster URL</label>
        <input id="te-poster" name="poster" maxLength={1000} defaultValue={title.poster ?? ""} />
      </div>
      <div class="field">
        <label for="te-synopsis">Synopsis</label>
        <textarea id="te-synopsis" name="synopsis" rows={3} maxLength={5000} defaultValue={title.synopsis} />
      </div>
      <ErrorNote message={action.error} />
      <button class="btn btn-primary" type="submit" disabled={action.busy}>
        Save details
      </button>
    </form>
  );
}

function Publishing({ title, onSaved }: { title: AdminTitle; onSaved(t: AdminTitle): void }) {
  const action = useAction();
  const published = title.state === "published";
  return (
    <section class="panel" aria-labelledby="pub-heading">
      <h2 id="pub-heading">Publishing</h2>
      <p>
        State: <StateBadge state={title.state} /> {title.current_version_id ? "· a playable version is live" : "· no media yet"}
      </p>
      <div class="btn-row">
        {published ? (
          <button class="btn" type="button" disabled={action.busy} onClick={() => action.run(async () => onSaved(await studio.unpublish(title.id)))}>
            Unpublish
          </button>
        ) : (
          <button class="btn btn-accent" type="button" disabled={action.busy || title.state === "processing"} onClick={() => action.run(async () => onSaved(await studio.publish(title.id)))}>
            Publish
          </button>
        )}
        <a class="btn btn-ghost" href={`/studio/upload?title=${title.id}`}>
          Upload media
        </a>
        {published && (
          <a class="btn btn-ghost" href={`/watch/${title.id}`}>
            Watch
          </a>
        )}
        <button
          class="btn btn-ghost"
          type="button"
          disabled={action.busy}
          onClick={async () => {
            if (!window.confirm(`Delete “${title.name}” and all of its media?`)) return;
            if (await action.run(() => studio.deleteTitle(title.id))) navigate("/studio");
          }}
        >
          Delete
        </button>
      </div>
      <ErrorNote message={action.error} />
    </section>
  );
}

const CODEC_NAMES: Record<string, string> = { h264: "H.264", hevc: "HEVC", av1: "AV1" };

// How one codec's per-title ladder was chosen: its trials, the hull and the rungs picked.
function LadderNote({ ladder }: { ladder: LadderDecision }) {
  const codec = CODEC_NAMES[ladder.codec] ?? ladder.codec;
  return (
    <details class="ladder-decision">
      <summary>
        Per-title {codec} ladder: {ladder.points.length} trial encodes, {ladder.hull.length} on the hull,
        top rung aimed at VMAF {ladder.policy.target_vmaf}
      </summary>
      <table class="table" aria-label={`Per-title ${codec} rungs`}>
        <thead>
          <tr>
            <th scope="col">Rung</th>
            <th scope="col">Size</th>
            <th scope="col">CRF</th>
            <th scope="col">kb/s</th>
            <th scope="col">VMAF (predicted)</th>
          </tr>
        </thead>
        <tbody>
          {ladder.rungs.map((r) => (
            <tr key={r.name}>
              <td>{r.name}</td>
              <td>
                {r.width}x{r.height}
              </td>
              <td>{r.crf.toFixed(1)}</td>
              <td>{Math.round(r.bitrate / 1000)}</td>
              <td>{r.vmaf.toFixed(1)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function Versions({ titleId }: { titleId: string }) {
  const versions = useAsync(() => studio.versions(titleId), [titleId]);
  if (versions.error) return <ErrorNote message={versions.error} />;
  const items = versions.data ?? [];
  return (
    <section class="panel" aria-labelledby="versions-heading">
      <h2 id="versions-heading">Media versions</h2>
      {items.length === 0 ? (
        <p class="hint">No media yet. Upload a master to create the first version.</p>
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              <th scope="col">Duration</th>
              <th scope="col">Renditions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((v) => (
              <tr key={v.id}>
                <td>{new Date(v.created_at).toLocaleString()}</td>
                <td>
                  <StateBadge state={v.state} />
                </td>
                <td>{Math.round(v.duration_seconds)} s</td>
                <td>
                  {v.renditions.map((r) => r.name).join(", ")}
                  {v.ladders.map((ladder) => (
                    <LadderNote key={ladder.codec} ladder={ladder} />
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export default function TitleEditorPage({ params }: PageProps) {
  const title = useAsync(() => studio.title(params.id), [params.id]);
  const t = title.data;
  return (
    <StudioPage heading={t ? t.name : "Title"}>
      <ErrorNote message={title.error} />
      {!t ? (
        title.loading && <Loading />
      ) : (
        <div class="studio-columns" key={t.updated_at}>
          <div>
            <MetadataForm title={t} onSaved={title.setData} />
            {t.kind === "series" && <SeasonsSection title={t} onChanged={title.reload} />}
            <CreditsSection title={t} onChanged={title.reload} />
          </div>
          <div>
            <Publishing title={t} onSaved={title.setData} />
            <Versions titleId={t.id} />
            <AvailabilitySection title={t} onChanged={title.reload} />
          </div>
        </div>
      )}
    </StudioPage>
  );
}
