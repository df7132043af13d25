"use server";

import { cookies } from "next/headers";
import { z } from "zod";

import { verifyAzureAccess as verify } from "@/lib/account/verify-azure-access";
import { serverAction } from "@/lib/actions/server-action";
import { callerOf } from "@/lib/auth/caller";
import { recordSignOut } from "@/lib/auth/record-session";
import { SESSION_COOKIE, SESSION_COOKIE_ATTRIBUTES } from "@/lib/auth/session";

/** Clears the session cookie; the browser then signs out of Entra with MSAL. */
export const signOut = serverAction("signOut", z.undefined(), async ({ actor, requestId }) => {
  await recordSignOut(actor, requestId);
  // A __Host- cookie is only replaced by one with the same attributes; an expired copy removes it.
  (await cookies()).set(SESSION_COOKIE, "", { ...SESSION_COOKIE_ATTRIBUTES, maxAge: 0 });
  return { signedOut: true };
});

/** Calls Graph and ARM as the signed-in person, proving on-behalf-of works end to end. */
export const verifyAzureAccess = serverAction("verifyAzureAccess", z.undefined(), async ({ session }) => verify(callerOf(session)));
