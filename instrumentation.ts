/**
 * Runs once when the server starts: opens the database (applying pending migrations) and starts scheduled jobs.
 * A failure here is logged and the console still serves; /api/health then reports the database as unreachable.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { startServer } = await import("./lib/jobs/start");
  await startServer();
}
