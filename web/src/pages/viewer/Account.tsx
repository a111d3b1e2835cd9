// The account page: plan and entitlements, streams in use, profiles, sign out (here or everywhere).
import { useState } from "preact/hooks";
import { useDocumentTitle } from "../../components/title";
import { auth, me, playback } from "../../api";
import type { Entitlements, Streams, SubscriptionRead } from "../../api";
import { errorText, useAsync } from "../../components/async";
import { ErrorNote, Loading } from "../../components/Status";
import { navigate, useStore, userStore } from "../../state";

const settled = <T,>(p: Promise<T>) => p.then((v): T | null => v, () => null);

async function loadAccount() {
  const [subscription, entitlements, streams] = await Promise.all([settled(me.subscription()), me.entitlements(), settled(playback.streams())]);
  return { subscription, entitlements, streams };
}

function money(cents: number, currency: string): string {
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(cents / 100);
  } catch {
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

const date = (iso: string | null) => (iso ? new Date(iso).toLocaleDateString(undefined, { dateStyle: "medium" }) : "—");
const time = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });

function Plan({ subscription, entitlements }: { subscription: SubscriptionRead | null; entitlements: Entitlements }) {
  return (
    <section class="panel" aria-labelledby="plan-heading">
      <h2 id="plan-heading">Plan</h2>
      {!entitlements.active && <p class="error-note">No active subscription: playback is off until a plan is active.</p>}
      <dl class="kv">
        <dt>Plan</dt>
        <dd>{subscription ? `${subscription.plan.name} · ${money(subscription.plan.price_cents, subscription.plan.currency)} a month` : (entitlements.plan ?? "None")}</dd>
        <dt>Status</dt>
        <dd>{entitlements.status ?? "none"}</dd>
        <dt>Renews or ends</dt>
        <dd>{date(entitlements.period_end)}</dd>
        <dt>Best quality</dt>
        <dd>{entitlements.max_resolution}p</dd>
        <dt>Screens at once</dt>
        <dd>{entitlements.max_streams}</dd>
        <dt>Downloads</dt>
        <dd>{entitlements.downloads ? `${entitlements.downloads} devices` : "Not included"}</dd>
      </dl>
    </section>
  );
}

function StreamsPanel({ streams }: { streams: Streams | null }) {
  return (
    <section class="panel" aria-labelledby="streams-heading">
      <h2 id="streams-heading">Watching now</h2>
      {!streams && <p class="hint">Stream information is unavailable right now.</p>}
      {streams && (
        <p>
          {streams.items.length} of {streams.max_streams} {streams.max_streams === 1 ? "screen" : "screens"} in use.
        </p>
      )}
      {streams && streams.items.length > 0 && (
        <table class="table">
          <thead>
            <tr>
              <th scope="col">Title</th>
              <th scope="col">Device</th>
              <th scope="col">Started</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {streams.items.map((s) => (
              <tr>
                <td>{s.title}</td>
                <td>{s.device_name || "Unknown device"}</td>
                <td>{time(s.started_at)}</td>
                <td>{time(s.last_seen_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export default function Account() {
  const user = useStore(userStore);
  useDocumentTitle("Account");
  const data = useAsync(loadAccount, []);
  const [error, setError] = useState<string | null>(null);

  async function signOut(everywhere: boolean) {
    setError(null);
    try {
      await (everywhere ? auth.signOutEverywhere() : auth.logout());
      navigate("/signin", { replace: true });
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <section class="page narrow account" aria-labelledby="account-heading">
      <h1 id="account-heading">Account</h1>
      {user && (
        <section class="panel" aria-labelledby="member-heading">
          <h2 id="member-heading">Membership</h2>
          <dl class="kv">
            <dt>Email</dt>
            <dd>{user.email}</dd>
            {user.display_name && <dt>Name</dt>}
            {user.display_name && <dd>{user.display_name}</dd>}
            <dt>Member since</dt>
            <dd>{date(user.created_at)}</dd>
          </dl>
        </section>
      )}
      {data.loading && !data.data && <Loading label="Loading account" />}
      <ErrorNote message={data.error} />
      {data.data && <Plan subscription={data.data.subscription} entitlements={data.data.entitlements} />}
      {data.data && <StreamsPanel streams={data.data.streams} />}
      <section class="panel" aria-labelledby="security-heading">
        <h2 id="security-heading">Profiles and security</h2>
        <ErrorNote message={error} />
        <div class="btn-row">
          <a class="btn" href="/profiles">
            Manage profiles
          </a>
          <button class="btn" type="button" onClick={() => signOut(false)}>
            Sign out
          </button>
          <button class="btn btn-accent" type="button" onClick={() => signOut(true)}>
            Sign out of all devices
          </button>
        </div>
        <p class="hint">Signing out of all devices ends every session of this account, this one too.</p>
      </section>
    </section>
  );
}
