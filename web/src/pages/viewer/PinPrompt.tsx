// The PIN a locked profile asks for before it opens.
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, profiles as profilesApi } from "../../api";
import type { ProfileRead } from "../../api";
import { errorText } from "../../components/async";
import { Avatar } from "../../components/Avatar";

interface Props {
  profile: ProfileRead;
  onUnlocked: (profileToken: string) => void;
  onCancel: () => void;
}

function pinError(err: unknown): string {
  if (err instanceof ApiError && err.code === "profile_pin_incorrect") return "That PIN is not right. Try again.";
  if (err instanceof ApiError && err.code === "rate_limited") return "Too many tries. Wait a while, then try again.";
  return errorText(err);
}

export function PinPrompt({ profile, onUnlocked, onCancel }: Props) {
  const [pin, setPin] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const { profile_token } = await profilesApi.switchTo(profile.id, pin);
      onUnlocked(profile_token);
    } catch (err) {
      setError(pinError(err));
      setPin("");
      input.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <div class="profile-form pin-prompt" role="dialog" aria-labelledby="pin-heading">
      <form onSubmit={submit}>
      <Avatar profile={profile} />
      <h2 id="pin-heading">{`${profile.name} is locked`}</h2>
      <div class="field">
        <label for="profile-pin">Enter the 4-digit PIN</label>
        <input
          id="profile-pin"
          ref={input}
          type="password"
          inputMode="numeric"
          autoComplete="off"
          pattern="[0-9]{4}"
          minLength={4}
          maxLength={4}
          required
          value={pin}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "pin-error" : undefined}
          onInput={(e) => setPin(e.currentTarget.value.replace(/\D/g, ""))}
        />
      </div>
      {error && (
        <p id="pin-error" class="error-note" role="alert">
          {error}
        </p>
      )}
      <div class="btn-row">
        <button class="btn btn-primary" type="submit" disabled={busy}>
          Open profile
        </button>
        <button class="btn btn-ghost" type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
      </form>
    </div>
  );
}
