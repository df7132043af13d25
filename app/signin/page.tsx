import type { Metadata } from "next";

import { SignInPanel } from "@/components/auth/sign-in-panel";
import { safeReturnPath } from "@/lib/shared/browser-auth";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  const notice = single(params.signedOut) ? "signed-out" : single(params.reason) === "expired" ? "expired" : null;
  return <SignInPanel returnTo={safeReturnPath(single(params.returnTo))} notice={notice} />;
}
