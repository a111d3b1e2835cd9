// Playback sessions over the API: start, heartbeat, stop, QoE beacons and remembered track choices.
import { accessToken, ApiError, profiles, request } from "../api";
import type { ProfileRead } from "../api";
import type { components } from "../generated/openapi";
import type { QoeReport } from "./qoe";

type Schemas = components["schemas"];

export type Markers = Schemas["Markers"];
export type NextEpisode = Schemas["NextEpisode"];
export type PlaybackSession = Schemas["SessionRead"];
export type Heartbeat = Schemas["HeartbeatCreate"];
export type PlayState = Heartbeat["state"];

export interface SessionTarget {
  profileId: string;
  titleId: string;
  episodeId?: string;
  startAt?: number;
}

/** Codec families this browser can decode, so the server offers only renditions that play. */
export function supportedCodecs(): string[] {
  const probe: Record<string, string> = {
    avc1: 'video/mp4; codecs="avc1.42E01E"',
    hvc1: 'video/mp4; codecs="hvc1.1.6.L93.B0"',
    av01: 'video/mp4; codecs="av01.0.05M.08"',
    mp4a: 'audio/mp4; codecs="mp4a.40.2"',
    "ec-3": 'audio/mp4; codecs="ec-3"',
  };
  const media = window.MediaSource;
  if (media) return Object.keys(probe).filter((name) => media.isTypeSupported(probe[name]));
  // No MSE (an iPhone playing HLS natively): ask the video element what it decodes.
  const video = document.createElement("video");
  const found = Object.keys(probe).filter((name) => video.canPlayType(probe[name]) !== "");
  return found.includes("avc1") ? found : ["avc1", "mp4a"];
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrom/.test(ua) ? "Chrome" : "Browser";
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iOS" : /Mac/.test(ua) ? "macOS" : /Win/.test(ua) ? "Windows" : "Linux";
  return `${browser} on ${os}`;
}

export function startSession(target: SessionTarget): Promise<PlaybackSession> {
  const body: Record<string, unknown> = {
    profile_id: target.profileId,
    device: { codecs: supportedCodecs(), name: deviceName() },
  };
  if (target.episodeId) body.episode_id = target.episodeId;
  else body.title_id = target.titleId;
  if (target.startAt !== undefined) body.start_at = target.startAt;
  return stopsSettled().then(() => request<PlaybackSession>("POST", "/api/v1/playback/sessions", { body }));
}

export type HeartbeatAnswer = Schemas["HeartbeatRead"];

export function sendHeartbeat(sessionId: string, beat: Heartbeat): Promise<HeartbeatAnswer> {
  return request("POST", `/api/v1/playback/sessions/${sessionId}/heartbeat`, { body: beat });
}

/** A request that outlives the page (leaving, closing the tab) — fetch keepalive carries the token. */
function sendKeepalive(path: string, body: unknown): Promise<unknown> {
  const token = accessToken();
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(path, { method: "POST", headers, body: JSON.stringify(body), keepalive: true }).catch(() => undefined);
}

// The last stop still on its way: the next session waits for it, so that it resumes from the
// position the stop saves rather than from the previous heartbeat.
let stopping: Promise<unknown> = Promise.resolve();
const STOP_WAIT_MS = 3000;

export function stopSession(sessionId: string, position: number): void {
  stopping = sendKeepalive(`/api/v1/playback/sessions/${sessionId}/stop`, { position: Math.max(0, position) });
}

function stopsSettled(): Promise<unknown> {
  return Promise.race([stopping, new Promise((resolve) => window.setTimeout(resolve, STOP_WAIT_MS))]);
}

export function sendQoe(session: PlaybackSession, profileId: string, report: QoeReport): void {
  if (report.watched_ms === 0 && report.time_to_first_frame_ms === null && report.errors === 0) return;
  const event = {
    kind: "qoe",
    profile_id: profileId,
    title_id: session.title_id,
    episode_id: session.episode_id,
    ...report,
  };
  void sendKeepalive("/api/v1/events", { events: [event] });
}

export function isSessionEnded(err: unknown): boolean {
  return err instanceof ApiError && (err.code === "session_ended" || err.status === 404);
}

/** Save the audio or subtitle choice on the profile so the next title starts with it. */
export function rememberTracks(profileId: string, change: Partial<ProfileRead>): Promise<ProfileRead> {
  const body: Record<string, unknown> = {};
  for (const key of ["audio_language", "subtitle_language", "subtitles_enabled"] as const) {
    if (change[key] !== undefined) body[key] = change[key];
  }
  return profiles.update(profileId, body);
}
