// A profile's avatar: a coloured tile with the profile's initial, stable per avatar name.
import type { ProfileRead } from "../api";

const COLOURS = ["#e50914", "#2f80ed", "#f2994a", "#27ae60", "#9b51e0", "#eb5757", "#00a3a3", "#c78c06"];

export function avatarColour(seed: string): string {
  const numbered = /^avatar-(\d+)$/.exec(seed);
  if (numbered) return COLOURS[(Number(numbered[1]) - 1) % COLOURS.length];
  let hash = 0;
  for (const ch of seed) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  return COLOURS[hash % COLOURS.length];
}

export function Avatar({ profile, size = "lg" }: { profile: Pick<ProfileRead, "name" | "avatar" | "is_kids">; size?: "sm" | "lg" }) {
  const initial = (profile.name.trim()[0] ?? "?").toUpperCase();
  return (
    <span class={`avatar avatar-${size}`} style={{ background: avatarColour(profile.avatar || profile.name) }} aria-hidden="true">
      {initial}
      {profile.is_kids && size === "lg" && <span class="avatar-kids">KIDS</span>}
    </span>
  );
}
