/**
 * Where the console's CPU time went, from the V8 profile `npm run bench -- --cpu-profile DIR` writes: self time by
 * package (or the app's own code, or V8's idle/GC/program buckets) and the functions with the most self time.
 *
 *   node --import tsx bench/profile-summary.ts DIR|FILE.cpuprofile [--top 25]
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The package a script belongs to (`next`, `@electric-sql/pglite`), `app` for the console's own chunks, or V8's bucket. */
export function bucketOf(url: string, functionName: string): string {
  if (url === "") return `(${functionName.replace(/[()]/g, "") || "native"})`;
  const modules = url.lastIndexOf("node_modules/");
  if (modules !== -1) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith("node:")) return "node (built-in)";
  // The only WebAssembly the console runs is PGlite's PostgreSQL.
  if (url.startsWith("wasm://")) return "wasm (PGlite's PostgreSQL)";
  if (url.includes("/.next/")) return "app (built chunks)";
  return "other";
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byBucket: ReadonlyArray<{ bucket: string; ms: number }>;
  readonly byFunction: ReadonlyArray<{ name: string; bucket: string; ms: number }>;
}

/** Self time per sample's leaf frame, summed by bucket and by function. */
export function summarize(profile: CpuProfile): ProfileSummary {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const buckets = new Map<string, number>();
  const functions = new Map<string, { bucket: string; ms: number }>();
  let totalMs = 0;
  profile.samples.forEach((id, index) => {
    const node = nodes.get(id);
    if (!node) return;
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    totalMs += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    const bucket = bucketOf(url, functionName);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + ms);
    const name = `${functionName || "(anonymous)"} ${url ? `${path.basename(url)}:${lineNumber + 1}` : ""}`.trim();
    const entry = functions.get(name) ?? { bucket, ms: 0 };
    entry.ms += ms;
    functions.set(name, entry);
  });
  const byMs = <T extends { ms: number }>(a: T, b: T) => b.ms - a.ms;
  return {
    totalMs,
    byBucket: [...buckets].map(([bucket, ms]) => ({ bucket, ms })).sort(byMs),
    byFunction: [...functions].map(([name, entry]) => ({ name, ...entry })).sort(byMs),
  };
}

function profilesIn(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target)
    .filter((name) => name.endsWith(".cpuprofile"))
    .map((name) => path.join(target, name));
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { top: { type: "string", default: "25" } }, allowPositionals: true });
  const top = Number(values.top);
  if (positionals.length !== 1 || !Number.isInteger(top) || top < 1) {
    throw new Error("usage: bench/profile-summary.ts DIR|FILE.cpuprofile [--top N]");
  }
  for (const file of profilesIn(positionals[0]!)) {
    const summary = summarize(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
    const share = (ms: number) => `${((ms / summary.totalMs) * 100).toFixed(1).padStart(5)}%`;
    console.log(`\n${file}: ${(summary.totalMs / 1000).toFixed(1)} s sampled`);
    console.log("\nSelf time by package:");
    for (const { bucket, ms } of summary.byBucket.slice(0, top)) console.log(`  ${share(ms)}  ${Math.round(ms).toString().padStart(7)} ms  ${bucket}`);
    console.log(`\nTop ${top} functions by self time:`);
    for (const { name, bucket, ms } of summary.byFunction.slice(0, top)) {
      console.log(`  ${share(ms)}  ${Math.round(ms).toString().padStart(7)} ms  ${name}  [${bucket}]`);
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main();
