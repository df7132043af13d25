/**
 * Loaded into the console by `npm run bench -- --memory-detail` (`node --expose-gc --import bench/memory-probe.mjs
 * server.js`); never in production. On SIGUSR2 it reads the process's memory, forces full garbage collections, reads it
 * again and appends one JSON line to `<tmpdir>/gatehouse-memory-<pid>.jsonl`: what the resident set is made of (live
 * V8 heap, garbage, PGlite's WebAssembly memory, mapped files, other native memory).
 */
import { appendFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout } from "node:timers";
import v8 from "node:v8";

const OUT = path.join(tmpdir(), `gatehouse-memory-${process.pid}.jsonl`);
const MB = 1024 * 1024;
/**
 * V8 reserves a WebAssembly memory with its guard regions (about 10 GiB): the accessible part is one read-write mapping
 * followed at once by the inaccessible rest. Nothing else in the process reserves that much.
 */
const WASM_RESERVATION = 4 * 1024 * MB;

const mb = (/** @type {number} */ bytes) => Math.round(bytes / MB);

/** glibc's malloc arenas other than the main one are 64 MiB reservations, read-write up to what is in use. */
const MALLOC_ARENA = 64 * MB;

/**
 * Resident bytes of the process by kind of mapping, from /proc/self/smaps: WebAssembly memory, mapped files (the node
 * binary, libraries), machine code compiled at run time (JavaScript and WebAssembly), malloc's heaps, and the rest
 * (V8's heap pages and other anonymous memory).
 */
function residentByMapping() {
  /** @type {{ start: number; end: number; perms: string; inode: number; name: string; rss: number }[]} */
  const mappings = [];
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$/.exec(line);
    if (header) {
      mappings.push({
        start: parseInt(header[1] ?? "0", 16),
        end: parseInt(header[2] ?? "0", 16),
        perms: header[3] ?? "",
        inode: Number(header[4]),
        name: header[5] ?? "",
        rss: 0,
      });
    } else if (line.startsWith("Rss:")) {
      const last = mappings.at(-1);
      if (last) last.rss = Number(line.split(/\s+/)[1]) * 1024;
    }
  }
  const totals = { wasmMemory: 0, files: 0, jitCode: 0, malloc: 0, otherAnonymous: 0 };
  mappings.forEach((mapping, index) => {
    const next = mappings[index + 1];
    const reserved = mapping.perms.startsWith("rw") && next?.start === mapping.end && next.perms.startsWith("---") ? next.end - mapping.start : 0;
    const kind =
      reserved >= WASM_RESERVATION
        ? "wasmMemory"
        : mapping.inode !== 0
          ? "files"
          : mapping.perms.includes("x")
            ? "jitCode"
            : mapping.name === "[heap]" || reserved === MALLOC_ARENA
              ? "malloc"
              : "otherAnonymous";
    totals[kind] += mapping.rss;
  });
  return totals;
}

function peakResidentMb() {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync("/proc/self/status", "utf8"));
  return match ? Math.round(Number(match[1]) / 1024) : 0;
}

function snapshot() {
  const usage = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const mapped = residentByMapping();
  /** @type {Record<string, number>} */
  const spaces = {};
  for (const space of v8.getHeapSpaceStatistics()) spaces[space.space_name] = mb(space.space_used_size);
  return {
    rssMb: mb(usage.rss),
    peakRssMb: peakResidentMb(),
    heapTotalMb: mb(usage.heapTotal),
    heapUsedMb: mb(usage.heapUsed),
    externalMb: mb(usage.external),
    arrayBuffersMb: mb(usage.arrayBuffers),
    mallocedMb: mb(heap.malloced_memory),
    heapLimitMb: mb(heap.heap_size_limit),
    wasmResidentMb: mb(mapped.wasmMemory),
    fileResidentMb: mb(mapped.files),
    jitCodeResidentMb: mb(mapped.jitCode),
    mallocResidentMb: mb(mapped.malloc),
    otherAnonymousResidentMb: mb(mapped.otherAnonymous),
    spacesUsedMb: spaces,
  };
}

const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;

process.on("SIGUSR2", () => {
  const before = snapshot();
  // Two rounds a tick apart: weak callbacks and finalizers free more on the second.
  gc?.();
  setTimeout(() => {
    gc?.();
    appendFileSync(OUT, `${JSON.stringify({ at: new Date().toISOString(), before, after: snapshot() })}\n`);
  }, 50);
});
