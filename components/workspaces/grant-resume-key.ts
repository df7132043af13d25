/** Where the grant dialog keeps its choices while the person signs in again (step-up.tsx). */
export const grantResumeKey = (workspaceId: string) => `grant:${workspaceId.toLowerCase()}`;
