import { describe, expect, it } from "vitest";

import { SecretToken } from "@/lib/auth/secret-token";
import { DelegatedTokenCache, RENEWAL_MARGIN_MS } from "./delegated-token-cache";

const NOW = Date.parse("2026-06-01T12:00:00Z");
const HOUR = 3_600_000;
const TENANT = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9";
const ALICE = "11111111-1111-4111-8111-111111111111";
const BOB = "22222222-2222-4222-8222-222222222222";

const assertion = (who: string) => new SecretToken(`eyJhbGciOiJSUzI1NiJ9.${who}.signature`);

describe("the on-behalf-of token cache", () => {
  it("gives a token back to the person, resource and assertion it was got for", () => {
    const cache = new DelegatedTokenCache();
    const aliceAssertion = assertion("alice");
    const token = new SecretToken("arm-token-alice");
    cache.remember({ tenantId: TENANT, objectId: ALICE, resource: "arm", assertion: aliceAssertion }, token, NOW + HOUR);
    expect(cache.find({ tenantId: TENANT, objectId: ALICE, resource: "arm", assertion: aliceAssertion }, NOW)).toBe(token);
    // The same assertion text in another object (the next request's session lookup) finds it too; ids in either case.
    expect(cache.find({ tenantId: TENANT.toUpperCase(), objectId: ALICE.toUpperCase(), resource: "arm", assertion: assertion("alice") }, NOW)).toBe(token);
  });

  it("never serves one person's token to another, another resource or another sign-in of the same person", () => {
    const cache = new DelegatedTokenCache();
    const aliceAssertion = assertion("alice");
    cache.remember({ tenantId: TENANT, objectId: ALICE, resource: "arm", assertion: aliceAssertion }, new SecretToken("arm-token-alice"), NOW + HOUR);
    expect(cache.find({ tenantId: TENANT, objectId: BOB, resource: "arm", assertion: assertion("bob") }, NOW)).toBeUndefined();
    // Bob's id with Alice's assertion (or the reverse) is not Alice's key either.
    expect(cache.find({ tenantId: TENANT, objectId: BOB, resource: "arm", assertion: aliceAssertion }, NOW)).toBeUndefined();
    expect(cache.find({ tenantId: "99999999-9999-4999-8999-999999999999", objectId: ALICE, resource: "arm", assertion: aliceAssertion }, NOW)).toBeUndefined();
    expect(cache.find({ tenantId: TENANT, objectId: ALICE, resource: "graph", assertion: aliceAssertion }, NOW)).toBeUndefined();
    // A new sign-in (after step-up, say) is a new assertion: a new exchange, whose token may carry new claims.
    expect(cache.find({ tenantId: TENANT, objectId: ALICE, resource: "arm", assertion: assertion("alice-again") }, NOW)).toBeUndefined();
  });

  it("stops handing a token out once less than the renewal margin is left", () => {
    const cache = new DelegatedTokenCache();
    const key = { tenantId: TENANT, objectId: ALICE, resource: "arm", assertion: assertion("alice") };
    const expiresAt = NOW + HOUR;
    cache.remember(key, new SecretToken("arm-token"), expiresAt);
    expect(cache.find(key, expiresAt - RENEWAL_MARGIN_MS - 1)).toBeDefined();
    expect(cache.find(key, expiresAt - RENEWAL_MARGIN_MS)).toBeUndefined();
    // An expired entry is dropped, not kept for later.
    expect(cache.size).toBe(0);
    expect(cache.find(key, NOW)).toBeUndefined();
  });

  it("replaces a key's token with the newer one (a claims challenge's answer replaces the refused token)", () => {
    const cache = new DelegatedTokenCache();
    const key = { tenantId: TENANT, objectId: ALICE, resource: "arm", assertion: assertion("alice") };
    cache.remember(key, new SecretToken("without-mfa"), NOW + HOUR);
    const withClaims = new SecretToken("with-mfa");
    cache.remember(key, withClaims, NOW + HOUR);
    expect(cache.find(key, NOW)).toBe(withClaims);
    expect(cache.size).toBe(1);
  });

  it("keeps at most its bound, dropping the least recently used first", () => {
    const cache = new DelegatedTokenCache(3);
    const keys = ["a", "b", "c", "d"].map((who, index) => ({
      tenantId: TENANT,
      objectId: `${index}${ALICE.slice(1)}`,
      resource: "arm",
      assertion: assertion(who),
    }));
    cache.remember(keys[0]!, new SecretToken("a"), NOW + HOUR);
    cache.remember(keys[1]!, new SecretToken("b"), NOW + HOUR);
    cache.remember(keys[2]!, new SecretToken("c"), NOW + HOUR);
    // "a" used again: "b" is now the least recently used.
    expect(cache.find(keys[0]!, NOW)?.reveal()).toBe("a");
    cache.remember(keys[3]!, new SecretToken("d"), NOW + HOUR);
    expect(cache.size).toBe(3);
    expect(cache.find(keys[1]!, NOW)).toBeUndefined();
    expect(["a", "c", "d"].map((_, index) => cache.find(keys[[0, 2, 3][index]!]!, NOW)?.reveal())).toEqual(["a", "c", "d"]);
  });

  it("sends one exchange per key at a time: callers that miss meanwhile share its answer, or its failure", async () => {
    const cache = new DelegatedTokenCache();
    const alice = { tenantId: TENANT, objectId: ALICE, resource: "graph", assertion: assertion("alice") };
    const bob = { tenantId: TENANT, objectId: BOB, resource: "graph", assertion: assertion("bob") };
    let exchanges = 0;
    let answer!: (token: SecretToken) => void;
    const exchange = () => {
      exchanges += 1;
      return new Promise<SecretToken>((resolve) => (answer = resolve));
    };
    const first = cache.exchangeOnce(alice, exchange);
    const second = cache.exchangeOnce({ ...alice, assertion: assertion("alice") }, exchange);
    expect(exchanges).toBe(1);
    answer(new SecretToken("graph-token-alice"));
    expect((await first).reveal()).toBe("graph-token-alice");
    expect(await second).toBe(await first);

    // Another person never waits on (or gets) Alice's exchange.
    const bobs = cache.exchangeOnce(bob, () => Promise.resolve(new SecretToken("graph-token-bob")));
    expect((await bobs).reveal()).toBe("graph-token-bob");

    // Once settled, the next miss exchanges afresh; a failure reaches every waiter and is not kept.
    const failing = () => {
      exchanges += 1;
      return Promise.reject(new Error("Entra is unavailable"));
    };
    const failures = [cache.exchangeOnce(alice, failing), cache.exchangeOnce(alice, failing)];
    await expect(Promise.all(failures)).rejects.toThrow("Entra is unavailable");
    await Promise.allSettled(failures);
    expect(exchanges).toBe(2);
    expect((await cache.exchangeOnce(alice, () => Promise.resolve(new SecretToken("again")))).reveal()).toBe("again");
  });
});
