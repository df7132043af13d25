"use client";

import { useId } from "react";

import { Button } from "@/components/ui/button";
import { ORIGIN_LABELS } from "@/lib/shared/arm-scope";
import { ALL, type AccessTableState } from "./use-access-table-state";

/** The access table's search, filters and export buttons (the export takes the rows in view). */
export function AccessTableFilters({
  filters,
  setFilter,
  options,
  onExport,
}: Pick<AccessTableState, "filters" | "setFilter" | "options"> & { onExport: (format: "csv" | "json") => void }) {
  return (
    <div className="flex flex-wrap items-end gap-3">
      <label className="flex flex-col gap-1">
        <span className="text-ink-muted">Search assignments</span>
        <input
          type="search"
          value={filters.query}
          onChange={(event) => setFilter("query", event.target.value)}
          placeholder="Name, UPN, object id, role…"
          className="w-64 rounded border border-line bg-surface-raised px-2 py-1.5"
        />
      </label>
      <FilterSelect
        label="Role"
        value={filters.role}
        onChange={(value) => setFilter("role", value)}
        all="All roles"
        options={options.roles.map((name) => [name, name])}
      />
      <FilterSelect
        label="Principal type"
        value={filters.type}
        onChange={(value) => setFilter("type", value)}
        all="All types"
        options={options.types.map((name) => [name, name])}
      />
      <FilterSelect
        label="Where from"
        value={filters.origin}
        onChange={(value) => setFilter("origin", value)}
        all="Anywhere"
        options={options.origins.map((value) => [value, ORIGIN_LABELS[value]])}
      />
      <label className="flex items-center gap-2 py-1.5">
        <input type="checkbox" checked={filters.orphansOnly} onChange={(event) => setFilter("orphansOnly", event.target.checked)} />
        <span>Identity not found only</span>
      </label>
      <div className="ml-auto flex flex-wrap gap-2">
        <Button onClick={() => onExport("csv")}>Export CSV</Button>
        <Button onClick={() => onExport("json")}>Export JSON</Button>
      </div>
    </div>
  );
}

function FilterSelect({
  label,
  value,
  onChange,
  all,
  options,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  all: string;
  options: ReadonlyArray<readonly [string, string]>;
}) {
  const id = useId();
  return (
    <div className="flex flex-col gap-1">
      <label htmlFor={id} className="text-ink-muted">
        {label}
      </label>
      <select
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        className="max-w-56 rounded border border-line bg-surface-raised px-2 py-1.5"
      >
        <option value={ALL}>{all}</option>
        {options.map(([optionValue, optionLabel]) => (
          <option key={optionValue} value={optionValue}>
            {optionLabel}
          </option>
        ))}
      </select>
    </div>
  );
}
