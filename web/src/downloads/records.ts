// The downloads kept on this device, beside their media in Shaka's offline storage: what
// playing offline needs (expiry, ClearKey key, positions not yet sent back), in localStorage.
import { Store } from "../state";
import type { ContentKey, OfflineReport } from "./api";

export interface LocalDownload {
  id: string;
  profileId: string;
  titleId: string;
  episodeId: string | null;
  title: string;
  episodeTitle: string | null;
  quality: number;
  duration: number;
  expiresAt: string;
  playedExpirySeconds: number;
  playedAt: string | null;
  keys: ContentKey[];
  offlineUri: string | null;
  sizeBytes: number;
  state: "downloading" | "ready" | "failed" | "revoked";
  problem: string | null;
  position: number;
  reports: OfflineReport[];
}

const RECORDS_KEY = "marquee.downloads";
const DEVICE_KEY = "marquee.device";
const MAX_REPORTS = 500;

function load(): Record<string, LocalDownload> {
  try {
    return JSON.parse(localStorage.getItem(RECORDS_KEY) ?? "{}") as Record<string, LocalDownload>;
  } catch {
    return {};
  }
}

/** Every download on this device; subscribers re-render on each change. */
export const localStore = new Store<Record<string, LocalDownload>>(load());
/** Percent fetched of the downloads in progress. */
export const progressStore = new Store<Record<string, number>>({});

export function save(record: LocalDownload): void {
  const all = { ...localStore.get(), [record.id]: record };
  localStorage.setItem(RECORDS_KEY, JSON.stringify(all));
  localStore.set(all);
}

export function forget(id: string): void {
  const all = { ...localStore.get() };
  delete all[id];
  localStorage.setItem(RECORDS_KEY, JSON.stringify(all));
  localStore.set(all);
}

export function update(id: string, change: Partial<LocalDownload>): LocalDownload | null {
  const found = localStore.get()[id];
  if (!found) return null;
  const next = { ...found, ...change };
  save(next);
  return next;
}

/** This browser's device id: random, made once, kept with the downloads. */
export function deviceId(): string {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = crypto.randomUUID().replace(/-/g, "");
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

export function forProfile(profileId: string): LocalDownload[] {
  return Object.values(localStore.get())
    .filter((d) => d.profileId === profileId)
    .sort((a, b) => a.title.localeCompare(b.title));
}

/** When the copy stops playing: its licence's expiry, or the short one after the first play. */
export function playableUntil(record: LocalDownload): number {
  const until = Date.parse(record.expiresAt);
  if (!record.playedAt) return until;
  return Math.min(until, Date.parse(record.playedAt) + record.playedExpirySeconds * 1000);
}

export function isExpired(record: LocalDownload, now = Date.now()): boolean {
  return now >= playableUntil(record);
}

function base64urlToHex(text: string): string {
  const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Array.from(raw, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

/** The ClearKey keys as Shaka's `drm.clearKeys` takes them (hex key id → hex key). */
export function clearKeys(keys: ContentKey[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [base64urlToHex(k.kid), base64urlToHex(k.k)]));
}

/** A position watched offline, kept until it can be sent back. */
export function watched(id: string, position: number, seconds: number): void {
  const found = localStore.get()[id];
  if (!found) return;
  const report = { position, watched_at: new Date().toISOString(), watched_seconds: Math.min(seconds, 3600) };
  update(id, { position, reports: [...found.reports, report].slice(-MAX_REPORTS) });
}

