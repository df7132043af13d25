import type { ReactNode } from "react";

const TONES = {
  danger: "border-danger/50 text-danger",
  warning: "border-warning/50 text-warning",
  success: "border-success/40 text-success",
} as const;

/**
 * A boxed notice above or inside a form. `role` says how urgently assistive technology announces it: `alert` for a
 * refusal or failure, `status` for a success, `note` for standing advice.
 */
export function Alert({
  tone,
  role,
  title,
  children,
}: {
  tone: keyof typeof TONES;
  role: "alert" | "status" | "note";
  /** A first line in medium weight. */
  title?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div role={role} className={`rounded-md border bg-surface-raised px-4 py-3 ${TONES[tone]}`}>
      {title && <p className="font-medium">{title}</p>}
      {children}
    </div>
  );
}

/** Why the filters in the URL were not applied, one message per problem. */
export function FilterErrors({ messages }: { messages: readonly string[] }) {
  return (
    <div role="alert" className="rounded-md border border-danger/50 bg-surface-raised px-4 py-3">
      <p className="font-medium text-danger">These filters cannot be used:</p>
      <ul className="list-disc pl-5">
        {messages.map((message) => (
          <li key={message}>{message}</li>
        ))}
      </ul>
    </div>
  );
}
