// The downloads endpoints, typed from /openapi.json.
import { request } from "../api";
import type { components } from "../generated/openapi";

type Schemas = components["schemas"];
export type DownloadStarted = Schemas["DownloadStarted"];
export type DownloadRenewed = Schemas["DownloadRenewed"];
export type DownloadList = Schemas["DownloadList"];
export type OfflineReport = Schemas["OfflineReport"];
export type ContentKey = Schemas["ContentKey"];

export interface DownloadTarget {
  title_id?: string;
  episode_id?: string;
}

const base = (profileId: string) => `/api/v1/profiles/${encodeURIComponent(profileId)}/downloads`;

export const downloadsApi = {
  create: (profileId: string, body: DownloadTarget & { device_id: string; quality?: number }) =>
    request<DownloadStarted>("POST", base(profileId), { body }),
  list: (profileId: string) => request<DownloadList>("GET", base(profileId)),
  remove: (profileId: string, id: string) => request<void>("DELETE", `${base(profileId)}/${id}`),
  renew: (profileId: string, id: string, playedAt: string | null) =>
    request<DownloadRenewed>("POST", `${base(profileId)}/${id}/license`, { body: { played_at: playedAt } }),
  progress: (profileId: string, id: string, reports: OfflineReport[]) =>
    request<unknown>("POST", `${base(profileId)}/${id}/progress`, { body: { reports } }),
};
