/** A message written for people, with the reference to quote to support when there is one. */
export function MessageWithReference({ message, reference }: { message: string; reference?: string | undefined }) {
  return (
    <>
      {message}
      {reference && <span className="text-ink-muted"> (reference {reference} — quote this to support)</span>}
    </>
  );
}
