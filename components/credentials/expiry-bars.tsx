"use client";

import { Bar, BarChart, CartesianGrid, Cell, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

export interface ExpiryWeek {
  /** Week start, YYYY-MM-DD (UTC). */
  readonly week: string;
  readonly count: number;
  /** Starts within 30 days: drawn in the danger colour. */
  readonly urgent: boolean;
}

/**
 * The bars, drawn with Recharts. Colours are the theme's CSS variables, so the chart follows light and dark mode; the
 * figure around it carries the accessible title and a table of the same numbers.
 */
export function ExpiryBars({ weeks }: { weeks: readonly ExpiryWeek[] }) {
  return (
    <div className="h-52 w-full max-w-3xl" aria-hidden="true">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={[...weeks]} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <CartesianGrid vertical={false} stroke="var(--gh-line)" />
          <XAxis
            dataKey="week"
            tickFormatter={(value: string) => value.slice(5)}
            interval={3}
            tick={{ fill: "var(--gh-ink-muted)", fontSize: 11 }}
            stroke="var(--gh-line)"
          />
          <YAxis allowDecimals={false} width={32} tick={{ fill: "var(--gh-ink-muted)", fontSize: 11 }} stroke="var(--gh-line)" />
          <Tooltip
            cursor={{ fill: "var(--gh-surface-sunken)" }}
            contentStyle={{ background: "var(--gh-surface-raised)", border: "1px solid var(--gh-line)", color: "var(--gh-ink)" }}
            labelFormatter={(label) => (typeof label === "string" ? `Week of ${label}` : "")}
            formatter={(value) => [String(value), "expiring"]}
          />
          <Bar dataKey="count" isAnimationActive={false}>
            {weeks.map((week) => (
              <Cell key={week.week} fill={week.urgent ? "var(--gh-danger)" : "var(--gh-accent)"} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
