"use client";

import { broadcastResponseToMainFrame } from "@azure/msal-browser/redirect-bridge";
import { useEffect, useRef, useState } from "react";

/**
 * The redirect URI of popup sign-ins and silent renewals (REDIRECT_BRIDGE_PATH). msal-browser 5 no longer reads the
 * answer from the popup's or iframe's address: this page hands it to the waiting window over a BroadcastChannel and
 * closes. Nothing here keeps the answer; the code in it is only redeemable with the PKCE verifier the main window holds.
 */
export default function RedirectBridgePage() {
  const [failed, setFailed] = useState(false);
  // Once: the answer is cleared from the address as it is handed over, so a second run (React's strict mode) finds none.
  const handedOver = useRef(false);
  useEffect(() => {
    if (handedOver.current) return;
    handedOver.current = true;
    broadcastResponseToMainFrame().catch(() => setFailed(true));
  }, []);
  return (
    <p role="status" className="p-6 text-ink-muted">
      {failed ? "This window has no sign-in to finish. You can close it." : "Finishing sign-in…"}
    </p>
  );
}
