export interface ExpiryWeek {
  /** Week start, YYYY-MM-DD (UTC). */
  readonly week: string;
  readonly count: number;
  /** Starts within 30 days: drawn in the danger colour. */
  readonly urgent: boolean;
}

// The drawing's own units; the SVG scales to the figure's width.
const WIDTH = 720;
const HEIGHT = 208;
const PLOT = { top: 8, right: 8, bottom: 24, left: 32 };
/** Every fourth week is labelled: 26 labels would overlap. */
const LABEL_EVERY = 4;
/** At most this many gaps between the count axis' whole-number ticks. */
const TICK_GAPS = 4;

/** The smallest whole step of 1, 2 or 5 × 10ⁿ that covers `max` in TICK_GAPS steps. */
function tickStep(max: number): number {
  for (let magnitude = 1; ; magnitude *= 10) {
    for (const base of [1, 2, 5]) if (base * magnitude * TICK_GAPS >= max) return base * magnitude;
  }
}

/**
 * The bars, as plain SVG (no chart library: it rendered on the server and costs the page no script). Colours are the
 * theme's CSS variables, so the chart follows light and dark mode; the figure around it carries the accessible title and
 * a table of the same numbers, so the drawing itself is hidden from assistive technology. Each bar's title is the
 * pointer's tooltip.
 */
export function ExpiryBars({ weeks }: { weeks: readonly ExpiryWeek[] }) {
  const max = Math.max(1, ...weeks.map((week) => week.count));
  const step = tickStep(max);
  const top = step * Math.ceil(max / step);
  const ticks = Array.from({ length: top / step + 1 }, (_, index) => index * step);
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const band = plotWidth / Math.max(1, weeks.length);
  const y = (count: number) => PLOT.top + plotHeight - (count / top) * plotHeight;
  return (
    <div className="h-52 w-full max-w-3xl" aria-hidden="true">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" height="100%" preserveAspectRatio="xMinYMid meet" fontSize={11}>
        {ticks.map((tick) => (
          <g key={tick}>
            <line x1={PLOT.left} x2={WIDTH - PLOT.right} y1={y(tick)} y2={y(tick)} stroke="var(--gh-line)" />
            <text x={PLOT.left - 6} y={y(tick)} dy="0.32em" textAnchor="end" fill="var(--gh-ink-muted)">
              {tick}
            </text>
          </g>
        ))}
        {weeks.map((week, index) => {
          const x = PLOT.left + index * band;
          return (
            <g key={week.week}>
              {week.count > 0 && (
                <rect
                  x={x + band * 0.1}
                  y={y(week.count)}
                  width={band * 0.8}
                  height={y(0) - y(week.count)}
                  fill={week.urgent ? "var(--gh-danger)" : "var(--gh-accent)"}
                >
                  <title>{`Week of ${week.week}: ${week.count} expiring`}</title>
                </rect>
              )}
              {index % LABEL_EVERY === 0 && (
                <text x={x + band / 2} y={HEIGHT - PLOT.bottom + 16} textAnchor="middle" fill="var(--gh-ink-muted)">
                  {week.week.slice(5)}
                </text>
              )}
            </g>
          );
        })}
        <line x1={PLOT.left} x2={PLOT.left} y1={PLOT.top} y2={y(0)} stroke="var(--gh-line)" />
      </svg>
    </div>
  );
}
