import type { ReactNode } from "react";

/** One column heading: its text (or element), and classes beyond the console's heading style (e.g. `text-right`). */
export type TableColumn = ReactNode | { readonly label: ReactNode; readonly className?: string };

/**
 * A table's header row in the console's style: one `scope="col"` heading per column. A `false`, `null` or `undefined` column
 * (a condition that did not hold) is left out, so optional columns read as `showRequester && "Asked by"`.
 */
export function TableHeader({ columns, className = "" }: { columns: readonly (TableColumn | false)[]; className?: string }) {
  return (
    <thead className={`bg-surface-sunken text-ink-muted ${className}`.trim()}>
      <tr>
        {columns.flatMap((column, index) => {
          if (column === false || column === null || column === undefined) return [];
          const { label, className: extra } = isColumnObject(column) ? column : { label: column, className: undefined };
          return [
            <th key={index} scope="col" className={`px-3 py-2 font-medium ${extra ?? ""}`.trim()}>
              {label}
            </th>,
          ];
        })}
      </tr>
    </thead>
  );
}

function isColumnObject(column: TableColumn): column is { readonly label: ReactNode; readonly className?: string } {
  return typeof column === "object" && column !== null && "label" in column;
}
