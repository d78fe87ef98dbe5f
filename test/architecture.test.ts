import { readdirSync, readFileSync } from "node:fs";
import { isBuiltin } from "node:module";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, test } from "vitest";

// Design §3: data flows one way (front-end -> core -> app -> core -> sink) and imports follow
// the same direction. This test reads every import under src/ and names each arrow that runs
// the wrong way.

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");

interface SourceFile {
  /** Path relative to src/, with "/" separators: "core/run.ts". */
  path: string;
  /** Every module specifier it imports or re-exports from, static or dynamic. */
  specifiers: string[];
}

/** Node modules that do I/O: the core and the protocol codecs stay pure. */
const IO_MODULES = new Set([
  "net",
  "tls",
  "http",
  "https",
  "http2",
  "dgram",
  "child_process",
  "cluster",
  "fs",
  "fs/promises",
]);

type Layer =
  | {
      kind:
        | "core"
        | "protocol"
        | "middleware"
        | "wrappers"
        | "adapters"
        | "sinks"
        | "testing"
        | "free";
    }
  | { kind: "frontend"; name: string };

function layerOf(path: string): Layer {
  const [top, second] = path.split("/");
  if (path.split("/").length === 1) return { kind: "free" }; // top-level entry files
  if (top === "frontends") return { kind: "frontend", name: second.replace(/\.ts$/, "") };
  if (top === "core" || top === "protocol" || top === "middleware" || top === "wrappers") {
    return { kind: top };
  }
  if (top === "adapters" || top === "sinks" || top === "testing") return { kind: top };
  return { kind: "free" }; // cli/ and anything else may import anything
}

function layerName(layer: Layer): string {
  return layer.kind === "frontend" ? `frontends/${layer.name}` : layer.kind;
}

/** Where a specifier points: a file under src/, a node builtin, or a package. */
type Target =
  | { kind: "src"; path: string; layer: Layer }
  | { kind: "builtin"; name: string }
  | { kind: "package"; name: string }
  | { kind: "outside"; path: string };

function resolve(from: string, specifier: string): Target {
  if (specifier.startsWith(".")) {
    const path = posix.normalize(posix.join(posix.dirname(from), specifier));
    if (path.startsWith("..")) return { kind: "outside", path };
    const file = path.replace(/\.js$/, ".ts");
    return { kind: "src", path: file, layer: layerOf(file) };
  }
  if (specifier.startsWith("node:") || isBuiltin(specifier)) {
    return { kind: "builtin", name: specifier.replace(/^node:/, "") };
  }
  return { kind: "package", name: specifier };
}

/**
 * The packages each layer may import (Developers' guide: runtime dependencies are chosen, and
 * load only where used). Everything else a layer needs comes from the platform.
 */
const PACKAGES: Partial<Record<Layer["kind"], string[]>> = {
  middleware: ["cookie", "mime-types", "@fastify/busboy"],
  wrappers: ["cookie", "@fastify/busboy"],
};

/** Why `layer` must not import `target`, or null when the arrow is allowed. */
function refusal(layer: Layer, target: Target): string | null {
  if (layer.kind === "free") return null;
  if (target.kind === "outside") return `${layerName(layer)} must not import outside src/`;
  if (target.kind === "package") {
    if (PACKAGES[layer.kind]?.includes(target.name)) return null;
    return `${layerName(layer)} must not import package ${target.name}`;
  }
  if (target.kind === "builtin") {
    const pure = layer.kind === "core" || layer.kind === "protocol";
    return pure && IO_MODULES.has(target.name)
      ? `${layerName(layer)} must not import node:${target.name} (no I/O)`
      : null;
  }
  const to = target.layer;
  const allowed: Record<Exclude<Layer["kind"], "free">, Array<Layer["kind"]>> = {
    core: ["core"],
    protocol: ["protocol", "core"],
    frontend: ["core", "protocol", "sinks"],
    middleware: ["core", "middleware", "wrappers"],
    wrappers: ["core", "wrappers"],
    adapters: ["core", "protocol", "adapters", "sinks"], // fromNode and fromFetch share request-line.ts
    // Sinks over a transport's objects, shared by a front-end and an adapter (the dev server and
    // toNode both answer on a ServerResponse): the core's contract, nothing else.
    sinks: ["core"],
    testing: ["core", "protocol"],
  };
  if (allowed[layer.kind].includes(to.kind)) return null;
  // A front-end may use the files of its own folder, never another front-end.
  if (layer.kind === "frontend" && to.kind === "frontend" && to.name === layer.name) return null;
  return `${layerName(layer)} must not import ${targetName(layer, target.path)}`;
}

/** How a message names what was imported: "frontends", "frontends/http", "cli", "entry files". */
function targetName(from: Layer, path: string): string {
  const to = layerOf(path);
  if (to.kind === "frontend") return from.kind === "frontend" ? layerName(to) : "frontends";
  if (to.kind !== "free") return to.kind;
  return path.includes("/") ? path.split("/")[0] : "entry files";
}

/** Every wrong-way arrow, as "src/core/x.ts imports ../frontends/y.js: core must not import frontends". */
function checkImports(files: SourceFile[]): string[] {
  const problems: string[] = [];
  for (const file of files) {
    const layer = layerOf(file.path);
    for (const specifier of file.specifiers) {
      const why = refusal(layer, resolve(file.path, specifier));
      if (why) problems.push(`src/${file.path} imports ${specifier}: ${why}`);
    }
  }
  return problems;
}

/** import / export-from / import() / import type specifiers, read by the TypeScript scanner. */
function specifiersOf(text: string): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles.map((file) => file.fileName);
}

function sourceFiles(dir: string): SourceFile[] {
  const files: SourceFile[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(full));
    else if (entry.name.endsWith(".ts")) {
      files.push({
        path: relative(SRC, full).split("\\").join("/"),
        specifiers: specifiersOf(readFileSync(full, "utf8")),
      });
    }
  }
  return files;
}

describe("import direction", () => {
  const files = sourceFiles(SRC);

  test("src/ has files to check, and their imports are found", () => {
    expect(files.length).toBeGreaterThan(5);
    const run = files.find((file) => file.path === "core/run.ts");
    expect(run?.specifiers).toContain("./response.js");
  });

  test("every arrow under src/ runs the right way", () => {
    expect(checkImports(files)).toEqual([]);
  });
});

/**
 * The module specifiers a file loads when it is itself loaded: static imports and re-exports
 * that survive compilation (not `import type`, not an import of types only); no import().
 */
function runtimeImportsOf(text: string): string[] {
  const file = ts.createSourceFile("x.ts", text, ts.ScriptTarget.Latest);
  const found: string[] = [];
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const bindings = clause?.namedBindings;
      const typesOnly =
        clause?.isTypeOnly ||
        (clause !== undefined &&
          !clause.name &&
          bindings !== undefined &&
          ts.isNamedImports(bindings) &&
          bindings.elements.length > 0 &&
          bindings.elements.every((element) => element.isTypeOnly));
      if (!typesOnly) found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(statement) && statement.moduleSpecifier) {
      const clause = statement.exportClause;
      const typesOnly =
        statement.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((element) => element.isTypeOnly));
      if (!typesOnly) found.push((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return found;
}

/** Every file `entry` loads at start-up (before any import() runs), and every package. */
function startupGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (path: string) => {
    if (files.has(path)) return;
    files.add(path);
    for (const specifier of runtimeImportsOf(readFileSync(join(SRC, path), "utf8"))) {
      const target = resolve(path, specifier);
      if (target.kind === "src") visit(target.path);
      else if (target.kind === "package") packages.add(target.name);
    }
  };
  visit(entry);
  return { files, packages };
}

// Issue 8 §2: APP may be an Express, Koa, Fastify or Hono app, and the loader wraps it in an
// adapter. The rule chosen: the front-ends never import an adapter, not even with import()
// (the arrow rule above); the free layer binds them into the loader (src/adapt.ts), and imports
// each adapter with import() only. So what a CGI process loads before it reads the app is
// still only core, protocol and frontends/cgi: a tsgi app's start-up pays for no adapter and
// no package (bench/cgi-startup.mjs measures it), and the fast path of the bin stays free of
// commander.
describe("what a CGI process loads before the app", () => {
  test.each([["cgi.ts"], ["cli/commands/cgi.ts"], ["cli/commands/run.ts"]])(
    "%s loads no adapter and no package at start-up",
    (entry) => {
      const { files, packages } = startupGraph(entry);
      // The reader found the entry's imports (cli/commands/run.ts has one left: adapter-option).
      expect(files.size).toBeGreaterThan(1);
      expect([...files].filter((file) => file.startsWith("adapters/"))).toEqual([]);
      expect([...packages]).toEqual([]);
    },
  );

  // `tsgi run` under CGI: the FastCGI server, the systemd notifier and the workers load only
  // when fd 0 is a socket (cli/commands/serve-fastcgi.ts, through import()).
  test("cli/commands/run.ts loads no FastCGI server at start-up", () => {
    const { files } = startupGraph("cli/commands/run.ts");
    expect([...files].filter((file) => /fastcgi|systemd|serve-fastcgi/.test(file))).toEqual([]);
  });

  test("the adapters are reached from the entry through import() only", () => {
    const adapt = readFileSync(join(SRC, "adapt.ts"), "utf8");
    expect(specifiersOf(adapt).filter((s) => s.startsWith("./adapters/"))).not.toEqual([]);
    expect(runtimeImportsOf(adapt).filter((s) => s.startsWith("./adapters/"))).toEqual([]);
  });

  test("the start-up reader skips types and import(), and keeps the rest", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "./b.js";',
      'import { type C } from "./c.js";',
      'import { type D, e } from "./d.js";',
      'export { f } from "./f.js";',
      'export type { G } from "./g.js";',
      'import "./h.js";',
      'const i = await import("./i.js");',
    ].join("\n");
    expect(runtimeImportsOf(text)).toEqual(["./a.js", "./d.js", "./f.js", "./h.js"]);
  });
});

describe("the checker", () => {
  test("finds static, type-only, re-export, side-effect and dynamic imports", () => {
    const text = [
      'import { a } from "./a.js";',
      'import type { B } from "./b.js";',
      'export { c } from "./c.js";',
      'export * from "./d.js";',
      'import "./e.js";',
      'const f = await import("./f.js");',
      "// import { g } from './commented.js'",
      "const text = \"import { h } from './in-a-string.js'\";",
    ].join("\n");
    expect(specifiersOf(text)).toEqual([
      "./a.js",
      "./b.js",
      "./c.js",
      "./d.js",
      "./e.js",
      "./f.js",
    ]);
  });

  test.each([
    ["core/x.ts", "../frontends/cgi.js", "core must not import frontends"],
    ["core/x.ts", "../protocol/cgi.js", "core must not import protocol"],
    ["core/x.ts", "../middleware/gzip.js", "core must not import middleware"],
    ["core/x.ts", "../testing/inject.js", "core must not import testing"],
    ["core/x.ts", "../index.js", "core must not import entry files"],
    ["core/x.ts", "node:net", "core must not import node:net (no I/O)"],
    ["core/x.ts", "node:http", "core must not import node:http (no I/O)"],
    ["core/x.ts", "child_process", "core must not import node:child_process (no I/O)"],
    ["core/x.ts", "node:fs/promises", "core must not import node:fs/promises (no I/O)"],
    ["core/x.ts", "commander", "core must not import package commander"],
    ["core/x.ts", "../../package.json", "core must not import outside src/"],
    ["protocol/x.ts", "../frontends/fastcgi/server.js", "protocol must not import frontends"],
    ["protocol/x.ts", "node:fs", "protocol must not import node:fs (no I/O)"],
    ["protocol/x.ts", "node:net", "protocol must not import node:net (no I/O)"],
    ["frontends/cgi.ts", "./fastcgi/server.js", "frontends/cgi must not import frontends/fastcgi"],
    ["frontends/cgi.ts", "./http.js", "frontends/cgi must not import frontends/http"],
    [
      "frontends/fastcgi/server.ts",
      "../http.js",
      "frontends/fastcgi must not import frontends/http",
    ],
    ["frontends/http.ts", "../middleware/x.js", "frontends/http must not import middleware"],
    [
      "frontends/cgi/load-app.ts",
      "../../adapters/node.js",
      "frontends/cgi must not import adapters",
    ],
    ["frontends/http.ts", "../cli/main.js", "frontends/http must not import cli"],
    ["middleware/x.ts", "../protocol/cgi.js", "middleware must not import protocol"],
    ["middleware/x.ts", "../frontends/http.js", "middleware must not import frontends"],
    ["adapters/fetch.ts", "../frontends/http.js", "adapters must not import frontends"],
    ["sinks/x.ts", "../frontends/http.js", "sinks must not import frontends"],
    ["sinks/x.ts", "../adapters/node.js", "sinks must not import adapters"],
    ["sinks/x.ts", "../protocol/cgi.js", "sinks must not import protocol"],
    ["adapters/fetch.ts", "../middleware/x.js", "adapters must not import middleware"],
    ["testing/inject.ts", "../frontends/cgi.js", "testing must not import frontends"],
    ["middleware/x.ts", "commander", "middleware must not import package commander"],
    ["wrappers/request.ts", "../middleware/x.js", "wrappers must not import middleware"],
    ["wrappers/request.ts", "../frontends/http.js", "wrappers must not import frontends"],
    ["wrappers/request.ts", "mime-types", "wrappers must not import package mime-types"],
    ["adapters/node.ts", "express", "adapters must not import package express"],
  ])("%s importing %s is refused", (path, specifier, why) => {
    expect(checkImports([{ path, specifiers: [specifier] }])).toEqual([
      `src/${path} imports ${specifier}: ${why}`,
    ]);
  });

  test.each([
    ["core/x.ts", "./types.js"],
    ["core/x.ts", "node:events"],
    ["core/x.ts", "node:buffer"],
    ["protocol/x.ts", "../core/errors.js"],
    ["protocol/x.ts", "./cgi.js"],
    ["frontends/cgi.ts", "../core/run.js"],
    ["frontends/cgi.ts", "../protocol/cgi.js"],
    ["frontends/cgi.ts", "node:fs"],
    ["frontends/fastcgi/server.ts", "./connection.js"],
    ["frontends/fastcgi/server.ts", "node:net"],
    ["frontends/http.ts", "node:http"],
    ["middleware/x.ts", "../core/types.js"],
    ["middleware/x.ts", "./y.js"],
    ["middleware/x.ts", "../wrappers/request.js"],
    ["middleware/static.ts", "mime-types"],
    ["middleware/session.ts", "cookie"],
    ["wrappers/request.ts", "../core/url.js"],
    ["wrappers/form.ts", "@fastify/busboy"],
    ["adapters/fetch.ts", "../protocol/cgi.js"],
    ["testing/inject.ts", "../protocol/cgi.js"],
    ["cli/main.ts", "../frontends/fastcgi/server.js"],
    ["cli/main.ts", "commander"],
    ["index.ts", "./frontends/cgi.js"],
    ["cgi.ts", "./frontends/cgi.js"],
  ])("%s importing %s is allowed", (path, specifier) => {
    expect(checkImports([{ path, specifiers: [specifier] }])).toEqual([]);
  });
});
