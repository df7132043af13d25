import { readdirSync, readFileSync } from "node:fs";

/**
 * The console server's process (the standalone `server.js` the launcher started with PORT=<port>, which names itself
 * `next-server`), found in /proc, and
 * its resident set: memory is a behaviour bound the e2e run checks; timings are left to `npm run bench`.
 */
export function consoleProcessId(port: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const command = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      // Next renames its process to "next-server (vX)", which replaces the command line /proc shows.
      if (!command.some((part) => part.endsWith("server.js") || part.startsWith("next-server"))) continue;
      const environment = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (environment.includes(`PORT=${port}`)) return Number(entry);
    } catch {
      // A process that ended or is not ours to read.
    }
  }
  throw new Error(`no console server process with PORT=${port} found in /proc`);
}

/** Resident bytes of the process now (VmRSS). */
export function residentBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) * 1024;
}
