import type { BundlePartView } from "@/lib/shared/bundle-parts";

export type { BundlePartView };

const STATE_WORDS: Record<BundlePartView["state"], { label: string; tone: string }> = {
  planned: { label: "Not granted yet", tone: "text-warning" },
  grant: { label: "Will be granted", tone: "text-ink" },
  granted: { label: "Granted", tone: "text-success" },
  already_granted: { label: "Already there", tone: "text-success" },
  failed: { label: "Failed", tone: "text-danger" },
  blocked: { label: "Cannot be granted", tone: "text-danger" },
  not_applicable: { label: "Not needed here", tone: "text-ink-muted" },
  released: { label: "Ended", tone: "text-ink-muted" },
};

/**
 * A bundle's parts with where each lands and its state: the same table before a grant (what will happen), after it
 * (a result per part) and at its end (what was removed, what stayed and why).
 */
export function BundleParts({ parts, caption }: { parts: readonly BundlePartView[]; caption: string }) {
  return (
    <table className="w-full text-left text-sm" data-testid="bundle-parts">
      <caption className="pb-1 text-left font-medium">{caption}</caption>
      <thead className="text-ink-muted">
        <tr>
          <th scope="col" className="py-1 pr-3 font-normal">
            Role
          </th>
          <th scope="col" className="py-1 pr-3 font-normal">
            On
          </th>
          <th scope="col" className="py-1 font-normal">
            State
          </th>
        </tr>
      </thead>
      <tbody>
        {parts.map((part) => (
          <tr key={part.key} className="border-t border-line align-top" data-part={part.key}>
            <td className="py-1.5 pr-3">
              <span className="font-medium">{part.roleName}</span>
              <span className="block text-xs text-ink-muted">{part.why}</span>
            </td>
            <td className="py-1.5 pr-3">
              {part.on}
              {part.resourceName && <span className="block font-mono text-xs">{part.resourceName}</span>}
            </td>
            <td className="py-1.5">
              <span className={`font-medium ${STATE_WORDS[part.state].tone}`}>{STATE_WORDS[part.state].label}</span>
              {part.note && <span className="block text-xs text-ink-muted">{part.note}</span>}
              {part.reference && <span className="block font-mono text-xs text-ink-muted">Azure reference {part.reference}</span>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
