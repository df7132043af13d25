/**
 * For tests that call server actions in-process: what Next's `next/headers` answers, set per test. Mock it with
 *
 *   vi.mock("next/headers", () => import("@/test/support/next-request").then((module) => module.nextHeadersModule));
 *
 * and set `nextRequest.origin` (the console's public origin, as a same-origin page sends it) and `nextRequest.cookie`
 * (a session cookie's value, or "" for none).
 */
export const nextRequest = { cookie: "", origin: "" };

const SESSION_COOKIE_NAME = "__Host-gatehouse-session";

export const nextHeadersModule = {
  headers: () => Promise.resolve(new Headers({ origin: nextRequest.origin, "sec-fetch-site": "same-origin" })),
  cookies: () =>
    Promise.resolve({
      get: (name: string) => (name === SESSION_COOKIE_NAME && nextRequest.cookie ? { name, value: nextRequest.cookie } : undefined),
      set: () => undefined,
    }),
};
