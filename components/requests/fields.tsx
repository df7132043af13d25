import { describedBy, Field, FieldError, INPUT_CLASS } from "@/components/ui/field";

/** A duration the policy allows, as the form offers it. */
export interface DurationOption {
  readonly value: string;
  readonly label: string;
}

/** The server's limit on a justification; the count under the field says how close the text is. */
const MAX_JUSTIFICATION = 1000;

/** Why the access is needed: a text area with a character count. */
export function JustificationField({
  id,
  label,
  rows,
  value,
  onChange,
  errors,
}: {
  id: string;
  label: string;
  rows: number;
  value: string;
  onChange: (value: string) => void;
  errors: readonly string[] | undefined;
}) {
  const length = value.trim().length;
  return (
    <Field
      id={id}
      label={label}
      note={`${length.toLocaleString("en-US")} of 1,000 characters (at least 10)`}
      noteTone={length > 0 && length < 10 ? "warning" : "muted"}
      errors={errors}
    >
      {(control) => (
        <textarea
          {...control}
          value={value}
          rows={rows}
          maxLength={MAX_JUSTIFICATION}
          onChange={(event) => onChange(event.target.value)}
          className={INPUT_CLASS}
        />
      )}
    </Field>
  );
}

/**
 * The durations to choose from, as radio buttons. `options` is null while there is nothing to choose yet (no role
 * chosen); `placeholder` then says why. `notice` says why a choice the person made was taken back (announced).
 */
export function DurationField({
  id,
  legend,
  options,
  placeholder,
  value,
  onChange,
  notice,
  errors,
}: {
  id: string;
  legend: string;
  options: readonly DurationOption[] | null;
  placeholder?: string;
  value: string;
  onChange: (value: string) => void;
  notice?: string | undefined;
  errors: readonly string[] | undefined;
}) {
  const invalid = errors !== undefined && errors.length > 0;
  return (
    <fieldset className="space-y-2" aria-describedby={describedBy(!options && `${id}-hint`, notice && `${id}-notice`, invalid && `${id}-error`)}>
      <legend className="font-medium">{legend}</legend>
      {options ? (
        <div className="flex flex-wrap gap-4">
          {options.map((option) => (
            <label key={option.value} className="flex items-center gap-1.5">
              <input type="radio" name={id} value={option.value} checked={value === option.value} onChange={() => onChange(option.value)} />
              {option.label}
            </label>
          ))}
        </div>
      ) : (
        <p id={`${id}-hint`} className="text-ink-muted">
          {placeholder}
        </p>
      )}
      <div aria-live="polite">
        {notice && (
          <p id={`${id}-notice`} className="font-medium text-warning">
            {notice}
          </p>
        )}
      </div>
      <FieldError id={`${id}-error`} messages={errors} />
    </fieldset>
  );
}

/** An optional ticket reference (change or incident number) kept with the request. */
export function TicketField({
  id,
  value,
  onChange,
  errors,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  errors: readonly string[] | undefined;
}) {
  return (
    <Field id={id} label="Ticket reference (optional)" errors={errors}>
      {(control) => (
        <input
          {...control}
          value={value}
          maxLength={100}
          autoComplete="off"
          placeholder="e.g. INC-1234"
          onChange={(event) => onChange(event.target.value)}
          className={`${INPUT_CLASS} max-w-xs`}
        />
      )}
    </Field>
  );
}
