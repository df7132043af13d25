import { createHttpHeaders, createPipelineRequest, RestError } from "@azure/core-rest-pipeline";
import { describe, expect, it } from "vitest";

import { AppError } from "@/lib/errors";
import { claimsChallengeOf, roleChangeFailure, STEP_UP_MESSAGE, upstreamError } from "./errors";

const MFA_CLAIMS = JSON.stringify({ access_token: { acrs: { essential: true, values: ["p1"] } } });
const CHALLENGE = `Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${Buffer.from(MFA_CLAIMS).toString("base64")}"`;
const subject = { actingAs: "admin@contoso.com", scopeName: "mlw-churn-prod", roleName: "AzureML Data Scientist" };

function armRestError(status: number, headers: Record<string, string>, code?: string): RestError {
  const request = createPipelineRequest({ url: "https://management.azure.com/x", method: "PUT" });
  return new RestError("ARM refused", {
    statusCode: status,
    ...(code ? { code } : {}),
    request,
    response: { status, headers: createHttpHeaders({ "x-ms-request-id": "req-1", ...headers }), request },
  });
}

describe("claimsChallengeOf", () => {
  it("decodes the claims of an insufficient_claims challenge", () => {
    expect(claimsChallengeOf(CHALLENGE)).toBe(MFA_CLAIMS);
  });

  it("finds none in an expired-token challenge, a header without claims, or claims that are not JSON", () => {
    expect(claimsChallengeOf('Bearer authorization_uri="https://x", error="invalid_token", error_description="expired"')).toBeUndefined();
    expect(claimsChallengeOf('Bearer error="insufficient_claims"')).toBeUndefined();
    expect(claimsChallengeOf(`Bearer error="insufficient_claims", claims="${Buffer.from("{nope").toString("base64")}"`)).toBeUndefined();
    expect(claimsChallengeOf(undefined)).toBeUndefined();
  });
});

describe("a claims challenge is never a session that ended", () => {
  it("upstreamError turns a 401 with claims into interaction_required carrying them", () => {
    const error = upstreamError({
      system: "Azure Resource Manager",
      status: 401,
      code: "InvalidAuthenticationTokenClaims",
      message: "m",
      requestId: "r",
      retryAfter: undefined,
      claimsChallenge: MFA_CLAIMS,
    });
    expect(error).toMatchObject({ code: "interaction_required", claims: MFA_CLAIMS, userMessage: STEP_UP_MESSAGE });
    const plain = upstreamError({ system: "Azure Resource Manager", status: 401, code: undefined, message: "m", requestId: undefined, retryAfter: undefined });
    expect(plain.code).toBe("unauthenticated");
  });

  it("roleChangeFailure keeps the claims of ARM's challenge and of Entra's interaction_required, with the step-up sentence", () => {
    const fromArm = roleChangeFailure(armRestError(401, { "www-authenticate": CHALLENGE }, "InvalidAuthenticationTokenClaims"), subject);
    expect(fromArm).toMatchObject({ claims: MFA_CLAIMS, httpStatus: 401, requestId: "req-1", userMessage: STEP_UP_MESSAGE });
    const fromEntra = roleChangeFailure(new AppError({ code: "interaction_required", message: "obo", userMessage: "sign in", claims: MFA_CLAIMS }), subject);
    expect(fromEntra).toMatchObject({ code: "interaction_required", claims: MFA_CLAIMS, userMessage: STEP_UP_MESSAGE });
    for (const failure of [fromArm, fromEntra]) expect(failure.userMessage).not.toMatch(/expired|session has ended/i);
  });

  it("roleChangeFailure says a 401 without a challenge was not accepted, not that a sign-in expired, and carries no claims", () => {
    const failure = roleChangeFailure(armRestError(401, { "www-authenticate": 'Bearer error="invalid_token"' }), subject);
    expect(failure.claims).toBeUndefined();
    expect(failure.userMessage).toMatch(/did not accept your sign-in/);
    expect(failure.userMessage).not.toMatch(/expired/);
  });
});
