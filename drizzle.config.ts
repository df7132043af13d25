import { defineConfig } from "drizzle-kit";

// Only generates SQL from the schema; it never connects to a database. Each feature keeps its tables beside its code
// (lib/<feature>/schema.ts); queries import the tables they use from there.
export default defineConfig({
  dialect: "postgresql",
  schema: ["./lib/db/schema.ts", "./lib/*/schema.ts"],
  out: "./lib/db/migrations",
});
