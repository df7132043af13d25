/** The sandbox tenant's documented personas (README, tenant.json). */
export const PERSONAS = {
  admin: { login: "admin@contosoml.onmicrosoft.com", password: "Admin-Sandbox-2026!", name: "Avery Admin", roles: ["Console.Admin"] },
  "limited-admin": {
    login: "limited-admin@contosoml.onmicrosoft.com",
    password: "LimitedAdmin-Sandbox-2026!",
    name: "",
    roles: ["Console.Admin"],
  },
  "team-lead": { login: "team-lead@contosoml.onmicrosoft.com", password: "TeamLead-Sandbox-2026!", name: "", roles: ["Console.Requester"] },
  security: { login: "security@contosoml.onmicrosoft.com", password: "Security-Sandbox-2026!", name: "", roles: ["Console.SecurityReader"] },
  "no-role": { login: "no-role@contosoml.onmicrosoft.com", password: "NoRole-Sandbox-2026!", name: "", roles: [] },
  "step-up-admin": {
    login: "step-up-admin@contosoml.onmicrosoft.com",
    password: "StepUpAdmin-Sandbox-2026!",
    name: "Morgan Step-Up",
    roles: ["Console.Admin"],
  },
  // Owns DS - Fraud: the sandbox request policy routes mlw-fraud-* requests to them.
  "fraud-owner": {
    login: "fraud-owner@contosoml.onmicrosoft.com",
    password: "FraudOwner-Sandbox-2026!",
    name: "Frankie Fraud-Owner",
    roles: ["Console.Requester"],
  },
} as const;

export type PersonaKey = keyof typeof PERSONAS;
