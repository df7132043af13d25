/**
 * What a person reads when Entra sends a sign-in back with an error instead of a code. Entra's own description names
 * app ids, trace ids and policies, so it is never shown; only its AADSTS code picks the message.
 */
export const NOT_ASSIGNED_MESSAGE = "You are not assigned to Gatehouse — ask an administrator to assign you.";

const MESSAGES: Readonly<Record<string, string>> = {
  // "Assignment required" is on and the person is assigned neither directly nor through a group they are a direct member of.
  "50105": NOT_ASSIGNED_MESSAGE,
  "50057": "Your account is disabled. Ask an administrator to enable it.",
  "53003": "Your organisation's access policies blocked this sign-in. Ask an administrator which conditions apply.",
};

function textOf(error: unknown): string {
  if (typeof error !== "object" || error === null) return "";
  const { errorMessage, message } = error as { errorMessage?: unknown; message?: unknown };
  return [errorMessage, message].filter((part): part is string => typeof part === "string").join(" ");
}

/** The message for a failed redirect sign-in (the error of MSAL's ACQUIRE_TOKEN_FAILURE event for a redirect). */
export function describeSignInFailure(error: unknown): string {
  const code = /AADSTS(\d+)/.exec(textOf(error))?.[1];
  if (code && MESSAGES[code]) return MESSAGES[code];
  const errorCode = typeof error === "object" && error !== null ? (error as { errorCode?: unknown }).errorCode : undefined;
  if (errorCode === "access_denied") return "Microsoft Entra refused the sign-in. Ask an administrator whether you should have access to Gatehouse.";
  return "The sign-in did not complete. Try again, or ask an administrator if it keeps failing.";
}
