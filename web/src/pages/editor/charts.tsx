// Small inline-SVG charts: horizontal bars and a daily line, each with a text alternative.

export interface Datum {
  label: string;
  value: number;
}

interface BarProps {
  id: string;
  caption: string;
  data: Datum[];
  format?: (value: number) => string;
}

const ROW = 26;
const LABEL_W = 180;
const WIDTH = 560;

function shorten(text: string, max = 26): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function BarChart({ id, caption, data, format = String }: BarProps) {
  const max = Math.max(1e-9, ...data.map((d) => d.value));
  const barSpace = WIDTH - LABEL_W - 70;
  const height = Math.max(ROW, data.length * ROW);
  const summary = data.map((d) => `${d.label}: ${format(d.value)}`).join("; ");
  return (
    <figure class="chart">
      <figcaption id={`${id}-cap`}>{caption}</figcaption>
      {data.length === 0 ? (
        <p class="hint">No data yet.</p>
      ) : (
        <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${id}-cap ${id}-desc`} class="chart-svg">
          <desc id={`${id}-desc`}>{summary}</desc>
          {data.map((d, i) => {
            const w = Math.max(2, (d.value / max) * barSpace);
            const y = i * ROW;
            return (
              <g key={d.label + i}>
                <text x={LABEL_W - 8} y={y + ROW / 2 + 4} text-anchor="end" class="chart-label">
                  {shorten(d.label)}
                </text>
                <rect x={LABEL_W} y={y + 4} width={w} height={ROW - 8} rx={3} class="chart-bar" />
                <text x={LABEL_W + w + 6} y={y + ROW / 2 + 4} class="chart-value">
                  {format(d.value)}
                </text>
              </g>
            );
          })}
        </svg>
      )}
    </figure>
  );
}

interface LineProps {
  id: string;
  caption: string;
  data: Datum[];
}

export function LineChart({ id, caption, data }: LineProps) {
  const height = 180;
  const pad = { left: 36, right: 12, top: 12, bottom: 28 };
  const max = Math.max(1, ...data.map((d) => d.value));
  const span = Math.max(1, data.length - 1);
  const x = (i: number) => pad.left + (i / span) * (WIDTH - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  const path = data.map((d, i) => `${i === 0 ? "M" : "L"}${x(i).toFixed(1)},${y(d.value).toFixed(1)}`).join(" ");
  const total = data.reduce((sum, d) => sum + d.value, 0);
  return (
    <figure class="chart">
      <figcaption id={`${id}-cap`}>{caption}</figcaption>
      {data.length === 0 ? (
        <p class="hint">No data yet.</p>
      ) : (
        <svg viewBox={`0 0 ${WIDTH} ${height}`} role="img" aria-labelledby={`${id}-cap ${id}-desc`} class="chart-svg">
          <desc id={`${id}-desc`}>
            {data.length} days, {total} in total, peak {max}.
          </desc>
          <line x1={pad.left} x2={WIDTH - pad.right} y1={y(0)} y2={y(0)} class="chart-axis" />
          <text x={pad.left - 6} y={y(max) + 4} text-anchor="end" class="chart-label">
            {max}
          </text>
          <text x={pad.left - 6} y={y(0) + 4} text-anchor="end" class="chart-label">
            0
          </text>
          <path d={path} class="chart-line" />
          {data.map((d, i) => (
            <circle key={d.label} cx={x(i)} cy={y(d.value)} r={3} class="chart-dot" />
          ))}
          <text x={pad.left} y={height - 8} class="chart-label">
            {data[0].label}
          </text>
          <text x={WIDTH - pad.right} y={height - 8} text-anchor="end" class="chart-label">
            {data[data.length - 1].label}
          </text>
        </svg>
      )}
    </figure>
  );
}
