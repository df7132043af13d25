"use client";

import { useMemo } from "react";

import { type AccessRowsWire, decodeAccessRows } from "./access-rows-wire";
import { AccessTable } from "./access-table";

/** The access table fed from the page's compact rows (`access-rows-wire.ts`), decoded once in the browser. */
export function AccessTableFromWire({ wire, ...props }: Omit<Parameters<typeof AccessTable>[0], "rows"> & { wire: AccessRowsWire }) {
  const rows = useMemo(() => decodeAccessRows(wire), [wire]);
  return <AccessTable rows={rows} {...props} />;
}
