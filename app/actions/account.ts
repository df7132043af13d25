"use server";

import { cookies } from "next/headers";
import { z } from "zod";

import { verifyAzureAccess as verify } from "@/lib/account/verify-azure-access";
import { endSessionById, endSessionSchema, searchSessions as search, searchSessionsSchema, signOutSession } from "@/lib/account/sessions";
import { serverAction } from "@/lib/actions/server-action";
import { callerOf } from "@/lib/auth/caller";
import { SESSION_COOKIE, SESSION_COOKIE_ATTRIBUTES } from "@/lib/auth/session";

/** Ends the session on the server (every copy of its cookie stops working), then clears the cookie; the browser then signs out of Entra with MSAL. */
export const signOut = serverAction("signOut", z.undefined(), async (context) => {
  await signOutSession(context);
  // A __Host- cookie is only replaced by one with the same attributes; an expired copy removes it.
  (await cookies()).set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
  return { signedOut: true };
});

/** Calls Graph and ARM as the signed-in person, proving on-behalf-of works end to end. */
export const verifyAzureAccess = serverAction("verifyAzureAccess", z.undefined(), async ({ session }) => verify(callerOf(session)));

/** Ends one of your own sessions (an admin: anyone's). Ending this one signs this browser out as well. */
export const endSession = serverAction("endSession", endSessionSchema, async (context, input) => {
  const result = await endSessionById(context, input);
  if (result.endedCurrent) (await cookies()).set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
  return result;
});

/** Admins: live sessions of the people whose sign-in name or name contains the query. */
export const searchSessions = serverAction("searchSessions", searchSessionsSchema, async (context, input) => search(context, input));
