import type { ReactNode } from "react";

/** A message written for people, with the reference to quote to support when there is one. */
export function MessageWithReference({ message, reference }: { message: string; reference?: string | undefined }) {
  return (
    <>
      {message}
      {reference && <span className="text-ink-muted"> (reference {reference} — quote this to support)</span>}
    </>
  );
}

/**
 * The answer to something the person just did, on one line: `role=status` in the success tone, or `role=alert` in the
 * danger tone (the default, for failures). `lead` comes before the message, `children` after it.
 */
export function ResultText({
  ok = false,
  message,
  reference,
  lead,
  children,
}: {
  ok?: boolean;
  message: string;
  reference?: string | undefined;
  lead?: ReactNode;
  children?: ReactNode;
}) {
  return (
    <p role={ok ? "status" : "alert"} className={ok ? "text-success" : "text-danger"}>
      {lead}
      <MessageWithReference message={message} reference={reference} />
      {children}
    </p>
  );
}
