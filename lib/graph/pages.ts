import "server-only";

import type { Client } from "@microsoft/microsoft-graph-client";
import { z } from "zod";

/** More pages than any list Gatehouse reads should have; a list that does not end is an error, not a partial answer. */
export const MAX_LIST_PAGES = 500;

// One page schema per item schema: building a zod schema, and compiling its parser on first use, cost more than
// parsing a small page. Item schemas are mostly module constants; an inline one's entry goes with it (a WeakMap).
const pageSchemas = new WeakMap<z.ZodType, z.ZodType<{ value: unknown[]; "@odata.nextLink"?: string | undefined }>>();

function pageOf<T>(item: z.ZodType<T>): z.ZodType<{ value: T[]; "@odata.nextLink"?: string | undefined }> {
  let page = pageSchemas.get(item);
  if (page === undefined) {
    page = z.object({ value: z.array(item), "@odata.nextLink": z.string().optional() });
    pageSchemas.set(item, page);
  }
  return page as z.ZodType<{ value: T[]; "@odata.nextLink"?: string | undefined }>;
}

/**
 * Every item of a Graph list, following `@odata.nextLink` to the end. `headers` go on every page: Graph wants
 * `ConsistencyLevel: eventual` again on each page of an advanced query. Throttled pages are retried by the client's
 * one retry rule (`lib/azure/retry.ts`), with or without `Retry-After`; any other failure throws.
 */
export async function readAllPages<T>(client: Client, first: string, item: z.ZodType<T>, headers: Readonly<Record<string, string>> = {}): Promise<T[]> {
  const page = pageOf(item);
  const items: T[] = [];
  let request: string | undefined = first;
  for (let count = 0; request !== undefined; count++) {
    if (count >= MAX_LIST_PAGES) throw new Error(`Graph list ${first} did not end after ${MAX_LIST_PAGES} pages`);
    let call = client.api(request);
    for (const [name, value] of Object.entries(headers)) call = call.header(name, value);
    const body = page.parse(await call.get());
    items.push(...body.value);
    request = body["@odata.nextLink"];
  }
  return items;
}
