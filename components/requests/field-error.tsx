/** A field's error messages, referenced by the input's aria-describedby. */
export function FieldError({ id, messages }: { id: string; messages: readonly string[] | undefined }) {
  if (!messages || messages.length === 0) return null;
  return (
    <p id={id} className="text-danger">
      {messages.join(" ")}
    </p>
  );
}

export type FieldErrors = Readonly<Record<string, readonly string[] | undefined>>;

export function describedBy(...ids: Array<string | false | undefined>): string | undefined {
  const list = ids.filter((id): id is string => typeof id === "string" && id.length > 0);
  return list.length ? list.join(" ") : undefined;
}
