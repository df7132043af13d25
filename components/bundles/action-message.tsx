import { ResultText } from "@/components/ui/message-with-reference";

/** What a bundle action answered: done (a status), or refused with the server's words and a reference. */
export interface ActionMessageValue {
  readonly ok: boolean;
  readonly text: string;
  readonly reference?: string | undefined;
}

export function ActionMessage({ message }: { message: ActionMessageValue | null }) {
  return (
    <div aria-live="polite">
      {message &&
        (message.ok ? (
          <p role="status" className="text-success">
            {message.text}
          </p>
        ) : (
          <ResultText message={message.text} reference={message.reference} />
        ))}
    </div>
  );
}
