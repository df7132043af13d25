"use client";

import { useMemo } from "react";

import { type PackedAccessRows, unpackPrincipals } from "./access-rows-wire";
import { CheckAccessPanel } from "./check-access-panel";

/**
 * The check panel with the page's principals for its local search, from the same packed rows as the access table
 * (`access-rows-wire.ts`): null for people who search the directory instead.
 */
export function CheckAccessPanelFromWire({
  wire,
  ...props
}: Omit<Parameters<typeof CheckAccessPanel>[0], "knownPrincipals"> & { wire: PackedAccessRows | null }) {
  const knownPrincipals = useMemo(() => (wire ? unpackPrincipals(wire) : []), [wire]);
  return <CheckAccessPanel knownPrincipals={knownPrincipals} {...props} />;
}
