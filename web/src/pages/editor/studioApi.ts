// Typed calls to the editor API: catalogue, people, versions, jobs, uploads and analytics.
import { request } from "../../api";
import type { CreditRead, EpisodeRead, GenreRead, Page, Query, SeasonRead, TitleDetail, TitleKind } from "../../api";

export type PublishState = "draft" | "processing" | "published" | "unpublished";

export interface AdminTitleSummary {
  id: string;
  kind: TitleKind;
  slug: string;
  name: string;
  release_year: number | null;
  maturity_rating: string;
  poster: string | null;
  genres: GenreRead[];
  state: PublishState;
  updated_at: string;
}

export interface AvailabilityRead {
  id: string;
  country: string;
  starts_at: string;
  ends_at: string | null;
}

export interface AdminTitle extends TitleDetail {
  state: PublishState;
  maturity_level: number;
  published_at: string | null;
  current_version_id: string | null;
  availability: AvailabilityRead[];
  created_at: string;
  updated_at: string;
}

export interface TitleWrite {
  kind?: TitleKind;
  slug?: string;
  name?: string;
  synopsis?: string;
  release_year?: number | null;
  runtime_minutes?: number | null;
  maturity_rating?: string;
  original_language?: string | null;
  poster?: string | null;
  genre_ids?: string[];
}

export interface PersonRead {
  id: string;
  name: string;
  biography: string;
  photo: string | null;
}

export interface VersionRead {
  id: string;
  state: string;
  created_at: string;
  duration_seconds: number;
  renditions: { name: string; height: number; bandwidth: number }[];
  episode_id: string | null;
  // How a per-title ladder was chosen; null for the fixed table.
  ladder_decision: LadderDecision | null;
}

export interface LadderDecision {
  rungs: { name: string; crf: number; bitrate: number; vmaf: number }[];
  points: { name: string; crf: number; bitrate: number; vmaf: number }[];
  hull: { name: string; crf: number; bitrate: number; vmaf: number }[];
  policy: { target_vmaf: number };
}

export interface JobRead {
  id: string;
  kind: string;
  key: string;
  state: "queued" | "running" | "succeeded" | "failed" | "dead";
  stage: string;
  percent: number;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  payload: Record<string, unknown>;
  result: Record<string, unknown> | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
}

export interface UploadRead {
  id: string;
  state: string;
  purpose: string;
  title_id: string | null;
  episode_id: string | null;
  filename: string;
  length: number;
  offset: number;
  job_id: string | null;
}

export interface TitleStat {
  title_id: string;
  name: string | null;
  plays: number;
  watch_hours: number;
  completes: number;
  completion_rate: number;
}

export interface DailyStat {
  day: string;
  plays: number;
  watch_hours: number;
  completes: number;
}

export interface QoeStat {
  title_id: string;
  rendition: string;
  samples: number;
  ttff_p50_ms: number | null;
  ttff_p95_ms: number | null;
  rebuffer_ratio: number;
  errors: number;
}

const get = <T>(path: string, query?: Query) => request<T>("GET", path, { query });
const send = <T>(method: string, path: string, body?: unknown) => request<T>(method, path, { body });
const T = "/api/v1/admin/titles";

export const studio = {
  titles: (query: Query = {}) => get<Page<AdminTitleSummary>>(T, { limit: 50, ...query }),
  title: (id: string) => get<AdminTitle>(`${T}/${id}`),
  createTitle: (body: TitleWrite) => send<AdminTitle>("POST", T, body),
  updateTitle: (id: string, body: TitleWrite) => send<AdminTitle>("PATCH", `${T}/${id}`, body),
  deleteTitle: (id: string) => send<void>("DELETE", `${T}/${id}`),
  publish: (id: string) => send<AdminTitle>("POST", `${T}/${id}/publish`),
  unpublish: (id: string) => send<AdminTitle>("POST", `${T}/${id}/unpublish`),
  addWindow: (id: string, body: { country: string; starts_at: string; ends_at?: string | null }) =>
    send<AvailabilityRead>("POST", `${T}/${id}/availability`, body),
  deleteWindow: (id: string, windowId: string) => send<void>("DELETE", `${T}/${id}/availability/${windowId}`),
  addCredit: (id: string, body: { person_id: string; role: string; character?: string | null; order?: number }) =>
    send<CreditRead>("POST", `${T}/${id}/credits`, body),
  deleteCredit: (id: string, creditId: string) => send<void>("DELETE", `${T}/${id}/credits/${creditId}`),
  addSeason: (id: string, body: { number: number; name?: string }) => send<SeasonRead>("POST", `${T}/${id}/seasons`, body),
  deleteSeason: (id: string, number: number) => send<void>("DELETE", `${T}/${id}/seasons/${number}`),
  addEpisode: (id: string, season: number, body: Partial<EpisodeRead> & { number: number; name: string }) =>
    send<EpisodeRead>("POST", `${T}/${id}/seasons/${season}/episodes`, body),
  updateEpisode: (id: string, season: number, episode: number, body: Partial<EpisodeRead>) =>
    send<EpisodeRead>("PATCH", `${T}/${id}/seasons/${season}/episodes/${episode}`, body),
  deleteEpisode: (id: string, season: number, episode: number) =>
    send<void>("DELETE", `${T}/${id}/seasons/${season}/episodes/${episode}`),
  versions: (id: string) => get<VersionRead[]>(`${T}/${id}/versions`),
  genres: () => get<GenreRead[]>("/api/v1/admin/genres"),
  people: (q?: string) => get<Page<PersonRead>>("/api/v1/admin/people", { q, limit: 50 }),
  createPerson: (body: { name: string; biography?: string }) => send<PersonRead>("POST", "/api/v1/admin/people", body),
  deletePerson: (id: string) => send<void>("DELETE", `/api/v1/admin/people/${id}`),
  jobs: (query: Query = {}) => get<Page<JobRead>>("/api/v1/admin/jobs", { limit: 50, ...query }),
  job: (id: string) => get<JobRead>(`/api/v1/admin/jobs/${id}`),
  retryJob: (id: string) => send<JobRead>("POST", `/api/v1/admin/jobs/${id}/retry`),
  upload: (url: string) => get<UploadRead>(url),
  topTitles: (days: number) => get<TitleStat[]>("/api/v1/admin/analytics/titles", { days }),
  daily: (titleId: string, days: number) => get<DailyStat[]>(`/api/v1/admin/analytics/titles/${titleId}/daily`, { days }),
  qoe: (days: number, titleId?: string) => get<QoeStat[]>("/api/v1/admin/analytics/qoe", { days, title_id: titleId }),
};
