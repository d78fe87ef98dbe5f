/**
 * Issue 10 §5: recycling (`--max-requests 50 --max-requests-jitter 25`) under load behind a real
 * nginx, upstream keep-alive on and off: twenty recycles or more, zero failed.
 */
import { afterEach, expect, test } from "vitest";
import { cliBuilt } from "../fixtures/fastcgi/harness.js";
import { describeIntegration, need } from "../helpers/integration.js";
import { runLoad, summary, upstreamErrors } from "../helpers/load.js";
import { NGINX } from "../helpers/nginx.js";
import { startWorkersSite, type WorkersSite } from "../helpers/tsgi-workers.js";

const BODY = new Uint8Array(4096).fill(98);
let site: WorkersSite | null = null;

afterEach(async () => {
  await site?.stop();
  site = null;
});

describeIntegration(
  "tsgi fcgi --workers: recycling behind nginx",
  [need("nginx", NGINX), need("a built tsgi (npm run build)", cliBuilt())],
  () => {
    test.each([
      ["upstream keep-alive", true],
      ["a connection per request", false],
    ])(
      "%s: twenty recycles under load, zero failed",
      async (_name, keepAlive) => {
        site = await startWorkersSite({
          keepAlive,
          args: ["--workers", "2", "--max-requests", "50", "--max-requests-jitter", "25"],
        });
        const s = site;
        const stop = new AbortController();
        const load = runLoad({
          port: s.nginx.port,
          connections: 16,
          requests: 100_000,
          deadlineMs: 150_000,
          signal: stop.signal,
          request: (i) =>
            i % 2 === 1
              ? {
                  method: "POST",
                  path: "/echo",
                  body: BODY,
                  check: (_s, body) =>
                    body.toString() === `v0 ${BODY.length}\n` ? null : `body ${body}`,
                }
              : {
                  path: "/version",
                  check: (_s, body) => (body.toString() === "v0\n" ? null : `body ${body}`),
                },
        });
        try {
          await s.waitForLog(/drained; \d+ idle connection/, 20, 150_000);
        } finally {
          stop.abort();
        }
        const result = await load;
        const recycles = s.count(/requests \(--max-requests\); replacing it/);
        process.stderr.write(`${summary(`recycling, ${_name}, ${recycles} recycles`, result)}\n`);
        expect(result.failures).toEqual([]);
        expect(upstreamErrors(s.nginx.errorLog())).toEqual([]);
        expect(s.count(/requests \(--max-requests\); replacing it/)).toBeGreaterThanOrEqual(20);
      },
      200_000,
    );
  },
);
