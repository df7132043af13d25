import { searchPrincipals } from "@/components/shared/reads";
import type { DirectoryPrincipal } from "@/lib/graph/principals";

/** How a `PrincipalPicker` finds principals for what was typed. */
export type PrincipalSearch = (
  query: string,
) => Promise<{ ok: true; principals: readonly DirectoryPrincipal[] } | { ok: false; message: string; reference?: string }>;

type SearchableKind = "user" | "group" | "servicePrincipal";

/** A picker search over the directory, as the signed-in person; `kinds` narrows it (the server's default is all). */
export function searchDirectory(kinds?: readonly [SearchableKind, ...SearchableKind[]]): PrincipalSearch {
  return async (query) => {
    const result = await searchPrincipals(kinds ? { query, kinds: [...kinds] } : { query });
    return result.status === "success" ? { ok: true, principals: result.data } : { ok: false, message: result.message, reference: result.reference };
  };
}

/** A picker search over principals already known to the page (for people who may not search the directory). */
export function localPrincipalSearch(principals: readonly DirectoryPrincipal[]): PrincipalSearch {
  return (query) => {
    const needle = query.toLowerCase();
    const matches = principals.filter(
      (p) => p.displayName.toLowerCase().includes(needle) || (p.secondaryId ?? "").toLowerCase().includes(needle) || p.id.toLowerCase() === needle,
    );
    return Promise.resolve({ ok: true, principals: matches.slice(0, 40) });
  };
}
