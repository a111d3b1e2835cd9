// The home page: a featured title, then the profile's rows (continue watching, picks, trending, genres…).
import { catalog, library } from "../../api";
import type { Home as HomeData, HomeRow, HomeTitle } from "../../api";
import { useAsync } from "../../components/async";
import { onRowsKeyDown, onTopKeyDown } from "../../components/keys";
import { Poster, posterGradient, posterUrl } from "../../components/Poster";
import { Row } from "../../components/Row";
import { ErrorNote, Loading } from "../../components/Status";
import { useDocumentTitle } from "../../components/title";
import { profileStore, useStore } from "../../state";

const MY_LIST_ROW = 12;

/** The profile's rows, with its My List shown right after "Continue watching". */
async function loadHome(profileId: string): Promise<HomeData> {
  const [home, saved] = await Promise.all([catalog.home(profileId), library.myList(profileId).catch(() => null)]);
  if (!saved || saved.items.length === 0) return home;
  const row: HomeRow = {
    key: "my_list",
    title: "My List",
    reason: "saved",
    items: saved.items.slice(0, MY_LIST_ROW).map(({ title }) => ({ ...title, genres: title.genres.map((g) => g.name) })),
  };
  const at = home.rows[0]?.key === "continue" ? 1 : 0;
  return { ...home, rows: [...home.rows.slice(0, at), row, ...home.rows.slice(at)] };
}

function featured(home: HomeData): HomeTitle | undefined {
  const row = home.rows.find((r) => r.key === "top_picks") ?? home.rows.find((r) => r.key !== "continue") ?? home.rows[0];
  return row?.items[0];
}

function Hero({ title }: { title: HomeTitle }) {
  const art = posterUrl(title.poster);
  const style = art
    ? { backgroundImage: `url(${JSON.stringify(art)})` }
    : { background: posterGradient(title.id + title.name) };
  return (
    <section class="hero" style={style} aria-labelledby="hero-title">
      <div class="hero-art">
        <Poster id={title.id} name={title.name} poster={title.poster} year={title.release_year} />
      </div>
      <p class="row-reason">Featured for you</p>
      <h1 id="hero-title">{title.name}</h1>
      <div class="meta">
        {title.release_year && <span>{title.release_year}</span>}
        <span class="rating-badge">{title.maturity_rating}</span>
        {title.genres.length > 0 && <span class="genre-list">{title.genres.slice(0, 3).join(" · ")}</span>}
      </div>
      <div class="btn-row" onKeyDown={onTopKeyDown}>
        <a class="btn btn-primary" href={`/watch/${title.id}`} data-nav-top>
          ▶ Play
        </a>
        <a class="btn" href={`/title/${title.id}`}>
          More info
        </a>
      </div>
    </section>
  );
}

export default function Home() {
  const profile = useStore(profileStore);
  useDocumentTitle("Home");
  const home = useAsync(() => loadHome(profile!.id), [profile?.id]);
  if (home.loading && !home.data) return <Loading label="Loading your rows" />;
  if (!home.data) return <ErrorNote message={home.error} />;
  const hero = featured(home.data);
  return (
    <div class="home">
      {hero ? <Hero title={hero} /> : <h1 class="sr-only">Home</h1>}
      <ErrorNote message={home.error} />
      {home.data.rows.length === 0 && <p class="empty page">Nothing to show yet. The catalogue is empty for this profile.</p>}
      <div class="rows" data-nav-rows onKeyDown={onRowsKeyDown}>
        {home.data.rows.map((row) => (
          <Row id={row.key.replace(/[^a-z0-9_-]/gi, "-")} title={row.title} reason={reasonText(row.reason)} items={row.items} ranked={row.key === "top10"} />
        ))}
      </div>
    </div>
  );
}

function reasonText(reason: string): string | undefined {
  // Machine reasons that add nothing for a viewer stay hidden.
  if (["unfinished", "popular", "newest", "personal", "saved", "trending"].includes(reason)) return undefined;
  return reason.startsWith("similar to ") ? undefined : reason;
}
