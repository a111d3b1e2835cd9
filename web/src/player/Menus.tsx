// Quality, audio and subtitle menus; audio and subtitle choices are saved on the profile.
import { languageName } from "./engine";
import type { Engine } from "./engine";

interface MenuProps {
  engine: Engine;
  maxHeight: number;
  onAudio(language: string): void;
  onText(id: number | null): void;
  onQuality(height: number): void;
}

export function TrackMenus({ engine, maxHeight, onAudio, onText, onQuality }: MenuProps) {
  const qualities = engine.qualities(maxHeight);
  const audio = engine.audioLanguages();
  const texts = engine.textTracks();
  const activeText = engine.activeText();
  return (
    <div class="player-menus">
      <label class="player-menu">
        <span>Quality</span>
        <select
          name="quality"
          value={String(engine.selectedQuality())}
          onChange={(e) => onQuality(Number((e.currentTarget as HTMLSelectElement).value))}
        >
          <option value="0">Auto</option>
          {qualities.map((q) => (
            <option key={q.height} value={String(q.height)}>
              {q.height}p
            </option>
          ))}
        </select>
      </label>
      {audio.length > 1 && (
        <label class="player-menu">
          <span>Audio</span>
          <select
            name="audio"
            value={engine.activeAudioLanguage() ?? ""}
            onChange={(e) => onAudio((e.currentTarget as HTMLSelectElement).value)}
          >
            {audio.map((language) => (
              <option key={language} value={language}>
                {languageName(language)}
              </option>
            ))}
          </select>
        </label>
      )}
      {texts.length > 0 && (
        <label class="player-menu">
          <span>Subtitles</span>
          <select
            name="subtitles"
            value={activeText === null ? "off" : String(activeText)}
            onChange={(e) => {
              const value = (e.currentTarget as HTMLSelectElement).value;
              onText(value === "off" ? null : Number(value));
            }}
          >
            <option value="off">Off</option>
            {texts.map((t) => (
              <option key={t.id} value={String(t.id)}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
      )}
    </div>
  );
}
