import { describe, expect, it } from "vitest";

import { databaseUnavailable, isDatabaseUnavailable } from "./faults";

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });
// drizzle wraps the driver's error: "Failed query: …" with the DatabaseError as its cause.
const wrapped = (cause: Error) => new Error("Failed query: select 1\nparams: ", { cause });

describe("database faults", () => {
  it.each([
    ["57P01", "terminating connection due to administrator command"],
    ["57014", "canceling statement due to statement timeout"],
    ["55P03", "could not obtain lock on row"],
    ["08006", "connection failure"],
    ["53300", "sorry, too many clients already"],
    ["ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"],
  ])("%s is the database being unavailable, also as a cause", (code, message) => {
    expect(isDatabaseUnavailable(pgError(code, message))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(pgError(code, message)))).toBe(true);
  });

  it("node-postgres's lost-connection errors, which carry no code", () => {
    expect(isDatabaseUnavailable(new Error("Connection terminated unexpectedly"))).toBe(true);
    expect(isDatabaseUnavailable(wrapped(new Error("Client has encountered a connection error and is not queryable")))).toBe(true);
  });

  it("is not a constraint, a syntax error or a bug", () => {
    expect(isDatabaseUnavailable(pgError("23505", "duplicate key value violates unique constraint"))).toBe(false);
    expect(isDatabaseUnavailable(pgError("42601", "syntax error"))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError("x is undefined"))).toBe(false);
    expect(isDatabaseUnavailable("57P01")).toBe(false);
  });

  it("tells a person nothing of the driver's text, and keeps it for logs", () => {
    const error = databaseUnavailable(wrapped(pgError("57014", "canceling statement due to statement timeout")));
    expect(error).toMatchObject({ code: "upstream_unavailable", userMessage: "Gatehouse's database did not answer in time. Try again in a minute." });
    expect(error.message).toContain("57014 canceling statement due to statement timeout");
  });
});
