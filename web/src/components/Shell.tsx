// The frame around every signed-in page: skip link, top navigation, profile switcher.
import type { ComponentChildren } from "preact";
import { locationStore, profileStore, useStore, userStore } from "../state";
import { Avatar } from "./Avatar";

function NavLink({ href, children }: { href: string; children: ComponentChildren }) {
  const { path } = useStore(locationStore);
  const current = href === "/" ? path === "/" : path.startsWith(href);
  return (
    <a href={href} class="nav-link" aria-current={current ? "page" : undefined}>
      {children}
    </a>
  );
}

export function Shell({ children }: { children: ComponentChildren }) {
  const user = useStore(userStore);
  const profile = useStore(profileStore);
  const editor = user && user.role !== "viewer";
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <a href="/" class="brand" aria-label="Marquee home">
          MARQUEE
        </a>
        <nav aria-label="Main" class="nav">
          {profile && <NavLink href="/">Home</NavLink>}
          {profile && <NavLink href="/search">Search</NavLink>}
          {profile && <NavLink href="/my-list">My List</NavLink>}
          {profile && <NavLink href="/downloads">Downloads</NavLink>}
          {editor && <NavLink href="/studio">Studio</NavLink>}
        </nav>
        <div class="topbar-end">
          {user && (
            <a href="/profiles" class="profile-chip" aria-label={profile ? `Switch profile (now ${profile.name})` : "Choose a profile"}>
              {profile ? <Avatar profile={profile} size="sm" /> : "Profiles"}
            </a>
          )}
          {user && <NavLink href="/account">Account</NavLink>}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
