import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, describe, test } from "vitest";

// Debian puts daemons in sbin and helpers under /usr/lib; a test user's PATH may not.
const EXTRA_DIRS = ["/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/lib/cgi-bin"];

/** The absolute path of the first executable found for any of `names`, or null. */
export function findBinary(...names: string[]): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), ...EXTRA_DIRS];
  for (const name of names) {
    if (name.startsWith("/")) {
      if (isExecutable(name)) return name;
      continue;
    }
    for (const dir of dirs) {
      const candidate = join(dir, name);
      if (dir && isExecutable(candidate)) return candidate;
    }
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Something an integration suite needs: what it is, and whether it was found. */
export interface Requirement {
  what: string;
  found: boolean;
}

export function need(what: string, found: unknown): Requirement {
  return { what, found: Boolean(found) };
}

/**
 * A describe block that runs only when every requirement is met. Otherwise it is skipped with
 * the reason in its name and on stderr; with TSGI_REQUIRE_INTEGRATION=1 (CI) a missing server
 * is a failing test instead.
 */
export function describeIntegration(
  name: string,
  requirements: Requirement[],
  body: () => void,
): void {
  const missing = requirements.filter((r) => !r.found).map((r) => r.what);
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = `missing ${missing.join(", ")}`;
  if (process.env.TSGI_REQUIRE_INTEGRATION === "1") {
    describe(name, () => {
      test(`requires ${missing.join(", ")}`, () => {
        throw new Error(`TSGI_REQUIRE_INTEGRATION=1 but ${name} cannot run: ${reason}`);
      });
    });
    return;
  }
  process.stderr.write(`[integration] skipping "${name}": ${reason}\n`);
  describe.skip(`${name} (skipped: ${reason})`, body);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A fresh temp dir and a function that removes it. */
export function tempDir(prefix = "tsgi-"): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/**
 * Temp dirs for one test file, each removed after the test that made it: call at the top of the
 * file. `later(fn)` queues more clean-up for the same moment; all of it runs last-in first-out,
 * so a test that moved a dir away can queue the move back before the dir is removed.
 */
export function tempDirs(prefix = "tsgi-"): { make(): string; later(fn: () => void): void } {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });
  return {
    make() {
      const dir = tempDir(prefix);
      cleanups.push(dir.remove);
      return dir.path;
    },
    later(fn) {
      cleanups.push(fn);
    },
  };
}

/** Polls `check` until it returns true or `ms` pass. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
