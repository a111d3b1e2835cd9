// Typed calls to the editor API: catalogue, people, versions, jobs, uploads and analytics.
import { request } from "../../api";
import type { CreditRead, EpisodeRead, GenreRead, Page, Query, SeasonRead } from "../../api";
import type { components } from "../../generated/openapi";

type Schemas = components["schemas"];

export type PublishState = Schemas["PublishState"];
export type AdminTitleSummary = Schemas["AdminTitleSummary"];
export type AvailabilityRead = Schemas["AvailabilityRead"];
export type AdminTitle = Schemas["AdminTitleRead"];
export type TitleCreate = Schemas["TitleCreate"];
export type TitleWrite = Schemas["TitleUpdate"];
export type PersonRead = Schemas["PersonRead"];
export type VersionRead = Schemas["MediaVersionRead"];
export type LadderDecision = Schemas["LadderDecision"];
export type JobRead = Schemas["JobRead"];
export type UploadRead = Schemas["UploadRead"];
export type TitleStat = Schemas["TitleStat"];
export type DailyStat = Schemas["DailyStat"];
export type QoeStat = Schemas["QoeStat"];

const get = <T>(path: string, query?: Query) => request<T>("GET", path, { query });
const send = <T>(method: string, path: string, body?: unknown) => request<T>(method, path, { body });
const T = "/api/v1/admin/titles";

export const studio = {
  titles: (query: Query = {}) => get<Page<AdminTitleSummary>>(T, { limit: 50, ...query }),
  title: (id: string) => get<AdminTitle>(`${T}/${id}`),
  createTitle: (body: TitleCreate) => send<AdminTitle>("POST", T, body),
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
