/**
 * The benchmark's report: one row per figure, each beside its goal, printed as a table, written to a JSON file and,
 * after a full run, rendered into the README between its bench markers. Goals are targets the run reports against,
 * never assertions: a missed goal is printed as such and the run still succeeds.
 */

export type Unit = "ms" | "MB" | "KB";

/** A goal: an upper bound on the figure, and how it was set (`≤ floor + 100 ms`, `≤ 170 KB`). */
export interface Goal {
  readonly max: number;
  readonly text: string;
}

export interface Row {
  /** Stable across runs and scale changes: what a figure is, for comparing two results files. */
  readonly id: string;
  readonly scenario: string;
  readonly value: number | null;
  readonly unit: Unit;
  readonly goal: Goal | null;
  /** The upstream round trips × latency where the figure is a wait on Azure; null where that does not apply. */
  readonly floorMs: number | null;
  readonly roundTrips: number | null;
  readonly armCalls: number | null;
  readonly graphCalls: number | null;
  readonly note: string;
}

export interface Results {
  readonly latencyMs: number;
  readonly auditEvents: number;
  readonly quick: boolean;
  readonly measuredAt: string;
  readonly rows: readonly Row[];
}

/** The goals, one rule each. */
export const goals = {
  /** A wait on Azure: the console adds at most 100 ms to the upstream round trips. */
  floorPlus100: (floorMs: number): Goal => ({ max: floorMs + 100, text: "≤ floor + 100 ms" }),
  /** A long upstream job: within a tenth of its floor. */
  floorTimes1_1: (floorMs: number): Goal => ({ max: Math.round(floorMs * 1.1), text: "≤ floor × 1.1" }),
  at: (max: number, unit: Unit): Goal => ({ max, text: `≤ ${max.toLocaleString("en")} ${unit}` }),
};

export function met(row: Row): boolean | null {
  if (row.goal === null || row.value === null) return null;
  return row.value <= row.goal.max;
}

const cell = (value: number | null) => (value === null ? "—" : value.toLocaleString("en"));
const figure = (row: Row) => (row.value === null ? "—" : `${row.value.toLocaleString("en")} ${row.unit}`);
/** A goal set by a rule shows its bound too (`≤ floor + 100 ms (180 ms)`); a fixed one is its own bound (`≤ 100 ms`). */
const goalCell = (row: Row) => {
  if (!row.goal) return "—";
  const bound = `${row.goal.max.toLocaleString("en")} ${row.unit}`;
  return row.goal.text === `≤ ${bound}` ? row.goal.text : `${row.goal.text} (${bound})`;
};
const metCell = (row: Row) => ({ true: "yes", false: "NO", null: "—" })[String(met(row)) as "true" | "false" | "null"];

/** The table for a terminal: aligned columns, every figure beside its goal. */
export function formatTable(rows: readonly Row[]): string {
  const header = ["Scenario", "Figure", "Goal", "Met", "Floor ms", "Round trips", "ARM", "Graph", "Note"];
  const table = rows.map((row) => [
    row.scenario,
    figure(row),
    goalCell(row),
    metCell(row),
    cell(row.floorMs),
    cell(row.roundTrips),
    cell(row.armCalls),
    cell(row.graphCalls),
    row.note,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...table.map((line) => line[column]!.length)));
  const numeric = new Set([1, 4, 5, 6, 7]);
  const format = (cells: string[]) =>
    cells.map((text, column) => (numeric.has(column) ? text.padStart(widths[column]!) : text.padEnd(widths[column]!))).join("  ");
  return [format(header), widths.map((width) => "-".repeat(width)).join("  "), ...table.map(format)].join("\n");
}

export const README_START = "<!-- bench:start (generated from bench/results.json by `npm run bench`; do not edit) -->";
export const README_END = "<!-- bench:end -->";

function markdownCell(text: string): string {
  return text.replace(/\|/g, "\\|");
}

/** The README's table: the figures of a full run, as Markdown. */
export function renderReadmeTable(results: Results): string {
  const measured = results.measuredAt.slice(0, 10);
  const lines = [
    `Measured ${measured} on the large sandbox, ${results.latencyMs} ms of latency on every Graph and ARM call, ${results.auditEvents.toLocaleString("en")} audit events.`,
    "",
    "| Scenario | Figure | Goal | Met | Floor | Round trips | ARM / Graph calls |",
    "|---|---:|---|:-:|---:|---:|---:|",
    ...results.rows.map((row) =>
      [
        markdownCell(row.scenario),
        figure(row),
        markdownCell(goalCell(row)),
        metCell(row),
        row.floorMs === null ? "—" : `${row.floorMs.toLocaleString("en")} ms`,
        cell(row.roundTrips),
        row.armCalls === null && row.graphCalls === null ? "—" : `${cell(row.armCalls)} / ${cell(row.graphCalls)}`,
      ]
        .join(" | ")
        .replace(/^/, "| ")
        .replace(/$/, " |"),
    ),
  ];
  return lines.join("\n");
}

/** The README with its bench section replaced by `table`; throws when the markers are missing or out of order. */
export function withReadmeTable(readme: string, table: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) throw new Error("README.md has no bench markers (bench:start, then bench:end)");
  return `${readme.slice(0, start + README_START.length)}\n${table}\n${readme.slice(end)}`;
}

/** The table currently between the README's markers. */
export function readmeTable(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start === -1 || end === -1 || end < start) return undefined;
  return readme.slice(start + README_START.length, end).trim();
}
