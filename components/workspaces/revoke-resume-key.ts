/** Where the revoke dialog keeps its choices while the person signs in again (step-up.tsx). */
export const revokeResumeKey = (workspaceId: string) => `revoke:${workspaceId.toLowerCase()}`;

/** What the dialog keeps across signing in again for a claims challenge: which assignments to remove. */
export interface RevokeChoices {
  readonly assignmentIds: readonly string[];
  /** The removal was an orphan clean-up (the server removes only what it confirms deleted). */
  readonly orphanCleanup?: boolean;
}
