// The sign-in and sign-up form: one card, labelled fields, readable errors.
import { useState } from "preact/hooks";
import { useDocumentTitle } from "../../components/title";
import { auth } from "../../api";
import { errorText } from "../../components/async";
import { ErrorNote } from "../../components/Status";
import { navigate, userStore } from "../../state";

type Mode = "signin" | "signup";

function afterSignIn(query: URLSearchParams): void {
  const next = query.get("next");
  const safe = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
  navigate(`/profiles?next=${encodeURIComponent(safe)}`, { replace: true });
}

export function AuthForm({ mode, query }: { mode: Mode; query: URLSearchParams }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === "signup";
  useDocumentTitle(signup ? "Sign up" : "Sign in");

  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = signup ? await auth.register(email, password, name || undefined) : await auth.login(email, password);
      userStore.set(session.user);
      afterSignIn(query);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  const next = query.get("next");
  const other = signup ? "/signin" : "/signup";
  return (
    <div class="auth">
      <form class="auth-card" onSubmit={submit} aria-labelledby="auth-heading">
        <span class="brand" aria-hidden="true">
          MARQUEE
        </span>
        <h1 id="auth-heading">{signup ? "Create your account" : "Sign in"}</h1>
        {signup && (
          <div class="field">
            <label for="auth-name">Your name</label>
            <input id="auth-name" autoComplete="name" maxLength={80} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
        )}
        <div class="field">
          <label for="auth-email">Email</label>
          <input id="auth-email" type="email" required autoComplete="email" maxLength={254} value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="auth-password">Password</label>
          <input
            id="auth-password"
            type="password"
            required
            minLength={signup ? 8 : undefined}
            maxLength={128}
            autoComplete={signup ? "new-password" : "current-password"}
            aria-describedby={signup ? "auth-password-hint" : undefined}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {signup && (
            <span id="auth-password-hint" class="hint">
              At least 8 characters.
            </span>
          )}
        </div>
        <ErrorNote message={error} />
        <button class="btn btn-accent" type="submit" disabled={busy}>
          {signup ? "Sign up" : "Sign in"}
        </button>
        <p class="hint">
          {signup ? "Already have an account? " : "New to Marquee? "}
          <a href={next ? `${other}?next=${encodeURIComponent(next)}` : other}>{signup ? "Sign in" : "Sign up now"}</a>.
        </p>
      </form>
    </div>
  );
}
