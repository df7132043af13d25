import { randomUUID } from "node:crypto";

import type { Metadata } from "next";
import Link from "next/link";
import { z } from "zod";

import { AuditFilterForm } from "@/components/audit/audit-filter-form";
import { AuditTable } from "@/components/audit/audit-table";
import { ChainStatusPanel } from "@/components/audit/chain-status-panel";
import { DEFAULT_PAGE_SIZE, FIRST_PAGE, MAX_TRAIL, PAGE_SIZES } from "@/components/audit/paging";
import { Forbidden } from "@/components/auth/forbidden";
import { FilterErrors } from "@/components/ui/alert";
import { type AuditEventPage, searchAuditEvents } from "@/lib/audit";
import { authorizePage } from "@/lib/auth/authorize";
import { getDatabase } from "@/lib/db";
import { isAppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { currentChainStatus } from "@/lib/audit/chain-status";
import { parseAuditParams, toSearchParams } from "@/lib/audit/filter-params";

export const metadata: Metadata = { title: "Audit" };
export const dynamic = "force-dynamic";

const CURSOR = /^[A-Za-z0-9_-]{1,256}$/;
const BAD_PAGE_LINK = "That page link is not valid. Start again from the newest events.";

const pagingSchema = z.object({
  cursor: z.string().regex(CURSOR, BAD_PAGE_LINK).optional(),
  // Cursors of the pages before this one, oldest first; FIRST_PAGE stands for the newest page.
  prev: z.array(z.string().refine((value) => value === FIRST_PAGE || CURSOR.test(value), BAD_PAGE_LINK)).max(MAX_TRAIL, BAD_PAGE_LINK),
  size: z
    .string()
    .optional()
    .transform((value) => (value ? value : undefined))
    .pipe(z.enum(PAGE_SIZES.map(String) as [string, ...string[]], { error: `Rows per page must be one of ${PAGE_SIZES.join(", ")}.` }).optional())
    .transform((value) => (value === undefined ? DEFAULT_PAGE_SIZE : Number(value))),
});

type SearchOutcome = { ok: true; page: AuditEventPage } | { ok: false; message: string; reference?: string };

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const authorization = await authorizePage("viewAudit");
  if (!authorization.ok) return authorization.reason === "forbidden" ? <Forbidden permission="viewAudit" /> : null;

  const parsed = parseAuditParams(toSearchParams(await searchParams), pagingSchema, { single: ["cursor", "size"], multiple: ["prev"] });
  const size = parsed.ok ? parsed.extra.size : DEFAULT_PAGE_SIZE;
  const [chainStatus, search] = await Promise.all([
    currentChainStatus(),
    parsed.ok ? runSearch(parsed.filter, size, parsed.extra.cursor) : Promise.resolve(undefined),
  ]);

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div className="space-y-1">
          <h1 className="text-xl font-semibold">Audit trail</h1>
          <p className="text-ink-muted">Every change Gatehouse made and every request it refused, append-only and hash-chained. Times are UTC.</p>
        </div>
        {parsed.ok && (
          <div className="flex gap-2" aria-label="Export the current filter">
            <a href={exportHref("csv", parsed.query)} download className="rounded border border-line bg-surface-raised px-3 py-1.5 hover:bg-surface-sunken">
              Export CSV
            </a>
            <a href={exportHref("jsonl", parsed.query)} download className="rounded border border-line bg-surface-raised px-3 py-1.5 hover:bg-surface-sunken">
              Export JSON Lines
            </a>
          </div>
        )}
      </div>

      <ChainStatusPanel initial={chainStatus} />

      <AuditFilterForm values={parsed.values} size={size} />

      {!parsed.ok && <FilterErrors messages={parsed.messages} />}

      {parsed.ok && search && !search.ok && (
        <div role="alert" className="rounded-md border border-danger/50 bg-surface-raised px-4 py-3">
          <p className="text-danger">
            {search.message}
            {search.reference && <span className="text-ink-muted"> (reference {search.reference})</span>}
          </p>
          <Link href={`/audit${queryString(parsed.query)}`} className="text-accent underline">
            Back to the newest events
          </Link>
        </div>
      )}

      {parsed.ok && search?.ok && (
        <section aria-labelledby="results-heading" className="space-y-3">
          <h2 id="results-heading" className="sr-only">
            Results
          </h2>
          {search.page.events.length === 0 ? (
            <p className="rounded-md border border-line bg-surface-raised px-4 py-6 text-center text-ink-muted">
              {parsed.extra.cursor ? "No older events match these filters." : "No events match these filters."}
            </p>
          ) : (
            <AuditTable events={search.page.events} />
          )}
          <Pagination
            filters={parsed.query}
            size={size}
            cursor={parsed.extra.cursor}
            trail={parsed.extra.prev}
            nextCursor={search.page.nextCursor}
            shown={search.page.events.length}
          />
        </section>
      )}
    </div>
  );
}

async function runSearch(filter: Parameters<typeof searchAuditEvents>[1], size: number, cursor: string | undefined): Promise<SearchOutcome> {
  try {
    const page = await searchAuditEvents(await getDatabase(), filter, { size, ...(cursor && { cursor }) });
    return { ok: true, page };
  } catch (error) {
    if (isAppError(error) && error.code === "invalid_input") return { ok: false, message: error.userMessage };
    const reference = randomUUID();
    log("error", "audit", "audit search failed", { reference, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    return {
      ok: false,
      message: "The audit trail could not be read just now. Try again; if it keeps happening, quote the reference to your admin.",
      reference,
    };
  }
}

function Pagination({
  filters,
  size,
  cursor,
  trail,
  nextCursor,
  shown,
}: {
  filters: URLSearchParams;
  size: number;
  cursor: string | undefined;
  trail: readonly string[];
  nextCursor: string | null;
  shown: number;
}) {
  const newest = pageHref(filters, size, undefined, []);
  let newer: string | undefined;
  if (cursor) {
    const previous = trail.at(-1);
    if (previous === FIRST_PAGE) newer = newest;
    else if (previous) newer = pageHref(filters, size, previous, trail.slice(0, -1));
  }
  // The trail keeps the last MAX_TRAIL pages; beyond that, "Newer" stops and "Back to newest" remains.
  const older = nextCursor ? pageHref(filters, size, nextCursor, [...trail, cursor ?? FIRST_PAGE].slice(-MAX_TRAIL)) : undefined;
  const linkClass = "rounded border border-line bg-surface-raised px-3 py-1.5 hover:bg-surface-sunken";
  return (
    <nav aria-label="Pages of audit events" className="flex flex-wrap items-center gap-2">
      {cursor && (
        <Link href={newest} prefetch={false} className={linkClass}>
          Back to newest
        </Link>
      )}
      {newer && (
        <Link href={newer} prefetch={false} rel="prev" className={linkClass}>
          ← Newer
        </Link>
      )}
      {older && (
        <Link href={older} prefetch={false} rel="next" className={linkClass}>
          Older →
        </Link>
      )}
      <span className="text-ink-muted">
        {shown} {shown === 1 ? "event" : "events"} on this page{!nextCursor && shown > 0 ? " — no older events" : ""}
      </span>
    </nav>
  );
}

function pageHref(filters: URLSearchParams, size: number, cursor: string | undefined, trail: readonly string[]): string {
  const params = new URLSearchParams(filters);
  if (size !== DEFAULT_PAGE_SIZE) params.set("size", String(size));
  if (cursor) params.set("cursor", cursor);
  for (const entry of trail) params.append("prev", entry);
  return `/audit${queryString(params)}`;
}

function exportHref(format: "csv" | "jsonl", filters: URLSearchParams): string {
  const params = new URLSearchParams({ format });
  for (const [key, value] of filters) params.append(key, value);
  return `/api/audit/export?${params.toString()}`;
}

function queryString(params: URLSearchParams): string {
  const text = params.toString();
  return text ? `?${text}` : "";
}
