import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { settleFileWork } from "../../../src/frontends/cgi/settle.js";

describe("settleFileWork", () => {
  it("returns once the file work in flight is done", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tsgi-settle-"));
    try {
      const file = join(dir, "f");
      void (async () => {
        for (let i = 0; i < 32; i++) await appendFile(file, "x");
      })();
      await settleFileWork(5000);
      expect(readFileSync(file, "utf8")).toHaveLength(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("does not wait for timers or sockets (a pool, a setInterval)", async () => {
    const interval = setInterval(() => {}, 10);
    try {
      const started = performance.now();
      await settleFileWork(5000);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      clearInterval(interval);
    }
  });

  it("stops at its cap however long the file work runs", async () => {
    let running = true;
    const dir = mkdtempSync(join(tmpdir(), "tsgi-settle-"));
    const endless = (async () => {
      while (running) await appendFile(join(dir, "f"), "x");
    })();
    try {
      const started = performance.now();
      await settleFileWork(100);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      running = false;
      await endless;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
