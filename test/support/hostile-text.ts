/** Text that probes paths, encodings, markup, SQL and prototypes: shared by the in-process and over-the-wire input tests. */
export const HOSTILE_TEXT = ["../../etc/passwd", "%2e%2e%2f", "\u0000", "\ud800", "<script>alert(1)</script>", "' OR 1=1 --", "__proto__"] as const;
