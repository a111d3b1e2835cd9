// Shapes of the Marquee API's requests and answers, typed by hand against /openapi.json.

export type Role = "viewer" | "editor" | "admin";
export type TitleKind = "movie" | "series";

export interface UserRead {
  id: string;
  email: string;
  role: Role;
  display_name: string;
  country: string | null;
  created_at: string;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string | null;
  token_type?: string;
  expires_in: number;
}

export interface AuthSession {
  user: UserRead;
  tokens: TokenPair;
}

export interface ProfileRead {
  id: string;
  name: string;
  is_kids: boolean;
  maturity_ceiling: string;
  maturity_level: number;
  language: string;
  subtitle_language: string | null;
  subtitles_enabled: boolean;
  audio_language: string | null;
  avatar: string;
}

export interface ProfileWrite {
  name?: string;
  is_kids?: boolean;
  maturity_ceiling?: string | null;
  language?: string;
  subtitle_language?: string | null;
  subtitles_enabled?: boolean;
  audio_language?: string | null;
  avatar?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  next_cursor?: string | null;
}

export interface GenreRead {
  id: string;
  slug: string;
  name: string;
}

export interface GenreCount extends GenreRead {
  count: number;
}

export interface TitleRead {
  id: string;
  kind: TitleKind;
  slug: string;
  name: string;
  synopsis: string;
  release_year: number | null;
  runtime_minutes: number | null;
  maturity_rating: string;
  original_language: string | null;
  poster: string | null;
  backdrop: string | null;
  thumbnail: string | null;
  genres: GenreRead[];
}

export interface CreditRead {
  id: string;
  person: { id: string; name: string };
  role: "cast" | "director" | "writer";
  character: string | null;
  order: number;
}

export interface EpisodeRead {
  id: string;
  number: number;
  name: string;
  synopsis: string;
  runtime_minutes: number | null;
  intro_start_seconds: number | null;
  intro_end_seconds: number | null;
  credits_start_seconds: number | null;
  thumbnail: string | null;
}

export interface SeasonRead {
  id: string;
  number: number;
  name: string;
  synopsis: string;
  release_year: number | null;
  episodes: EpisodeRead[];
}

export interface TitleDetail extends TitleRead {
  credits: CreditRead[];
  seasons: SeasonRead[];
}

export interface HomeTitle {
  id: string;
  name: string;
  release_year: number | null;
  maturity_rating: string;
  genres: string[];
  poster: string | null;
  progress?: number | null;
}

export interface HomeRow {
  key: string;
  title: string;
  reason: string;
  items: HomeTitle[];
}

export interface Home {
  profile_id: string;
  country: string;
  degraded: boolean;
  rows: HomeRow[];
}

export interface SearchHit {
  id: string;
  name: string;
  kind: string;
  release_year: number | null;
  genres: string[];
  language: string | null;
  score: number;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface SearchPage {
  items: SearchHit[];
  total: number;
  /** False when a large match's total and facet counts are estimated from a sample. */
  counts_exact?: boolean;
  next_cursor?: string | null;
  query: string;
  facets: Record<string, FacetCount[]>;
}

export interface Suggestion {
  text: string;
  kind: string;
  title_id?: string | null;
}

export interface PlanRead {
  code: string;
  name: string;
  max_resolution: number;
  max_streams: number;
  downloads: number;
  price_cents: number;
  currency: string;
}

export interface SubscriptionRead {
  plan: PlanRead;
  status: string;
  current_period_end: string;
  provider: string;
}

export interface Entitlements {
  active: boolean;
  status: string | null;
  plan: string | null;
  max_resolution: number;
  max_streams: number;
  downloads: number;
  period_end: string | null;
}

export interface StreamRead {
  session_id: string;
  profile_id: string;
  title_id: string;
  title: string;
  device_name: string | null;
  started_at: string;
  last_seen_at: string;
}

export interface Streams {
  items: StreamRead[];
  max_streams: number;
}

export interface WatchPosition {
  title_id: string;
  episode_id: string | null;
  position: number;
  duration: number;
  completed: boolean;
  updated_at: string;
}

export interface MyListItem {
  title: TitleRead;
  added_at: string;
}

export interface MyListStatus {
  title_id: string;
  in_list: boolean;
  added_at: string | null;
}

export interface Rating {
  title_id: string;
  value: -1 | 0 | 1;
  updated_at: string | null;
}
