"use client";

import { InteractionStatus } from "@azure/msal-browser";
import { useMsal } from "@azure/msal-react";
import { useRouter } from "next/navigation";
import { useEffect } from "react";

import { useAuthSettings } from "./auth-provider";
import { currentAccount, establishSession } from "./session-client";

/** Renew a few minutes before the token (and the cookie) expires, inside MSAL's own renewal window. */
const RENEW_BEFORE_MS = 4 * 60_000;
const MIN_DELAY_MS = 5_000;

/** Keeps a signed-in person's session alive: renews the token silently before it expires. Renders nothing. */
export function SessionKeeper({ expiresAt }: { expiresAt: string }) {
  const { instance, inProgress } = useMsal();
  const settings = useAuthSettings();
  const router = useRouter();

  useEffect(() => {
    if (inProgress !== InteractionStatus.None) return;
    const account = currentAccount(instance);
    if (!account) return;
    const delay = Math.max(MIN_DELAY_MS, new Date(expiresAt).getTime() - Date.now() - RENEW_BEFORE_MS);
    const timer = setTimeout(() => {
      void establishSession(instance, settings, account).then((outcome) => {
        // On success the server has a fresh cookie; refreshing brings the new expiry (and any role change) in.
        if (outcome.kind === "established") router.refresh();
      });
    }, delay);
    return () => clearTimeout(timer);
  }, [expiresAt, inProgress, instance, settings, router]);

  return null;
}
