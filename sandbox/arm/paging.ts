import type { SandboxRequest } from "../contract";

/** Page size for ARM lists (ARM's Authorization RP pages large lists; the exact size is not documented). */
export const ARM_PAGE_SIZE = 1000;

export interface ArmPage<T> {
  readonly value: T[];
  readonly nextLink?: string;
}

/** Slices a list by `$skipToken` and builds an absolute `nextLink` at the sandbox's origin, as SDK pagers follow it verbatim. */
export function armPage<T>(request: SandboxRequest, items: readonly T[], pageSize = ARM_PAGE_SIZE): ArmPage<T> | undefined {
  const token = request.query.get("$skipToken") ?? request.query.get("$skiptoken");
  let offset = 0;
  if (token !== null) {
    const decoded = Number(Buffer.from(token, "base64url").toString("utf8"));
    if (!Number.isInteger(decoded) || decoded < 0) return undefined;
    offset = decoded;
  }
  const value = items.slice(offset, offset + pageSize);
  if (offset + pageSize >= items.length) return { value };
  const query = new URLSearchParams(request.query);
  query.delete("$skiptoken");
  query.set("$skipToken", Buffer.from(String(offset + pageSize), "utf8").toString("base64url"));
  const path = request.path.split("/").map(encodeURIComponent).join("/");
  return { value, nextLink: `${request.origin}${path}?${query.toString()}` };
}
