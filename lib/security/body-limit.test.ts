import { describe, expect, it } from "vitest";

import { declaresBodyOver, NO_BODY, payloadTooLarge, readBodyWithin } from "./body-limit";

const post = (body: BodyInit | null, headers: Record<string, string> = {}) =>
  new Request("https://console.test/api/x", { method: "POST", body, headers, ...(body instanceof ReadableStream ? { duplex: "half" } : {}) });

function stream(chunks: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent === chunks) controller.close();
      else {
        sent += 1;
        controller.enqueue(new Uint8Array(size).fill(97));
      }
    },
  });
}

describe("route body caps", () => {
  it("reads a body within the cap", async () => {
    expect(await readBodyWithin(post("hello"), 5)).toBe("hello");
    expect(await readBodyWithin(post(null), NO_BODY)).toBe("");
  });

  it("refuses a body past the cap by its declared length, or by its bytes when the length is missing", async () => {
    expect(await readBodyWithin(post("hello!"), 5)).toBeUndefined();
    expect(declaresBodyOver(post("x", { "content-length": "not-a-number" }), 10)).toBe(true);
    expect(await readBodyWithin(post(stream(100, 1024)), 8 * 1024)).toBeUndefined();
  });

  it("a route that takes no body refuses any length above zero and chunked bodies", () => {
    expect(declaresBodyOver(new Request("https://console.test/", { method: "POST", headers: { "content-length": "0" } }), NO_BODY)).toBe(false);
    expect(declaresBodyOver(new Request("https://console.test/", { method: "POST", headers: { "content-length": "1" } }), NO_BODY)).toBe(true);
    expect(declaresBodyOver(new Request("https://console.test/", { method: "POST", headers: { "transfer-encoding": "chunked" } }), NO_BODY)).toBe(true);
  });

  it("answers 413 in the route handlers' error shape", async () => {
    const response = payloadTooLarge(NO_BODY);
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: { code: "payload_too_large", message: "This request takes no body." } });
  });
});
