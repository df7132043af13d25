import "server-only";

/**
 * Cuts text to at most `max` characters (UTF-16 code units, as JavaScript and the chat services count), ending with
 * "…" when it was cut, never inside a surrogate pair.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = "";
  for (const point of text) {
    if (kept.length + point.length + 1 > max) break;
    kept += point;
  }
  return `${kept}…`;
}

/**
 * Cuts `text` so that `escape(cut)` has at most `max` characters, ending with "…" when cut. Escaping can lengthen
 * text (`&` → `&amp;`), so the cut is made before escaping and never splits an escape sequence.
 */
export function clipEscaped(text: string, max: number, escape: (text: string) => string): string {
  const whole = escape(text);
  if (whole.length <= max) return whole;
  let points = Array.from(text);
  for (;;) {
    const escaped = escape(`${points.join("")}…`);
    if (escaped.length <= max || points.length === 0) return escaped.length <= max ? escaped : "…";
    points = points.slice(0, points.length - Math.max(1, Math.ceil((escaped.length - max) / 5)));
  }
}

/**
 * Breaks up `scheme://` with a zero-width space so chat clients do not turn a URL someone wrote into a link; the text
 * still reads the same. The console's own link is never passed through this.
 */
export function defangUrls(text: string): string {
  return text.replace(/:\/\//g, ":\u200B//");
}
