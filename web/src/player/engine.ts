// Shaka Player behind a small surface: load a protected session over DASH or HLS, list and pick tracks.
import shaka from "shaka-player/dist/shaka-player.compiled";
import { MediaToken } from "./mediaToken";
import type { HeartbeatAnswer, PlaybackSession } from "./session";

export type StreamKind = "dash" | "hls";

/**
 * Which manifest this browser plays, by what it can do, never by its name: with Media Source
 * Extensions (or Apple's ManagedMediaSource) Shaka plays the DASH manifest itself; without
 * them, a browser that plays HLS natively (Safari on iPhone) gets the HLS one, which Shaka
 * hands to the <video> element. Both describe the same cbcs segments.
 */
export function chooseStream(video: HTMLVideoElement, scope: object = window): StreamKind | null {
  if ("MediaSource" in scope || "ManagedMediaSource" in scope) return "dash";
  if (video.canPlayType("application/vnd.apple.mpegurl")) return "hls";
  return null;
}

export interface QualityOption {
  height: number;
  bandwidth: number;
}

export interface TextOption {
  id: number;
  language: string;
  label: string;
}

export interface EngineEvents {
  onBuffering(buffering: boolean): void;
  onRendition(height: number, bandwidthKbps: number): void;
  onTracksChanged(): void;
  onError(message: string, fatal: boolean): void;
}

export interface Preferences {
  audioLanguage: string | null;
  textLanguage: string | null;
}

let polyfilled = false;

export class Engine {
  readonly player: shaka.Player;
  private autoQuality = true;
  private mediaToken: MediaToken | null = null;
  private licenceUrl: string | null = null;
  private maxHeight = Infinity;

  constructor(
    readonly video: HTMLVideoElement,
    private readonly events: EngineEvents,
  ) {
    if (!polyfilled) {
      shaka.polyfill.installAll();
      polyfilled = true;
    }
    this.player = new shaka.Player();
    // With a container Shaka draws captions in the page (see player.css), where they can sit
    // above the controls instead of under them.
    if (video.parentElement) this.player.setVideoContainer(video.parentElement);
    this.player.addEventListener("buffering", (e) => events.onBuffering(Boolean((e as unknown as { buffering: boolean }).buffering)));
    this.player.addEventListener("adaptation", () => this.reportRendition());
    this.player.addEventListener("variantchanged", () => this.reportRendition());
    this.player.addEventListener("trackschanged", () => events.onTracksChanged());
    this.player.addEventListener("error", (e) => this.reportError((e as unknown as { detail: shaka.util.Error }).detail));
  }

  static supported(): boolean {
    return shaka.Player.isBrowserSupported();
  }

  async load(session: PlaybackSession, prefs: Preferences): Promise<void> {
    await this.player.attach(this.video);
    const config: Record<string, unknown> = {
      abr: { enabled: true },
      streaming: { bufferingGoal: 20, rebufferingGoal: 1 },
      preferredAudioLanguage: prefs.audioLanguage ?? "",
      preferredTextLanguage: prefs.textLanguage ?? "",
    };
    if (session.license_url) {
      config.drm = { servers: { [session.key_system ?? "org.w3.clearkey"]: session.license_url } };
    }
    this.player.configure(config);
    const token = new MediaToken(session.session_id, session.media_token);
    this.mediaToken = token;
    this.licenceUrl = session.license_url;
    this.maxHeight = session.max_height;
    this.player.getNetworkingEngine()?.registerRequestFilter((type, request) => {
      // A licence asked for hours into a session goes with the newest heartbeat's token.
      if (type === shaka.net.NetworkingEngine.RequestType.LICENSE) {
        if (this.licenceUrl) request.uris = [this.licenceUrl];
        return;
      }
      request.uris = request.uris.map((uri) => token.apply(uri));
    });
    const start = session.start_position > 0 ? session.start_position : null;
    const kind = chooseStream(this.video);
    // Native HLS fetches the playlist once and its URLs as they are: its link form carries
    // the token in the session's media cookie, which each heartbeat renews.
    const url = kind === "hls" ? session.native_hls_url : session.dash_url;
    try {
      await this.player.load(url, start, kind === "hls" ? "application/x-mpegurl" : "application/dash+xml");
    } catch (err) {
      this.reportError(err as shaka.util.Error);
      throw err;
    }
    // The start may land on the segment's first frame; resume exactly where the viewer left.
    if (start !== null && Math.abs(this.video.currentTime - start) > 0.5) this.video.currentTime = start;
    this.reportRendition();
  }

  /**
   * A heartbeat's renewal: the next segment requests carry its media token, a later licence
   * request its licence URL; a lower ceiling (the plan was downgraded) keeps the player off
   * the renditions the renewed links no longer reach.
   */
  renew(renewal: HeartbeatAnswer): void {
    this.mediaToken?.renew(renewal.media_token);
    if (renewal.license_url) this.licenceUrl = renewal.license_url;
    if (renewal.max_height < this.maxHeight) {
      this.maxHeight = renewal.max_height;
      this.player.configure({ restrictions: { maxHeight: renewal.max_height } });
    }
  }

  destroy(): Promise<unknown> {
    return this.player.destroy();
  }

  /** Distinct heights of the variants that share the current audio, tallest first. */
  qualities(maxHeight: number): QualityOption[] {
    const byHeight = new Map<number, QualityOption>();
    for (const track of this.sameAudioVariants()) {
      if (!track.height || track.height > maxHeight) continue;
      const known = byHeight.get(track.height);
      if (!known || track.bandwidth < known.bandwidth) {
        byHeight.set(track.height, { height: track.height, bandwidth: track.bandwidth });
      }
    }
    return [...byHeight.values()].sort((a, b) => b.height - a.height);
  }

  /** 0 means automatic (adaptive bitrate). */
  selectedQuality(): number {
    return this.autoQuality ? 0 : (this.activeVariant()?.height ?? 0);
  }

  setQuality(height: number): void {
    if (height === 0) {
      this.autoQuality = true;
      this.player.configure({ abr: { enabled: true } });
      return;
    }
    const track = this.sameAudioVariants().find((t) => t.height === height);
    if (!track) return;
    this.autoQuality = false;
    this.player.configure({ abr: { enabled: false } });
    // Clear what is buffered ahead (keeping 2 s) so the new quality shows within seconds.
    this.player.selectVariantTrack(track, true, 2);
    this.reportRendition();
  }

  audioLanguages(): string[] {
    const languages = this.player.getAudioLanguagesAndRoles().map((l) => l.language);
    return [...new Set(languages)].filter(Boolean);
  }

  activeAudioLanguage(): string | null {
    return this.activeVariant()?.language ?? null;
  }

  setAudioLanguage(language: string): void {
    this.player.selectAudioLanguage(language);
  }

  textTracks(): TextOption[] {
    return this.player.getTextTracks().map((t) => ({
      id: t.id,
      language: t.language,
      label: textLabel(t),
    }));
  }

  activeText(): number | null {
    if (!this.player.isTextTrackVisible()) return null;
    return this.player.getTextTracks().find((t) => t.active)?.id ?? null;
  }

  setText(id: number | null): void {
    if (id === null) {
      void this.player.setTextTrackVisibility(false);
      return;
    }
    const track = this.player.getTextTracks().find((t) => t.id === id);
    if (!track) return;
    this.player.selectTextTrack(track);
    void this.player.setTextTrackVisibility(true);
  }

  private activeVariant(): shaka.extern.Track | undefined {
    return this.player.getVariantTracks().find((t) => t.active);
  }

  private sameAudioVariants(): shaka.extern.Track[] {
    const tracks = this.player.getVariantTracks();
    const language = this.activeVariant()?.language;
    return language === undefined ? tracks : tracks.filter((t) => t.language === language);
  }

  private reportRendition(): void {
    const active = this.activeVariant();
    if (active?.height) this.events.onRendition(active.height, active.bandwidth / 1000);
  }

  private reportError(error: shaka.util.Error | undefined): void {
    const fatal = !error || error.severity === shaka.util.Error.Severity.CRITICAL;
    const code = error?.code ?? 0;
    this.events.onError(`The video could not be played (error ${code}).`, fatal);
  }
}

function textLabel(track: shaka.extern.TextTrack): string {
  let name = languageName(track.language);
  if (track.forced) name += " (forced)";
  if (track.roles.includes("caption") || /sdh/i.test(track.label ?? "")) name += " (SDH)";
  return name;
}

export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames([navigator.language || "en"], { type: "language" }).of(code) ?? code;
  } catch {
    return code;
  }
}
