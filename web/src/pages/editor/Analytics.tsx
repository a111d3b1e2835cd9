// /studio/analytics: plays, watch time, completion and quality of experience by title and rendition.
import { useState } from "preact/hooks";
import { ErrorNote, Loading } from "../../components/Status";
import { useAsync } from "../../components/async";
import { BarChart, LineChart } from "./charts";
import { studio } from "./studioApi";
import type { DailyStat, QoeStat, TitleStat } from "./studioApi";
import { StudioPage } from "./StudioNav";

const pct = (v: number) => `${Math.round(v * 100)}%`;
function hours(v: number): string {
  if (v >= 1) return `${v.toFixed(1)} h`;
  const minutes = v * 60;
  return minutes >= 1 ? `${minutes.toFixed(1)} min` : `${Math.round(minutes * 60)} s`;
}

/** One point per day of the period, days without plays at zero. */
function everyDay(stats: DailyStat[], days: number): { label: string; value: number }[] {
  const plays = new Map(stats.map((d) => [d.day, d.plays]));
  const today = new Date();
  return Array.from({ length: days }, (_, i) => {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - (days - 1 - i)));
    const label = day.toISOString().slice(0, 10);
    return { label, value: plays.get(label) ?? 0 };
  });
}
const ms = (v: number | null) => (v === null ? "—" : `${Math.round(v)} ms`);

function nameOf(stats: TitleStat[], titleId: string): string {
  return stats.find((s) => s.title_id === titleId)?.name ?? titleId.slice(0, 8);
}

function QoeTable({ rows, stats }: { rows: QoeStat[]; stats: TitleStat[] }) {
  return (
    <table class="table studio-table">
      <caption>Quality of experience by title and rendition</caption>
      <thead>
        <tr>
          <th scope="col">Title</th>
          <th scope="col">Rendition</th>
          <th scope="col">Samples</th>
          <th scope="col">TTFF p50</th>
          <th scope="col">TTFF p95</th>
          <th scope="col">Rebuffering</th>
          <th scope="col">Errors</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.title_id + r.rendition}>
            <td>{nameOf(stats, r.title_id)}</td>
            <td>{r.rendition}</td>
            <td>{r.samples}</td>
            <td>{ms(r.ttff_p50_ms)}</td>
            <td>{ms(r.ttff_p95_ms)}</td>
            <td>{pct(r.rebuffer_ratio)}</td>
            <td>{r.errors}</td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={7} class="hint">
              No QoE reports yet.
            </td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function Daily({ titleId, days, name }: { titleId: string; days: number; name: string }) {
  const daily = useAsync(() => studio.daily(titleId, days), [titleId, days]);
  if (daily.error) return <ErrorNote message={daily.error} />;
  if (!daily.data) return <Loading />;
  return <LineChart id="daily" caption={`Plays per day · ${name}`} data={everyDay(daily.data, days)} />;
}

export default function AnalyticsPage() {
  const [days, setDays] = useState(7);
  const [focus, setFocus] = useState<string | null>(null);
  const top = useAsync(() => studio.topTitles(days), [days]);
  const qoe = useAsync(() => studio.qoe(days), [days]);
  const stats = top.data ?? [];
  const chosen = focus ?? stats[0]?.title_id ?? null;
  const byRendition = new Map<string, number[]>();
  for (const r of qoe.data ?? []) {
    if (r.ttff_p50_ms !== null) byRendition.set(r.rendition, [...(byRendition.get(r.rendition) ?? []), r.ttff_p50_ms]);
  }
  const ttff = [...byRendition].map(([label, values]) => ({ label, value: values.reduce((a, b) => a + b, 0) / values.length }));
  return (
    <StudioPage heading="Analytics">
      <div class="filters">
        <div class="field">
          <label for="an-days">Period</label>
          <select id="an-days" value={String(days)} onChange={(e) => setDays(Number(e.currentTarget.value))}>
            <option value="1">Last day</option>
            <option value="7">Last 7 days</option>
            <option value="30">Last 30 days</option>
            <option value="90">Last 90 days</option>
          </select>
        </div>
        {stats.length > 0 && (
          <div class="field">
            <label for="an-title">Daily plays for</label>
            <select id="an-title" value={chosen ?? ""} onChange={(e) => setFocus(e.currentTarget.value)}>
              {stats.map((s) => (
                <option key={s.title_id} value={s.title_id}>
                  {s.name ?? s.title_id}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <ErrorNote message={top.error ?? qoe.error} />
      {!top.data ? (
        <Loading />
      ) : (
        <div class="chart-grid">
          <BarChart id="plays" caption="Plays" data={stats.map((s) => ({ label: s.name ?? s.title_id, value: s.plays }))} />
          <BarChart id="hours" caption="Watch time" format={hours} data={stats.map((s) => ({ label: s.name ?? s.title_id, value: s.watch_hours }))} />
          <BarChart id="completion" caption="Completion rate" format={pct} data={stats.map((s) => ({ label: s.name ?? s.title_id, value: s.completion_rate }))} />
          <BarChart id="ttff" caption="Time to first frame (median) by rendition" format={(v) => ms(v)} data={ttff} />
          {chosen && <Daily titleId={chosen} days={Math.max(days, 7)} name={nameOf(stats, chosen)} />}
        </div>
      )}
      <QoeTable rows={qoe.data ?? []} stats={stats} />
    </StudioPage>
  );
}
