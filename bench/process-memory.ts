/**
 * Memory and CPU of the console: the resident set of its process and every process it started, read from /proc
 * (Linux) ten times a second, with the peak kept overall and per labelled phase; and the CPU time they used. `next start` serves from one process today; the
 * tree is summed so a future worker process would not go uncounted.
 */
import { readdirSync, readFileSync } from "node:fs";

function readStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
}

function kilobytes(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** The process and its descendants. */
function processTree(root: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const status = readStatus(Number(entry));
    const ppid = status ? Number(/^PPid:\s+(\d+)/m.exec(status)?.[1]) : NaN;
    if (Number.isFinite(ppid)) parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const tree: number[] = [];
  const visit = (pid: number) => {
    tree.push(pid);
    for (const child of parents.get(pid) ?? []) visit(child);
  };
  visit(root);
  return tree;
}

export class ConsoleMemory {
  private timer: NodeJS.Timeout | undefined;
  private tree: number[];
  private phase: string | undefined;
  readonly peaks = new Map<string, number>();
  peak = 0;

  constructor(private readonly root: number) {
    this.tree = processTree(root);
  }

  /** Resident bytes of the console's processes now. */
  rss(): number {
    return this.tree.reduce((sum, pid) => sum + kilobytes(readStatus(pid) ?? "", "VmRSS"), 0);
  }

  /** The kernel's own high-water mark of the main process's resident set (VmHWM), which no sampling can miss. */
  highWaterMark(): number {
    return kilobytes(readStatus(this.root) ?? "", "VmHWM");
  }

  /**
   * CPU time (user + system) the console's processes have used so far, in ms, from /proc/<pid>/stat (clock ticks of
   * 10 ms, the kernel's USER_HZ of 100 on Linux).
   */
  cpuMs(): number {
    return this.tree.reduce((sum, pid) => {
      try {
        // Fields after the command name (which may hold spaces, so split after its closing parenthesis).
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
        return sum + (Number(fields[11]) + Number(fields[12])) * 10;
      } catch {
        return sum;
      }
    }, 0);
  }

  start(everyMs = 100): void {
    let ticks = 0;
    this.timer = setInterval(() => {
      if (++ticks % 50 === 0) this.tree = processTree(this.root);
      const now = this.rss();
      this.peak = Math.max(this.peak, now);
      if (this.phase) this.peaks.set(this.phase, Math.max(this.peaks.get(this.phase) ?? 0, now));
    }, everyMs);
    this.timer.unref();
  }

  /** Attributes samples to `label` until the next call (undefined: to no phase). */
  during(label: string | undefined): void {
    this.phase = label;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export const megabytes = (bytes: number): string => (bytes / 1e6).toFixed(0);

/** Resident MB of the mappings exactly `bytes` long: a WebAssembly memory is one mapping of its current size. */
export function residentOfMappingsSized(bytes: number): number {
  let matching = false;
  let kilobytes = 0;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const range = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (range) matching = parseInt(range[2] ?? "0", 16) - parseInt(range[1] ?? "0", 16) === bytes;
    else if (matching && line.startsWith("Rss:")) kilobytes += Number(line.split(/\s+/)[1]);
  }
  return Math.round(kilobytes / 1024);
}
