"use server";

import { cookies } from "next/headers";
import { z } from "zod";

import { endSessionById, endSessionSchema, signOutSession } from "@/lib/account/sessions";
import { serverAction } from "@/lib/actions/server-action";
import { SESSION_COOKIE, SESSION_COOKIE_ATTRIBUTES } from "@/lib/auth/session";

/** Ends the session on the server (every copy of its cookie stops working), then clears the cookie; the browser then signs out of Entra with MSAL. */
export const signOut = serverAction("signOut", z.undefined(), async (context) => {
  await signOutSession(context);
  // A __Host- cookie is only replaced by one with the same attributes; an expired copy removes it.
  (await cookies()).set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
  return { signedOut: true };
});

/** Ends one of your own sessions (an admin: anyone's). Ending this one signs this browser out as well. */
export const endSession = serverAction("endSession", endSessionSchema, async (context, input) => {
  const result = await endSessionById(context, input);
  if (result.endedCurrent) (await cookies()).set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
  return result;
});
