"use client";

import { useMemo } from "react";

import { decodeAccessRows, type PackedAccessRows, unpackAccessRows } from "./access-rows-wire";
import { AccessTable } from "./access-table";

/** The access table fed from the page's compact, packed rows (`access-rows-wire.ts`), decoded once in the browser. */
export function AccessTableFromWire({ wire, ...props }: Omit<Parameters<typeof AccessTable>[0], "rows"> & { wire: PackedAccessRows }) {
  const rows = useMemo(() => decodeAccessRows(unpackAccessRows(wire)), [wire]);
  return <AccessTable rows={rows} {...props} />;
}
