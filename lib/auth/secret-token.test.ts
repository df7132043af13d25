import { execFileSync } from "node:child_process";
import { inspect } from "node:util";

import { describe, expect, it } from "vitest";

import { childEnv } from "@/test/support/test-env";
import { SecretToken } from "./secret-token";

const TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJvaWQiOiJzZWNyZXQifQ.c2lnbmF0dXJl";

describe("SecretToken (security test plan row 28)", () => {
  it("gives its value only to reveal(): not to JSON, strings, template literals or inspection", () => {
    const token = new SecretToken(TOKEN);
    expect(token.reveal()).toBe(TOKEN);
    expect(() => JSON.stringify({ session: { assertion: token } })).toThrow(/never serialized/);
    expect(String(token)).toBe("[SecretToken]");
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the point: a slip like this shows no token
    expect(`${token}`).toBe("[SecretToken]");
    expect(inspect({ assertion: token })).not.toContain(TOKEN);
    expect(Object.keys(token)).toEqual([]);
  });

  it("makes React's Flight serializer fail rather than send it to the browser, where a plain string would be sent", () => {
    const output = execFileSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "test/support/flight-render.ts", TOKEN], {
      encoding: "utf8",
      env: childEnv({ NODE_ENV: "production" }),
    });
    const results = JSON.parse(output) as Record<string, { sent: string; errors: string[] }>;
    // The control shows the probe would see a leak.
    expect(results["a plain string (control)"]!.sent).toContain(TOKEN);
    for (const name of ["an action result holding the token", "a session passed as props"]) {
      expect(results[name]!.sent, name).not.toContain(TOKEN);
      expect(results[name]!.errors, name).toEqual([expect.stringMatching(/never serialized/)]);
    }
  });
});
