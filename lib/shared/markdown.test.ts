import { describe, expect, it } from "vitest";

import { escapeMarkdown } from "./markdown";

describe("escapeMarkdown", () => {
  it("turns every Markdown construct a requester could type into plain text", () => {
    const hostile = "[Approve here](https://evil.example) ![x](https://evil.example/p.png) **urgent** _now_ # Heading `code` <b>bold</b> & |table|";
    const escaped = escapeMarkdown(hostile);
    expect(escaped).not.toMatch(/(^|[^\\])\[/);
    expect(escaped).not.toMatch(/(^|[^\\])\(/);
    expect(escaped).not.toMatch(/<|>/);
    expect(escaped).toContain("\\[Approve here\\]\\(https://evil\\.example\\)");
    expect(escaped).toContain("&lt;b&gt;bold&lt;/b&gt; &amp;");
    expect(escaped).toContain("\\*\\*urgent\\*\\*");
  });

  it("leaves ordinary words and line breaks alone", () => {
    expect(escapeMarkdown("Needs to retrain the churn model\nthis sprint")).toBe("Needs to retrain the churn model\nthis sprint");
  });
});
