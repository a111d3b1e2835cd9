// The Marquee API client: typed calls, bearer tokens with refresh rotation, readable problem+json errors.
import type {
  TitleKind,
  UserRead,
  TokenPair,
  AuthSession,
  ProfileRead,
  ProfileWrite,
  ProfileToken,
  Page,
  GenreCount,
  TitleRead,
  TitleDetail,
  Home,
  SearchPage,
  Suggestion,
  PlanRead,
  SubscriptionRead,
  Entitlements,
  Streams,
  WatchPosition,
  MyListItem,
  MyListStatus,
  Rating,
} from "./apiTypes";

export type * from "./apiTypes";

/** A problem+json answer turned into an Error whose message a viewer can read. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: Record<string, unknown>;

  constructor(status: number, body: Record<string, unknown>) {
    super(readableMessage(status, body));
    this.name = "ApiError";
    this.status = status;
    this.code = typeof body.code === "string" ? body.code : problemCode(body.type);
    this.body = body;
  }
}

function problemCode(type: unknown): string {
  if (typeof type !== "string") return "http_error";
  return type.split("/").pop() || "http_error";
}

function readableMessage(status: number, body: Record<string, unknown>): string {
  const errors = body.errors;
  if (status === 422 && Array.isArray(errors) && errors.length > 0) {
    return errors
      .slice(0, 3)
      .map((e: { loc?: string[]; msg?: string }) => {
        const field = (e.loc ?? []).filter((p) => p !== "body" && p !== "query").join(".");
        return field ? `${field}: ${e.msg ?? "invalid"}` : (e.msg ?? "invalid");
      })
      .join("; ");
  }
  if (typeof body.detail === "string" && body.detail) return body.detail;
  if (typeof body.title === "string" && body.title) return body.title;
  return status === 0 ? "The server could not be reached." : `Request failed (${status}).`;
}

// The access token lives in memory only; the refresh token is an HttpOnly cookie that script
// never sees, spent with the double-submit CSRF token the server sets beside it.
const LEGACY_TOKENS_KEY = "marquee.tokens";
const CSRF_COOKIE = "marquee_csrf";
const COOKIE_DELIVERY = { "X-Token-Delivery": "cookie" };
let tokensInMemory: TokenPair | null = null;

type TokenListener = (tokens: TokenPair | null) => void;
const tokenListeners = new Set<TokenListener>();

try {
  localStorage.removeItem(LEGACY_TOKENS_KEY); // tokens older builds kept where script could read them
} catch {
  // storage may be unavailable (private mode); there is nothing to clear then
}

function csrfToken(): string | null {
  const match = document.cookie.split("; ").find((part) => part.startsWith(`${CSRF_COOKIE}=`));
  return match ? decodeURIComponent(match.slice(CSRF_COOKIE.length + 1)) : null;
}

export function loadTokens(): TokenPair | null {
  return tokensInMemory;
}

// A locked profile's token, from switching in with its PIN; in memory only, like the access
// token, so a reload asks for the PIN again.
let profileTokenInMemory: { profileId: string; token: string } | null = null;

/** Send `token` as X-Profile-Token while acting as `profileId`; null forgets it. */
export function setProfileToken(profileId: string | null, token: string | null = null): void {
  profileTokenInMemory = profileId && token ? { profileId, token } : null;
}

export function hasProfileToken(profileId: string): boolean {
  return profileTokenInMemory?.profileId === profileId;
}

/** True while there is an access token in memory or a refresh cookie to get one with. */
export function hasSession(): boolean {
  return tokensInMemory !== null || csrfToken() !== null;
}

export function saveTokens(tokens: TokenPair | null): void {
  tokensInMemory = tokens;
  tokenListeners.forEach((listener) => listener(tokens));
}

export function onTokensChange(listener: TokenListener): () => void {
  tokenListeners.add(listener);
  return () => tokenListeners.delete(listener);
}

export function accessToken(): string | null {
  return tokensInMemory?.access_token ?? null;
}

// One refresh in flight at a time: refresh tokens rotate, so a second concurrent use would be a reuse.
let refreshing: Promise<boolean> | null = null;

async function refreshTokens(): Promise<boolean> {
  const csrf = csrfToken();
  if (!csrf) return false;
  refreshing ??= (async () => {
    try {
      const resp = await fetch("/api/v1/auth/refresh", {
        method: "POST",
        credentials: "same-origin",
        headers: { ...COOKIE_DELIVERY, "X-CSRF-Token": csrf },
      });
      if (!resp.ok) {
        // The cookie is spent or revoked: forget its CSRF twin so no reload tries it again.
        document.cookie = `${CSRF_COOKIE}=; Max-Age=0; Path=/; Secure; SameSite=Strict`;
        saveTokens(null);
        return false;
      }
      saveTokens((await resp.json()) as TokenPair);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  body?: unknown;
  query?: Query;
  auth?: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== "") params.set(key, String(value));
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function send(method: string, url: string, opts: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...opts.headers };
  const token = opts.auth === false ? null : accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (token && profileTokenInMemory) headers["X-Profile-Token"] = profileTokenInMemory.token;
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(url, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
}

/** Call the API; JSON in, JSON out, 204 → undefined; failures throw ApiError. */
export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const url = withQuery(path, opts.query);
  let resp: Response;
  try {
    // After a reload only the cookie is left: get an access token before asking, not after a 401.
    if (opts.auth !== false && !accessToken() && csrfToken()) await refreshTokens();
    resp = await send(method, url, opts);
    if (resp.status === 401 && opts.auth !== false && hasSession() && (await refreshTokens())) {
      resp = await send(method, url, opts);
    }
  } catch (err) {
    if (err instanceof DOMException && err.name === "AbortError") throw err;
    throw new ApiError(0, {});
  }
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { detail: text.slice(0, 200) };
  }
  if (!resp.ok) throw new ApiError(resp.status, (body ?? {}) as Record<string, unknown>);
  return body as T;
}

const get = <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>("GET", path, { query, signal });
const post = <T>(path: string, body?: unknown) => request<T>("POST", path, { body });

export const auth = {
  async register(email: string, password: string, display_name?: string): Promise<AuthSession> {
    const s = await request<AuthSession>("POST", "/api/v1/auth/register", {
      body: { email, password, ...(display_name ? { display_name } : {}) },
      auth: false,
      headers: COOKIE_DELIVERY,
    });
    saveTokens(s.tokens);
    return s;
  },
  async login(email: string, password: string): Promise<AuthSession> {
    const s = await request<AuthSession>("POST", "/api/v1/auth/login", {
      body: { email, password },
      auth: false,
      headers: COOKIE_DELIVERY,
    });
    saveTokens(s.tokens);
    return s;
  },
  async logout(): Promise<void> {
    const csrf = csrfToken();
    if (csrf) {
      await request<void>("POST", "/api/v1/auth/logout", { auth: false, headers: { "X-CSRF-Token": csrf } }).catch(
        () => undefined,
      );
    }
    saveTokens(null);
  },
  async signOutEverywhere(): Promise<void> {
    await post<void>("/api/v1/me/sign-out-everywhere");
    saveTokens(null);
  },
};

export const me = {
  get: () => get<UserRead>("/api/v1/me"),
  subscription: () => get<SubscriptionRead>("/api/v1/me/subscription"),
  entitlements: () => get<Entitlements>("/api/v1/me/entitlements"),
  plans: () => get<PlanRead[]>("/api/v1/plans"),
};

export const profiles = {
  list: () => get<Page<ProfileRead>>("/api/v1/me/profiles"),
  create: (body: ProfileWrite) => post<ProfileRead>("/api/v1/me/profiles", body),
  update: (id: string, body: ProfileWrite) =>
    request<ProfileRead>("PATCH", `/api/v1/me/profiles/${id}`, { body }),
  remove: (id: string) => request<void>("DELETE", `/api/v1/me/profiles/${id}`),
  switchTo: (id: string, pin: string | null) =>
    post<ProfileToken>(`/api/v1/me/profiles/${id}/switch`, { pin }),
};

export interface TitleFilters {
  genre?: string;
  year_from?: number;
  year_to?: number;
  type?: TitleKind;
  sort?: "title" | "year" | "newest";
  cursor?: string;
  limit?: number;
}

export const catalog = {
  titles: (profileId: string, filters: TitleFilters = {}) =>
    get<Page<TitleRead>>("/api/v1/titles", { profile_id: profileId, ...filters }),
  title: (profileId: string, titleId: string) =>
    get<TitleDetail>(`/api/v1/titles/${titleId}`, { profile_id: profileId }),
  genres: (profileId: string) => get<GenreCount[]>("/api/v1/genres", { profile_id: profileId }),
  home: (profileId: string) => get<Home>(`/api/v1/profiles/${profileId}/home`),
};

export interface SearchFilters {
  genre?: string;
  year_from?: number;
  year_to?: number;
  type?: TitleKind;
  language?: string;
  sort?: "relevance" | "popular" | "newest";
  cursor?: string;
  limit?: number;
}

export const search = {
  titles: (profileId: string, q: string, filters: SearchFilters = {}, signal?: AbortSignal) =>
    get<SearchPage>("/api/v1/search", { profile_id: profileId, q, ...filters }, signal),
  suggest: (profileId: string, q: string, signal?: AbortSignal) =>
    get<{ items: Suggestion[] }>("/api/v1/search/suggest", { profile_id: profileId, q }, signal),
};

export const playback = {
  streams: () => get<Streams>("/api/v1/playback/streams"),
  positions: (profileId: string, titleId?: string) =>
    get<{ items: WatchPosition[] }>("/api/v1/playback/positions", { profile_id: profileId, title_id: titleId }),
};

export const library = {
  myList: (profileId: string, cursor?: string) =>
    get<Page<MyListItem>>(`/api/v1/profiles/${profileId}/my-list`, { cursor, limit: 100 }),
  add: (profileId: string, titleId: string) =>
    request<MyListStatus>("PUT", `/api/v1/profiles/${profileId}/my-list/${titleId}`),
  remove: (profileId: string, titleId: string) =>
    request<void>("DELETE", `/api/v1/profiles/${profileId}/my-list/${titleId}`),
  status: (profileId: string, titleId: string) =>
    get<MyListStatus>(`/api/v1/profiles/${profileId}/my-list/${titleId}`),
  rating: (profileId: string, titleId: string) => get<Rating>(`/api/v1/profiles/${profileId}/ratings/${titleId}`),
  rate: (profileId: string, titleId: string, value: 1 | -1) =>
    request<Rating>("PUT", `/api/v1/profiles/${profileId}/ratings/${titleId}`, { body: { value } }),
  unrate: (profileId: string, titleId: string) =>
    request<void>("DELETE", `/api/v1/profiles/${profileId}/ratings/${titleId}`),
};
