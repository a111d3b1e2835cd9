// App-wide state: who is signed in, which profile is watching, and where in the app we are.
import { useEffect, useState } from "preact/hooks";
import { ApiError, hasSession, me, onTokensChange, profiles as profilesApi, setProfileToken } from "./api";
import type { ProfileRead, UserRead } from "./api";

/** A tiny observable value with a preact hook; enough for a handful of globals. */
export class Store<T> {
  private value: T;
  private listeners = new Set<(value: T) => void>();

  constructor(initial: T) {
    this.value = initial;
  }

  get(): T {
    return this.value;
  }

  set(value: T): void {
    this.value = value;
    this.listeners.forEach((listener) => listener(value));
  }

  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}

// ---- signed-in user ----------------------------------------------------------------------------

export const userStore = new Store<UserRead | null>(null);
export const profileStore = new Store<ProfileRead | null>(null);
const PROFILE_KEY = "marquee.profile";

export function signedIn(): boolean {
  return hasSession();
}

/** Load the user (and the remembered profile) after a reload; false when the tokens are gone. */
export async function restoreSession(): Promise<boolean> {
  if (!signedIn()) return false;
  try {
    userStore.set(await me.get());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return false;
    throw err;
  }
  const remembered = localStorage.getItem(PROFILE_KEY);
  if (remembered && !profileStore.get()) {
    const page = await profilesApi.list();
    // A locked profile's token went with the reload: its PIN is asked for again.
    profileStore.set(page.items.find((p) => p.id === remembered && !p.locked) ?? null);
  }
  return true;
}

/** Watch as `profile`; a locked one comes with the token its PIN bought. */
export function selectProfile(profile: ProfileRead | null, profileToken: string | null = null): void {
  if (profile?.id !== profileStore.get()?.id || profileToken) setProfileToken(profile?.id ?? null, profileToken);
  if (profile) localStorage.setItem(PROFILE_KEY, profile.id);
  else localStorage.removeItem(PROFILE_KEY);
  profileStore.set(profile);
}

onTokensChange((tokens) => {
  if (!tokens) {
    userStore.set(null);
    selectProfile(null);
  }
});

// ---- location ---------------------------------------------------------------------------------

export interface Location {
  path: string;
  query: URLSearchParams;
}

function currentLocation(): Location {
  return { path: window.location.pathname, query: new URLSearchParams(window.location.search) };
}

export const locationStore = new Store<Location>(currentLocation());

/** Go to an in-app path without reloading; `replace` keeps the history entry count unchanged. */
export function navigate(to: string, opts: { replace?: boolean; keepScroll?: boolean } = {}): void {
  const here = window.location.pathname + window.location.search;
  if (to === here) return;
  if (opts.replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  locationStore.set(currentLocation());
  if (!opts.keepScroll) window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => locationStore.set(currentLocation()));

/** Same-origin links inside the app navigate in place instead of reloading the page. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest("a");
    if (!anchor || anchor.target || anchor.hasAttribute("download")) return;
    const url = new URL(anchor.href, window.location.href);
    if (url.origin !== window.location.origin || isServerPath(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}

const SERVER_PREFIXES = ["/api/", "/media/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics"];

function isServerPath(path: string): boolean {
  return SERVER_PREFIXES.some((prefix) => path.startsWith(prefix));
}
