import { ExpiryBars } from "./expiry-bars";

const DAY_MS = 86_400_000;

/**
 * Expiries per week over the next 180 days (bars drawn as SVG in ExpiryBars), from the counts per week the database
 * made (`expiryPerWeek`). Colours come from the theme tokens, so it follows light and dark mode; the same numbers are
 * in a table for screen readers.
 */
export function ExpiryChart({ counts, asOf }: { counts: readonly number[]; asOf: string }) {
  const start = Date.parse(asOf);
  const weeks = counts.map((count, index) => ({ index, from: start + index * 7 * DAY_MS, count }));
  const max = Math.max(1, ...weeks.map((week) => week.count));
  const total = weeks.reduce((sum, week) => sum + week.count, 0);

  return (
    <figure className="rounded-md border border-line bg-surface-raised p-4">
      <figcaption className="mb-2 font-medium">Expiries per week, next 180 days ({total})</figcaption>
      <p id="expiry-chart-title" className="sr-only">{`Credentials expiring per week over the next 180 days: ${total} in all, at most ${max} in one week.`}</p>
      <ExpiryBars
        weeks={weeks.map((week) => ({ week: new Date(week.from).toISOString().slice(0, 10), count: week.count, urgent: week.from < start + 30 * DAY_MS }))}
      />
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
