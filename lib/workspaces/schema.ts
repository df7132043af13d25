import { z } from "zod";

/** Rows on one page of the workspace list: an estate this size or smaller shows whole and filters in the browser. */
export const WORKSPACE_PAGE_SIZE = 100;
export const WORKSPACE_SEARCH_MAX_LENGTH = 64;
/** The furthest a page may start: Resource Graph's `$skip` is an int32, and nobody pages a million rows by hand. */
const MAX_SKIP = 1_000_000;

/**
 * What a search may hold: letters, digits, spaces and `- _ . ( )`, the characters of workspace and resource group
 * names. Keeping quotes and backslashes out means the text cannot change the KQL it is placed in, whatever the
 * escaping (which is applied too).
 */
export const WORKSPACE_SEARCH_PATTERN = /^[\p{L}\p{N} ._()-]*$/u;
export const WORKSPACE_SEARCH_RULE = "Search for letters, digits, spaces and - _ . ( ) only, at most 64 characters.";

const first = (value: unknown): unknown => (Array.isArray(value) ? (value as unknown[])[0] : value);

/** The list's URL parameters (`?q=…&skip=…`), as the browser sent them: never trusted, always parsed. */
export const WorkspaceListParams = z.object({
  q: z.preprocess(
    first,
    z.string().trim().max(WORKSPACE_SEARCH_MAX_LENGTH, WORKSPACE_SEARCH_RULE).regex(WORKSPACE_SEARCH_PATTERN, WORKSPACE_SEARCH_RULE).optional().default(""),
  ),
  skip: z.preprocess(first, z.coerce.number().int().min(0).max(MAX_SKIP).optional().default(0)),
});

/** One page of the list asked for: the search (empty for none) and the rows to skip. */
export interface WorkspaceListRequest {
  readonly search: string;
  readonly skip: number;
}
