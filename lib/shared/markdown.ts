/**
 * Makes text safe to place in a chat message that renders Markdown (and the little HTML chat cards allow): every
 * Markdown control character is backslash-escaped and `<`, `>`, `&` become entities, so text a requester wrote shows
 * as typed — no link, image, heading, emphasis or tag can be forged with it. Line breaks are kept.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/[\\`*_{}[\]()#+\-.!|~]/g, (character) => `\\${character}`);
}
