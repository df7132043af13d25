/** A bundle grant's parts as the browser sees them: shared by lib/bundles (which stores them) and the dialogs. */

export const BUNDLE_PART_STATES = [
  "planned",
  /** This grant's PUT created the assignment. */
  "granted",
  /** The assignment already existed: held, never removed by this bundle. */
  "already_granted",
  "failed",
  /** Not needed here (e.g. a vault in access-policy mode); recorded with why. */
  "not_applicable",
  /** The bundle ended and let go of this part (removed, or kept for another holder, as the note says). */
  "released",
] as const;
export type BundlePartState = (typeof BUNDLE_PART_STATES)[number];

/** One part of a bundle, as a dialog or page shows it: before a grant ("grant", "blocked"), after it, or at its end. */
export interface BundlePartView {
  readonly key: string;
  readonly roleName: string;
  /** "workspace", "storage account", … */
  readonly on: string;
  readonly resourceName: string | null;
  readonly why: string;
  readonly state: BundlePartState | "grant" | "blocked";
  readonly note: string | null;
  readonly reference: string | null;
}
