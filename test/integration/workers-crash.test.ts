/**
 * Issue 10 §5: a worker SIGKILLed every few seconds under load is replaced at once, and only
 * requests it had in flight fail; a worker whose loop is blocked is killed after
 * `--worker-timeout` and replaced, with the other traffic zero failed.
 */
import { afterEach, expect, test } from "vitest";
import { cliBuilt } from "../fixtures/fastcgi/harness.js";
import { describeIntegration, need, waitFor } from "../helpers/integration.js";
import { type Outcome, runLoad, summary, upstreamErrors } from "../helpers/load.js";
import { NGINX } from "../helpers/nginx.js";
import { startWorkersSite, type WorkersSite } from "../helpers/tsgi-workers.js";

let site: WorkersSite | null = null;

afterEach(async () => {
  await site?.stop();
  site = null;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeIntegration(
  "tsgi fcgi --workers: crashes and blocked workers behind nginx",
  [need("nginx", NGINX), need("a built tsgi (npm run build)", cliBuilt())],
  () => {
    test("SIGKILL a worker every 2 s: a replacement starts within a second; only requests in flight at a kill fail", async () => {
      site = await startWorkersSite({ args: ["--workers", "2"] });
      const s = site;
      const failures: Outcome[] = [];
      const kills: number[] = [];
      const stop = new AbortController();
      const load = runLoad({
        port: s.nginx.port,
        connections: 16,
        requests: 100_000,
        deadlineMs: 60_000,
        signal: stop.signal,
        request: () => ({ path: "/slow?20" }),
        onResult: (outcome) => {
          if (!outcome.ok) failures.push(outcome);
        },
      });
      try {
        for (let n = 0; n < 4; n++) {
          await sleep(2000);
          const before = s.workerPids();
          const victim = before[n % before.length];
          kills.push(Date.now());
          process.kill(victim, "SIGKILL");
          await waitFor(
            () => s.workerPids().some((pid) => !before.includes(pid)),
            1000,
            "a replacement worker",
          );
          await s.waitForLog(/died \(signal SIGKILL\)/, n + 1, 10_000);
        }
        await sleep(1000);
      } finally {
        stop.abort();
      }
      const result = await load;
      process.stderr.write(`${summary("SIGKILL x4", result)}\n`);
      expect(result.ok).toBeGreaterThan(100);
      // A connection on its way to the dying worker goes to another one: nobody waits forever.
      expect(result.byKind.timeout).toBe(0);
      // Each failed request was in flight when a worker died.
      for (const failure of failures) {
        const atKill = kills.some(
          (t) => failure.startedAt <= t + 100 && failure.endedAt >= t - 100,
        );
        expect(atKill, `request ${failure.index} failed outside a kill: ${failure.reason}`).toBe(
          true,
        );
      }
    }, 120_000);

    test("a blocked worker is killed after --worker-timeout and replaced; other traffic zero failed", async () => {
      site = await startWorkersSite({ args: ["--workers", "2", "--worker-timeout", "2"] });
      const s = site;
      const stop = new AbortController();
      const load = runLoad({
        port: s.nginx.port,
        connections: 8,
        requests: 100_000,
        deadlineMs: 60_000,
        signal: stop.signal,
        request: () => ({
          path: "/version",
          check: (_s, b) => (b.toString() === "v0\n" ? null : `body ${b}`),
        }),
      });
      const blocked = runLoad({
        port: s.nginx.port,
        connections: 1,
        requests: 1,
        deadlineMs: 1000,
        request: () => ({ path: "/block" }),
        timeoutMs: 30_000,
      });
      try {
        await s.waitForLog(
          /no heartbeat for .* \(--worker-timeout 2 s\): its event loop is blocked; killing it/,
          1,
          30_000,
        );
        await s.waitForLog(/died \(signal SIGKILL\)/, 1, 10_000);
        await waitFor(() => s.workerPids().length === 2, 10_000, "two workers again");
        await sleep(1500);
      } finally {
        stop.abort();
      }
      expect((await blocked).failed).toBe(1);
      const result = await load;
      process.stderr.write(`${summary("blocked worker, other traffic", result)}\n`);
      process.stderr.write(
        `[load] nginx upstream lines: ${upstreamErrors(s.nginx.errorLog()).length}\n`,
      );
      expect(result.failures).toEqual([]);
      expect(result.ok).toBeGreaterThan(50);
    }, 120_000);
  },
);
