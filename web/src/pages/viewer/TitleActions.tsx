// The title page's buttons: Play/Resume, My List, thumbs up and down.
import { useState } from "preact/hooks";
import { library } from "../../api";
import { errorText, useAsync } from "../../components/async";
import { ThumbIcon } from "../../components/Icons";
import { ProgressBar } from "../../components/Poster";
import { ErrorNote } from "../../components/Status";
import type { PlayTarget } from "./Title";

async function loadState(profileId: string, titleId: string) {
  const [status, rating] = await Promise.all([library.status(profileId, titleId), library.rating(profileId, titleId)]);
  return { inList: status.in_list, rating: rating.value as number };
}

export function TitleActions({ profileId, titleId, target }: { profileId: string; titleId: string; target: PlayTarget }) {
  const state = useAsync(() => loadState(profileId, titleId), [profileId, titleId]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current = state.data ?? { inList: false, rating: 0 };

  async function change(action: () => Promise<unknown>, next: { inList: boolean; rating: number }) {
    setBusy(true);
    setError(null);
    try {
      await action();
      state.setData(next);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const toggleList = () =>
    change(
      () => (current.inList ? library.remove(profileId, titleId) : library.add(profileId, titleId)),
      { ...current, inList: !current.inList },
    );
  const thumb = (value: 1 | -1) =>
    change(
      () => (current.rating === value ? library.unrate(profileId, titleId) : library.rate(profileId, titleId, value)),
      { ...current, rating: current.rating === value ? 0 : value },
    );

  return (
    <div class="title-actions">
      <div class="btn-row">
        <a class="btn btn-primary btn-play" href={target.href}>
          <span aria-hidden="true">▶</span> {target.label}
        </a>
        <button class="btn" type="button" aria-pressed={current.inList} disabled={busy || !state.data} onClick={toggleList}>
          <span aria-hidden="true">{current.inList ? "✓" : "+"}</span> My List
        </button>
        <button class="btn btn-icon" type="button" aria-pressed={current.rating === 1} aria-label="I like this" title="I like this" disabled={busy || !state.data} onClick={() => thumb(1)}>
          <ThumbIcon />
        </button>
        <button class="btn btn-icon" type="button" aria-pressed={current.rating === -1} aria-label="Not for me" title="Not for me" disabled={busy || !state.data} onClick={() => thumb(-1)}>
          <ThumbIcon down />
        </button>
      </div>
      {target.progress !== null && (
        <div class="resume-progress">
          <ProgressBar value={target.progress} />
        </div>
      )}
      <ErrorNote message={error ?? state.error} />
    </div>
  );
}
