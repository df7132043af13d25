import type { ReactNode } from "react";

/** Inputs, selects and text areas inside forms. */
export const INPUT_CLASS = "w-full rounded border border-line bg-surface px-2 py-1.5 text-ink";

/** Messages per field name, as a server action's `fieldErrors` returns them. */
export type FieldErrors = Readonly<Record<string, readonly string[] | undefined>>;

/** The ids that describe a control, or undefined when there are none (so no empty attribute is rendered). */
export function describedBy(...ids: Array<string | false | undefined>): string | undefined {
  const list = ids.filter((id): id is string => typeof id === "string" && id.length > 0);
  return list.length ? list.join(" ") : undefined;
}

/** A field's error messages, referenced by the input's aria-describedby. */
export function FieldError({ id, messages }: { id: string; messages: readonly string[] | undefined }) {
  if (!messages || messages.length === 0) return null;
  return (
    <p id={id} className="text-danger">
      {messages.join(" ")}
    </p>
  );
}

/** What `Field` hands its control so that the label, hint, note and errors describe it. */
export interface ControlProps {
  readonly id: string;
  readonly "aria-invalid": true | undefined;
  readonly "aria-describedby": string | undefined;
}

/**
 * A label, an optional hint above the control, the control itself, an optional note below it (a character count, say)
 * and the field's error messages. The control is rendered by `children` with the ids and aria attributes that tie
 * these together.
 */
export function Field({
  id,
  label,
  hint,
  note,
  noteTone = "muted",
  liveNote = false,
  errors,
  children,
}: {
  id: string;
  label: ReactNode;
  hint?: ReactNode;
  note?: ReactNode;
  noteTone?: "muted" | "warning";
  /** Announce changes of the note (a count of matches, not a count of characters typed). */
  liveNote?: boolean;
  errors?: readonly string[] | undefined;
  children: (control: ControlProps) => ReactNode;
}) {
  const invalid = errors !== undefined && errors.length > 0;
  const control: ControlProps = {
    id,
    "aria-invalid": invalid ? true : undefined,
    "aria-describedby": describedBy(hint ? `${id}-hint` : undefined, note ? `${id}-note` : undefined, invalid && `${id}-error`),
  };
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block font-medium">
        {label}
      </label>
      {hint && (
        <p id={`${id}-hint`} className="text-ink-muted">
          {hint}
        </p>
      )}
      {children(control)}
      {note && (
        <p id={`${id}-note`} className={`text-xs ${noteTone === "warning" ? "text-warning" : "text-ink-muted"}`} aria-live={liveNote ? "polite" : undefined}>
          {note}
        </p>
      )}
      <FieldError id={`${id}-error`} messages={errors} />
    </div>
  );
}
