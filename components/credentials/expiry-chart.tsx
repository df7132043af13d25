import type { CredentialRow } from "./model";

const WEEKS = 26; // 182 days ≥ the next 180 days
const DAY_MS = 86_400_000;
const WIDTH = 720;
const HEIGHT = 200;
const PAD = { top: 12, right: 8, bottom: 28, left: 32 };

/**
 * Expiries per week over the next 180 days, as plain SVG (no chart library could be installed for this feature).
 * Colours come from the theme tokens, so it follows light and dark mode. The same numbers are in a table for screen
 * readers and as each bar's tooltip.
 */
export function ExpiryChart({ rows, asOf }: { rows: readonly CredentialRow[]; asOf: string }) {
  const start = Date.parse(asOf);
  const weeks = Array.from({ length: WEEKS }, (_, index) => ({ index, from: start + index * 7 * DAY_MS, count: 0 }));
  for (const row of rows) {
    if (!row.endDateTime || row.bucket === "secretless") continue;
    const end = Date.parse(row.endDateTime);
    if (end <= start || end > start + 180 * DAY_MS) continue;
    const week = weeks[Math.floor((end - start) / (7 * DAY_MS))];
    if (week) week.count += 1;
  }
  const max = Math.max(1, ...weeks.map((week) => week.count));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const barWidth = plotWidth / WEEKS;
  const ticks = [0, Math.ceil(max / 2), max].filter((value, index, all) => all.indexOf(value) === index);
  const label = (from: number) => new Date(from).toISOString().slice(5, 10);
  const total = weeks.reduce((sum, week) => sum + week.count, 0);

  return (
    <figure className="rounded-md border border-line bg-surface-raised p-4">
      <figcaption className="mb-2 font-medium">Expiries per week, next 180 days ({total})</figcaption>
      <svg
        role="img"
        aria-labelledby="expiry-chart-title"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        className="h-auto w-full max-w-3xl"
        preserveAspectRatio="xMidYMid meet"
      >
        <title id="expiry-chart-title">{`Credentials expiring per week over the next 180 days: ${total} in all, at most ${max} in one week.`}</title>
        {ticks.map((tick) => {
          const y = PAD.top + plotHeight - (tick / max) * plotHeight;
          return (
            <g key={tick}>
              <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y} y2={y} className="stroke-line" strokeWidth={1} />
              <text x={PAD.left - 6} y={y + 4} textAnchor="end" className="fill-ink-muted text-[11px]">
                {tick}
              </text>
            </g>
          );
        })}
        {weeks.map((week) => {
          const height = (week.count / max) * plotHeight;
          const x = PAD.left + week.index * barWidth + 2;
          const urgent = week.from < start + 30 * DAY_MS;
          return (
            <rect
              key={week.index}
              x={x}
              y={PAD.top + plotHeight - height}
              width={Math.max(1, barWidth - 4)}
              height={height}
              className={urgent ? "fill-danger" : "fill-accent"}
            >
              <title>{`Week of ${label(week.from)}: ${week.count}`}</title>
            </rect>
          );
        })}
        {weeks
          .filter((week) => week.index % 4 === 0)
          .map((week) => (
            <text key={week.index} x={PAD.left + week.index * barWidth + barWidth / 2} y={HEIGHT - 8} textAnchor="middle" className="fill-ink-muted text-[11px]">
              {label(week.from)}
            </text>
          ))}
      </svg>
      <p className="mt-1 text-xs text-ink-muted">
        <span aria-hidden="true" className="mr-1 inline-block h-2 w-3 bg-danger" />
        weeks starting within 30 days
        <span aria-hidden="true" className="ml-3 mr-1 inline-block h-2 w-3 bg-accent" />
        later weeks
      </p>
      <details className="mt-2 text-ink-muted">
        <summary>Chart data</summary>
        <table className="mt-1 text-xs">
          <thead>
            <tr>
              <th className="pr-4 text-left">Week starting (UTC)</th>
              <th className="text-right">Expiring</th>
            </tr>
          </thead>
          <tbody>
            {weeks.map((week) => (
              <tr key={week.index}>
                <td className="pr-4">{new Date(week.from).toISOString().slice(0, 10)}</td>
                <td className="text-right">{week.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
