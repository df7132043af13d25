/** The page at `/`: where the endpoints are, and the personas with their passwords. */
import { page } from "./entra/authorize";
import { escapeHtml } from "./entra/http";
import type { Tenant } from "./tenant/index";

export function indexPage(origin: string, tenant: Tenant): string {
  const tid = tenant.tenantId;
  const personas = tenant
    .personas()
    .map(
      (persona) =>
        `<tr><td>${escapeHtml(persona.displayName)}</td><td><code>${escapeHtml(persona.userPrincipalName)}</code></td><td><code>${escapeHtml(persona.password)}</code></td><td>${escapeHtml(persona.consoleRoles.join(", ") || "—")}</td></tr>`,
    )
    .join("");
  return page(
    "Gatehouse sandbox tenant",
    `<h1>Gatehouse sandbox tenant</h1>
<p class="meta">A local Entra ID, Microsoft Graph and Azure Resource Manager for development and tests. Tenant <code>${escapeHtml(tid)}</code>.</p>
<ul>
<li><a href="/${tid}/v2.0/.well-known/openid-configuration">OpenID configuration</a> · <a href="/${tid}/discovery/v2.0/keys">signing keys</a></li>
<li>Graph: <code>${escapeHtml(origin)}/v1.0</code> · ARM: <code>${escapeHtml(origin)}</code></li>
<li><a href="/_sandbox/outbox.html">Outbox</a> · <a href="/_sandbox/chat.html">Chat channels</a> · <a href="/_sandbox/state">State</a> · <a href="/_sandbox/journal">Journal</a></li>
</ul>
<h2>Personas</h2><table><tr><th>Name</th><th>Sign-in</th><th>Password</th><th>Console roles</th></tr>${personas}</table>`,
  );
}
