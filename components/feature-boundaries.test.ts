/**
 * components/ has one folder per feature plus two folders every feature may use: `ui/` (primitives: button, dialog,
 * field, alert) and `shared/` (pieces several features need: the principal picker, download, formatting). A feature
 * never imports from another feature's folder, so a shared piece is never found by accident in someone else's
 * folder, and `ui/` imports from no other folder so primitives stay primitive.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

const COMPONENTS = path.join(process.cwd(), "components");
const LAYERS: Record<string, readonly string[]> = {
  ui: [],
  shared: ["ui"],
};
/** Feature-to-feature imports that are allowed, each with the reason. */
const ALLOWED: Record<string, Record<string, string>> = {
  shell: { auth: "the page frame's account menu signs out through the session helpers; auth is the session every page runs in" },
  workspaces: {
    auth: "a grant or removal Azure answers with a claims challenge signs in again through the session's step-up prompt",
    permissions: "the grant dialog shows what the role would add for the principal (the permission delta)",
  },
  requests: {
    auth: "an approval whose grant Azure answers with a claims challenge signs in again through the session's step-up prompt",
    permissions: "the request form and the approval dialog show what the role would add for the principal (the permission delta)",
  },
  bundles: {
    auth: "a bundle grant Azure answers with a claims challenge signs in again through the session's step-up prompt",
    permissions: "the grant-bundle dialog shows what each part of the bundle would add for the principal (the permission delta)",
  },
  mappings: { auth: "a mapping change or reconcile Azure answers with a claims challenge signs in again through the session's step-up prompt" },
};

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

/** The components/ folder an import points into, or undefined when it points elsewhere. */
function targetFolder(file: string, specifier: string): string | undefined {
  const resolved = specifier.startsWith("@/components/")
    ? path.join(COMPONENTS, specifier.slice("@/components/".length))
    : specifier.startsWith(".")
      ? path.resolve(path.dirname(file), specifier)
      : undefined;
  if (!resolved) return undefined;
  const relative = path.relative(COMPONENTS, resolved);
  if (relative.startsWith("..") || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep)[0];
}

function importsOf(source: string): string[] {
  return [...source.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map((match) => match[1]!);
}

/** Every import from one components/ folder into another: `from -> to (file)`. */
function crossFolderImports(): { from: string; to: string; file: string }[] {
  return sourceFiles(COMPONENTS).flatMap((file) => {
    const from = path.relative(COMPONENTS, file).split(path.sep)[0]!;
    return importsOf(readFileSync(file, "utf8")).flatMap((specifier) => {
      const to = targetFolder(file, specifier);
      return to !== undefined && to !== from ? [{ from, to, file: path.relative(process.cwd(), file) }] : [];
    });
  });
}

describe("components/ folder boundaries", () => {
  const imports = crossFolderImports();

  it("reads the imports between folders", () => {
    expect(imports.some((edge) => edge.to === "ui")).toBe(true);
    expect(imports.some((edge) => edge.to === "shared")).toBe(true);
  });

  it("lets a feature use ui/ and shared/, never another feature", () => {
    const refused = imports.filter(({ from, to }) => {
      const layer = LAYERS[from];
      if (layer) return !layer.includes(to);
      return !(to in LAYERS) && !(to in (ALLOWED[from] ?? {}));
    });
    expect(refused.map(({ from, to, file }) => `${file}: ${from} -> ${to}`)).toEqual([]);
  });

  it("keeps every allowed exception in use", () => {
    for (const [from, targets] of Object.entries(ALLOWED)) {
      for (const to of Object.keys(targets)) {
        expect(
          imports.some((edge) => edge.from === from && edge.to === to),
          `${from} -> ${to}`,
        ).toBe(true);
      }
    }
  });
});
