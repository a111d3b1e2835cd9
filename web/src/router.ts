// The route table: which page answers which path, and who may see it.
import { h } from "preact";
import type { ComponentType, VNode } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Shell } from "./components/Shell";
import { NotFoundPage } from "./components/NotFound";
import { locationStore, navigate, profileStore, useStore, userStore } from "./state";

export type Params = Record<string, string>;
export type PageProps = { params: Params; query: URLSearchParams };
type PageModule = { default: ComponentType<PageProps> };

/**
 * `needs`: "none" (anyone), "user" (signed in), "profile" (signed in and a profile chosen),
 * "editor" (an editor or admin). Pages load on first visit so the player stays out of the home bundle.
 */
export interface Route {
  path: string;
  load: () => Promise<PageModule>;
  needs: "none" | "user" | "profile" | "editor";
  chrome?: boolean;
}

export const ROUTES: Route[] = [
  { path: "/", load: () => import("./pages/viewer/Home"), needs: "profile" },
  { path: "/signin", load: () => import("./pages/viewer/SignIn"), needs: "none", chrome: false },
  { path: "/signup", load: () => import("./pages/viewer/SignUp"), needs: "none", chrome: false },
  { path: "/profiles", load: () => import("./pages/viewer/Profiles"), needs: "user", chrome: false },
  { path: "/title/:id", load: () => import("./pages/viewer/Title"), needs: "profile" },
  { path: "/search", load: () => import("./pages/viewer/Search"), needs: "profile" },
  { path: "/my-list", load: () => import("./pages/viewer/MyList"), needs: "profile" },
  { path: "/account", load: () => import("./pages/viewer/Account"), needs: "user" },
  { path: "/downloads", load: () => import("./downloads/DownloadsPage"), needs: "profile" },
  // Player and studio routes are registered below this line.
  { path: "/watch/:titleId", load: () => import("./pages/watch"), needs: "profile", chrome: false },
  { path: "/watch/:titleId/:episodeId", load: () => import("./pages/watch"), needs: "profile", chrome: false },
  { path: "/studio", load: () => import("./pages/editor/Titles"), needs: "editor" },
  { path: "/studio/titles/:id", load: () => import("./pages/editor/TitleEditor"), needs: "editor" },
  { path: "/studio/people", load: () => import("./pages/editor/People"), needs: "editor" },
  { path: "/studio/upload", load: () => import("./pages/editor/Upload"), needs: "editor" },
  { path: "/studio/jobs", load: () => import("./pages/editor/Jobs"), needs: "editor" },
  { path: "/studio/jobs/:id", load: () => import("./pages/editor/JobDetail"), needs: "editor" },
  { path: "/studio/analytics", load: () => import("./pages/editor/Analytics"), needs: "editor" },
];

export function matchPath(pattern: string, path: string): Params | null {
  const want = pattern.split("/").filter(Boolean);
  const got = path.split("/").filter(Boolean);
  if (want.length !== got.length) return null;
  const params: Params = {};
  for (let i = 0; i < want.length; i++) {
    if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(got[i]);
    else if (want[i] !== got[i]) return null;
  }
  return params;
}

function findRoute(path: string): { route: Route; params: Params } | null {
  for (const route of ROUTES) {
    const params = matchPath(route.path, path);
    if (params) return { route, params };
  }
  return null;
}

/** Where a visitor must go first, or null when the route may render. */
function redirectFor(route: Route, path: string): string | null {
  const user = userStore.get();
  if (route.needs === "none") return null;
  if (!user) return `/signin?next=${encodeURIComponent(path)}`;
  if (route.needs === "editor" && user.role === "viewer") return "/";
  if (route.needs === "profile" && !profileStore.get()) return `/profiles?next=${encodeURIComponent(path)}`;
  return null;
}

const loaded = new Map<string, ComponentType<PageProps>>();

function LoadFailed(): VNode<any> {
  return h(
    "section",
    { class: "page narrow", role: "alert" },
    h("h1", null, "This page could not load"),
    h("p", null, "Check the connection, then reload the page."),
    h("button", { class: "btn btn-primary", type: "button", onClick: () => window.location.reload() }, "Reload"),
  );
}

export function Router(): VNode<any> {
  const location = useStore(locationStore);
  useStore(userStore);
  useStore(profileStore);
  const found = findRoute(location.path);
  const [, setTick] = useState(0);
  const redirect = found ? redirectFor(found.route, location.path + window.location.search) : null;

  useEffect(() => {
    if (redirect) navigate(redirect, { replace: true });
  }, [redirect]);

  // The link that was clicked is gone with the old page; start keyboard and screen reader users
  // at the new page's content instead of the top of the document.
  useEffect(() => {
    const frame = requestAnimationFrame(() => {
      if (document.activeElement === document.body) document.getElementById("main")?.focus({ preventScroll: true });
    });
    return () => cancelAnimationFrame(frame);
  }, [location.path]);

  useEffect(() => {
    if (!found || loaded.has(found.route.path)) return;
    const key = found.route.path;
    found.route.load().then(
      (mod) => {
        loaded.set(key, mod.default);
        setTick((n) => n + 1);
      },
      // A chunk that fails to load (offline, or replaced by a newer build) gets a page that says so.
      () => {
        loaded.set(key, LoadFailed);
        setTick((n) => n + 1);
      },
    );
  }, [found?.route.path]);

  if (!found) return h(Shell, null, h(NotFoundPage, null));
  if (redirect) return h("div", { class: "page-loading", "aria-busy": "true" });
  const Page = loaded.get(found.route.path);
  const body = Page
    ? h(Page, { params: found.params, query: location.query })
    : h("div", { class: "page-loading", "aria-busy": "true" });
  return found.route.chrome === false ? h("main", { id: "main", class: "bare" }, body) : h(Shell, null, body);
}
