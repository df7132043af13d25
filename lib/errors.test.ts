import { describe, expect, it } from "vitest";

import { AppError, needsSupportReference, refusal } from "./errors";

describe("refusal()", () => {
  it("names the reason in the internal message and puts the person's message beside the field", () => {
    const error = refusal("invalid_input", "comment_required", "Say why.", "comment");
    expect(error).toMatchObject({
      name: "AppError",
      code: "invalid_input",
      message: "refused: comment_required",
      userMessage: "Say why.",
      fieldErrors: { comment: ["Say why."] },
    });
    expect(refusal("conflict", "already_decided", "Decided.").fieldErrors).toBeUndefined();
  });
});

describe("needsSupportReference", () => {
  it("is no for Gatehouse's own decisions about the input, yes for failures and anything with an upstream id", () => {
    for (const code of ["invalid_input", "conflict", "forbidden", "not_found"] as const) expect(needsSupportReference(refusal(code, "r", "m"))).toBe(false);
    for (const code of [
      "upstream_unavailable",
      "upstream_failed",
      "upstream_forbidden",
      "upstream_throttled",
      "configuration",
      "interaction_required",
    ] as const) {
      expect(needsSupportReference(new AppError({ code, message: "m", userMessage: "u" }))).toBe(true);
    }
    expect(needsSupportReference(new AppError({ code: "forbidden", message: "m", userMessage: "u", upstreamRequestId: "arm-1" }))).toBe(true);
  });
});
