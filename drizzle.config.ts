import { defineConfig } from "drizzle-kit";

// Only generates SQL from the schema; it never connects to a database. Each feature keeps its tables beside its code
// (lib/<feature>/schema.ts); lib/db/schema.ts re-exports them all for the Drizzle client.
export default defineConfig({
  dialect: "postgresql",
  schema: ["./lib/db/schema.ts", "./lib/*/schema.ts"],
  out: "./lib/db/migrations",
});
