// /watch/<title>[/<episode>]: start a playback session and play it, or say why it cannot play.
import { useEffect, useState } from "preact/hooks";
import { ApiError, catalog } from "../api";
import type { ProfileRead, TitleDetail } from "../api";
import { Loading } from "../components/Status";
import { Player } from "../player/Player";
import { ProblemView } from "../player/Overlays";
import type { Problem } from "../player/problems";
import { startSession } from "../player/session";
import type { PlaybackSession } from "../player/session";
import type { PageProps } from "../router";
import { navigate, profileStore, useStore } from "../state";
import "../player/player.css";

type Outcome = { session: PlaybackSession; title: TitleDetail | null } | { problem: Problem };

function asProblem(err: unknown): Problem {
  if (err instanceof ApiError) return { ...(err.body as Partial<Problem>), status: err.status, detail: err.message };
  return { status: 0, detail: "The server could not be reached." };
}

function headingFor(title: TitleDetail | null, episodeId: string | undefined): string {
  if (!title) return "Now playing";
  for (const season of title.seasons) {
    const episode = season.episodes.find((e) => e.id === episodeId);
    if (episode) return `${title.name} · S${season.number} E${episode.number} ${episode.name}`;
  }
  return title.name;
}

async function begin(profile: ProfileRead, titleId: string, episodeId: string | undefined, startAt: number | undefined): Promise<Outcome> {
  const details = catalog.title(profile.id, titleId).catch(() => null);
  try {
    const session = await startSession({ profileId: profile.id, titleId, episodeId, startAt });
    return { session, title: await details };
  } catch (err) {
    return { problem: asProblem(err) };
  }
}

export default function WatchPage({ params, query }: PageProps) {
  const profile = useStore(profileStore);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const { titleId, episodeId } = params;
  const startParam = query.get("t");
  const startAt = startParam !== null && Number.isFinite(Number(startParam)) ? Number(startParam) : undefined;

  useEffect(() => {
    if (!profile) return;
    let live = true;
    setOutcome(null);
    void begin(profile, titleId, episodeId, startAt).then((result) => live && setOutcome(result));
    return () => {
      live = false;
    };
    // The profile object is replaced when a track choice is saved; only its id restarts playback.
  }, [profile?.id, titleId, episodeId, startParam]);

  if (!profile || !outcome) {
    return (
      <div class="watch-page">
        <Loading label="Starting playback" />
      </div>
    );
  }
  if ("problem" in outcome) {
    return (
      <div class="watch-page">
        <ProblemView problem={outcome.problem} />
      </div>
    );
  }
  return (
    <div class="watch-page">
      <Player
        key={outcome.session.session_id}
        session={outcome.session}
        profile={profile}
        heading={headingFor(outcome.title, episodeId)}
        backHref={`/title/${titleId}`}
        onNextEpisode={(next) => navigate(`/watch/${titleId}/${next}`)}
      />
    </div>
  );
}
