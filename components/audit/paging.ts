/** Rows per page the audit page offers; 50 by default. */
export const PAGE_SIZES = [25, 50, 100, 200] as const;
export const DEFAULT_PAGE_SIZE = 50;
/** How many earlier pages "Newer" can step back through (their cursors ride in the URL). */
export const MAX_TRAIL = 25;
/** Stands for the first (newest) page in the trail of earlier pages. */
export const FIRST_PAGE = "-";
